"""access.key_protection.key_loss_decisions: every key-loss decision, refusals too, and how each was refused."""

from __future__ import annotations

from typing import Any

from access.key_protection import key_loss_decisions, key_loss_exposure, unnamed_administrator
from access.kms_dynamodb import KEY_LOSS_ACTIONS, LOCKOUT_BYPASS_ACTION

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = "arn:aws:iam::111122223333:root"
ADMIN = unnamed_administrator(KEY)
DELEGATE = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
DENY_DISABLE = {
    "Sid": "NoDisable",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "kms:DisableKey",
    "Resource": "*",
}


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_one_decision_per_key_loss_call_and_the_lockout_bypass() -> None:
    decisions = key_loss_decisions(document(DELEGATE), key_arn=KEY, principal_arn=ADMIN)
    assert list(decisions) == [
        *KEY_LOSS_ACTIONS,
        "kms:PutKeyPolicy",  # a new policy could drop the Deny: the first of two calls that lose the key
        f"{LOCKOUT_BYPASS_ACTION} (kms:BypassPolicyLockoutSafetyCheck=true)",
    ]
    assert all(decision.allowed for decision in decisions.values())


def test_a_refusal_says_whether_a_deny_refused_it() -> None:
    decisions = key_loss_decisions(document(DELEGATE, DENY_DISABLE), key_arn=KEY, principal_arn=ADMIN)
    disable = decisions["kms:DisableKey"]
    assert not disable.allowed
    assert disable.statement is not None
    assert disable.statement["Sid"] == "NoDisable"
    nothing = key_loss_decisions(document(), key_arn=KEY, principal_arn=ADMIN)["kms:DisableKey"]
    assert not nothing.allowed
    assert nothing.statement is None


def test_the_exposure_is_the_allowed_decisions() -> None:
    policy = document(DELEGATE, DENY_DISABLE)
    allowed = {k for k, d in key_loss_decisions(policy, key_arn=KEY, principal_arn=ADMIN).items() if d.allowed}
    assert set(key_loss_exposure(policy, key_arn=KEY, principal_arn=ADMIN)) == allowed
    assert "kms:DisableKey" not in allowed
    assert "kms:ScheduleKeyDeletion" in allowed
