"""The external-reader demo end to end: a role of another account refused until its account attaches its
identity policy, then reading; and the CLI's --external-reader."""

from __future__ import annotations

import pytest

from sandbox.__main__ import main
from sandbox.demo import EXTERNAL_READER_ARN, run_external_demo
from verify.findings import Status

pytestmark = pytest.mark.emulator

PROBE = f"boundary_probe.external[{EXTERNAL_READER_ARN}].read"


def test_the_external_reader_is_refused_then_reads(clean_aws_env: None) -> None:
    told: list[str] = []
    result = run_external_demo(say=told.append)
    story = "\n".join(told)
    assert result.passed, story
    refused = {f.check: f for f in result.refused_findings}
    read = {f.check: f for f in result.read_findings}
    # Before: the owner's two documents agree, and the consumer's own identity policy is the missing side.
    assert refused[f"external.policies_agree[{EXTERNAL_READER_ARN}]"].status is Status.PASS
    assert refused[PROBE].status is Status.FAIL
    assert "identity" in refused[PROBE].seen
    assert "because no identity-based policy allows the dynamodb:Scan action" in story
    # After one pulumi up with the consumer's provider: the same role reads, decrypted.
    assert read[PROBE].status is Status.PASS
    assert "+  create  aws:iam/rolePolicy:RolePolicy" in story
    assert story.count("demo-1: first item (12)") == 2  # by the deployer, then by the consumer role
    assert [row.principal for row in result.audit.external] == [EXTERNAL_READER_ARN]
    assert story.rstrip().endswith("with all three, it reads.")


def test_external_reader_takes_no_other_story_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--external-reader", "--replicas", "eu-west-1"]) == 2
    assert "--external-reader takes only --region" in capsys.readouterr().err
