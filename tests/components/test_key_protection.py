"""Key-loss protection in the key policy (issue 20), judged by the evaluator: who may still lose the key.

Pure builders and validation; the component's resources are in test_key_alarms.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.analyzers import unconditioned_wildcard_statements
from access.errors import ConfigError
from access.evaluator import Request, authorize_kms
from access.key_protection import key_loss_exposure, unnamed_administrator
from access.kms_dynamodb import (
    KEY_ADMIN_ACTIONS,
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE_ACTION,
    LOCKOUT_BYPASS_ACTION,
    LOCKOUT_BYPASS_CONDITION_KEY,
    MAX_DELETION_WINDOW_DAYS,
    MFA_CONDITION_KEY,
    SID_ADMINISTRATION,
    SID_KEY_LOSS_MFA,
    SID_KEY_LOSS_PROTECTION,
    SID_KEY_POLICY_CHANGE,
    SID_KEY_POLICY_CHANGE_MFA,
    SID_LOCKOUT_BYPASS,
    SID_LOCKOUT_BYPASS_MFA,
    SID_ROOT_DELEGATION,
)
from components.encrypted_table import validate_encrypted_table_args
from components.policy_builders import build_key_policy, key_loss_statements, key_policy_json
from components.validation import (
    ENCRYPTED_TABLE_DEFAULTS,
    KeyProtectionSpec,
    check_key_protection_at_deploy,
    validate_key_protection,
)
from policy.policies import key_policy_violations
from sandbox.harness import RecordingMocks, use_mocks
from tests.conftest import statement
from verify.findings import Status
from verify.judge import judge_key_policy

ACCOUNT, OTHER = "111122223333", "444455556666"
REGION = "us-east-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/platform/Deployer"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/security/KeyAdmin"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/break-glass/KeyRecovery"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def policy(protection: KeyProtectionSpec | None, **kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "partition": "aws",
        "account_id": ACCOUNT,
        "region": REGION,
        "admin_arns": [ADMIN],
        "key_user_arns": [],
        "deployer_arn": DEPLOYER,
        **kwargs,
    }
    return build_key_policy(**arguments, key_loss_protection=protection)


def protected(*break_glass: str, mfa: bool = False) -> KeyProtectionSpec:
    return KeyProtectionSpec(break_glass=tuple(break_glass), require_mfa=mfa)


def allowed(document: dict[str, Any], principal: str, action: str, context: dict[str, Any] | None = None) -> bool:
    """May principal (of the key's account, with no identity policy) make this call, the key policy alone?"""
    request = Request(
        principal_arn=principal, action=action, resource=KEY_ARN, account_id=ACCOUNT, context=context or {}
    )
    return authorize_kms(request, document, ()).allowed


# -- off: today's policy ------------------------------------------------------------------------


def test_off_is_todays_key_policy_byte_for_byte() -> None:
    today = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": SID_ROOT_DELEGATION,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": SID_ADMINISTRATION,
                "Effect": "Allow",
                "Principal": {"AWS": [ADMIN, DEPLOYER]},
                "Action": list(KEY_ADMIN_ACTIONS),
                "Resource": "*",
            },
        ],
    }
    assert key_policy_json(policy(None)) == json.dumps(today, indent=2)
    assert ENCRYPTED_TABLE_DEFAULTS["key_loss_protection"] is False


def test_the_component_leaves_protection_off_unless_asked() -> None:
    use_mocks(RecordingMocks(), {})
    key_spec, _table, _external = validate_encrypted_table_args("orders", {"partition_key": "id"})
    assert key_spec.protection is None
    assert key_spec.deletion_window_days == MAX_DELETION_WINDOW_DAYS
    key_spec, _table, _external = validate_encrypted_table_args(
        "orders", {"partition_key": "id", "key_loss_protection": True}
    )
    assert key_spec.protection == KeyProtectionSpec(break_glass=(), require_mfa=False, alarm_topic_arns={})
    # Protection keeps the window the user chose (the policy pack advises the maximum).
    key_spec, _table, _external = validate_encrypted_table_args(
        "orders", {"partition_key": "id", "key_loss_protection": True, "deletion_window_days": 7}
    )
    assert key_spec.deletion_window_days == 7


