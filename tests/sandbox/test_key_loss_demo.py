"""The key-loss demo end to end: a key administrator refused the key's deletion and disabling and keeping
its other rights, the break-glass role allowed, the alarms in place, the verifier failing the pending
deletion with the commands that undo it and passing once they have run; and the CLI's --key-loss."""

from __future__ import annotations

import pytest

from access.key_protection import ALARM_KINDS
from sandbox.__main__ import main
from sandbox.demo import BREAK_GLASS_ROLE, KEY_ADMIN_ROLE, run_key_loss_demo
from verify.findings import Status

pytestmark = pytest.mark.emulator


def test_an_administrator_cannot_lose_the_key_and_break_glass_can(clean_aws_env: None) -> None:
    told: list[str] = []
    result = run_key_loss_demo(say=told.append)
    story = "\n".join(told)
    assert result.passed, story
    assert result.refused == {
        f"{KEY_ADMIN_ROLE}: ScheduleKeyDeletion": "AccessDeniedException",
        f"{KEY_ADMIN_ROLE}: DisableKey": "AccessDeniedException",
        f"{KEY_ADMIN_ROLE}: PutKeyPolicy without the denies": "AccessDeniedException",
        "deployer: ScheduleKeyDeletion": "AccessDeniedException",
    }
    assert result.kept == ["DescribeKey", "TagResource"]
    assert result.break_glass_scheduled
    assert f"role/{BREAK_GLASS_ROLE}" in story
    pending = {f.check: f for f in result.pending_findings}
    assert pending["key.enabled"].status is Status.FAIL
    assert "aws kms cancel-key-deletion --region" in pending["key.enabled"].advice
    assert pending["key_protection.deny"].status is Status.PASS
    restored = {f.check: f for f in result.restored_findings}
    assert restored["key.enabled"].status is Status.PASS
    assert len(result.rules) == len(ALARM_KINDS)
    assert "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" in story
    assert story.rstrip().endswith("saw it undone.")


def test_key_loss_takes_no_other_story_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--key-loss", "--external-reader"]) == 2
    assert main(["demo", "--key-loss", "--replicas", "eu-west-1"]) == 2
    assert "--key-loss takes only --region" in capsys.readouterr().err
