"""The GitHub workflows: valid for actionlint, and shaped as the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = str(Path(sys.executable).with_name("actionlint"))


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ACTIONLINT, "-no-color", *map(str, paths)], capture_output=True, text=True, check=False)


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def uses(workflow: dict[Any, Any], job: str, action: str) -> list[dict[str, Any]]:
    return [s for s in steps(workflow, job) if str(s.get("uses", "")).startswith(action)]


def test_actionlint_passes_every_workflow() -> None:
    assert [w.name for w in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]
    done = actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt.name }}\n"
    )
    done = actionlint(broken)
    assert done.returncode != 0 and "evnt" in done.stdout


def test_pull_requests_run_the_tests_then_preview_with_the_policy_pack_and_a_comment() -> None:
    workflow = load("pull-request.yml")
    assert list(workflow[True]) == ["pull_request"]  # YAML reads the key `on` as True
    assert any(s.get("run") == "make test" for s in steps(workflow, "test"))
    assert workflow["jobs"]["preview"]["needs"] == "test"
    (preview,) = uses(workflow, "preview", "pulumi/actions@v7")
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["policyPacks"] == "policy"
    assert preview["with"]["comment-on-pr"] is True


def test_main_deploys_then_verifies_and_uploads_the_junit_report() -> None:
    workflow = load("deploy.yml")
    assert workflow[True] == {"push": {"branches": ["main"]}}
    deploy = steps(workflow, "deploy")
    names = [s.get("uses") or s.get("run") for s in deploy]
    up = next(i for i, s in enumerate(deploy) if s.get("with", {}).get("command") == "up")
    verify = next(i for i, n in enumerate(names) if "-m verify" in str(n))
    upload = next(i for i, n in enumerate(names) if str(n).startswith("actions/upload-artifact"))
    assert up < verify < upload
    assert deploy[up]["with"]["policyPacks"] == "policy"
    assert "--junit-xml verify-report.xml" in deploy[verify]["run"]
    assert "continue-on-error" not in deploy[verify], "a failed check must fail the job"
    assert deploy[upload]["if"] == "always()" and deploy[upload]["with"]["path"] == "verify-report.xml"


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_aws_access_is_by_oidc_role_never_by_keys(name: str) -> None:
    text = (ROOT / ".github" / "workflows" / name).read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}  # least privilege by default; jobs widen it
    for job_name, job in workflow["jobs"].items():
        credentials = uses(workflow, job_name, "aws-actions/configure-aws-credentials")
        if credentials:
            assert job["permissions"]["id-token"] == "write"
            assert credentials[0]["with"]["role-to-assume"].startswith("${{ vars.")