# -- on: the statements -------------------------------------------------------------------------


def test_the_deny_names_every_principal_but_break_glass() -> None:
    document = policy(protected(BREAK_GLASS))
    deny = statement(document, SID_KEY_LOSS_PROTECTION)
    assert deny == {
        "Sid": SID_KEY_LOSS_PROTECTION,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(KEY_LOSS_ACTIONS),
        "Resource": "*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS}},
    }
    bypass = statement(document, SID_LOCKOUT_BYPASS)
    assert (bypass["Effect"], bypass["Action"], bypass["Principal"]) == ("Deny", LOCKOUT_BYPASS_ACTION, {"AWS": "*"})
    assert bypass["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS},
        "Bool": {LOCKOUT_BYPASS_CONDITION_KEY: "true"},
    }
    # PutKeyPolicy itself: whoever may replace the policy may drop these denies, then lose the key. The
    # deployer writes the policy (`pulumi up`), so it is excepted with break-glass.
    change = statement(document, SID_KEY_POLICY_CHANGE)
    assert (change["Effect"], change["Action"], change["Principal"]) == ("Deny", "kms:PutKeyPolicy", {"AWS": "*"})
    assert change["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [BREAK_GLASS, DEPLOYER]}}
    assert [s["Sid"] for s in document["Statement"] if s["Effect"] == "Deny"] == [
        SID_KEY_LOSS_PROTECTION,
        SID_KEY_POLICY_CHANGE,
        SID_LOCKOUT_BYPASS,
    ]
    # The break-glass role administers the key too: it needs an Allow wherever IAM is not delegated to.
    assert BREAK_GLASS in statement(document, SID_ADMINISTRATION)["Principal"]["AWS"]


def test_without_named_break_glass_the_deployer_is_excepted() -> None:
    document = policy(protected())
    assert statement(document, SID_KEY_LOSS_PROTECTION)["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": DEPLOYER}}
    with pytest.raises(ConfigError, match=r"^break_glass_principals:"):
        policy(protected(), deployer_arn=None)


def test_mfa_adds_denies_without_mfa_with_bool_if_exists() -> None:
    document = policy(protected(BREAK_GLASS, mfa=True))
    assert statement(document, SID_KEY_LOSS_MFA)["Condition"] == {"BoolIfExists": {MFA_CONDITION_KEY: "false"}}
    assert statement(document, SID_KEY_LOSS_MFA)["Action"] == list(KEY_LOSS_ACTIONS)
    assert statement(document, SID_LOCKOUT_BYPASS_MFA)["Condition"] == {
        "BoolIfExists": {MFA_CONDITION_KEY: "false"},
        "Bool": {LOCKOUT_BYPASS_CONDITION_KEY: "true"},
    }
    # A new key policy needs MFA too, but from the deployer (a pipeline, without MFA).
    assert statement(document, SID_KEY_POLICY_CHANGE_MFA)["Condition"] == {
        "BoolIfExists": {MFA_CONDITION_KEY: "false"},
        "ArnNotEquals": {"aws:PrincipalArn": DEPLOYER},
    }
    assert SID_KEY_LOSS_MFA not in json.dumps(policy(protected(BREAK_GLASS)))


# -- on: judged by the evaluator ------------------------------------------------------------------


