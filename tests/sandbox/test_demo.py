"""The demo end to end, for both kinds of test principal and every grant mode."""

from __future__ import annotations

import pytest

from sandbox.demo import run_demo
from stack.config import GRANT_MODES
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
