"""A boundary probe that went the wrong way is explained by the policy evaluator, from live policies."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import FakeClock, up
from verify.explain import explain_decrypt, identity_policies
from verify.findings import Status
from verify.inputs import parse_outputs
from verify.probe import wait_for_boundary
from verify.run import Aws, verify

pytestmark = pytest.mark.emulator


def probe_finding(emulator: Emulator, outputs: dict[str, Any]) -> Any:
    findings = verify(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(outputs), max_wait=0)
    return next(f for f in findings if f.check.startswith("boundary_probe"))


def test_a_principal_that_reads_when_it_should_not_is_explained_by_its_grant(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="role", grantTestPrincipal="true").outputs
    grant_id = emulator.client("kms").list_grants(KeyId=out[contract.KEY_ID])["Grants"][0]["GrantId"]
    finding = probe_finding(emulator, {**out, contract.TEST_PRINCIPAL_EXPECTED_ACCESS: contract.EXPECT_DENIED})
    assert finding.status is Status.FAIL
    assert f"policy evaluator: allowed by grant {grant_id}" in finding.seen


def test_a_principal_refused_when_it_should_read_is_explained(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="user").outputs
    finding = probe_finding(emulator, {**out, contract.TEST_PRINCIPAL_EXPECTED_ACCESS: contract.EXPECT_READ})
    assert finding.status is Status.FAIL
    assert (
        "policy evaluator: denied: no statement or grant allows kms:Decrypt for " + out[contract.TEST_PRINCIPAL_ARN]
        in finding.seen
    )


def test_an_identity_policy_key_user_is_explained_by_its_statement(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="user", grantTestPrincipal="true", grantMode="iam-policy").outputs
    decision = explain_decrypt(
        emulator.client("kms"),
        emulator.client("iam"),
        principal_arn=out[contract.TEST_PRINCIPAL_ARN],
        key_arn=out[contract.KEY_ARN],
        table_name=out[contract.TABLE_NAME],
        region=out[contract.REGION],
        account_id=out[contract.ACCOUNT_ID],
    )
    assert decision.allowed
    assert decision.source.startswith("inline policy test-principal-key-user-policy")
    assert "delegates to the account" in decision.reason


def test_identity_policies_include_attached_managed_policies(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="role").outputs
    found = identity_policies(emulator.client("iam"), out[contract.TEST_PRINCIPAL_ARN])
    assert [p.source for p in found] == ["managed policy AmazonDynamoDBReadOnlyAccess"]
    assert any("dynamodb:GetItem" in s["Action"] for s in found[0].document["Statement"])


def test_the_deployer_sees_an_explanation_even_without_iam_read_rights(emulator: Emulator, stack: Stack) -> None:
    from verify.explain import explanation

    out = up(stack, testPrincipal="user").outputs

    class NoIam:
        def get_paginator(self, _operation: str) -> Any:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no iam:List*"}}, "ListUserPolicies")

    line = explanation(
        emulator.client("kms"),
        NoIam(),
        principal_arn=out[contract.TEST_PRINCIPAL_ARN],
        key_arn=out[contract.KEY_ARN],
        table_name=out[contract.TABLE_NAME],
        region=out[contract.REGION],
        account_id=out[contract.ACCOUNT_ID],
    )
    assert line.startswith("policy evaluator could not read the policies")
    assert "no iam:List*" in line


def test_an_open_boundary_fails_at_once_when_the_live_policies_explain_it(emulator: Emulator, stack: Stack) -> None:
    # Expected "denied", but a grant lets the test principal read: no propagation will close
    # that, so the probe fails on its first read instead of waiting out the window (here 10 min).
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    outputs = parse_outputs({**out, contract.TEST_PRINCIPAL_EXPECTED_ACCESS: contract.EXPECT_DENIED})
    findings = verify(Aws(emulator.session(), emulator.endpoint_url), outputs, max_wait=600)
    finding = next(f for f in findings if f.check.startswith("boundary_probe"))
    assert finding.status is Status.FAIL
    assert finding.seen.startswith("read the canary's plaintext after 1 attempt(s)")
    assert "policy evaluator: allowed by grant" in finding.seen


def test_a_read_the_live_policies_do_not_explain_keeps_waiting(clean_aws_env: None) -> None:
    # Expected "denied" and the principal still reads, but the live policies already say denied
    # (a revoked grant still propagating): the verifier keeps waiting, up to max_wait.
    clock = FakeClock()
    with Emulator(propagation_delay=10.0, clock=clock) as emulator:
        out = up(Stack(emulator), testPrincipal="user", grantTestPrincipal="true").outputs
        clock.now += 20  # the grant has propagated
        kms = emulator.client("kms")
        for grant in kms.list_grants(KeyId=out[contract.KEY_ID])["Grants"]:
            kms.revoke_grant(KeyId=out[contract.KEY_ID], GrantId=grant["GrantId"])
        # The emulator's clock stands still: the revocation never propagates during the run.
        outputs = parse_outputs({**out, contract.TEST_PRINCIPAL_EXPECTED_ACCESS: contract.EXPECT_DENIED})
        # The wait's own clock moves only when it sleeps: how long an attempt takes on a loaded machine
        # cannot use up the window (a wall clock let a slow first attempt end the wait after it).
        waited = FakeClock()

        def sleep(seconds: float) -> None:
            waited.now += seconds

        probe = functools.partial(wait_for_boundary, clock=waited, sleep=sleep)
        findings = verify(Aws(emulator.session(), emulator.endpoint_url), outputs, max_wait=1.5, probe=probe)
    finding = next(f for f in findings if f.check.startswith("boundary_probe"))
    assert finding.status is Status.FAIL
    assert finding.seen.startswith("read the canary's plaintext after ")
    assert "after 1 attempt(s)" not in finding.seen
    assert "policy evaluator: denied" in finding.seen