@pytest.mark.parametrize("mfa", [False, True])
@pytest.mark.parametrize("allow_iam_policies", [True, False])
def test_no_one_but_break_glass_can_lose_the_key(mfa: bool, allow_iam_policies: bool) -> None:
    document = policy(protected(BREAK_GLASS, mfa=mfa), allow_iam_policies=allow_iam_policies)
    # A named administrator and the administrator nobody named (kms:* in IAM): nothing, not even a new policy
    # that would drop the denies. The deployer: only that new policy (it writes the policy; declared, alarmed).
    for who in (ADMIN, unnamed_administrator(KEY_ARN)):
        assert key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=who) == {}, who
    assert set(key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=DEPLOYER)) == {KEY_POLICY_CHANGE_ACTION}
    losing = {
        *KEY_LOSS_ACTIONS,
        KEY_POLICY_CHANGE_ACTION,
        f"{LOCKOUT_BYPASS_ACTION} ({LOCKOUT_BYPASS_CONDITION_KEY}=true)",
    }
    if not allow_iam_policies:
        # Only what the administrators' statement allows: no DeleteImportedKeyMaterial, which a key of KMS's own
        # material (these keys) cannot take anyway.
        losing = {a for a in losing if a.split(" ")[0] in KEY_ADMIN_ACTIONS}
    assert set(key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=BREAK_GLASS, mfa=True)) == losing
    without_mfa = key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=BREAK_GLASS, mfa=False)
    assert set(without_mfa) == (set() if mfa else losing)


def test_off_every_administrator_can_lose_the_key() -> None:
    # What the protection changes: the same principals, judged on today's policy.
    document = policy(None)
    for who in (ADMIN, DEPLOYER, unnamed_administrator(KEY_ARN)):
        assert set(key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=who)) >= set(KEY_LOSS_ACTIONS), who


def test_the_account_root_as_break_glass() -> None:
    document = policy(protected(ROOT))
    assert set(key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=ROOT)) >= set(KEY_LOSS_ACTIONS)
    assert set(key_loss_exposure(document, key_arn=KEY_ARN, principal_arn=DEPLOYER)) == {KEY_POLICY_CHANGE_ACTION}
    # The root is excepted, never made an administrator by name (it acts through the root delegation).
    assert ROOT not in statement(document, SID_ADMINISTRATION)["Principal"]["AWS"]


@pytest.mark.parametrize("admin", [ADMIN, DEPLOYER])
def test_administrators_keep_every_other_right(admin: str) -> None:
    document = policy(protected(BREAK_GLASS, mfa=True), allow_iam_policies=False)
    kept = [action for action in KEY_ADMIN_ACTIONS if action not in (*KEY_LOSS_ACTIONS, KEY_POLICY_CHANGE_ACTION)]
    assert {"kms:DescribeKey", "kms:TagResource", "kms:CreateGrant", "kms:CancelKeyDeletion"} <= set(kept)
    for action in kept:
        assert allowed(document, admin, action), action
    # PutKeyPolicy as `pulumi up` sends it (KMS's lockout safety check on, no MFA: a CI role): the deployer's,
    # never another administrator's; with the check bypassed, nobody's but break-glass.
    assert allowed(document, admin, KEY_POLICY_CHANGE_ACTION, {LOCKOUT_BYPASS_CONDITION_KEY: "false"}) == (
        admin == DEPLOYER
    )
    assert not allowed(document, admin, LOCKOUT_BYPASS_ACTION, {LOCKOUT_BYPASS_CONDITION_KEY: "true"})
    for action in KEY_LOSS_ACTIONS:
        assert not allowed(document, admin, action), action


def test_the_deployer_passes_kms_lockout_safety_check() -> None:
    """KMS refuses a policy that would not let its caller PutKeyPolicy again (key-policy-default.html
    #prevent-unmanageable-key): the deployer, not break-glass, must still be allowed."""
    document = policy(protected(BREAK_GLASS, mfa=True))
    assert allowed(document, DEPLOYER, "kms:PutKeyPolicy", {MFA_CONDITION_KEY: "false"})


def test_the_project_checks_do_not_read_the_deny_as_a_wildcard_grant() -> None:
    document = policy(protected(BREAK_GLASS, mfa=True))
    assert unconditioned_wildcard_statements(document) == []
    findings = judge_key_policy(json.dumps(document), ACCOUNT)
    assert [f for f in findings if f.status is not Status.PASS] == []
    assert key_policy_violations({"policy": json.dumps(document)}) == []


