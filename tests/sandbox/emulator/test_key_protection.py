"""Issue 20: key-loss protection enforced as KMS enforces it, with the request context AWS builds.

- the component's key policy (components.policy_builders.build_key_policy with key-loss protection): a key
  administrator named in it, an identity with kms:* through the root delegation and the deployer are refused
  ScheduleKeyDeletion, DisableKey and a lockout bypass with the error AWS gives, keep DescribeKey, TagResource
  and PutKeyPolicy; the break-glass role, through an assumed-role session, is allowed;
- the request context: aws:MultiFactorAuthPresent absent for an access key and "false" for a session,
  kms:ScheduleKeyDeletionPendingWindowInDays and kms:BypassPolicyLockoutSafetyCheck from the request;
- KMS's lockout safety check on PutKeyPolicy and CreateKey, judged from the new policy and the caller's
  identity policies, unless the request bypasses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from components.policy_builders import build_key_policy
from components.validation import KeyProtectionSpec
from sandbox.emulator.account import ACCOUNT_ID, PARTITION
from sandbox.emulator.decisions import LOCKOUT_MESSAGE
from sandbox.emulator.server import CLIENT_CONFIG, DEPLOYER_NAME, Emulator, own_account_trust_policy

pytestmark = pytest.mark.emulator

DEPLOYER = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/{DEPLOYER_NAME}"
KMS_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}


def user(emulator: Emulator, name: str, policy: dict[str, Any] | None = None) -> boto3.session.Session:
    """A session as a new IAM user (long-term access key), with an identity policy if given."""
    iam = emulator.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.session.Session(key["AccessKeyId"], key["SecretAccessKey"], region_name=emulator.region)


def role_session(emulator: Emulator, name: str, policy: dict[str, Any] | None = None) -> boto3.session.Session:
    """A session of a new role of the account, assumed by the deployer (no MFA)."""
    iam = emulator.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(own_account_trust_policy(ACCOUNT_ID)))[
        "Role"
    ]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="own", PolicyDocument=json.dumps(policy))
    credentials = emulator.client("sts").assume_role(RoleArn=arn, RoleSessionName="on-call")["Credentials"]
    return boto3.session.Session(
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
        region_name=emulator.region,
    )


def kms_of(emulator: Emulator, session: boto3.session.Session) -> Any:
    return session.client("kms", endpoint_url=emulator.endpoint_url, config=CLIENT_CONFIG)


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


@dataclass(frozen=True)
class Protected:
    key_arn: str
    admin: Any  # kms clients: a key administrator named in the key policy
    operator: Any  # an identity with kms:* through the root delegation
    deployer: Any
    break_glass: Any  # an assumed-role session of the break-glass role


def protected_key(emulator: Emulator, *, require_mfa: bool = False) -> Protected:
    admin = user(emulator, "key-admin")
    operator = user(emulator, "kms-operator", KMS_EVERYTHING)
    break_glass_role = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/break-glass"
    policy = build_key_policy(
        partition=PARTITION,
        account_id=ACCOUNT_ID,
        region=emulator.region,
        admin_arns=[f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/key-admin"],
        key_user_arns=[],
        deployer_arn=DEPLOYER,
        key_loss_protection=KeyProtectionSpec((break_glass_role,), require_mfa),
    )
    break_glass = role_session(emulator, "break-glass")  # named in the key policy: no identity policy needed
    kms = emulator.client("kms")
    key_arn = kms.create_key(Description="protected", Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    return Protected(key_arn, kms_of(emulator, admin), kms_of(emulator, operator), kms, kms_of(emulator, break_glass))


def explicitly_denied(who: str, action: str, key_arn: str) -> tuple[str, str]:
    """AWS's answer to a call an explicit Deny of the key policy refuses."""
    return (
        "AccessDeniedException",
        f"User: {who} is not authorized to perform: {action} on resource: {key_arn} "
        "with an explicit deny in a resource-based policy",
    )


