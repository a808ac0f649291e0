"""Readers in other accounts, end to end in the emulator: the owner's table and key shared with the consumer
account's role by boto3 (the components' own policy builders), the consumer's identity policy attached as its
administrator, and `python -m verify --consumer-profile ...=sandbox-consumer` judging all three sides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from access.kms_dynamodb import EXTERNAL_ACCESS_KMS_ACTIONS, table_encryption_context
from components.policy_builders import consumer_identity_policy, external_key_statements, table_resource_policy
from components.validation import ExternalPrincipalSpec
from sandbox.emulator.account import CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE, CONSUMER_ROLE_NAME
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from verify.__main__ import main

pytestmark = pytest.mark.emulator

ROLE = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:role/{CONSUMER_ROLE_NAME}"
STRANGER_ACCOUNT = "999999999999"


@pytest.fixture
def owner(emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The owner's stack, no test principal; the deployer's environment with the consumer's profile."""
    out = dict(up(stack, testPrincipal="none").outputs)
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    return out


def share(
    emulator: Emulator,
    out: dict[str, Any],
    *,
    key_access: str = "key-policy",
    table: bool = True,
    key: bool = True,
    identity: bool = True,
) -> dict[str, Any]:
    """Let the consumer's role read the table on the sides asked; the outputs, declaring it."""
    spec = ExternalPrincipalSpec(ROLE, CONSUMER_ACCOUNT_ID, "role", "read", key_access, False)
    table_arn, key_arn = out[contract.TABLE_ARN], out[contract.KEY_ARN]
    if table:
        policy = table_resource_policy(table_arn=table_arn, principals=[spec])
        emulator.client("dynamodb").put_resource_policy(ResourceArn=table_arn, Policy=json.dumps(policy))
    kms = emulator.client("kms")
    if key and key_access == "key-policy":
        document = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
        document["Statement"] += external_key_statements(
            [spec],
            region=out[contract.REGION],
            table_name=out[contract.TABLE_NAME],
            owner_account=out[contract.ACCOUNT_ID],
        )
        kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=json.dumps(document))
    if key and key_access == "grant":
        kms.create_grant(
            KeyId=key_arn,
            GranteePrincipal=ROLE,
            Operations=[action.removeprefix("kms:") for action in EXTERNAL_ACCESS_KMS_ACTIONS["read"]],  # type: ignore[misc]
            Constraints={
                "EncryptionContextSubset": table_encryption_context(out[contract.TABLE_NAME], out[contract.ACCOUNT_ID])
            },
        )
    consumer_policy = json.dumps(
        consumer_identity_policy(spec, table_arn=table_arn, key_arns={out[contract.REGION]: key_arn})
    )
    if identity:
        iam = emulator.client("iam", emulator.session(CONSUMER_PROFILE))
        iam.put_role_policy(RoleName=CONSUMER_ROLE_NAME, PolicyName="read-shared-table", PolicyDocument=consumer_policy)
    entry = {
        contract.EXTERNAL_PRINCIPAL: ROLE,
        contract.EXTERNAL_ACCOUNT: CONSUMER_ACCOUNT_ID,
        contract.EXTERNAL_ACCESS: "read",
        contract.EXTERNAL_KEY_ACCESS: key_access,
        contract.EXTERNAL_STREAM: False,
        contract.EXTERNAL_EXPECTED_ACCESS: "read",
        contract.EXTERNAL_CONSUMER_POLICY: consumer_policy,
    }
    return {**out, contract.EXTERNAL_PRINCIPALS: [entry]}


