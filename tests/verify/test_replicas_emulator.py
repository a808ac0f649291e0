"""Global tables end to end in the in-process emulator (moto): replicas built by hand in each region
(tests/verify/global_table.py), since moto has none."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

import verify.__main__ as verify_main
from stack import outputs as contract
from tests.verify.conftest import ACCOUNT, REGION, moto_deployment
from tests.verify.global_table import EmulatedGlobalTable, global_table, items, replica_region
from verify.__main__ import main
from verify.audit.run import run_audit
from verify.canary import CANARY_VALUE_ATTRIBUTE
from verify.findings import Finding, Status
from verify.inputs import parse_outputs
from verify.replica_wait import REPLICATION_WAIT, wait_for_canary
from verify.run import verify

pytestmark = pytest.mark.emulator

EU, AP = "eu-west-1", "ap-southeast-2"


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def failing(findings: list[Finding]) -> set[str]:
    return {f.check for f in findings if f.status is Status.FAIL}


def deploy(*replicas: dict[str, Any], principal: str = "user") -> dict[str, Any]:
    return moto_deployment(principal=principal) | {contract.REPLICAS: list(replicas)}


def role(name: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = boto3.client("iam", region_name=REGION)
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def no_canary_anywhere(*regions: str) -> None:
    for region in regions:
        assert [i for i in items(region) if CANARY_VALUE_ATTRIBUTE in i] == [], region


def test_a_healthy_global_table_passes_in_every_region(aws_env: None) -> None:
    outputs = deploy(replica_region(EU), replica_region(AP))
    findings = verify(global_table(outputs[contract.REPLICAS]), parse_outputs(outputs))
    assert failing(findings) == set(), [f for f in findings if f.status is Status.FAIL]
    found = by_check(findings)
    for region in (EU, AP):
        for check in (
            "listed",
            "exists",
            "active",
            "encryption",
            "sse_key",
            "key_accessible",
            "key.enabled",
            "key.customer_managed",
            "key.symmetric",
            "key.rotation",
            "key.alias",
            "key_policy.key_users_via_dynamodb",
            "canary_replicated",
            "boundary_probe.read",
        ):
            assert found[f"replica[{region}].{check}"].status is Status.PASS, check
    assert found["replicas.global_table_version"].status is Status.PASS
    assert found["replicas.as_declared"].status is Status.PASS
    assert found["boundary_probe.read"].status is Status.PASS
    no_canary_anywhere(REGION, EU, AP)


def test_python_m_verify_exits_0_for_a_healthy_global_table(
    aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replica = replica_region(EU)
    outputs = deploy(replica)
    emulated = global_table([replica])

    def aws(session: Any, endpoint_url: str | None = None) -> EmulatedGlobalTable:
        return EmulatedGlobalTable(session, endpoint_url, listing=emulated.listing, replicate=emulated.replicate)

    monkeypatch.setattr(verify_main, "Aws", aws)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    assert main(["--outputs", str(path), "--max-wait", "0"]) == 0
    report = capsys.readouterr().out
    assert f"PASS   replica[{EU}].canary_replicated" in report
    assert f"PASS   replica[{EU}].boundary_probe.read" in report


def test_a_replica_re_keyed_to_the_aws_managed_key_fails_naming_the_region(aws_env: None) -> None:
    good, rekeyed = replica_region(AP), replica_region(EU, encrypt="aws-managed")
    outputs = deploy(good, rekeyed)
    findings = verify(global_table(outputs[contract.REPLICAS]), parse_outputs(outputs))
    assert failing(findings) == {f"replica[{EU}].sse_key", f"replica[{EU}].listed"}
    finding = by_check(findings)[f"replica[{EU}].sse_key"]
    assert "an AWS managed key, alias/aws/dynamodb" in finding.seen
    assert f"expected {EU}'s key {rekeyed[contract.REPLICA_KEY_ARN]}" in finding.seen
    assert f"{EU}'s own customer-managed key" in finding.advice


def test_a_replica_whose_key_is_disabled_fails_naming_the_region_with_the_20_hours(aws_env: None) -> None:
    replica = replica_region(EU)
    outputs = deploy(replica)
    boto3.client("kms", region_name=EU).disable_key(KeyId=replica[contract.REPLICA_KEY_ARN].rsplit("/", 1)[1])
    # As AWS shows it: the primary lists the replica's credentials as inaccessible.
    aws = global_table([replica], status={EU: "INACCESSIBLE_ENCRYPTION_CREDENTIALS"})
    findings = verify(aws, parse_outputs(outputs))
    assert failing(findings) == {f"replica[{EU}].key.enabled", f"replica[{EU}].key_accessible", f"replica[{EU}].listed"}
    finding = by_check(findings)[f"replica[{EU}].key_accessible"]
    assert "KeyState=Disabled" in finding.seen
    assert "ReplicaStatus=INACCESSIBLE_ENCRYPTION_CREDENTIALS" in finding.seen
    assert "20 hours" in finding.advice
    assert f"aws kms enable-key --region {EU} --key-id {replica[contract.REPLICA_KEY_ARN]}" in finding.advice
    assert f"removes the {EU} replica from the replication group" in finding.advice
    assert "20 hours" in by_check(findings)[f"replica[{EU}].key.enabled"].advice


def test_a_missing_replica_fails_and_skips_its_canary(aws_env: None) -> None:
    present, missing = replica_region(AP), replica_region(EU, table=False)
    outputs = deploy(present, missing)
    findings = verify(global_table([present]), parse_outputs(outputs))
    assert failing(findings) == {f"replica[{EU}].exists", f"replica[{EU}].listed"}
    found = by_check(findings)
    assert f"not found in {EU}" in found[f"replica[{EU}].exists"].seen
    assert f"list no replica in {EU}" in found[f"replica[{EU}].listed"].seen
    assert found[f"replica[{EU}].canary_replicated"].status is Status.SKIP
    assert found[f"replica[{EU}].boundary_probe"].status is Status.SKIP
    assert found[f"replica[{AP}].canary_replicated"].status is Status.PASS


def test_a_replica_the_outputs_do_not_declare_fails(aws_env: None) -> None:
    declared, undeclared = replica_region(EU), replica_region(AP)
    outputs = deploy(declared)
    findings = verify(global_table([declared, undeclared]), parse_outputs(outputs))
    assert failing(findings) == {"replicas.as_declared"}
    assert f"also replicates to {AP}" in by_check(findings)["replicas.as_declared"].seen


def test_a_replica_that_never_receives_the_canary_fails_after_a_bounded_wait(aws_env: None) -> None:
    replica = replica_region(EU)
    outputs = deploy(replica)
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    waiting = functools.partial(wait_for_canary, clock=lambda: now[0], sleep=sleep)
    aws = global_table([replica], replicate=False)
    findings = verify(aws, parse_outputs(outputs), wait_replication=waiting)
    assert failing(findings) == {f"replica[{EU}].canary_replicated"}
    finding = by_check(findings)[f"replica[{EU}].canary_replicated"]
    assert f"the canary never arrived in {EU}" in finding.seen
    assert f"replication from {REGION} to {EU}" in finding.advice
    assert now[0] == pytest.approx(REPLICATION_WAIT), "waited the whole bound, and no longer"
    assert 1 < len(slept) < 100, "backed off, not busy-waiting"
    assert by_check(findings)[f"replica[{EU}].boundary_probe"].status is Status.SKIP
    no_canary_anywhere(REGION)


def test_max_wait_caps_the_wait_for_replication(aws_env: None) -> None:
    replica = replica_region(EU)
    outputs = deploy(replica)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    waiting = functools.partial(wait_for_canary, clock=lambda: now[0], sleep=sleep)
    findings = verify(
        global_table([replica], replicate=False), parse_outputs(outputs), max_wait=5, wait_replication=waiting
    )
    assert by_check(findings)[f"replica[{EU}].canary_replicated"].status is Status.FAIL
    assert now[0] == pytest.approx(5)


def test_the_audit_runs_in_every_region_and_names_a_grant_on_a_replica_key(aws_env: None) -> None:
    replica = replica_region(EU)
    outputs = deploy(replica) | {
        contract.INTENDED_KEY_USERS: [],
        contract.KEY_ADMIN_ARNS: [],
        contract.DEPLOYER_ARN: f"arn:aws:iam::{ACCOUNT}:role/Deployer",
    }
    analytics = role("analytics")
    grant = boto3.client("kms", region_name=EU).create_grant(
        KeyId=replica[contract.REPLICA_KEY_ARN], GranteePrincipal=analytics, Operations=["Decrypt"]
    )["GrantId"]
    result = run_audit(global_table([replica]), parse_outputs(outputs))
    assert set(result.replica_rows) == {EU}
    found = by_check(result.findings)
    assert found[f"replica[{EU}].audit.unconstrained_grant"].status is Status.FAIL
    assert f"grant {grant} to {analytics}" in found[f"replica[{EU}].audit.unconstrained_grant"].seen
    assert "audit.unconstrained_grant" not in found, "the primary's key has no such grant"


def test_the_audit_prints_a_matrix_per_region_and_json_carries_them(
    aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replica = replica_region(EU)
    outputs = deploy(replica) | {
        contract.INTENDED_KEY_USERS: [],
        contract.KEY_ADMIN_ARNS: [],
        contract.DEPLOYER_ARN: f"arn:aws:iam::{ACCOUNT}:role/Deployer",
    }
    role("Deployer")  # the key policies name it
    emulated = global_table([replica])
    monkeypatch.setattr(
        verify_main,
        "Aws",
        lambda session, endpoint_url=None: EmulatedGlobalTable(session, endpoint_url, listing=emulated.listing),
    )
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    assert main(["--outputs", str(path), "--audit"]) == 0
    report = capsys.readouterr().out
    assert f"{REGION} (primary):" in report
    assert f"{EU} (replica):" in report
    assert f"PASS   replica[{EU}].audit.readers_as_declared" in report
    assert main(["--outputs", str(path), "--audit", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document["replicaPrincipals"]) == {EU}
    assert {p["principal"] for p in document["replicaPrincipals"][EU]} == {
        p["principal"] for p in document["principals"]
    }


def test_the_audit_skips_a_region_whose_key_is_gone(aws_env: None) -> None:
    replica = replica_region(EU) | {contract.REPLICA_KEY_ARN: f"arn:aws:kms:{EU}:{ACCOUNT}:key/gone"}
    outputs = deploy(replica) | {
        contract.INTENDED_KEY_USERS: [],
        contract.DEPLOYER_ARN: f"arn:aws:iam::{ACCOUNT}:role/D",
    }
    result = run_audit(global_table([replica]), parse_outputs(outputs))
    assert by_check(result.findings)[f"replica[{EU}].audit"].status is Status.SKIP
    checks = verify(global_table([replica]), parse_outputs(outputs))
    assert by_check(checks)[f"replica[{EU}].key.exists"].status is Status.FAIL
    assert "a deleted key cannot come back" in by_check(checks)[f"replica[{EU}].key_accessible"].advice
