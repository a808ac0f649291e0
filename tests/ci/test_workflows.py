"""The GitHub workflows and their local setup action: valid for actionlint, pinned, and
shaped as the README promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
ROOT_ACTION = ROOT / "action.yml"  # the verifier as an action (docs/action.md; tests/ci/test_action.py)
SETUP = "./.github/actions/setup"
SETUP_ACTION = GITHUB / "actions" / "setup" / "action.yml"
ACTIONLINT = str(Path(sys.executable).with_name("actionlint"))

# `uses: owner/repo[/path]@<40-hex commit> # vX.Y.Z`: the commit is what runs, the
# comment says which release it is (and lets the tests below check it under its tag).
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*?))?\s*$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})$")
VERSION = re.compile(r"^v(?P<major>\d+)(?:\.\d+){0,2}$")
PIN_WITH_VERSION = re.compile(r"@[0-9a-f]{40}\s*#\s*v(\d+)(?:\.\d+){0,2}")


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ACTIONLINT, "-no-color", *map(str, paths)], capture_output=True, text=True, check=False)


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((GITHUB / "workflows" / name).read_text())


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def uses(workflow: dict[Any, Any], job: str, action: str) -> list[dict[str, Any]]:
    return [s for s in steps(workflow, job) if str(s.get("uses", "")).startswith(action)]


def setup_action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(SETUP_ACTION.read_text())
    return action


def name_of(path: Path) -> str:
    return path.name if path in WORKFLOWS else str(path.relative_to(ROOT))


def every_uses() -> Iterator[tuple[str, str]]:
    """(file, action reference) for every step of every workflow and action of the repository."""
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            if "uses" in job:  # a reusable workflow
                yield path.name, job["uses"]
            for step in job.get("steps", []):
                if "uses" in step:
                    yield path.name, step["uses"]
    for path in [*ACTIONS, ROOT_ACTION]:
        for step in yaml.safe_load(path.read_text())["runs"].get("steps", []):
            if "uses" in step:
                yield name_of(path), step["uses"]


def under_version_tags(text: str) -> str:
    """`@<sha> # v4.2.2` -> `@v4`: the form actionlint knows the inputs of."""
    return PIN_WITH_VERSION.sub(lambda m: f"@v{m.group(1)}", text)


def repo_copy(tmp_path: Path) -> Path:
    """.github in a fresh project (actionlint resolves `./...` actions from the .git root)."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(GITHUB, tmp_path / ".github")
    return tmp_path


def setup_action_as_workflow() -> str:
    """The setup action's steps as one job (pins under their version tags), its inputs as
    workflow_call inputs: actionlint does not lint action.yml files, but it lints this."""
    action = yaml.safe_load(under_version_tags(SETUP_ACTION.read_text()))
    inputs = {name: {"type": "string", "default": spec.get("default", "")} for name, spec in action["inputs"].items()}
    workflow = {
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"setup": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    return yaml.safe_dump(workflow, sort_keys=False)


# -- actionlint ------------------------------------------------------------------------


def test_actionlint_passes_every_workflow() -> None:
    assert [w.name for w in WORKFLOWS] == ["deploy.yml", "pull-request.yml", "release.yml"]
    done = actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt.name }}\n"
    )
    done = actionlint(broken)
    assert done.returncode != 0
    assert "evnt" in done.stdout


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        ("workflows/pull-request.yml", "policy-pack: true", "policy-pak: true", 'input "policy-pak" is not defined'),
        ("workflows/deploy.yml", "policy-pack: true", "policy-pak: true", 'input "policy-pak" is not defined'),
        ("actions/setup/action.yml", "runs:", "runs: [", "could not parse action metadata"),
    ],
    ids=["input-in-pull-request", "input-in-deploy", "unparsable-action"],
)
def test_actionlint_reads_the_local_setup_action(tmp_path: Path, path: str, old: str, new: str, message: str) -> None:
    project = repo_copy(tmp_path)
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    done = actionlint(*workflows)
    assert done.returncode == 0, done.stdout + done.stderr
    changed = project / ".github" / path
    assert old in changed.read_text()
    changed.write_text(changed.read_text().replace(old, new, 1))
    done = actionlint(*workflows)
    assert done.returncode != 0, done.stdout + done.stderr
    assert message in done.stdout, done.stdout + done.stderr


def test_the_setup_actions_steps_pass_actionlint(tmp_path: Path) -> None:
    project = repo_copy(tmp_path)
    linted = project / ".github" / "workflows" / "setup-action.yml"
    linted.write_text(setup_action_as_workflow())
    assert not re.search(r"@[0-9a-f]{40}", linted.read_text()), "a pin without its version"
    done = actionlint(linted)
    assert done.returncode == 0, done.stdout + done.stderr


