"""The stack program with key-loss protection, `pulumi up --refresh` and `pulumi destroy` by the engine: a rule
disabled out of band is seen and enabled again; the deployer, break-glass by default, destroys the stack (the
key's deletion scheduled); named break-glass principals that leave the deployer out make destroy stop at a
key with KMS's refusal and who may delete it, that key left in the state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.key_protection import ALARM_KEY_CHANGES
from access.kms_dynamodb import MAX_DELETION_WINDOW_DAYS
from access.provider_types import EVENT_RULE, KMS_KEY
from sandbox.emulator.server import Emulator, own_account_trust_policy
from sandbox.engine import Action, EmulatorBackend, ResourceOperationError, Stack
from sandbox.harness import deploy
from stack import outputs as contract
from tests.sandbox.conftest import THROWAWAY

pytestmark = pytest.mark.emulator

PROTECTED = {**THROWAWAY, "keyLossProtection": "true", "testPrincipal": "none"}


def key_changes_rule(outputs: dict[str, Any]) -> tuple[str, str]:
    """(region, name) of the stack's first key region's rule on the calls that endanger the key."""
    alarms = outputs[contract.KEY_PROTECTION][contract.PROTECTION_ALARMS][0]
    return alarms[contract.ALARM_REGION], alarms[contract.ALARM_RULES][ALARM_KEY_CHANGES]


def events_in(emulator: Emulator, region: str) -> Any:
    return emulator.session().client("events", region_name=region, endpoint_url=emulator.endpoint_url)


def test_a_rule_disabled_out_of_band_is_enabled_again_by_up_with_refresh(emulator: Emulator, stack: Stack) -> None:
    region, rule = key_changes_rule(deploy(stack, PROTECTED).outputs)
    events = events_in(emulator, region)
    events.disable_rule(Name=rule)

    plain = deploy(stack, PROTECTED)
    assert {c.action for c in plain.changes} == {Action.SAME}, "without refresh, up does not read: as Pulumi"
    assert events.describe_rule(Name=rule)["State"] == "DISABLED"

    refreshed = deploy(stack, PROTECTED, refresh=True)
    drift = [c for c in refreshed.refreshed if c.action is not Action.SAME]
    assert [(c.typ, c.detail) for c in drift] == [(EVENT_RULE, "changed out of band: state")]
    put_back = [c for c in refreshed.changes if c.action is not Action.SAME]
    assert [(c.typ, c.action, c.detail) for c in put_back] == [(EVENT_RULE, Action.UPDATE, "state")]
    assert events.describe_rule(Name=rule)["State"] == "ENABLED"


def test_the_deployer_break_glass_by_default_destroys_the_protected_stack(emulator: Emulator, stack: Stack) -> None:
    out = deploy(stack, PROTECTED).outputs
    assert out[contract.KEY_PROTECTION][contract.PROTECTION_DELETION_WINDOW] == MAX_DELETION_WINDOW_DAYS
    changes = EmulatorBackend.for_stack(stack).destroy()
    assert {c.action for c in changes} == {Action.DELETE}
    assert stack.resources == {}
    key = emulator.client("kms").describe_key(KeyId=out[contract.KEY_ARN])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    region, rule = key_changes_rule(out)
    assert rule not in [r["Name"] for r in events_in(emulator, region).list_rules()["Rules"]]


def test_break_glass_principals_without_the_deployer_stop_destroy_at_the_key(emulator: Emulator, stack: Stack) -> None:
    iam = emulator.client("iam")
    trust = json.dumps(own_account_trust_policy(emulator.account_of()))
    break_glass = iam.create_role(RoleName="break-glass", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    out = deploy(stack, {**PROTECTED, "breakGlassPrincipals": json.dumps([break_glass])}).outputs
    assert out[contract.KEY_PROTECTION][contract.PROTECTION_BREAK_GLASS] == [break_glass]

    with pytest.raises(ResourceOperationError) as stopped:
        EmulatorBackend.for_stack(stack).destroy()
    refusal = stopped.value
    assert (refusal.operation, refusal.typ, refusal.code) == ("deleting", KMS_KEY, "AccessDeniedException")
    assert "kms:ScheduleKeyDeletion" in refusal.message
    assert "break-glass" in refusal.hint
    # Deleted newest first: the first protected key reached (the table's, or the alarm topic's own) stops it.
    left = {d.name: d.typ for d in stack.resources.values()}
    assert left[refusal.name] == KMS_KEY, "the key KMS refused to delete stays in the state"
    kms = emulator.client("kms")
    for key in kms.list_keys()["Keys"]:
        assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled", key


def test_turning_protection_on_for_a_stack_deployed_without_it_keeps_its_key_and_table(
    emulator: Emulator, stack: Stack
) -> None:
    """docs/deploy.md: a stack deployed before keyLossProtection existed gets it at its next `pulumi up`, its key
    policy updated in place and the alarms created; nothing is replaced or deleted."""
    before = deploy(stack, {**PROTECTED, "keyLossProtection": "false"}).outputs
    after = deploy(stack, PROTECTED)
    assert {c.action for c in after.changes} == {Action.SAME, Action.UPDATE, Action.CREATE}
    updated = [(c.typ, c.detail) for c in after.changes if c.action is Action.UPDATE]
    assert updated == [(KMS_KEY, "policy")]
    created = {c.typ for c in after.changes if c.action is Action.CREATE}
    assert EVENT_RULE in created
    assert (after.outputs[contract.KEY_ARN], after.outputs[contract.TABLE_ARN]) == (
        before[contract.KEY_ARN],
        before[contract.TABLE_ARN],
    )