def test_key_loss_statements_need_a_principal() -> None:
    with pytest.raises(ConfigError, match=r"^break_glass_principals:"):
        key_loss_statements([])
    assert len(key_loss_statements([BREAK_GLASS, BREAK_GLASS])) == 3
    assert key_loss_statements([BREAK_GLASS, ROOT])[0]["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": [BREAK_GLASS, ROOT]}
    }


def test_the_size_check_counts_the_break_glass_statements() -> None:
    use_mocks(RecordingMocks(), {})
    many = [f"arn:aws:iam::{ACCOUNT}:role/break-glass/{'r' * 60}{i:04d}" for i in range(130)]
    args: dict[str, Any] = {"partition_key": "id", "key_loss_protection": True}
    validate_encrypted_table_args("orders", {**args, "break_glass_principals": many[:20]})  # type: ignore[typeddict-item]
    with pytest.raises(ConfigError, match=r"^break_glass_principals: the key policy would be \d+ bytes"):
        validate_encrypted_table_args("orders", {**args, "break_glass_principals": many})  # type: ignore[typeddict-item]


# -- validation ---------------------------------------------------------------------------------


def validate(**args: Any) -> KeyProtectionSpec | None:
    return validate_key_protection(
        {"key_loss_protection": True, **args},
        replica_regions=["eu-west-1"],
        primary_region=REGION,
        allow_iam_policies=True,
    )


TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:key-alarms"
EU_TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:key-alarms"


