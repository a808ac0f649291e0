"""python -m verify end to end against the in-process emulator (moto)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from stack import outputs as contract
from tests.verify.conftest import REGION, moto_deployment, user_items
from verify.__main__ import main
from verify.findings import Status
from verify.inputs import parse_outputs
from verify.probe import Attempt, Outcome, ProbeResult
from verify.run import Aws, verify

pytestmark = pytest.mark.emulator


def run_main(tmp_path: Path, outputs: dict[str, Any], *extra: str) -> int:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return main(["--outputs", str(path), "--max-wait", "0", *extra])


def statuses(findings: list[Any]) -> dict[str, Status]:
    return {f.check: f.status for f in findings}


@pytest.mark.parametrize("principal", ["user", "role"])
def test_healthy_deployment_passes_and_leaves_no_canary(
    aws_env: None, tmp_path: Path, principal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = moto_deployment(principal=principal, expected=contract.EXPECT_READ)
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName="orders", Item={"id": {"S": "user-item"}, "v": {"S": "keep"}}
    )
    assert run_main(tmp_path, outputs, "--junit-xml", str(tmp_path / "report.xml")) == 0
    printed = capsys.readouterr().out
    assert "PASS   boundary_probe.read" in printed
    assert "PASS   table.key " in printed
    assert user_items() == [{"id": {"S": "user-item"}, "v": {"S": "keep"}}], "only the user's item remains, untouched"
    assert 'failures="0"' in (tmp_path / "report.xml").read_text()


def test_secret_is_never_printed(aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = moto_deployment(principal="user")
    run_main(tmp_path, outputs, "--json")
    captured = capsys.readouterr()
    assert outputs[contract.TEST_USER_SECRET_ACCESS_KEY] not in captured.out + captured.err
    assert outputs[contract.TEST_USER_SECRET_ACCESS_KEY] not in repr(parse_outputs(outputs))


@pytest.mark.parametrize(
    ("deployment", "failing"),
    [
        ({"encrypt": "none"}, {"table.encryption", "table.key"}),
        ({"encrypt": "aws-managed"}, {"table.key"}),
        ({"rotation": False}, {"key.rotation"}),
        (
            {
                "policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Open",
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            },
            {"key_policy.no_wildcard_principal", "key_policy.key_users_via_dynamodb"},
        ),
    ],
)
def test_weakened_deployments_fail_with_exit_1(
    aws_env: None, tmp_path: Path, deployment: dict[str, Any], failing: set[str]
) -> None:
    outputs = moto_deployment(principal="none", **deployment)
    want = parse_outputs(outputs)
    findings = verify(Aws(boto3.session.Session(region_name=REGION)), want)
    assert {c for c, s in statuses(findings).items() if s is Status.FAIL} == failing
    assert run_main(tmp_path, outputs) == 1


def test_wrong_key_in_outputs_fails(aws_env: None) -> None:
    outputs = moto_deployment(principal="none")
    other = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]
    outputs[contract.KEY_ARN], outputs[contract.KEY_ID] = other["Arn"], other["KeyId"]
    findings = verify(Aws(boto3.session.Session(region_name=REGION)), parse_outputs(outputs))
    assert statuses(findings)["table.key"] is Status.FAIL


def test_configured_settings_are_compared(aws_env: None) -> None:
    outputs = moto_deployment(principal="none") | {contract.DELETION_PROTECTION: False}
    findings = verify(Aws(boto3.session.Session(region_name=REGION)), parse_outputs(outputs))
    assert statuses(findings)["table.deletion_protection"] is Status.FAIL
    assert statuses(findings)["table.point_in_time_recovery"] is Status.PASS


def test_missing_outputs_exit_2_listing_the_keys(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = moto_deployment(principal="user")
    del outputs[contract.KEY_ARN], outputs[contract.TEST_USER_ACCESS_KEY_ID]
    assert run_main(tmp_path, outputs) == 2
    assert (
        f"stack outputs are missing: {contract.KEY_ARN}, {contract.TEST_USER_ACCESS_KEY_ID}" in capsys.readouterr().err
    )


def test_unreachable_endpoint_exits_2(aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = moto_deployment(principal="none")
    assert run_main(tmp_path, outputs, "--endpoint-url", "http://127.0.0.1:9") == 2
    assert "cannot run" in capsys.readouterr().err


def test_missing_table_fails_and_skips_the_probe(aws_env: None) -> None:
    deployed = moto_deployment(principal="user")
    outputs = deployed | {
        contract.TABLE_NAME: "gone",
        contract.TABLE_ARN: deployed[contract.TABLE_ARN].replace("table/orders", "table/gone"),
    }
    found = statuses(verify(Aws(boto3.session.Session(region_name=REGION)), parse_outputs(outputs)))
    assert found["table.exists"] is Status.FAIL
    assert found["boundary_probe"] is Status.SKIP


@pytest.mark.parametrize("interruption", [RuntimeError("probe blew up"), KeyboardInterrupt()])
def test_canary_is_removed_when_the_run_is_interrupted(aws_env: None, interruption: BaseException) -> None:
    outputs = moto_deployment(principal="user")
    boto3.client("dynamodb", region_name=REGION).put_item(TableName="orders", Item={"id": {"S": "user-item"}})
    seen_during: list[int] = []

    def exploding_probe(*_args: Any, **_kwargs: Any) -> ProbeResult:
        seen_during.append(len(user_items()))
        raise interruption

    with pytest.raises(type(interruption)):
        verify(Aws(boto3.session.Session(region_name=REGION)), parse_outputs(outputs), probe=exploding_probe)
    assert seen_during == [2], "the canary existed while probing"
    assert user_items() == [{"id": {"S": "user-item"}}]


def test_probe_result_becomes_the_finding(aws_env: None) -> None:
    outputs = moto_deployment(principal="user", expected=contract.EXPECT_DENIED)
    verdict = ProbeResult(
        True, Attempt(Outcome.KMS_DENIED, "AccessDeniedException: KMS key access denied error"), 3, 12.0
    )
    findings = verify(
        Aws(boto3.session.Session(region_name=REGION)), parse_outputs(outputs), probe=lambda *a, **k: verdict
    )
    (probe,) = [f for f in findings if f.check.startswith("boundary_probe")]
    assert (probe.check, probe.status) == ("boundary_probe.denied", Status.PASS)
    assert "refused by KMS" in probe.seen
    assert "3 attempt(s)" in probe.seen


def test_table_encrypted_through_an_alias_resolves_to_the_key(aws_env: None) -> None:
    outputs = moto_deployment(principal="none")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    alias_arn = f"arn:aws:kms:{REGION}:{outputs[contract.ACCOUNT_ID]}:{outputs[contract.KEY_ALIAS]}"
    dynamodb.create_table(
        TableName="via-alias",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": alias_arn},
    )
    reported = dynamodb.describe_table(TableName="via-alias")["Table"]["SSEDescription"]["KMSMasterKeyArn"]
    assert ":alias/" in reported, "the emulator echoes the alias, as the notes say"
    want = parse_outputs(
        outputs
        | {
            contract.TABLE_NAME: "via-alias",
            contract.TABLE_ARN: outputs[contract.TABLE_ARN].replace("table/orders", "table/via-alias"),
        }
    )
    assert statuses(verify(Aws(boto3.session.Session(region_name=REGION)), want))["table.key"] is Status.PASS