def test_pinned_actions_get_their_inputs_checked_under_their_version_tags(tmp_path: Path) -> None:
    # actionlint knows the inputs of popular actions by tag (`pulumi/actions@v7`), not by
    # commit: under their tags, the pinned steps get those checks back.
    project = repo_copy(tmp_path)
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    for workflow in workflows:
        workflow.write_text(under_version_tags(workflow.read_text()))
        assert not re.search(r"@[0-9a-f]{40}", workflow.read_text()), f"{workflow.name}: a pin without its version"
    done = actionlint(*workflows)
    assert done.returncode == 0, done.stdout + done.stderr


# -- pins and the shared setup ---------------------------------------------------------


def test_every_third_party_action_is_pinned_to_a_commit_with_its_version() -> None:
    from_yaml = sorted((name, ref) for name, ref in every_uses() if not ref.startswith("./"))
    assert from_yaml, "no third-party action found: the scan is broken"
    from_lines = []
    for path in [*WORKFLOWS, *ACTIONS, ROOT_ACTION]:
        name = name_of(path)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES_LINE.match(line)
            if not match or match["ref"].startswith("./"):
                continue
            where = f"{name}:{number}: {line.strip()}"
            assert PINNED.match(match["ref"]), f"{where}: not pinned to a full commit SHA"
            assert VERSION.match(match["comment"] or ""), f"{where}: no `# vX.Y.Z` comment naming the version"
            from_lines.append((name, match["ref"]))
    assert sorted(from_lines) == from_yaml, "a `uses:` the line scan did not see (flow style?)"
    assert any(name == "action.yml" for name, _ in from_yaml), "the root action was not scanned"
    commits: dict[str, set[str]] = {}
    for _, ref in from_yaml:
        action, sha = ref.split("@")
        commits.setdefault(action, set()).add(sha)
    assert {action: shas for action, shas in commits.items() if len(shas) > 1} == {}, "one action, several commits"


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_every_job_sets_up_through_the_local_action(name: str) -> None:
    workflow = load(name)
    for job_name, job in workflow["jobs"].items():
        job_steps = job["steps"]
        assert str(job_steps[0].get("uses", "")).startswith("actions/checkout@"), f"{job_name}: checkout first"
        assert job_steps[1].get("uses") == SETUP, f"{job_name}: {SETUP} right after the checkout"
        for step in job_steps:
            assert not str(step.get("uses", "")).startswith("actions/setup-python"), f"{job_name}: {step}"
            run = str(step.get("run", ""))
            for setup in ("make venv", "-m venv", "pip install"):
                assert setup not in run, f"{job_name}: {run}"
        # The jobs that run Pulumi with the policy pack get its venv; the others do not build it.
        runs_the_pack = any("policyPacks" in (s.get("with") or {}) for s in job_steps)
        policy_pack = str((job_steps[1].get("with") or {}).get("policy-pack", "false")).lower()
        assert policy_pack == str(runs_the_pack).lower(), f"{job_name}: policy-pack is {policy_pack}"


