"""The composite action attacked: each test a way it leaked, lied or could be turned against its user,
and stays closed (red team, issue 21). Cheap: the scripts run alone, with this venv's Python as the
verifier's, no emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ci.composite import ROOT, read_output_file, workflow_commands
from tests.ci.test_action import defaults, inputs
from verify.__main__ import build_parser
from verify.findings import EXIT_CANNOT_RUN

SCRIPTS = ROOT / ".github" / "verify-action"

# Stack outputs that pass every check of verify/inputs.py but the key alias, whose text the verifier's
# "cannot run" line quotes. An output's text is the stack program's, and what the verifier reads in AWS
# (a key policy's Sid, a principal's path, an error message) is whoever wrote it there.
FORGED = "##[error]forged by the stack's outputs"
HOSTILE_OUTPUTS = {
    "region": "us-east-1",
    "accountId": "123456789012",
    "tableName": "orders",
    "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
    "keyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "keyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "keyAlias": f"alias/orders {FORGED}",
    "pointInTimeRecovery": True,
    "deletionProtection": True,
    "testPrincipalKind": "none",
}


def run_script(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One of the action's scripts as its step runs it (bash -eo pipefail), stdout and stderr in one
    stream, in order, as the runner's log reads them."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(SCRIPTS / name)],
        cwd=cwd,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "GITHUB_ACTION_PATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def verify_step(tmp_path: Path, outputs: dict[str, object]) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    github_output = tmp_path / "github-output"
    done = run_script(
        "run.sh",
        {
            "VERIFY_PYTHON": sys.executable,
            "WORK_DIR": str(tmp_path),
            "VERIFY_ARGUMENTS": "\n".join(("--outputs", str(tmp_path / "outputs.json"), "--max-wait", "0")),
            "MARKDOWN_PATH": "",
            "SARIF_PATH": "",
            "JUNIT_PATH": "",
            "GITHUB_OUTPUT": str(github_output),
        },
        tmp_path,
    )
    return done, read_output_file(github_output)


# -- the test runner's reading of workflow commands is the runner's ----------------------------


def test_workflow_commands_are_read_as_the_runner_reads_them() -> None:
    log = "\n".join(
        (
            "::warning::at the start",
            "   ::notice::after spaces",
            "text ::error::not at the start",
            "text ##[error]legacy, anywhere in the line",
            "::unknown::not a command",
            "::stop-commands::T0k",
            "::error::ignored while stopped",
            "##[add-mask]ignored too",
            "::t0K::",
            "::debug::processed again",
        )
    )
    assert workflow_commands(log) == [
        ("warning", "at the start"),
        ("notice", "after spaces"),
        ("error", "legacy, anywhere in the line"),
        ("stop-commands", "T0k"),
        ("t0K", ""),
        ("debug", "processed again"),
    ]


# -- hole: the verifier's output raised workflow commands -----------------------------------------


def test_text_the_verifier_prints_raises_no_workflow_command(tmp_path: Path) -> None:
    """The runner acts on `::cmd::` at a line's start and on the legacy `##[cmd]` anywhere in a line
    (actions/runner, ActionCommand.TryParse), so text the verifier quotes (an output, a Sid, an AWS error
    message) forged annotations, masked words, or, on a job with ACTIONS_ALLOW_UNSECURE_COMMANDS, set its
    environment. The Verify step stops commands around the verifier, with a token nobody else knows."""
    done, outputs = verify_step(tmp_path, HOSTILE_OUTPUTS)
    assert outputs["exit-code"] == str(EXIT_CANNOT_RUN), done.stdout
    assert FORGED in done.stdout, "the verifier quotes the hostile text"
    commands = workflow_commands(done.stdout)
    assert [name for name, _ in commands][:1] == ["stop-commands"], commands
    token = commands[0][1]
    assert commands == [("stop-commands", token), (token, "")], commands
    assert len(token) >= 32
    again, _ = verify_step(tmp_path, HOSTILE_OUTPUTS)
    assert workflow_commands(again.stdout)[0][1] != token, "a token of each run, not a fixed one"


def test_the_verifier_writes_only_between_the_stop_and_the_resume_on_one_stream(tmp_path: Path) -> None:
    """The runner reads a step's standard output and standard error apart (two pipes): a line the
    verifier writes last on standard error ("verify: cannot run: ...", quoting the outputs) could be read
    after the resume token on standard output, commands on again. The verifier's standard error goes
    through standard output, in order."""
    (tmp_path / "outputs.json").write_text(json.dumps(HOSTILE_OUTPUTS))
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(SCRIPTS / "run.sh")],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "GITHUB_ACTION_PATH": str(ROOT),
            "VERIFY_PYTHON": sys.executable,
            "WORK_DIR": str(tmp_path),
            "VERIFY_ARGUMENTS": f"--outputs\n{tmp_path / 'outputs.json'}",
            **dict.fromkeys(("MARKDOWN_PATH", "SARIF_PATH", "JUNIT_PATH"), ""),
            "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr == ""
    assert FORGED in done.stdout
    assert [name for name, _ in workflow_commands(done.stdout)][:1] == ["stop-commands"]


# -- hole: role-to-assume replaced the caller's AWS credentials and region for the rest of the job --------


def action_step(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "action.yml").read_text())
    (step,) = [s for s in loaded["runs"]["steps"] if s.get("name") == name]
    return dict(step)


def test_the_assumed_role_is_not_exported_to_the_callers_job() -> None:
    """configure-aws-credentials exports the role's keys, AWS_REGION and AWS_DEFAULT_REGION to the job's
    environment by default (src/helpers.ts exportCredentials, exportRegion): after the action, a later
    `pulumi destroy` or deploy of the caller's ran as the verifier, in the action's region, and every later
    step, whatever code it runs, held the verifier's keys. The action takes them as step outputs instead."""
    credentials = action_step("AWS credentials")
    assert credentials["with"]["output-env-credentials"] is False
    assert credentials["with"]["output-credentials"] is True
    verify_env = action_step("Verify")["env"]
    for output in ("aws-access-key-id", "aws-secret-access-key", "aws-session-token"):
        assert f"${{{{ steps.{credentials['id']}.outputs.{output} }}}}" in verify_env.values(), output


