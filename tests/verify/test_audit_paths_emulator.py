"""The audit on every path in the sandbox: each way around the key an attacker would try is a finding
naming the principal and the path (exit 1); a healthy stack with its stream on still passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from access.kms_dynamodb import dynamodb_via_service
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.verify.test_audit import READ_ONLY, audit, role
from verify.__main__ import main

pytestmark = pytest.mark.emulator


def _outputs(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, out: Any) -> Path:
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    return path


def _stream_on(emulator: Emulator, out: Any) -> None:
    emulator.client("dynamodb").update_table(
        TableName=out[contract.TABLE_NAME],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def _inline(emulator: Emulator, name: str, statements: list[dict[str, Any]]) -> None:
    emulator.client("iam").put_role_policy(
        RoleName=name,
        PolicyName="path",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )


def _stream_read(out: Any) -> dict[str, Any]:
    return {
        "Sid": "ReadTheStream",
        "Effect": "Allow",
        "Action": ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"],
        "Resource": f"{out[contract.TABLE_ARN]}/stream/*",
    }


def _table_grant(emulator: Emulator, out: Any, grantee: str) -> None:
    """kms:Decrypt on the table's key for a grantee, constrained to the table, as KeyUser makes it."""
    emulator.client("kms").create_grant(
        KeyId=out[contract.KEY_ARN],
        GranteePrincipal=grantee,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"aws:dynamodb:tableName": out[contract.TABLE_NAME]}},
    )


def _bare_role(emulator: Emulator, name: str) -> str:
    arn = role(emulator, name)
    emulator.client("iam").detach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    return arn


@pytest.fixture
def granted(emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Path]:
    out = up(stack, testPrincipal="role", grantTestPrincipal="true").outputs
    return out, _outputs(emulator, monkeypatch, tmp_path, out)