def test_no_administrator_but_break_glass_may_disable_or_delete_the_key(emulator: Emulator) -> None:
    key = protected_key(emulator)
    arn = key.key_arn
    for who, kms in (
        (f"arn:aws:iam::{ACCOUNT_ID}:user/key-admin", key.admin),
        (f"arn:aws:iam::{ACCOUNT_ID}:user/kms-operator", key.operator),
        (DEPLOYER, key.deployer),
    ):
        assert refused(lambda: kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=30)) == explicitly_denied(  # noqa: B023
            who, "kms:ScheduleKeyDeletion", arn
        )
        assert refused(lambda: kms.disable_key(KeyId=arn)) == explicitly_denied(who, "kms:DisableKey", arn)  # noqa: B023
        # Every other right stays.
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
        kms.tag_resource(KeyId=arn, Tags=[{"TagKey": "owner", "TagValue": "data"}])
        policy = kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
        # A new key policy (one without the denies would let it lose the key next): the deployer's alone, which
        # writes the policy (`pulumi up`); the others are refused.
        without_denies = json.dumps(
            {**json.loads(policy), "Statement": [s for s in json.loads(policy)["Statement"] if s["Effect"] == "Allow"]}
        )
        if who == DEPLOYER:
            kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy)  # the lockout check kept
        else:
            put = refused(lambda: kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=without_denies))  # noqa: B023
            assert put == explicitly_denied(who, "kms:PutKeyPolicy", arn)
        bypass = refused(
            lambda: kms.put_key_policy(  # noqa: B023
                KeyId=arn,
                PolicyName="default",
                Policy=policy,  # noqa: B023
                BypassPolicyLockoutSafetyCheck=True,
            )
        )
        assert bypass == explicitly_denied(who, "kms:PutKeyPolicy", arn)
    assert key.deployer.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"

    # The break-glass role's session: every key-loss call.
    key.break_glass.disable_key(KeyId=arn)
    key.break_glass.enable_key(KeyId=arn)
    key.break_glass.schedule_key_deletion(KeyId=arn, PendingWindowInDays=30)
    assert key.deployer.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    key.break_glass.cancel_key_deletion(KeyId=arn)  # not a key-loss call: administrators may too
    assert key.deployer.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Disabled"


def test_with_mfa_required_no_sandbox_caller_may_lose_the_key(emulator: Emulator) -> None:
    """The sandbox honours no MFA: a session is one obtained without it, an access key carries no MFA key;
    BoolIfExists ... "false" denies both, break-glass included (never looser than AWS)."""
    key = protected_key(emulator, require_mfa=True)
    role = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/break-glass/on-call"
    assert refused(lambda: key.break_glass.disable_key(KeyId=key.key_arn)) == explicitly_denied(
        role, "kms:DisableKey", key.key_arn
    )
    assert refused(lambda: key.admin.disable_key(KeyId=key.key_arn))[0] == "AccessDeniedException"
    assert key.break_glass.describe_key(KeyId=key.key_arn)["KeyMetadata"]["KeyState"] == "Enabled"


# -- the request context --------------------------------------------------------------------------


def key_with(emulator: Emulator, *extra: dict[str, Any]) -> str:
    """A key whose policy delegates to the account's IAM, with these statements added."""
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    policy = {"Version": "2012-10-17", "Statement": [root, *extra]}
    return str(emulator.client("kms").create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])