def fake_verifier(tmp_path: Path) -> Path:
    """A `python` that records the environment the verifier would run in."""
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\nenv > "{tmp_path / "env"}"\n')
    fake.chmod(0o755)
    return fake


def verifier_environment(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "VERIFY_PYTHON": str(fake_verifier(tmp_path)),
        "WORK_DIR": str(tmp_path),
        "VERIFY_ARGUMENTS": "--stack\ndev",
        "MARKDOWN_PATH": "",
        "SARIF_PATH": "",
        "JUNIT_PATH": "",
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        **extra,
    }
    done = run_script("run.sh", env, tmp_path)
    assert done.returncode == 0, done.stdout
    lines = (tmp_path / "env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


CALLERS = {"AWS_ACCESS_KEY_ID": "ASIACALLER", "AWS_SECRET_ACCESS_KEY": "caller", "AWS_SESSION_TOKEN": "t0"}


def test_the_verifier_runs_as_the_assumed_role(tmp_path: Path) -> None:
    assumed = {
        "ASSUMED_AWS_ACCESS_KEY_ID": "ASIAVERIFIER",
        "ASSUMED_AWS_SECRET_ACCESS_KEY": "verifier",
        "ASSUMED_AWS_SESSION_TOKEN": "t1",
        "ASSUMED_AWS_REGION": "eu-west-1",
    }
    seen = verifier_environment(tmp_path, {**CALLERS, "AWS_PROFILE": "deployer", **assumed})
    assert {k: seen.get(k) for k in (*CALLERS, "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")} == {
        "AWS_ACCESS_KEY_ID": "ASIAVERIFIER",
        "AWS_SECRET_ACCESS_KEY": "verifier",
        "AWS_SESSION_TOKEN": "t1",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_PROFILE": None,
    }
    assert not [name for name in seen if name.startswith("ASSUMED_")]


def test_without_a_role_the_verifier_runs_with_the_jobs_credentials(tmp_path: Path) -> None:
    # The Verify step's env names the credentials step's outputs, empty when it was skipped.
    empty = {"ASSUMED_AWS_ACCESS_KEY_ID": "", "ASSUMED_AWS_SECRET_ACCESS_KEY": "", "ASSUMED_AWS_SESSION_TOKEN": ""}
    seen = verifier_environment(tmp_path, {**CALLERS, "AWS_REGION": "us-east-1", **empty, "ASSUMED_AWS_REGION": ""})
    assert {k: seen.get(k) for k in (*CALLERS, "AWS_REGION")} == {**CALLERS, "AWS_REGION": "us-east-1"}


# -- held: an input cannot become another option of the verifier ------------------------------------


def planned(tmp_path: Path, **values: str) -> tuple[str, ...]:
    return tuple(inputs.check(defaults() | values, str(tmp_path), str(tmp_path / "reports")).arguments)


@pytest.mark.parametrize(
    "values",
    [
        {"stack": "--endpoint-url=http://evil.example"},
        {"stack": "--print-policy"},
        {"stack": "dev", "max-wait": "--endpoint-url=http://evil.example"},
        {"stack": "dev", "max-wait": "--no-audit"},
    ],
    ids=["stack-endpoint", "stack-print-policy", "max-wait-endpoint", "max-wait-no-audit"],
)
def test_an_input_that_looks_like_an_option_is_refused_not_obeyed(tmp_path: Path, values: dict[str, str]) -> None:
    """Each input is one argument after its option (inputs.py), and argparse takes no value that starts
    with '-' but a negative number: the verifier stops, exit 2, before anything runs."""
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(list(planned(tmp_path, **values)))
    assert raised.value.code == EXIT_CANNOT_RUN


def test_an_outputs_file_named_dash_is_a_file_not_standard_input(tmp_path: Path) -> None:
    arguments = planned(tmp_path, **{"outputs-file": "-"})
    assert arguments[:2] == ("--outputs", str(tmp_path / "-"))
    assert build_parser().parse_args(list(arguments)).outputs == str(tmp_path / "-")


def test_an_outputs_file_outside_the_checkout_is_read_where_it_is(tmp_path: Path) -> None:
    """`${{ runner.temp }}/outputs.json` keeps the stack's secret outputs (--show-secrets) out of the
    checkout, where an upload of the workspace, a commit step or a build context would take them."""
    assert planned(tmp_path, **{"outputs-file": "/home/runner/work/_temp/outputs.json"})[:2] == (
        "--outputs",
        "/home/runner/work/_temp/outputs.json",
    )


# -- hole: the install step imported the consumer's checkout ----------------------------------------


def test_the_install_step_runs_the_standard_librarys_venv_and_pip_not_the_checkouts(tmp_path: Path) -> None:
    """The step runs in the workspace, and `python -m venv` / `python -m pip` put it first on sys.path: a
    `venv.py` or `pip.py` at the consumer's repository root, or on a PYTHONPATH the job sets, ran in their
    place (the verifier itself already ran with -P for this reason). Here pip finds no index and fails:
    what matters is whose code ran."""
    workspace, marker = tmp_path / "workspace", tmp_path / "hijacked"
    (workspace / "lib").mkdir(parents=True)
    for folder in (workspace, workspace / "lib"):
        for module in ("venv", "pip"):
            (folder / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write({module!r})\n")
    done = run_script(
        "install.sh",
        {
            "PYTHON": str(Path(sys.base_prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}")),
            "VENV": str(tmp_path / "venv"),
            "PYTHONPATH": str(workspace / "lib"),  # a job's own, e.g. env: PYTHONPATH: src
            "PIP_NO_INDEX": "1",
            "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
            "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        },
        workspace,
    )
    assert not marker.exists(), f"the checkout's {marker.read_text()}.py ran"
    assert (tmp_path / "venv" / "bin" / "python").exists(), done.stdout
