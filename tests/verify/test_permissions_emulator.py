"""The verifier holding only its own rights, attached as IAM takes them, in the sandbox: a two-replica stack
verified by a role the printed AWS CLI commands gave the `--policy-dir` policies to; and rights split over
several customer managed policies are enough together, and each is needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.verify.verifier_rights import hold_as_user, iam_characters, written_policies
from verify.__main__ import main
from verify.inputs import parse_outputs
from verify.permissions import managed_policy_documents, policy_for

pytestmark = pytest.mark.emulator

EU, AP = "eu-west-1", "ap-southeast-2"
AWS_CLI_FOLDER = str(Path(sys.executable).parent)  # the venv's `aws`
ROLE = "verifier"


def deployed(emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **config: str) -> Path:
    """The stack up with the test role granted; the deployer's environment set; the outputs' file."""
    out = up(stack, testPrincipal="role", grantTestPrincipal="true", **config).outputs
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    return path


def verified(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--outputs", str(path), "--max-wait", "5"])
    report = capsys.readouterr()
    return code, report.out + report.err


def test_a_two_replica_stack_is_verified_by_a_role_holding_the_printed_policies_attached_as_printed(
    emulator: Emulator,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # With its keys protected: the alarm rules and topics of the three key regions are read back too.
    config = {"replicaRegions": json.dumps([EU, AP]), "keyLossProtection": "true"}
    path = deployed(emulator, stack, monkeypatch, tmp_path, **config)
    out = json.loads(path.read_text())
    assert [r[contract.REPLICA_REGION] for r in out[contract.REPLICAS]] == [EU, AP]
    assert len(out[contract.KEY_PROTECTION][contract.PROTECTION_ALARMS]) == 3
    documents, commands = written_policies(path, tmp_path / "rights", capsys)
    assert sum(iam_characters(d) for d in documents) > 2_048, "over a user's inline quota: managed policies it is"
    iam = emulator.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{emulator.account_of()}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    # The commands, as printed, by the deployer with the AWS CLI.
    environment = {**os.environ, "PATH": f"{AWS_CLI_FOLDER}{os.pathsep}{os.environ.get('PATH', '')}"}
    ran = subprocess.run(
        ["sh", "-e", "-c", commands], env={**environment, "VERIFIER_ROLE": ROLE}, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    assert len(attached) == len(documents)
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [], "nothing inline"
    # Without the variable the commands stop before attaching anything anywhere.
    unset = subprocess.run(
        ["sh", "-e", "-c", commands.splitlines()[-1]], env=environment, capture_output=True, text=True
    )
    assert unset.returncode != 0
    assert "set VERIFIER_ROLE to the name of the role that verifies" in unset.stderr

    session = emulator.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="verify")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", session["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", session["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", session["SessionToken"])
    code, report = verified(path, capsys)
    assert code == 0, report
    assert "FAIL" not in report
    assert f"replica[{AP}]" in report
    assert "key_protection.alarm" in report


def test_rights_split_over_several_managed_policies_are_enough_together_and_each_is_needed(
    emulator: Emulator,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The stack's rights fit one managed policy; split at a smaller size, as a larger stack's would be.
    path = deployed(emulator, stack, monkeypatch, tmp_path)
    parts = managed_policy_documents(policy_for(parse_outputs(json.loads(path.read_text()))), limit=700)
    assert len(parts) >= 3
    hold_as_user(emulator, monkeypatch, "all-parts", [json.dumps(p) for p in parts])
    code, report = verified(path, capsys)
    assert code == 0, report
    assert "FAIL" not in report

    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    hold_as_user(emulator, monkeypatch, "all-but-one", [json.dumps(p) for p in parts[1:]])
    code, report = verified(path, capsys)
    # The first part holds the table's checks: without it the verifier cannot start, and says what to attach.
    assert code == 2, report
    assert "may not call DescribeTable" in report
    assert "python -m verify --policy-dir DIR writes them as customer managed policies" in report
