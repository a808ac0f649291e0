"""The demo end to end, for both kinds of test principal and every grant mode."""

from __future__ import annotations

import pytest

from sandbox.demo import run_demo
from stack.config import GRANT_MODES
from verify.audit.model import Role, Verdict
from verify.findings import Status

pytestmark = pytest.mark.emulator


@pytest.mark.parametrize("grant_mode", GRANT_MODES)
@pytest.mark.parametrize("principal", ["role", "user"])
def test_the_demo_tells_the_whole_story(clean_aws_env: None, principal: str, grant_mode: str) -> None:
    told: list[str] = []
    result = run_demo(principal=principal, grant_mode=grant_mode, say=told.append)
    assert result.passed, "\n".join(told)
    denied = {f.check: f for f in result.denied_findings}
    read = {f.check: f for f in result.read_findings}
    assert denied["boundary_probe.denied"].status is Status.PASS
    assert denied["boundary_probe.denied"].seen.startswith("refused by KMS")
    assert read["boundary_probe.read"].status is Status.PASS
    story = "\n".join(told)
    assert "refused: AccessDeniedException: KMS key access denied error" in story
    assert story.count("demo-1: first item (12)") == 2  # read back by the deployer, then by the key user
    assert "Both verifications passed" in story
    # The demo ends with the audit: before the grant the test principal is blocked by KMS, after it a
    # declared plaintext reader; the deployer is listed as what it is.
    principal_arn = next(r.principal for r in result.audit_after.rows if r.role is Role.DECLARED)
    before = {r.principal: r for r in result.audit_before.rows}
    after = {r.principal: r for r in result.audit_after.rows}
    assert before[principal_arn].verdict is Verdict.BLOCKED_BY_KMS
    assert after[principal_arn].verdict is Verdict.PLAINTEXT_READER
    assert any(r.role is Role.DEPLOYER for r in result.audit_after.rows)
    assert story.rstrip().endswith(
        "Both verifications passed: without the key, DynamoDB read rights read nothing; as a key user, the data."
    )
    assert "6. Who in this account can read the table's plaintext" in story
