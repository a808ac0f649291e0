"""Key-loss protection verified live in the sandbox: the stack program deployed as it is by default
(protection on), then drift.

One deployment per test, changed step by step as someone with the rights would change it out of band;
`python -m verify` after each step. The printed fix-it commands are run as printed, with the AWS CLI
against the emulator, and must fix what they name.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from access.key_protection import ALARM_KEY_CHANGES, ALARM_KEY_DELETED, ALARM_KINDS
from access.kms_dynamodb import (
    DISABLED_KEY_STATE,
    PENDING_DELETION_KEY_STATE,
    SID_KEY_LOSS_PROTECTION,
    SID_LOCKOUT_BYPASS,
)
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from verify.__main__ import main
from verify.findings import EXIT_FAILED, EXIT_OK, Finding, Status
from verify.inputs import parse_outputs
from verify.run import Aws, verify

pytestmark = pytest.mark.emulator

EU = "eu-west-1"
# Without a test principal the verifier has no boundary to probe: the steps below are about the key.
NO_PROBE = contract.NO_TEST_PRINCIPAL
AWS_BIN = Path(sys.executable).parent  # the venv's aws, as the commands name it: `aws ...`
PROTECTION_CHECKS = (
    "key_protection.deny",
    "key_protection.topic",
    *(f"key_protection.alarm[{kind}]" for kind in ALARM_KINDS),
)


@pytest.fixture
def deployed(emulator: Emulator, stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    out = up(stack).outputs
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    (tmp_path / "outputs.json").write_text(json.dumps(out))
    return out


def findings(emulator: Emulator, out: dict[str, Any]) -> dict[str, Finding]:
    return {f.check: f for f in verify(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out), max_wait=0)}


def failing(found: dict[str, Finding]) -> set[str]:
    return {check for check, f in found.items() if f.status is Status.FAIL}


def run_as_printed(emulator: Emulator, command: str) -> None:
    """A printed command, run by a POSIX shell as the deployer, with the AWS CLI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | emulator.environment()
    env["PATH"] = f"{AWS_BIN}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["sh", "-ec", command], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command}\n{done.stderr}"


def printed(advice: str, start: str) -> str:
    """The command in a finding's advice: from `start` to the next ';' or ')' (ARNs and names have none)."""
    found = re.search(rf"{re.escape(start)}[^;)]*", advice)
    assert found, advice
    return found.group(0).strip()


