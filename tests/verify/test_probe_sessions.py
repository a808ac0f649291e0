"""Sessions of the test role that the key names: found in the key policy and the grants, each probed.

A key policy statement or a KMS grant may name one session of a role
(`arn:aws:sts::<acct>:assumed-role/<role>/<session>`); the probe's own session proves nothing about
it, so the verifier probes as that session too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from access.evaluator import Grant
from access.kms_dynamodb import table_encryption_context
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.verify.conftest import ACCOUNT, REGION, moto_deployment
from tests.verify.global_table import global_table, replica_region
from verify.__main__ import main
from verify.findings import Status
from verify.inputs import parse_outputs
from verify.probe import NamedSession, sessions_named
from verify.run import Aws, verify

ROLE = f"arn:aws:iam::{ACCOUNT}:role/test-principal"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/test-principal"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, sid: str = "") -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}
    return {"Sid": sid, **statement} if sid else statement


# -- the finder (pure) ------------------------------------------------------------------------------


def test_a_key_policy_statement_naming_a_session_is_found() -> None:
    text = policy(
        allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Root"),
        allow({"AWS": [ROLE, f"{SESSION}/alice"]}, "Alice"),
    )
    assert sessions_named(ROLE, text, []) == [
        NamedSession(f"{SESSION}/alice", "alice", ("key policy statement Alice (Principal)",))
    ]


def test_a_grant_to_a_session_is_found_and_sources_are_merged() -> None:
    grants = [
        Grant("g-1", f"{SESSION}/sneaky", ("Decrypt",)),
        Grant("g-2", ROLE, ("Decrypt",)),
        Grant("g-3", f"{SESSION}/sneaky", ("Encrypt",)),
    ]
    text = policy(allow({"AWS": f"{SESSION}/sneaky"}), allow(f"{SESSION}/bob"))
    assert sessions_named(ROLE, text, grants) == [
        NamedSession(f"{SESSION}/bob", "bob", ("key policy statement #2 (Principal)",)),
        NamedSession(f"{SESSION}/sneaky", "sneaky", ("key policy statement #1 (Principal)", "grant g-1", "grant g-3")),
    ]


def test_not_principal_entries_count() -> None:
    text = policy({"Effect": "Deny", "NotPrincipal": {"AWS": [f"{SESSION}/spared"]}, "Action": "kms:*"})
    assert [s.name for s in sessions_named(ROLE, text, [])] == ["spared"]


def test_sessions_of_other_roles_accounts_and_partitions_are_ignored() -> None:
    grants = [
        Grant("g-1", f"arn:aws:sts::{ACCOUNT}:assumed-role/other-role/sneaky", ("Decrypt",)),
        Grant("g-2", "arn:aws:sts::999999999999:assumed-role/test-principal/sneaky", ("Decrypt",)),
        Grant("g-3", f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/test-principal/sneaky", ("Decrypt",)),
        Grant("g-4", f"arn:aws:sts::{ACCOUNT}:assumed-role/test-principal-2/sneaky", ("Decrypt",)),
        Grant("g-5", f"arn:aws:iam::{ACCOUNT}:user/test-principal", ("Decrypt",)),
    ]
    assert sessions_named(ROLE, policy(allow({"Service": "dynamodb.amazonaws.com"})), grants) == []


def test_a_role_with_a_path_matches_its_sessions_which_carry_no_path() -> None:
    with_path = f"arn:aws:iam::{ACCOUNT}:role/team/apps/test-principal"
    grants = [
        Grant("g-1", f"{SESSION}/sneaky", ("Decrypt",)),
        Grant("g-2", f"arn:aws:sts::{ACCOUNT}:assumed-role/team/apps/test-principal/sneaky", ("Decrypt",)),
    ]
    assert sessions_named(with_path, "{}", grants) == [NamedSession(f"{SESSION}/sneaky", "sneaky", ("grant g-1",))]


def test_names_no_session_can_have_are_skipped() -> None:
    text = policy(allow({"AWS": [f"{SESSION}/*", f"{SESSION}/x", f"{SESSION}/a/b", "*"]}))
    assert sessions_named(ROLE, text, []) == []


def test_a_user_or_an_unparsable_policy_names_no_session() -> None:
    grant = [Grant("g-1", f"{SESSION}/sneaky", ("Decrypt",))]
    assert sessions_named(f"arn:aws:iam::{ACCOUNT}:user/test-principal", "{}", grant) == []
    assert [s.name for s in sessions_named(ROLE, "not json", grant)] == ["sneaky"]


# -- in the sandbox, whose emulator enforces KMS by the evaluator -----------------------------------


def sneaky_grant(emulator: Emulator, out: dict[str, Any], session: str = "sneaky") -> tuple[str, str]:
    """A grant to one session of the test role, constrained to the table's encryption context."""
    role_name = out[contract.TEST_PRINCIPAL_ARN].rsplit("/", 1)[-1]
    grantee = f"arn:aws:sts::{out[contract.ACCOUNT_ID]}:assumed-role/{role_name}/{session}"
    grant_id = emulator.client("kms").create_grant(
        KeyId=out[contract.KEY_ARN],
        GranteePrincipal=grantee,
        Operations=["Decrypt", "DescribeKey"],
        Constraints={
            "EncryptionContextSubset": table_encryption_context(out[contract.TABLE_NAME], out[contract.ACCOUNT_ID])
        },
    )["GrantId"]
    return grantee, str(grant_id)