def verify_main(
    tmp_path: Path, out: dict[str, Any], capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    """The exit code and the JSON report."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    code = main(["--outputs", str(path), "--max-wait", "0", "--json", *extra])
    captured = capsys.readouterr()
    report: dict[str, Any] = json.loads(captured.out)
    return code, report


def finding(report: dict[str, Any], check: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["check"] == check]
    assert len(found) == 1, report["findings"]
    return found[0]


CONSUMER = ("--consumer-profile", f"{ROLE}={CONSUMER_PROFILE}")
PROBE = f"boundary_probe.external[{ROLE}]"
AGREE = f"external.policies_agree[{ROLE}]"


@pytest.mark.parametrize("key_access", ["key-policy", "grant"])
def test_all_three_sides_read(
    emulator: Emulator, owner: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], key_access: str
) -> None:
    out = share(emulator, owner, key_access=key_access)
    code, report = verify_main(tmp_path, out, capsys, "--no-audit", *CONSUMER)
    assert code == 0, report
    assert finding(report, f"{PROBE}.read")["status"] == "PASS"
    assert finding(report, AGREE)["status"] == "PASS"


def test_an_account_id_names_its_principals_too(
    emulator: Emulator, owner: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    by_account = ("--consumer-profile", f"{CONSUMER_ACCOUNT_ID}={CONSUMER_PROFILE}")
    code, report = verify_main(tmp_path, share(emulator, owner), capsys, "--no-audit", *by_account)
    assert code == 0, report
    assert finding(report, f"{PROBE}.read")["status"] == "PASS"


@pytest.mark.parametrize(
    ("missing", "probe_names", "agreement_names"),
    [
        ("table", "missing side: table policy", "missing from the table policy"),
        ("key", "missing side: key policy or grant", "missing from the key policy or grant"),
        ("identity", "missing side: identity policy in the consumer account", None),
    ],
)
def test_each_missing_side_fails_naming_the_principal_and_the_side(
    emulator: Emulator,
    owner: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    missing: str,
    probe_names: str,
    agreement_names: str | None,
) -> None:
    out = share(emulator, owner, table=missing != "table", key=missing != "key", identity=missing != "identity")
    code, report = verify_main(tmp_path, out, capsys, "--no-audit", *CONSUMER)
    assert code == 1, report
    probe = finding(report, f"{PROBE}.read")
    assert probe["status"] == "FAIL"
    assert probe_names in probe["seen"]
    assert ROLE in probe["seen"]
    agreement = finding(report, AGREE)
    if agreement_names is None:
        assert agreement["status"] == "PASS", "the owner's two sides agree; the consumer's is what is missing"
        consumer_policy = out[contract.EXTERNAL_PRINCIPALS][0][contract.EXTERNAL_CONSUMER_POLICY]
        assert consumer_policy in probe["advice"], "the policy to attach"
    else:
        assert agreement["status"] == "FAIL"
        assert agreement_names in agreement["seen"]
        assert f"in {owner[contract.REGION]}: {ROLE}" in agreement["seen"]


def test_without_credentials_the_probe_is_skipped_naming_the_option(
    emulator: Emulator, owner: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = verify_main(tmp_path, share(emulator, owner), capsys, "--no-audit")
    assert code == 0, report
    probe = finding(report, PROBE)
    assert probe["status"] == "SKIP"
    assert "--consumer-profile" in probe["seen"]


def test_the_audit_accepts_the_declared_reader_and_flags_an_undeclared_account(
    emulator: Emulator, owner: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = share(emulator, owner)
    code, report = verify_main(tmp_path, out, capsys, "--audit")
    assert code == 0, report
    assert [r["principal"] for r in report["externalPrincipals"]] == [ROLE]
    assert report["externalPrincipals"][0]["declared_access"] == "read"
    # Another account let in by the table policy, declared nowhere: still a finding.
    dynamodb = emulator.client("dynamodb")
    policy = json.loads(dynamodb.get_resource_policy(ResourceArn=out[contract.TABLE_ARN])["Policy"])
    policy["Statement"].append(
        {
            "Sid": "Stranger",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{STRANGER_ACCOUNT}:root"},
            "Action": "dynamodb:GetItem",
            "Resource": out[contract.TABLE_ARN],
        }
    )
    dynamodb.put_resource_policy(ResourceArn=out[contract.TABLE_ARN], Policy=json.dumps(policy))
    code, report = verify_main(tmp_path, out, capsys, "--audit")
    assert code == 1, report
    flagged = [f["seen"] for f in report["findings"] if f["check"] == "audit.other_account"]
    assert len(flagged) == 1, flagged
    assert STRANGER_ACCOUNT in flagged[0]
    assert ROLE not in flagged[0]
    assert {r["principal"]: r["declared_access"] for r in report["externalPrincipals"]} == {
        ROLE: "read",
        f"arn:aws:iam::{STRANGER_ACCOUNT}:root": "",
    }