def test_the_protected_stack_passes_and_each_drift_is_named(
    emulator: Emulator, deployed: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = deployed
    protection = out[contract.KEY_PROTECTION]
    rules = protection[contract.PROTECTION_ALARMS][0][contract.ALARM_RULES]
    assert main(["--outputs", str(tmp_path / "outputs.json"), "--max-wait", "0"]) == EXIT_OK, capsys.readouterr().out
    found = findings(emulator, out)
    assert {check: found[check].status for check in PROTECTION_CHECKS} == dict.fromkeys(PROTECTION_CHECKS, Status.PASS)

    # A rule disabled by drift: named, with the command that enables it; run as printed, it does.
    events = emulator.client("events")
    events.disable_rule(Name=rules[ALARM_KEY_CHANGES])
    found = findings(emulator, out)
    assert failing(found) == {f"key_protection.alarm[{ALARM_KEY_CHANGES}]"}
    alarm = found[f"key_protection.alarm[{ALARM_KEY_CHANGES}]"]
    assert f"rule {rules[ALARM_KEY_CHANGES]} in {out[contract.REGION]}: State=DISABLED" in alarm.seen
    run_as_printed(emulator, printed(alarm.advice, "aws events enable-rule"))
    assert failing(findings(emulator, out)) == set()

    # A rule deleted by drift: named.
    targets = events.list_targets_by_rule(Rule=rules[ALARM_KEY_DELETED])["Targets"]
    events.remove_targets(Rule=rules[ALARM_KEY_DELETED], Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=rules[ALARM_KEY_DELETED])
    found = findings(emulator, out)
    assert failing(found) == {f"key_protection.alarm[{ALARM_KEY_DELETED}]"}
    assert (
        f"rule {rules[ALARM_KEY_DELETED]} in {out[contract.REGION]} not found"
        in found[f"key_protection.alarm[{ALARM_KEY_DELETED}]"].seen
    )

    # The deny removed: the deployer (break-glass, an administrator) puts the key policy back without it.
    kms = emulator.client("kms")
    policy = json.loads(kms.get_key_policy(KeyId=out[contract.KEY_ARN], PolicyName="default")["Policy"])
    dropped = (SID_KEY_LOSS_PROTECTION, SID_LOCKOUT_BYPASS)
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") not in dropped]
    kms.put_key_policy(KeyId=out[contract.KEY_ARN], PolicyName="default", Policy=json.dumps(policy))
    found = findings(emulator, out)
    assert "key_protection.deny" in failing(found)
    assert "kms:ScheduleKeyDeletion" in found["key_protection.deny"].seen
    assert "an administrator nobody named" in found["key_protection.deny"].seen
    assert main(["--outputs", str(tmp_path / "outputs.json"), "--max-wait", "0"]) == EXIT_FAILED


def test_a_key_disabled_or_scheduled_for_deletion_by_break_glass_is_fixed_by_the_printed_commands(
    emulator: Emulator, stack: Stack
) -> None:
    out = up(stack, testPrincipal=NO_PROBE).outputs
    kms, key = emulator.client("kms"), out[contract.KEY_ARN]
    # The deployer is the stack's break-glass principal (none named): it may disable the key.
    assert out[contract.KEY_PROTECTION][contract.PROTECTION_BREAK_GLASS] == [out[contract.DEPLOYER_ARN]]
    kms.disable_key(KeyId=key)
    enabled = findings(emulator, out)["key.enabled"]
    assert enabled.status is Status.FAIL
    assert f"KeyState={DISABLED_KEY_STATE}" in enabled.seen
    run_as_printed(emulator, printed(enabled.advice, "aws kms enable-key"))
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"

    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    enabled = findings(emulator, out)["key.enabled"]
    assert enabled.status is Status.FAIL
    assert f"KeyState={PENDING_DELETION_KEY_STATE}, DeletionDate=" in enabled.seen
    assert "KMS deletes the key on" in enabled.advice
    run_as_printed(emulator, printed(enabled.advice, "aws kms cancel-key-deletion"))
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert failing(findings(emulator, out)) == set()


def test_a_replica_regions_alarms_and_key_are_checked_in_that_region(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, replicaRegions=json.dumps([EU]), testPrincipal=NO_PROBE).outputs
    (alarms,) = [a for a in out[contract.KEY_PROTECTION][contract.PROTECTION_ALARMS] if a[contract.ALARM_REGION] == EU]
    (replica,) = out[contract.REPLICAS]
    found = findings(emulator, out)
    assert failing(found) == set()
    for check in PROTECTION_CHECKS:
        assert found[f"replica[{EU}].{check}"].status is Status.PASS, check

    rule = alarms[contract.ALARM_RULES][ALARM_KEY_DELETED]
    in_eu = emulator.session()
    in_eu.client("events", region_name=EU, endpoint_url=emulator.endpoint_url).disable_rule(Name=rule)
    found = findings(emulator, out)
    check = f"replica[{EU}].key_protection.alarm[{ALARM_KEY_DELETED}]"
    assert failing(found) == {check}
    assert f"rule {rule} in {EU}: State=DISABLED" in found[check].seen
    run_as_printed(emulator, printed(found[check].advice, f"aws events enable-rule --region {EU}"))
    assert failing(findings(emulator, out)) == set()

    key = replica[contract.REPLICA_KEY_ARN]
    in_eu.client("kms", region_name=EU, endpoint_url=emulator.endpoint_url).disable_key(KeyId=key)
    accessible = findings(emulator, out)[f"replica[{EU}].key_accessible"]
    assert accessible.status is Status.FAIL
    run_as_printed(emulator, printed(accessible.advice, f"aws kms enable-key --region {EU} --key-id {key}"))
    assert "key_accessible" not in " ".join(failing(findings(emulator, out)))
