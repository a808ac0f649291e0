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
    assert read == written == {"version", "prerelease"}


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


# Tags pushed in this order, and where each major tag is after the release of each: (tag, v1, v2).
RELEASES = [
    ("v1.0.0", "v1.0.0", None),
    ("v1.1.0", "v1.1.0", None),
    ("v1.0.1", "v1.1.0", None),  # a patch of an older minor, released last: v1 does not go back
    ("v1.2.0-rc.1", "v1.1.0", None),  # a pre-release never moves it
    ("v2.0.0", "v1.1.0", "v2.0.0"),  # a new major has its own tag
    ("v1.1.1", "v1.1.1", "v2.0.0"),  # the highest of v1, though v2.0.0 is higher: v1 moves
]


def test_the_major_tag_moves_only_forward_to_the_highest_release_of_its_major(
    workflow: dict[Any, Any], tmp_path: Path
) -> None:
    """The step's script, run as the release job runs it: in a checkout that holds only the tag being
    released (actions/checkout: `git fetch --no-tags --depth=1 origin +refs/tags/<tag>:refs/tags/<tag>`),
    against the repository the maintainer pushed every tag to."""
    move = step(workflow, "git push --force")
    assert "if" not in move, "the release/major_tag.py decision covers pre-releases: no second rule"
    assert move["shell"] == "bash"  # bash -eo pipefail: a failed `git ls-remote` fails the step
    remote, maintainer = tmp_path / "remote.git", tmp_path / "maintainer"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(tmp_path, "clone", "--quiet", str(remote), str(maintainer))
    for key, value in (("user.email", "ci@example.com"), ("user.name", "ci"), ("commit.gpgsign", "false")):
        git(maintainer, "config", key, value)
    commits: dict[str, str] = {}
    for tag, v1, v2 in RELEASES:
        git(maintainer, "commit", "--quiet", "--allow-empty", "-m", tag)
        commits[tag] = git(maintainer, "rev-parse", "HEAD")
        git(maintainer, "tag", "-a", tag, "-m", f"encrypted-dynamodb {tag}", "--no-sign")
        git(maintainer, "push", "--quiet", "origin", f"refs/tags/{tag}")
        job = tmp_path / f"job-{tag}"
        job.mkdir()
        git(job, "init", "--quiet")
        git(job, "remote", "add", "origin", f"file://{remote}")
        git(job, "fetch", "--quiet", "--no-tags", "--depth=1", "origin", f"+refs/tags/{tag}:refs/tags/{tag}")
        git(job, "checkout", "--quiet", f"refs/tags/{tag}")
        assert git(job, "tag", "--list") == tag, "the job's checkout knows only its own tag"
        (job / ".venv").symlink_to(ROOT / ".venv")
        env = {**os.environ, "GITHUB_REF_NAME": tag, "GITHUB_SHA": commits[tag], "PYTHONPATH": str(ROOT)}
        subprocess.run(["bash", "-eo", "pipefail", "-c", move["run"]], cwd=job, env=env, check=True, timeout=60)
        for major, expected in (("v1", v1), ("v2", v2)):
            tip = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{major}^{{commit}}"],
                cwd=remote,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            assert tip == (commits[expected] if expected else ""), f"{major} after releasing {tag}"


@pytest.mark.parametrize("shell", [["bash", "-eo", "pipefail"], ["bash", "-e"]], ids=["pipefail", "without"])
def test_the_major_tag_stays_when_the_tags_cannot_be_listed(
    workflow: dict[Any, Any], tmp_path: Path, shell: list[str]
) -> None:
    """`git ls-remote` fails (no such remote): the step fails and moves nothing, rather than moving the tag
    as if this release were the only one. Without pipefail too: a release missing from the list is exit 1."""
    move = step(workflow, "git push --force")
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "remote", "add", "origin", f"file://{tmp_path / 'missing.git'}")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "GITHUB_REF_NAME": "v1.0.0", "GITHUB_SHA": "0" * 40, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*shell, "-c", move["run"]], cwd=tmp_path, env=env, capture_output=True, check=False)
    assert done.returncode != 0
    assert b"v1.0.0 is not among the 0 tags listed" in done.stderr
    assert git(tmp_path, "tag", "--list") == ""


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