def deny(action: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": action, "Resource": "*", "Condition": condition}


def test_mfa_present_is_absent_for_an_access_key_and_false_for_a_session(emulator: Emulator) -> None:
    # Denied whenever the key is in the request at all (Null false: "the key is present").
    arn = key_with(emulator, deny("kms:DescribeKey", {"Null": {"aws:MultiFactorAuthPresent": "false"}}))
    assert kms_of(emulator, user(emulator, "long-term", KMS_EVERYTHING)).describe_key(KeyId=arn)
    session = kms_of(emulator, role_session(emulator, "temporary", KMS_EVERYTHING))
    assert refused(lambda: session.describe_key(KeyId=arn))[0] == "AccessDeniedException"
    # ... and "false" in a session (so a Bool "false" Deny applies to it, not to the access key).
    arn = key_with(emulator, deny("kms:DescribeKey", {"Bool": {"aws:MultiFactorAuthPresent": "false"}}))
    assert refused(lambda: session.describe_key(KeyId=arn))[0] == "AccessDeniedException"
    assert kms_of(emulator, user(emulator, "long-term-2", KMS_EVERYTHING)).describe_key(KeyId=arn)
    # No session carries an MFA age.
    arn = key_with(emulator, deny("kms:DescribeKey", {"Null": {"aws:MultiFactorAuthAge": "false"}}))
    assert session.describe_key(KeyId=arn)


def test_the_pending_window_is_the_requests(emulator: Emulator) -> None:
    """AWS's own example: a minimum waiting period enforced with kms:ScheduleKeyDeletionPendingWindowInDays."""
    kms = emulator.client("kms")
    at_least_30 = deny(
        "kms:ScheduleKeyDeletion", {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}}
    )
    arn = key_with(emulator, at_least_30)
    assert refused(lambda: kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)) == explicitly_denied(
        DEPLOYER, "kms:ScheduleKeyDeletion", arn
    )
    assert kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=30)["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=arn)
    # Without the parameter the key is absent (the default, 30 days, is not a value the request carries).
    assert kms.schedule_key_deletion(KeyId=arn)["PendingWindowInDays"] == 30


def test_the_lockout_bypass_is_the_requests(emulator: Emulator) -> None:
    """conditions-kms.html's example: allow PutKeyPolicy only when the request does not include the parameter."""
    only_without_bypass = {
        "Effect": "Allow",
        "Principal": {"AWS": DEPLOYER},
        "Action": "kms:PutKeyPolicy",
        "Resource": "*",
        "Condition": {"Null": {"kms:BypassPolicyLockoutSafetyCheck": "true"}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [only_without_bypass]})
    kms = emulator.client("kms")
    arn = kms.create_key(Policy=policy)["KeyMetadata"]["Arn"]
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy)
    for bypass in (False, True):
        code, message = refused(
            lambda: kms.put_key_policy(
                KeyId=arn,
                PolicyName="default",
                Policy=policy,
                BypassPolicyLockoutSafetyCheck=bypass,  # noqa: B023 (called at once)
            )
        )
        assert code == "AccessDeniedException", bypass
        assert "because no resource-based policy allows the kms:PutKeyPolicy action" in message


# -- the lockout safety check -----------------------------------------------------------------------


def policy_of(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principals: Sequence[str], actions: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": actions, "Resource": "*"}


ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"
OTHER_ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else"
LOCKOUT = ("MalformedPolicyDocumentException", LOCKOUT_MESSAGE)


def test_a_key_policy_that_would_lock_its_caller_out_is_refused(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    emulator.client("iam").create_user(UserName="someone-else")
    arn = kms.create_key(Description="managed")["KeyMetadata"]["Arn"]
    before = kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
    for lockout in (
        policy_of(allow([OTHER_ADMIN], "kms:*")),  # the caller named nowhere
        policy_of(allow([DEPLOYER], ["kms:DescribeKey", "kms:GetKeyPolicy"])),  # named, without PutKeyPolicy
        policy_of(allow([ROOT], "kms:*"), deny("kms:PutKeyPolicy", {"StringLike": {"aws:PrincipalArn": "*"}})),
    ):
        assert refused(lambda: kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=lockout)) == LOCKOUT  # noqa: B023
        assert refused(lambda: kms.create_key(Policy=lockout)) == LOCKOUT  # noqa: B023
    assert kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"] == before
    assert [k["KeyArn"] for k in kms.list_keys()["Keys"]] == [arn]
    # Bypassed, KMS takes it (and the caller is locked out, as on AWS).
    kms.put_key_policy(
        KeyId=arn,
        PolicyName="default",
        Policy=policy_of(allow([OTHER_ADMIN], "kms:*")),
        BypassPolicyLockoutSafetyCheck=True,
    )
    assert refused(lambda: kms.describe_key(KeyId=arn))[0] == "AccessDeniedException"
    # Naming the caller, or the account whose IAM lets it, passes.
    for managed in (policy_of(allow([DEPLOYER], "kms:PutKeyPolicy")), policy_of(allow([ROOT], "kms:*"))):
        assert kms.create_key(Policy=managed)["KeyMetadata"]["KeyState"] == "Enabled"


def test_the_lockout_check_reads_the_callers_identity_policies(emulator: Emulator) -> None:
    """A policy delegating to the account's IAM keeps a caller whose identity policies allow PutKeyPolicy."""
    creator_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"}],
    }
    creator = kms_of(emulator, user(emulator, "creator", creator_only))
    delegating = policy_of(allow([ROOT], "kms:*"))
    assert refused(lambda: creator.create_key(Policy=delegating)) == LOCKOUT
    administrator = kms_of(emulator, user(emulator, "administrator", KMS_EVERYTHING))
    assert administrator.create_key(Policy=delegating)["KeyMetadata"]["KeyState"] == "Enabled"
    # Without a policy, KMS's default one: never checked.
    assert creator.create_key()["KeyMetadata"]["KeyState"] == "Enabled"