@pytest.fixture
def denied(emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Path]:
    """The walkthrough's first half: the test role not granted, expected denied; the deployer's environment."""
    out = up(stack, testPrincipal="role").outputs
    assert out[contract.TEST_PRINCIPAL_EXPECTED_ACCESS] == contract.EXPECT_DENIED
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    return out, path


@pytest.mark.emulator
def test_without_a_session_grant_the_denied_stack_passes(
    denied: tuple[Any, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _out, path = denied
    assert main(["--outputs", str(path), "--max-wait", "0"]) == 0, capsys.readouterr().out
    printed = capsys.readouterr().out
    assert "PASS   boundary_probe.denied" in printed
    assert "session[" not in printed


@pytest.mark.emulator
def test_a_grant_to_one_session_of_the_denied_role_fails_naming_it(
    emulator: Emulator, denied: tuple[Any, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = denied
    grantee, grant_id = sneaky_grant(emulator, out)
    code = main(["--outputs", str(path), "--max-wait", "0"])
    printed = capsys.readouterr().out
    assert code == 1, printed
    assert "PASS   boundary_probe.denied" in printed, "the verifier's own session is still refused"
    line = next(line for line in printed.splitlines() if "boundary_probe.session[sneaky].denied" in line)
    assert line.startswith("FAIL"), line
    assert f"as {grantee} (named by grant {grant_id})" in line
    assert "read the canary's plaintext after 1 attempt(s)" in line, "the live grant explains it: no waiting"
    assert f"policy evaluator: allowed by grant {grant_id}" in line


@pytest.mark.emulator
def test_a_session_named_but_not_let_in_passes_as_its_own_check(emulator: Emulator, stack: Stack) -> None:
    # A grant to the session that does not cover the table's reads (another table's context): the
    # session is probed, KMS refuses it, the check passes.
    out = up(stack, testPrincipal="role").outputs
    role_name = out[contract.TEST_PRINCIPAL_ARN].rsplit("/", 1)[-1]
    emulator.client("kms").create_grant(
        KeyId=out[contract.KEY_ARN],
        GranteePrincipal=f"arn:aws:sts::{out[contract.ACCOUNT_ID]}:assumed-role/{role_name}/elsewhere",
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": table_encryption_context("another-table", out[contract.ACCOUNT_ID])},
    )
    findings = verify(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out), max_wait=0)
    found = {f.check: f for f in findings}
    assert found["boundary_probe.denied"].status is Status.PASS
    session = found["boundary_probe.session[elsewhere].denied"]
    assert session.status is Status.PASS, session
    assert "refused by KMS" in session.seen


@pytest.mark.emulator
def test_when_the_role_is_a_key_user_its_named_sessions_read_too(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="role", grantTestPrincipal="true").outputs
    sneaky_grant(emulator, out)
    findings = verify(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out), max_wait=0)
    found = {f.check: f.status for f in findings}
    assert found["boundary_probe.read"] is Status.PASS
    assert found["boundary_probe.session[sneaky].read"] is Status.PASS


# -- a global table: each region's key names its own sessions ---------------------------------------


@pytest.mark.emulator
def test_each_replica_region_probes_the_sessions_its_own_key_names(aws_env: None) -> None:
    # moto (no KMS enforcement, no replicas: tests/verify/global_table.py) shows where the checks run,
    # not what KMS answers: expected "read", so every probe reads.
    eu = replica_region("eu-west-1")
    outputs = moto_deployment(principal="role") | {contract.REPLICAS: [eu]}
    boto3.client("kms", region_name="eu-west-1").create_grant(
        KeyId=eu[contract.REPLICA_KEY_ARN], GranteePrincipal=f"{SESSION}/in-eu", Operations=["Decrypt"]
    )
    boto3.client("kms", region_name=REGION).create_grant(
        KeyId=outputs[contract.KEY_ARN], GranteePrincipal=f"{SESSION}/in-primary", Operations=["Decrypt"]
    )
    findings = verify(global_table([eu]), parse_outputs(outputs), max_wait=0)
    sessions = {f.check: f.status for f in findings if ".session[" in f.check}
    assert sessions == {
        "boundary_probe.session[in-primary].read": Status.PASS,
        "replica[eu-west-1].boundary_probe.session[in-eu].read": Status.PASS,
    }
