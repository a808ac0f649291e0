"""The release workflow (.github/workflows/release.yml): when it runs, what it runs first, with which rights,
and its steps' scripts run here against a fake `gh` and a local git remote.

actionlint checks it with every workflow (tests/ci/test_workflows.py)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from access.version import VERSION
from release.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
SETUP = "./.github/actions/setup"
ACTIONLINT = str(Path(sys.executable).with_name("actionlint"))


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def step(workflow: dict[Any, Any], text: str) -> dict[str, Any]:
    """The release job's one step whose script contains `text`."""
    (found,) = [s for s in steps(workflow, "release") if text in str(s.get("run", ""))]
    return found


def test_it_runs_on_version_tags_only(workflow: dict[Any, Any]) -> None:
    assert workflow[True] == {"push": {"tags": ["v*.*.*"]}}  # YAML reads the key `on` as True
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_make_test_passes_before_anything_is_released(workflow: dict[Any, Any]) -> None:
    assert [s.get("run") for s in steps(workflow, "test")][-1] == "make test"
    assert workflow["jobs"]["release"]["needs"] == "test"
    for job in ("test", "release"):
        job_steps = steps(workflow, job)
        assert str(job_steps[0]["uses"]).startswith("actions/checkout@"), job
        assert job_steps[1]["uses"] == SETUP, f"{job}: the project's .venv from the shared setup"


def test_least_permissions(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["test"]
    # Creating a release and pushing the major tag need contents: write; nothing else (no OIDC, no packages).
    assert workflow["jobs"]["release"]["permissions"] == {"contents": "write"}


def test_the_release_is_checked_first_then_built_then_published(workflow: dict[Any, Any]) -> None:
    runs = [str(s.get("run", "")) for s in steps(workflow, "release")]
    order = [
        next(i for i, run in enumerate(runs) if needle in run)
        for needle in (
            "-m release check --tag",
            "-m build",
            "-m release artifacts dist",
            "-m release schema",
            "-m release notes",
            "gh release create",
            "git push --force",
        )
    ]
    assert order == sorted(order)
    check = step(workflow, "-m release check")
    assert check["run"] == '.venv/bin/python -m release check --tag "$GITHUB_REF_NAME" >> "$GITHUB_OUTPUT"'
    assert "continue-on-error" not in check
    assert re.search(r"pip install .*\bbuild==\d+\.\d+\.\d+", step(workflow, "-m build")["run"]), "build is pinned"


def test_the_steps_read_only_what_release_check_writes(
    workflow: dict[Any, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--tag", f"v{VERSION}"]) == 0
    written = {line.split("=", 1)[0] for line in capsys.readouterr().out.splitlines()}
    read = set(re.findall(r"steps\.check\.outputs\.([\w-]+)", WORKFLOW.read_text()))
    assert read == written == {"version", "major-tag", "prerelease"}


def fake_gh(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A `gh` on PATH that records its arguments, one per line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "gh-args"
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, record


@pytest.mark.parametrize(("prerelease", "flag"), [("false", []), ("true", ["--prerelease"])])
def test_the_github_release_gets_the_schema_the_wheel_the_sdist_and_the_notes(
    workflow: dict[Any, Any], tmp_path: Path, prerelease: str, flag: list[str]
) -> None:
    create = step(workflow, "gh release create")
    assert create["env"] == {"GH_TOKEN": "${{ github.token }}", "PRERELEASE": "${{ steps.check.outputs.prerelease }}"}
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in (
        "schema.json",
        f"encrypted_dynamodb-{VERSION}-py3-none-any.whl",
        f"encrypted_dynamodb-{VERSION}.tar.gz",
    ):
        (dist / name).write_text("x")
    env, record = fake_gh(tmp_path)
    env.update(GITHUB_REF_NAME=f"v{VERSION}", PRERELEASE=prerelease)
    subprocess.run(["bash", "-eo", "pipefail", "-c", create["run"]], cwd=tmp_path, env=env, check=True, timeout=30)
    args = record.read_text().splitlines()
    assert args[:3] == ["release", "create", f"v{VERSION}"]
    assert sorted(args[3:6]) == sorted(
        [
            "dist/schema.json",
            f"dist/encrypted_dynamodb-{VERSION}-py3-none-any.whl",
            f"dist/encrypted_dynamodb-{VERSION}.tar.gz",
        ]
    )
    assert args[6:] == ["--verify-tag", "--title", f"v{VERSION}", "--notes-file", "release-notes.md", *flag]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=30)
    return done.stdout.strip()


def test_the_major_tag_moves_to_each_release_and_skips_pre_releases(workflow: dict[Any, Any], tmp_path: Path) -> None:
    move = step(workflow, "git push --force")
    assert move["if"] == "steps.check.outputs.prerelease == 'false'"
    assert move["env"] == {"MAJOR_TAG": "${{ steps.check.outputs.major-tag }}"}
    remote, clone = tmp_path / "remote.git", tmp_path / "clone"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(tmp_path, "clone", "--quiet", str(remote), str(clone))
    for key, value in (("user.email", "ci@example.com"), ("user.name", "ci"), ("commit.gpgsign", "false")):
        git(clone, "config", key, value)
    for release in ("1.0.0", "1.1.0"):
        git(clone, "commit", "--quiet", "--allow-empty", "-m", release)
        sha = git(clone, "rev-parse", "HEAD")
        env = {**os.environ, "MAJOR_TAG": "v1", "GITHUB_SHA": sha}
        subprocess.run(["bash", "-eo", "pipefail", "-c", move["run"]], cwd=clone, env=env, check=True, timeout=30)
        assert git(remote, "rev-parse", "refs/tags/v1^{commit}") == sha, f"v1 after {release}"


def test_actionlint_catches_a_broken_release_step(tmp_path: Path) -> None:
    """The lint that tests/ci runs on every workflow does read this one (a typo in an output's step id)."""
    (tmp_path / ".git").mkdir()
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    (tmp_path / ".github" / "actions").mkdir()
    subprocess.run(
        ["cp", "-r", str(ROOT / ".github" / "actions" / "setup"), str(tmp_path / ".github" / "actions")], check=True
    )
    text = WORKFLOW.read_text()
    assert "steps.check.outputs.version" in text
    broken.write_text(text.replace("steps.check.outputs.version", "steps.chek.outputs.version"))
    done = subprocess.run([ACTIONLINT, "-no-color", str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "chek" in done.stdout
    broken.write_text(text)
    done = subprocess.run([ACTIONLINT, "-no-color", str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