def test_a_healthy_stack_with_its_stream_on_passes(
    emulator: Emulator, granted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = granted
    _stream_on(emulator, out)
    code = main(["--outputs", str(path), "--max-wait", "5"])
    report = capsys.readouterr().out
    assert code == 0, report
    # AmazonDynamoDBReadOnlyAccess holds no GetShardIterator/GetRecords: the test role is no stream consumer.
    assert "PASS   boundary_probe.stream.read" in report
    assert "not a stream consumer" in report


def test_before_the_grant_the_stream_probe_settles_the_test_principal(
    emulator: Emulator,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given stream rights, the test principal is, on AWS's pages alone, a possible stream reader; the
    # verifier reads the stream as it and sees KMS refuse, which settles it.
    out = up(stack, testPrincipal="role").outputs
    path = _outputs(emulator, monkeypatch, tmp_path, out)
    _stream_on(emulator, out)
    test_role = out[contract.TEST_PRINCIPAL_ARN].rsplit("/", 1)[-1]
    _inline(emulator, test_role, [_stream_read(out)])
    code = main(["--outputs", str(path), "--max-wait", "5"])
    report = capsys.readouterr().out
    assert code == 0, report
    assert "PASS   boundary_probe.stream.denied" in report
    # Without the probe (audit only), the upper bound stands and names the path.
    code, report = audit(path, capsys)
    assert code == 1
    assert f"{out[contract.TEST_PRINCIPAL_ARN]} may read the table's stream" in report


def test_an_undeclared_stream_consumer_fails(
    emulator: Emulator, granted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = granted
    _stream_on(emulator, out)
    consumer = _bare_role(emulator, "consumer")
    _inline(emulator, "consumer", [_stream_read(out)])
    code, report = audit(path, capsys)
    assert code == 1
    assert "FAIL   audit.undeclared_stream" in report
    assert f"{consumer} may read the table's stream" in report
    assert "statement ReadTheStream" in report


@pytest.mark.parametrize(
    ("actions", "resource", "check", "doing"),
    [
        (["dynamodb:ExportTableToPointInTime"], "", "audit.undeclared_export", "export the table to S3"),
        (
            ["dynamodb:RestoreTableToPointInTime", "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Scan"],
            "*",
            "audit.undeclared_restore",
            "restore the table's data into a new table under a key it chooses",
        ),
        (["dynamodb:UpdateTable"], "", "audit.undeclared_rekey", "move the table (or a new replica) to another key"),
    ],
)
def test_an_undeclared_principal_that_takes_the_data_out_fails_naming_the_path(
    emulator: Emulator,
    granted: Any,
    capsys: pytest.CaptureFixture[str],
    actions: list[str],
    resource: str,
    check: str,
    doing: str,
) -> None:
    out, path = granted
    mover = _bare_role(emulator, "mover")
    _inline(
        emulator,
        "mover",
        [{"Sid": "Move", "Effect": "Allow", "Action": actions, "Resource": resource or out[contract.TABLE_ARN]}],
    )
    code, report = audit(path, capsys)
    assert code == 1
    assert f"FAIL   {check}" in report
    assert f"{mover} may {doing}" in report
    assert "statement Move" in report


def test_a_grant_to_a_session_of_an_undeclared_role_fails_naming_the_session(
    emulator: Emulator, granted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = granted
    role(emulator, "analytics")
    session = f"arn:aws:sts::{out[contract.ACCOUNT_ID]}:assumed-role/analytics/nightly"
    _table_grant(emulator, out, session)
    code, report = audit(path, capsys)
    assert code == 1
    assert "FAIL   audit.undeclared_session" in report
    assert session in report
    assert "audit.undeclared_reader" in report  # the session reads: judged as its role


def test_a_role_that_may_assume_the_declared_reader_fails_with_the_chain(
    emulator: Emulator, granted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = granted
    hopper = _bare_role(emulator, "hopper")
    test_role = out[contract.TEST_PRINCIPAL_ARN]
    _inline(emulator, "hopper", [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": test_role}])
    code, report = audit(path, capsys)
    assert code == 1
    assert "FAIL   audit.can_become" in report
    assert f"{hopper} may become {test_role} ({hopper} -> {test_role}) and so reach read" in report


def test_a_reader_behind_a_deny_the_audit_cannot_know_fails(
    emulator: Emulator, granted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = granted
    hidden = role(emulator, "hidden")
    _inline(
        emulator,
        "hidden",
        [
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": out[contract.KEY_ARN],
                "Condition": {"StringEquals": {"kms:ViaService": dynamodb_via_service(out[contract.REGION])}},
            },
            {
                "Sid": "OnlyFromTheOffice",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
            },
        ],
    )
    code, report = audit(path, capsys)
    assert code == 1
    assert f"{hidden} is a plaintext reader, undeclared" in report
    assert "unless inline policy path of role hidden statement OnlyFromTheOffice (if aws:SourceIp) applies" in report


def test_a_reader_let_in_by_the_table_policy_alone_reads_in_the_sandbox_and_the_audit_names_it(
    emulator: Emulator, granted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Same account: the table's resource policy alone passes the IAM layer (rbac-auth-iam-id-based-policies-DDB);
    # the sandbox judges it as AWS does, never stricter, and the audit sees the same reader.
    out, path = granted
    partner = _bare_role(emulator, "partner")
    table_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PartnerReads",
                "Effect": "Allow",
                "Principal": {"AWS": partner},
                "Action": "dynamodb:GetItem",
                "Resource": out[contract.TABLE_ARN],
            }
        ],
    }
    emulator.client("dynamodb").put_resource_policy(
        ResourceArn=out[contract.TABLE_ARN], Policy=json.dumps(table_policy)
    )
    _table_grant(emulator, out, partner)
    credentials = emulator.client("sts").assume_role(RoleArn=partner, RoleSessionName="partner")["Credentials"]
    as_partner = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=out[contract.REGION],
    )
    dynamodb = emulator.client("dynamodb", as_partner)
    schema = emulator.client("dynamodb").describe_table(TableName=out[contract.TABLE_NAME])["Table"]["KeySchema"]
    key_name = schema[0]["AttributeName"]
    dynamodb.get_item(TableName=out[contract.TABLE_NAME], Key={key_name: {"S": "nothing-here"}})  # not refused
    code, report = audit(path, capsys)
    assert code == 1
    assert f"{partner} is a plaintext reader, undeclared" in report
    assert "table resource policy statement PartnerReads" in report
