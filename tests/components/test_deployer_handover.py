"""docs/deploy.md "One deployer": a protected key policy lets only break-glass and the identity that deployed it
replace it, so another identity's `pulumi up` is refused PutKeyPolicy; the documented hand-over (the deployer
turns protection off, the new one turns it on) works. Judged by the policy evaluator, as KMS decides."""

from __future__ import annotations

from access.key_protection import key_loss_exposure
from access.kms_dynamodb import KEY_POLICY_CHANGE_ACTION
from components.policy_builders import build_key_policy
from components.validation import KeyProtectionSpec

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OLD = f"arn:aws:iam::{ACCOUNT}:role/ci/OldDeployer"
NEW = f"arn:aws:iam::{ACCOUNT}:role/ci/NewDeployer"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/security/KeyAdmin"


def key_policy(deployer: str, *, protected: bool) -> dict[str, object]:
    protection = KeyProtectionSpec(break_glass=(), require_mfa=False) if protected else None
    return build_key_policy(
        partition="aws",
        account_id=ACCOUNT,
        region="us-east-1",
        admin_arns=[ADMIN],
        key_user_arns=[],
        deployer_arn=deployer,
        key_loss_protection=protection,
    )


def may_replace_policy(policy: dict[str, object], principal: str) -> bool:
    """Whether `principal`, with kms:* from its identity policies (the worst case), may call PutKeyPolicy."""
    return KEY_POLICY_CHANGE_ACTION in key_loss_exposure(policy, key_arn=KEY_ARN, principal_arn=principal)


def test_only_the_deployer_of_a_protected_policy_may_replace_it() -> None:
    deployed = key_policy(OLD, protected=True)
    assert may_replace_policy(deployed, OLD)
    assert not may_replace_policy(deployed, NEW), "another identity's pulumi up is refused"
    assert not may_replace_policy(deployed, ADMIN)


def test_the_hand_over_protection_off_by_the_old_deployer_then_on_by_the_new_one() -> None:
    unprotected = key_policy(OLD, protected=False)
    assert may_replace_policy(key_policy(OLD, protected=True), OLD), "step 1: the old deployer turns it off"
    assert may_replace_policy(unprotected, NEW), "step 2: the new deployer may then write the protected policy"
    handed_over = key_policy(NEW, protected=True)
    assert may_replace_policy(handed_over, NEW)
    assert not may_replace_policy(handed_over, OLD), "and the old deployer no longer may"
