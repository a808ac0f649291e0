"""The access audit in the sandbox: who can read the table's plaintext, by which layer, and did we mean it.

The misconfigurations an operator makes after deploy, each must fail naming the culprit; a clean
account passes; the verifier's own policy document is enough to run it all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from access.kms_dynamodb import SID_KEY_USE_VIA_DYNAMODB, dynamodb_via_service
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.verify.known_bad import READ_ONLY, let_into_key_policy, reader_role
from tests.verify.verifier_rights import hold_as_user, written_policies
from verify.__main__ import main

pytestmark = pytest.mark.emulator


@pytest.fixture
def deployed(emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Path]:
    """The walkthrough's end state: the test role granted and declared; the deployer's environment set."""
    out = up(stack, testPrincipal="role", grantTestPrincipal="true").outputs
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    return out, path


def audit(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["--outputs", str(path), "--audit", *extra])
    return code, capsys.readouterr().out


def role(emulator: Emulator, name: str) -> str:
    return reader_role(emulator, name, "123456789012")


def test_a_clean_account_passes_and_shows_the_walkthrough(deployed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out, path = deployed
    code, report = audit(path, capsys)
    assert code == 0, report
    test_role = out[contract.TEST_PRINCIPAL_ARN]
    line = next(line for line in report.splitlines() if line.startswith(test_role))
    assert "declared key user" in line
    assert "plaintext reader" in line
    assert "allowed by grant" in line
    deployer = next(line for line in report.splitlines() if line.startswith(out[contract.DEPLOYER_ARN]))
    assert "deployer" in deployer


def test_before_the_grant_the_test_principal_is_blocked_by_kms(
    emulator: Emulator,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = up(stack, testPrincipal="role").outputs
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    code, report = audit(path, capsys)
    assert code == 0, report
    line = next(line for line in report.splitlines() if line.startswith(out[contract.TEST_PRINCIPAL_ARN]))
    assert "blocked by KMS" in line


def test_an_unconstrained_grant_to_another_role_fails_naming_it(
    emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    analytics = role(emulator, "analytics")
    grant = emulator.client("kms").create_grant(
        KeyId=out[contract.KEY_ARN], GranteePrincipal=analytics, Operations=["Decrypt", "DescribeKey"]
    )["GrantId"]
    code, report = audit(path, capsys)
    assert code == 1
    assert "FAIL   audit.unconstrained_grant" in report
    assert f"grant {grant} to {analytics}" in report
    assert "FAIL   audit.undeclared_reader" in report
    assert f"{analytics} is a plaintext reader, undeclared" in report


def test_a_role_reading_through_iam_alone_fails_naming_it_and_its_statement(
    emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    reporting = role(emulator, "reporting")
    emulator.client("iam").put_role_policy(
        RoleName="reporting",
        PolicyName="decrypt-orders",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DecryptThroughDynamoDB",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": out[contract.KEY_ARN],
                        "Condition": {"StringEquals": {"kms:ViaService": dynamodb_via_service(out[contract.REGION])}},
                    }
                ],
            }
        ),
    )
    code, report = audit(path, capsys)
    assert code == 1
    assert f"{reporting} is a plaintext reader, undeclared" in report
    assert "inline policy decrypt-orders of role reporting statement DecryptThroughDynamoDB" in report


def test_a_role_added_to_the_key_policy_fails_naming_it(
    emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    ops = role(emulator, "ops")
    let_into_key_policy(emulator, out, ops)
    code, report = audit(path, capsys)
    assert code == 1
    assert f"{ops} is a plaintext reader, undeclared" in report
    assert f"key policy statement {SID_KEY_USE_VIA_DYNAMODB}" in report


def test_a_deleted_principal_left_in_a_grant_is_found(
    emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    gone = role(emulator, "gone")
    emulator.client("kms").create_grant(
        KeyId=out[contract.KEY_ARN],
        GranteePrincipal=gone,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"aws:dynamodb:tableName": out[contract.TABLE_NAME]}},
    )
    iam = emulator.client("iam")
    iam.detach_role_policy(RoleName="gone", PolicyArn=READ_ONLY)
    iam.delete_role(RoleName="gone")
    code, report = audit(path, capsys)
    assert code == 1
    assert "FAIL   audit.grant_to_missing_principal" in report
    assert gone in report


def test_json_carries_every_principal(deployed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out, path = deployed
    code, report = audit(path, capsys, "--json")
    assert code == 0
    principals = {p["principal"]: p for p in json.loads(report)["principals"]}
    assert principals[out[contract.TEST_PRINCIPAL_ARN]]["verdict"] == "plaintext reader"
    assert principals[out[contract.TEST_PRINCIPAL_ARN]]["role"] == "declared key user"


def test_the_verifiers_own_policy_is_enough(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A user holding only the customer managed policies `python -m verify --policy-dir` writes runs every
    # check, the canary, the probe and the audit.
    _out, path = deployed
    _become_holder_of_the_printed_policy(emulator, monkeypatch, capsys, path, "verifier")
    code = main(["--outputs", str(path), "--max-wait", "5"])
    report = capsys.readouterr()
    assert code == 0, report.out + report.err
    assert "FAIL" not in report.out


def test_the_verifiers_own_policy_is_enough_for_the_audit_of_a_streamed_table(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The audit reads the stream's own resource policy whenever the table has a stream: the printed policy
    # grants it (it once did only when an external principal read the stream, and the audit was refused).
    out, path = deployed
    emulator.client("dynamodb").update_table(
        TableName=out[contract.TABLE_NAME],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    _become_holder_of_the_printed_policy(emulator, monkeypatch, capsys, path, "stream-auditor")
    code = main(["--outputs", str(path), "--audit"])
    report = capsys.readouterr()
    assert code == 0, report.out + report.err
    assert "FAIL" not in report.out


def _become_holder_of_the_printed_policy(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], path: Path, user: str
) -> None:
    """Run on as a new user holding only the customer managed policies `python -m verify --policy-dir` writes."""
    documents, _commands = written_policies(path, path.parent / f"{user}-rights", capsys)
    hold_as_user(emulator, monkeypatch, user, documents)