def test_the_setup_action_installs_python_311_with_a_pip_cache_and_the_venvs() -> None:
    action = setup_action()
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["policy-pack"]["default"] == "false"
    action_steps = action["runs"]["steps"]
    (python,) = [s for s in action_steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert python["with"]["python-version"] == "3.11"
    assert python["with"]["cache"] == "pip"
    runs = [s.get("run", "").strip() for s in action_steps]
    assert "make venv" in runs
    (policy,) = [s for s in action_steps if "policy/venv" in s.get("run", "")]
    assert policy["if"] == "inputs.policy-pack == 'true'"
    assert "-r policy/requirements.txt" in policy["run"]


@pytest.mark.parametrize(
    ("policy_pack", "files"),
    [("false", ["requirements.txt"]), ("true", ["requirements.txt", "policy/requirements.txt"])],
)
def test_the_pip_cache_key_hashes_the_requirement_files_the_job_installs(
    tmp_path: Path, policy_pack: str, files: list[str]
) -> None:
    action_steps = setup_action()["runs"]["steps"]
    (python,) = [s for s in action_steps if str(s.get("uses", "")).startswith("actions/setup-python@")]
    key_paths = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", python["with"]["cache-dependency-path"])
    assert key_paths, python["with"]["cache-dependency-path"]
    step_id, output = key_paths.groups()
    (step,) = [s for s in action_steps if s.get("id") == step_id]
    env = {k: v.replace("${{ inputs.policy-pack }}", policy_pack) for k, v in step.get("env", {}).items()}
    github_output = tmp_path / "github-output"
    subprocess.run(
        ["bash", "-c", step["run"]],
        env={**os.environ, **env, "GITHUB_OUTPUT": str(github_output)},
        cwd=tmp_path,
        check=True,
    )
    text = github_output.read_text()
    heredoc = re.fullmatch(rf"{output}<<(\w+)\n(.*)\n\1\n", text, re.DOTALL)
    assert heredoc, text
    assert heredoc.group(2).splitlines() == files
    assert all((ROOT / f).is_file() for f in files)


# -- what the workflows do ---------------------------------------------------------------


def test_pull_requests_run_the_tests_then_preview_with_the_policy_pack_and_a_comment() -> None:
    workflow = load("pull-request.yml")
    assert list(workflow[True]) == ["pull_request"]  # YAML reads the key `on` as True
    assert any(s.get("run") == "make test" for s in steps(workflow, "test"))
    assert workflow["jobs"]["preview"]["needs"] == "test"
    (preview,) = uses(workflow, "preview", "pulumi/actions@")
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["policyPacks"] == "policy"
    assert preview["with"]["comment-on-pr"] is True


def test_main_deploys_then_verifies_with_the_repositorys_action_and_uploads_the_junit_report() -> None:
    workflow = load("deploy.yml")
    assert workflow[True] == {"push": {"branches": ["main"]}}
    assert any(s.get("run") == "make test" for s in steps(workflow, "test"))
    assert workflow["jobs"]["deploy"]["needs"] == "test"
    deploy = steps(workflow, "deploy")
    up = next(i for i, s in enumerate(deploy) if s.get("with", {}).get("command") == "up")
    verify = next(i for i, s in enumerate(deploy) if s.get("uses") == "./")
    upload = next(i for i, s in enumerate(deploy) if str(s.get("uses")).startswith("actions/upload-artifact"))
    assert up < verify < upload
    assert str(deploy[up]["uses"]).startswith("pulumi/actions@")
    assert deploy[up]["with"]["policyPacks"] == "policy"
    # The action, exercised where it is defined: the stack pulumi up deployed, findings to code scanning.
    assert deploy[verify]["with"] == {"stack": "${{ vars.PULUMI_STACK }}", "upload-sarif": True}
    assert "continue-on-error" not in deploy[verify], "a failed check must fail the job"
    assert not any("-m verify" in str(s.get("run", "")) for s in deploy), "the verifier runs through the action"
    # The action's outputs are set even when its last step fails the job (the runner evaluates a
    # composite's outputs after its steps, failed or not): the report is uploaded either way.
    assert deploy[upload]["if"] == f"always() && steps.{deploy[verify]['id']}.outputs.junit-path != ''"
    assert deploy[upload]["with"]["path"] == f"${{{{ steps.{deploy[verify]['id']}.outputs.junit-path }}}}"


def test_the_pulumi_cli_comes_from_the_pulumi_up_step_alone() -> None:
    """No install-only pulumi/actions step before `up`: the `up` step leaves the CLI on PATH for the verify
    action's `pulumi stack output` (pulumi/actions v7.0.0, src/libs/pulumi-cli.ts downloadCli, which
    runAction calls before the command: the CLI already on PATH, or a download then core.addPath)."""
    deploy = steps(load("deploy.yml"), "deploy")
    pulumi = [i for i, s in enumerate(deploy) if str(s.get("uses", "")).startswith("pulumi/actions@")]
    verify = next(i for i, s in enumerate(deploy) if s.get("uses") == "./")
    assert len(pulumi) == 1, "one pulumi/actions step"
    assert deploy[pulumi[0]]["with"]["command"] == "up"
    assert pulumi[0] < verify


@pytest.mark.parametrize("name", [w.name for w in WORKFLOWS])
def test_security_events_write_only_in_the_job_that_uploads_sarif(name: str) -> None:
    workflow = load(name)
    assert "security-events" not in workflow["permissions"]
    for job_name, job in workflow["jobs"].items():
        uploads = any(
            s.get("uses") == "./" and str((s.get("with") or {}).get("upload-sarif")).lower() == "true"
            for s in job["steps"]
        )
        wanted = "write" if uploads else None
        assert job.get("permissions", {}).get("security-events") == wanted, job_name


@pytest.mark.parametrize(
    "path",
    [*WORKFLOWS, *ACTIONS, ROOT_ACTION, *sorted((GITHUB / "verify-action").glob("*.[ps][yh]"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_long_lived_aws_keys_anywhere(path: Path) -> None:
    # aws-access-key-id, aws-secret-access-key, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY ... but the lines that
    # hand the action's OIDC role session to its Verify step (steps.credentials.outputs -> ASSUMED_AWS_*).
    text = "\n".join(line for line in path.read_text().splitlines() if "ASSUMED_AWS_" not in line)
    keys = re.findall(r"aws[-_](?:secret[-_])?access[-_]key(?:[-_]id)?", text, re.IGNORECASE)
    assert keys == []


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_aws_access_is_by_oidc_role_in_the_jobs_that_need_it_only(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}  # least privilege by default; jobs widen it
    assert "id-token" not in workflow["permissions"]
    for job_name, job in workflow["jobs"].items():
        credentials = uses(workflow, job_name, "aws-actions/configure-aws-credentials@")
        id_token = job.get("permissions", {}).get("id-token")
        if credentials:
            assert id_token == "write", f"{job_name}: OIDC needs id-token: write"
            assert credentials[0]["with"]["role-to-assume"].startswith("${{ vars.")
        else:
            assert id_token is None, f"{job_name}: id-token: write without AWS"