def test_valid_protection_options() -> None:
    spec = validate(
        break_glass_principals=[BREAK_GLASS, BREAK_GLASS, ROOT],
        break_glass_require_mfa=True,
        alarm_topic_arns={REGION: TOPIC, "eu-west-1": EU_TOPIC},
    )
    assert spec == KeyProtectionSpec((BREAK_GLASS, ROOT), True, {REGION: TOPIC, "eu-west-1": EU_TOPIC})
    assert validate() == KeyProtectionSpec((), False, {})
    assert validate(alarm_topic_arns={}) == KeyProtectionSpec((), False, {})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"break_glass_principals": ["*"]}, r"^break_glass_principals\[0\]: '\*' is a wildcard"),
        (
            {"break_glass_principals": [f"arn:aws:iam::{ACCOUNT}:role/*/Admin"]},
            r"^break_glass_principals\[0\]: .* is a wildcard",
        ),
        (
            {"break_glass_principals": [f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/me"]},
            r"^break_glass_principals\[0\]: .* is an STS session",
        ),
        (
            {"break_glass_principals": [BREAK_GLASS, f"arn:aws:iam::{OTHER}:role/Admin"]},
            rf"^break_glass_principals\[1\]: .* is of account {OTHER}, break_glass_principals\[0\] of another",
        ),
        ({"break_glass_principals": BREAK_GLASS}, r"^break_glass_principals: .* is not a list"),
        ({"break_glass_require_mfa": "yes"}, r"^break_glass_require_mfa: 'yes' is not a boolean"),
        ({"alarm_topic_arns": [TOPIC]}, r"^alarm_topic_arns: .* is not a mapping"),
        ({"alarm_topic_arns": {REGION: TOPIC}}, r"^alarm_topic_arns: no topic for the key region\(s\) \['eu-west-1'\]"),
        (
            {"alarm_topic_arns": {REGION: TOPIC, "eu-west-1": TOPIC}},
            r"^alarm_topic_arns\['eu-west-1'\]: .* is a topic of us-east-1",
        ),
        (
            {"alarm_topic_arns": {REGION: TOPIC, "eu-west-1": EU_TOPIC, "eu-west-2": EU_TOPIC.replace("-1", "-2")}},
            r"^alarm_topic_arns: \['eu-west-2'\] are not key regions",
        ),
        ({"alarm_topic_arns": {REGION: f"{TOPIC}.fifo"}}, r"^alarm_topic_arns\['us-east-1'\]: .* is a FIFO topic"),
        ({"alarm_topic_arns": {REGION: "key-alarms"}}, r"^alarm_topic_arns\['us-east-1'\]: .* is not an SNS topic"),
        (
            {"alarm_topic_arns": {REGION: f"arn:aws-cn:sns:{REGION}:{ACCOUNT}:t"}},
            r"^alarm_topic_arns\['us-east-1'\]: .* names no region of partition 'aws-cn'",
        ),
        (
            {"alarm_topic_arns": {REGION: f"arn:aws:sns:{REGION}:1234:t"}},
            r"^alarm_topic_arns\['us-east-1'\]: .* has no 12-digit account id",
        ),
        (
            {"alarm_topic_arns": {REGION: f"arn:aws:sns:{REGION}:{ACCOUNT}:a.b"}},
            r"^alarm_topic_arns\['us-east-1'\]: .* has a topic name SNS does not accept",
        ),
        ({"alarm_topic_arns": {"mars-1": TOPIC}}, r"^alarm_topic_arns\['mars-1'\]: 'mars-1' is not an AWS region"),
    ],
)
def test_bad_protection_options_are_refused_naming_the_field(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(**args)


@pytest.mark.parametrize(
    "option",
    [
        {"break_glass_principals": [BREAK_GLASS]},
        {"break_glass_require_mfa": True},
        {"alarm_topic_arns": {REGION: TOPIC}},
    ],
)
def test_options_without_protection_are_refused(option: dict[str, Any]) -> None:
    (name,) = option
    with pytest.raises(ConfigError, match=rf"^{name}: is set, but key-loss protection is off"):
        validate_key_protection(option, replica_regions=[], primary_region=REGION, allow_iam_policies=True)
    assert validate_key_protection({}, replica_regions=[], primary_region=REGION, allow_iam_policies=True) is None


def test_the_root_as_break_glass_needs_the_root_delegation() -> None:
    with pytest.raises(ConfigError, match=r"^break_glass_principals\[1\]: .* allow_iam_policies is off"):
        validate_key_protection(
            {"key_loss_protection": True, "break_glass_principals": [BREAK_GLASS, ROOT]},
            replica_regions=[],
            primary_region=REGION,
            allow_iam_policies=False,
        )


def test_an_unknown_table_region_is_the_one_topic_besides_the_replicas() -> None:
    def topics(given: dict[str, str]) -> KeyProtectionSpec | None:
        return validate_key_protection(
            {"key_loss_protection": True, "alarm_topic_arns": given},
            replica_regions=["eu-west-1"],
            primary_region=None,
            allow_iam_policies=True,
        )

    spec = topics({REGION: TOPIC, "eu-west-1": EU_TOPIC})
    assert spec is not None
    check_key_protection_at_deploy(spec, account_id=ACCOUNT, region=REGION)
    with pytest.raises(ConfigError, match=r"^alarm_topic_arns: no topic for the table's region 'us-west-2'"):
        check_key_protection_at_deploy(spec, account_id=ACCOUNT, region="us-west-2")
    with pytest.raises(ConfigError, match=r"^alarm_topic_arns: \[.*\] cannot all be the table region"):
        topics({REGION: TOPIC, "us-west-2": TOPIC.replace(REGION, "us-west-2"), "eu-west-1": EU_TOPIC})


def test_at_deploy_everything_is_of_the_tables_account() -> None:
    spec = validate(break_glass_principals=[BREAK_GLASS], alarm_topic_arns={REGION: TOPIC, "eu-west-1": EU_TOPIC})
    assert spec is not None
    check_key_protection_at_deploy(spec, account_id=ACCOUNT, region=REGION)
    with pytest.raises(
        ConfigError, match=rf"^break_glass_principals\[0\]: .* is of account {ACCOUNT}, not the table's"
    ):
        check_key_protection_at_deploy(spec, account_id=OTHER, region=REGION)
    topics_only = KeyProtectionSpec((), False, spec.alarm_topic_arns)
    with pytest.raises(ConfigError, match=r"^alarm_topic_arns\['us-east-1'\]: .* is a topic of account"):
        check_key_protection_at_deploy(topics_only, account_id=OTHER, region=REGION)
