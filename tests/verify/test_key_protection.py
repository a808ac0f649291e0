"""Key-loss protection as the verifier judges it: the keyProtection output, the deny, the alarm rules and
their topic, and what a key that is not usable fails with. Hand-made records: no AWS at all.

Each judge is shown passing on a healthy record and failing on the same record broken one way.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from typing import Any

import pytest

from access.key_protection import (
    ALARM_KEY_CHANGES,
    ALARM_KEY_DELETED,
    ALARM_KINDS,
    ALARM_RULE_STATES,
    ALARM_USE_PENDING_DELETION,
    key_alarm_patterns,
    unnamed_administrator,
)
from access.kms_dynamodb import (
    LOCKOUT_BYPASS_CONDITION_KEY,
    SID_ADMINISTRATION,
    SID_KEY_LOSS_MFA,
    SID_KEY_LOSS_PROTECTION,
    SID_LOCKOUT_BYPASS,
    SID_LOCKOUT_BYPASS_MFA,
)
from components.policy_builders import build_key_policy
from components.validation import KeyProtectionSpec
from stack import outputs as contract
from verify.collect import AliasRecord, KeyRecord, TableRecord
from verify.findings import Status, exit_code
from verify.inputs import CannotRunError, Replica, StackOutputs, parse_outputs
from verify.judge import archive_deadline, judge_key, judge_table, key_fix
from verify.key_protection import (
    AlarmRecords,
    RuleRecord,
    TopicRecord,
    events_may_publish,
    judge_alarms,
    judge_deny,
    judge_rule,
    judge_topic,
    judge_unprotected,
)
from verify.replicas import inaccessible_advice

ACCOUNT = "123456789012"
REGION = "us-east-1"
EU = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EU_KEY = f"arn:aws:kms:{EU}:{ACCOUNT}:key/mrk-0987dcba09fe87dc65baab0987654321"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/security/KeyAdmin"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/BreakGlass"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:orders-key-alarms"
EU_TOPIC = f"arn:aws:sns:{EU}:{ACCOUNT}:orders-key-alarms"
RULES = {kind: f"orders-key-{kind}" for kind in ALARM_KINDS}


def rule_arn(kind: str, region: str = REGION) -> str:
    return f"arn:aws:events:{region}:{ACCOUNT}:rule/{RULES[kind]}"


def protected_policy(*, mfa: bool = False, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stack's key policy with key-loss protection, as the component writes it (components.policy_builders),
    less the statements named in `drop`."""
    policy = build_key_policy(
        partition="aws",
        account_id=ACCOUNT,
        region=REGION,
        admin_arns=[ADMIN],
        key_user_arns=[],
        deployer_arn=DEPLOYER,
        key_loss_protection=KeyProtectionSpec(break_glass=(BREAK_GLASS,), require_mfa=mfa),
    )
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") not in drop]
    return policy


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in policy["Statement"] if s.get("Sid") == sid)


def protection_output(*, mfa: bool = False, regions: tuple[tuple[str, str, str], ...] | None = None) -> dict[str, Any]:
    entries = regions or ((REGION, KEY, TOPIC),)
    return {
        contract.PROTECTION_BREAK_GLASS: [BREAK_GLASS],
        contract.PROTECTION_REQUIRE_MFA: mfa,
        contract.PROTECTION_DELETION_WINDOW: 30,
        contract.PROTECTION_ALARMS: [
            {
                contract.ALARM_REGION: region,
                contract.ALARM_KEY_ARN: key,
                contract.ALARM_TOPIC_ARN: topic,
                contract.ALARM_RULES: dict(RULES),
            }
            for region, key, topic in entries
        ],
    }


BASE = {
    contract.REGION: REGION,
    contract.ACCOUNT_ID: ACCOUNT,
    contract.TABLE_NAME: "orders",
    contract.TABLE_ARN: f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders",
    contract.KEY_ID: KEY.rsplit("/", 1)[1],
    contract.KEY_ARN: KEY,
    contract.KEY_ALIAS: "alias/orders",
    contract.TEST_PRINCIPAL_KIND: "none",
    contract.POINT_IN_TIME_RECOVERY: True,
    contract.DELETION_PROTECTION: True,
    contract.KEY_ADMIN_ARNS: [ADMIN],
    contract.DEPLOYER_ARN: DEPLOYER,
    contract.INTENDED_KEY_USERS: [],
}


def outputs(**protection: Any) -> StackOutputs:
    return parse_outputs({**BASE, contract.KEY_PROTECTION: protection_output(**protection)})


WANT = outputs()
PROTECTION = WANT.key_protection
assert PROTECTION is not None
ALARMS = PROTECTION.alarms[0]


def deny(policy: dict[str, Any], want: StackOutputs = WANT) -> Any:
    assert want.key_protection is not None
    return judge_deny(json.dumps(policy), want, want.key_protection, key_arn=KEY, region=REGION)


# -- the keyProtection output ----------------------------------------------------------------------------


def test_the_output_is_read() -> None:
    assert PROTECTION.break_glass == (BREAK_GLASS,)
    assert not PROTECTION.require_mfa
    assert PROTECTION.deletion_window_days == 30
    assert ALARMS.region == REGION
    assert ALARMS.key_arn == KEY
    assert ALARMS.topic_arn == TOPIC
    assert dict(ALARMS.rules) == RULES
    assert PROTECTION.alarms_in(EU) is None


def test_no_output_is_no_protection() -> None:
    assert parse_outputs(BASE).key_protection is None


def _broken(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(protection_output()))
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


ALARM = (contract.PROTECTION_ALARMS, 0)
BAD: list[tuple[str, Any, str]] = [
    ("not an object", ["x"], r"output keyProtection is \['x'\]; expected \{breakGlass"),
    ("no breakGlass", _broken((contract.PROTECTION_BREAK_GLASS,), KeyError), "keyProtection is missing breakGlass"),
    ("a session", _broken((contract.PROTECTION_BREAK_GLASS, 0), "arn:aws:sts::1:assumed-role/r/s"), r"breakGlass\[0\]"),
    (
        "another account",
        _broken((contract.PROTECTION_BREAK_GLASS, 0), "arn:aws:iam::444455556666:role/BreakGlass"),
        "not of the stack's account",
    ),
    ("mfa a string", _broken((contract.PROTECTION_REQUIRE_MFA,), "yes"), "requireMfa is 'yes'; expected true or false"),
    ("window too short", _broken((contract.PROTECTION_DELETION_WINDOW,), 6), "deletionWindowDays is 6; expected"),
    ("window a flag", _broken((contract.PROTECTION_DELETION_WINDOW,), True), "deletionWindowDays is True"),
    ("alarms not a list", _broken((contract.PROTECTION_ALARMS,), {}), "alarms is {}; expected a list"),
    ("no alarms", _broken((contract.PROTECTION_ALARMS,), []), f"alarms has no entry for {REGION}"),
    (
        "an alarm missing its topic",
        _broken((*ALARM, contract.ALARM_TOPIC_ARN), KeyError),
        r"alarms\[0\] is missing topicArn",
    ),
    ("an unknown region", _broken((*ALARM, contract.ALARM_REGION), EU), "expected a key region of the stack"),
    ("another key", _broken((*ALARM, contract.ALARM_KEY_ARN), EU_KEY), f"expected {REGION}'s key {KEY}"),
    ("a topic elsewhere", _broken((*ALARM, contract.ALARM_TOPIC_ARN), EU_TOPIC), f"an SNS topic ARN in {REGION}"),
    ("not a topic", _broken((*ALARM, contract.ALARM_TOPIC_ARN), KEY), "topicArn is"),
    ("a kind missing", _broken((*ALARM, contract.ALARM_RULES, ALARM_KEY_DELETED), KeyError), "a rule name for each of"),
    ("a bad rule name", _broken((*ALARM, contract.ALARM_RULES, ALARM_KEY_DELETED), "no spaces"), "key-deleted is"),
]


@pytest.mark.parametrize(("raw", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_output_cannot_run_naming_the_field(raw: Any, message: str) -> None:
    with pytest.raises(CannotRunError, match=message):
        parse_outputs({**BASE, contract.KEY_PROTECTION: raw})


def _with_replica(data: dict[str, Any]) -> dict[str, Any]:
    replica = {
        contract.REPLICA_REGION: EU,
        contract.REPLICA_KEY_ARN: EU_KEY,
        contract.REPLICA_KEY_ALIAS: "alias/orders",
        contract.REPLICA_ARN: f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/orders",
    }
    return {**data, contract.REPLICAS: [replica]}


def test_the_alarms_cover_every_key_region() -> None:
    with pytest.raises(CannotRunError, match=f"alarms has no entry for {EU}"):
        parse_outputs(_with_replica({**BASE, contract.KEY_PROTECTION: protection_output()}))
    both = protection_output(regions=((REGION, KEY, TOPIC), (EU, EU_KEY, EU_TOPIC)))
    parsed = parse_outputs(_with_replica({**BASE, contract.KEY_PROTECTION: both})).key_protection
    assert parsed is not None
    assert parsed.alarms_in(EU) is not None
    twice = protection_output(regions=((REGION, KEY, TOPIC), (REGION, KEY, TOPIC)))
    with pytest.raises(CannotRunError, match=r"alarms\[1\]\.region is 'us-east-1' again"):
        parse_outputs({**BASE, contract.KEY_PROTECTION: twice})


# -- without protection ----------------------------------------------------------------------------------


def test_without_protection_one_skip_says_what_is_open() -> None:
    finding = judge_unprotected()
    assert finding.status is Status.SKIP
    assert "keyLossProtection" in finding.seen
    assert "schedule its deletion" in finding.seen
    assert exit_code([finding]) == 0


# -- the deny ---------------------------------------------------------------------------------------------


def test_the_protected_policy_passes() -> None:
    finding = deny(protected_policy())
    assert finding.status is Status.PASS, finding.seen
    assert finding.check == "key_protection.deny"
    # Judged: the declared admin and the deployer (named in the key policy too), not break-glass.
    assert ADMIN in finding.seen
    assert DEPLOYER in finding.seen
    assert f"break-glass: {BREAK_GLASS}" in finding.seen


def test_the_deny_removed_fails_naming_each_administrator_the_calls_and_the_statement() -> None:
    finding = deny(protected_policy(drop=(SID_KEY_LOSS_PROTECTION, SID_LOCKOUT_BYPASS)))
    assert finding.status is Status.FAIL
    for principal in (ADMIN, DEPLOYER, unnamed_administrator(KEY)):
        assert principal in finding.seen
    assert "kms:ScheduleKeyDeletion" in finding.seen
    assert "kms:DisableKey" in finding.seen
    assert f"key policy statement {SID_ADMINISTRATION}" in finding.seen
    assert "EnableIamPolicies" in finding.seen  # the worst case comes in through the root delegation
    assert BREAK_GLASS not in finding.seen.split("break-glass")[0]
    assert "pulumi up" in finding.advice
    assert SID_KEY_LOSS_PROTECTION in finding.advice


def test_the_lockout_bypass_alone_open_fails() -> None:
    finding = deny(protected_policy(drop=(SID_LOCKOUT_BYPASS,)))
    assert finding.status is Status.FAIL
    assert f"kms:PutKeyPolicy ({LOCKOUT_BYPASS_CONDITION_KEY}=true)" in finding.seen
    assert "kms:ScheduleKeyDeletion" not in finding.seen


def test_a_deny_naming_the_administrators_only_leaves_the_unnamed_one() -> None:
    """A Deny to the named administrators (not "*") leaves whoever the account's IAM empowers."""
    policy = protected_policy(drop=(SID_KEY_LOSS_PROTECTION, SID_LOCKOUT_BYPASS))
    named_only = {"AWS": [ADMIN, DEPLOYER]}
    policy["Statement"] += [
        {"Sid": "DenyNamed", "Effect": "Deny", "Principal": named_only, "Action": "kms:*", "Resource": "*"}
    ]
    finding = deny(policy)
    assert finding.status is Status.FAIL
    assert "an administrator nobody named" in finding.seen
    assert ADMIN not in finding.seen


def test_an_administrator_only_the_key_policy_names_is_judged() -> None:
    stranger = f"arn:aws:iam::{ACCOUNT}:role/Stranger"
    policy = protected_policy()
    statement(policy, SID_ADMINISTRATION)["Principal"]["AWS"].append(stranger)
    policy["Statement"] += [
        {
            "Sid": "StrangerMayDelete",
            "Effect": "Allow",
            "Principal": {"AWS": stranger},
            "Action": "kms:ScheduleKeyDeletion",
            "Resource": "*",
        }
    ]
    assert deny(policy).status is Status.PASS  # the Deny still wins over an Allow
    exempt = protected_policy()
    statement(exempt, SID_KEY_LOSS_PROTECTION)["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [
        BREAK_GLASS,
        stranger,
    ]
    statement(exempt, SID_ADMINISTRATION)["Principal"]["AWS"].append(stranger)
    finding = deny(exempt)
    assert finding.status is Status.FAIL
    assert stranger in finding.seen


def test_with_mfa_break_glass_without_mfa_must_be_refused() -> None:
    want = outputs(mfa=True)
    assert deny(protected_policy(mfa=True), want).status is Status.PASS
    finding = deny(protected_policy(mfa=True, drop=(SID_KEY_LOSS_MFA,)), want)
    assert finding.status is Status.FAIL
    assert f"without MFA, break-glass {BREAK_GLASS} may" in finding.seen
    assert SID_LOCKOUT_BYPASS_MFA in finding.advice


def test_a_policy_that_does_not_parse_cannot_pass() -> None:
    assert PROTECTION is not None
    finding = judge_deny("{not json", WANT, PROTECTION, key_arn=KEY, region=REGION, prefix=f"replica[{EU}].")
    assert finding.status is Status.FAIL
    assert finding.check == f"replica[{EU}].key_protection.deny"
    assert "cannot confirm" in finding.seen


# -- the alarm rules -----------------------------------------------------------------------------------


def healthy_rule(kind: str) -> RuleRecord:
    return RuleRecord(
        kind,
        RULES[kind],
        exists=True,
        arn=rule_arn(kind),
        state=ALARM_RULE_STATES[kind],
        event_pattern=json.dumps(key_alarm_patterns(KEY)[kind]),
        target_arns=(TOPIC,),
    )


@pytest.mark.parametrize("kind", ALARM_KINDS)
def test_a_healthy_rule_passes(kind: str) -> None:
    finding = judge_rule(healthy_rule(kind), ALARMS)
    assert finding.status is Status.PASS, finding.seen
    assert finding.check == f"key_protection.alarm[{kind}]"


def test_a_deleted_rule_fails_naming_it_and_the_region() -> None:
    finding = judge_rule(RuleRecord(ALARM_KEY_CHANGES, RULES[ALARM_KEY_CHANGES], exists=False), ALARMS, "replica[x].")
    assert finding.status is Status.FAIL
    assert finding.check == f"replica[x].key_protection.alarm[{ALARM_KEY_CHANGES}]"
    assert f"rule {RULES[ALARM_KEY_CHANGES]} in {REGION} not found" in finding.seen
    assert "pulumi up" in finding.advice


def test_a_disabled_rule_fails_with_the_command_that_enables_it() -> None:
    record = dataclasses.replace(healthy_rule(ALARM_KEY_CHANGES), state="DISABLED")
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.FAIL
    assert f"State=DISABLED, expected {ALARM_RULE_STATES[ALARM_KEY_CHANGES]}" in finding.seen
    assert f"aws events enable-rule --region {REGION} --name {RULES[ALARM_KEY_CHANGES]}" in finding.advice


def test_the_pending_deletion_rule_enabled_without_read_only_events_gets_put_rule() -> None:
    """enable-rule sets ENABLED, which drops read-only management events: put-rule sets the state it needs."""
    record = dataclasses.replace(healthy_rule(ALARM_USE_PENDING_DELETION), state="ENABLED")
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.FAIL
    command = finding.advice.split(";")[0]
    words = shlex.split(command)
    assert words[:3] == ["aws", "events", "put-rule"]
    assert words[words.index("--state") + 1] == ALARM_RULE_STATES[ALARM_USE_PENDING_DELETION]
    assert json.loads(words[words.index("--event-pattern") + 1]) == key_alarm_patterns(KEY)[ALARM_USE_PENDING_DELETION]


def test_a_pattern_that_misses_events_fails_naming_them() -> None:
    pattern = key_alarm_patterns(KEY)[ALARM_KEY_CHANGES]
    narrowed = {**pattern, "detail": {**pattern["detail"], "eventName": ["PutKeyPolicy"]}}
    record = dataclasses.replace(healthy_rule(ALARM_KEY_CHANGES), event_pattern=json.dumps(narrowed))
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.FAIL
    assert "misses" in finding.seen
    assert "ScheduleKeyDeletion" in finding.seen
    assert "DisableKey" in finding.seen
    assert finding.advice.startswith("run `pulumi up`")


def test_a_pattern_for_another_key_fails() -> None:
    record = dataclasses.replace(
        healthy_rule(ALARM_KEY_DELETED), event_pattern=json.dumps(key_alarm_patterns(EU_KEY)[ALARM_KEY_DELETED])
    )
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.FAIL
    assert "KMS CMK Deletion" in finding.seen


@pytest.mark.parametrize(
    "pattern", ['{"source": [{"regex": "aws.*"}]}', "not json"], ids=["unknown operator", "not json"]
)
def test_a_pattern_not_understood_cannot_pass(pattern: str) -> None:
    record = dataclasses.replace(healthy_rule(ALARM_KEY_DELETED), event_pattern=pattern)
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.FAIL
    assert "cannot confirm" in finding.seen


def test_a_rule_that_targets_another_topic_fails() -> None:
    other = f"arn:aws:sns:{REGION}:{ACCOUNT}:elsewhere"
    record = dataclasses.replace(healthy_rule(ALARM_KEY_DELETED), target_arns=(other,))
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.FAIL
    assert f"no target is the topic {TOPIC} (targets: {other})" in finding.seen


# -- the topic -------------------------------------------------------------------------------------------


def topic_policy(*rule_arns: str, extra: tuple[dict[str, Any], ...] = ()) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TopicOwner",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe"],
                    "Resource": TOPIC,
                },
                {
                    "Sid": "KeyAlarmRulesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": TOPIC,
                    "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
                },
                *extra,
            ],
        }
    )


EVERY_RULE = tuple(rule_arn(kind) for kind in ALARM_KINDS)
HEALTHY_TOPIC = TopicRecord(TOPIC, True, topic_policy(*EVERY_RULE), f"arn:aws:kms:{REGION}:{ACCOUNT}:key/topic-key")


def records(topic: TopicRecord = HEALTHY_TOPIC) -> AlarmRecords:
    return AlarmRecords(ALARMS, tuple(healthy_rule(kind) for kind in ALARM_KINDS), topic)


def test_a_healthy_topic_passes() -> None:
    findings = judge_alarms(records(), ACCOUNT)
    assert [f.status for f in findings] == [Status.PASS] * (len(ALARM_KINDS) + 1)
    assert findings[-1].check == "key_protection.topic"


@pytest.mark.parametrize(
    ("topic", "seen"),
    [
        (TopicRecord(TOPIC, False), f"topic {TOPIC} not found"),
        (dataclasses.replace(HEALTHY_TOPIC, kms_master_key_id=""), "not encrypted"),
        (dataclasses.replace(HEALTHY_TOPIC, kms_master_key_id="alias/aws/sns"), "AWS managed key alias/aws/sns"),
        (
            dataclasses.replace(HEALTHY_TOPIC, policy_text=topic_policy(*EVERY_RULE[:2])),
            f"EventBridge may not publish for rule {RULES[ALARM_KINDS[2]]}",
        ),
        (dataclasses.replace(HEALTHY_TOPIC, policy_text=""), "the topic has no policy"),
        (
            dataclasses.replace(
                HEALTHY_TOPIC,
                policy_text=topic_policy(
                    *EVERY_RULE,
                    extra=(
                        {"Sid": "NoPublish", "Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": "*"},
                    ),
                ),
            ),
            "denied by topic policy statement NoPublish",
        ),
    ],
    ids=["deleted", "unencrypted", "aws managed key", "a rule left out", "no policy", "a deny"],
)
def test_a_broken_topic_fails_saying_how(topic: TopicRecord, seen: str) -> None:
    finding = judge_topic(records(topic), ACCOUNT)
    assert finding.status is Status.FAIL
    assert seen in finding.seen


def test_the_topic_policy_reading() -> None:
    arn = rule_arn(ALARM_KEY_CHANGES)
    assert events_may_publish(topic_policy(arn), topic_arn=TOPIC, rule_arn=arn, account_id=ACCOUNT)[0]
    other = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other"
    allowed, why = events_may_publish(topic_policy(arn), topic_arn=TOPIC, rule_arn=other, account_id=ACCOUNT)
    assert not allowed
    assert "no statement" in why
    unconditioned = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:*",
                    "Resource": "*",
                }
            ]
        }
    )
    assert events_may_publish(unconditioned, topic_arn=TOPIC, rule_arn=other, account_id=ACCOUNT)[0]
    # A condition on a key the request does not carry fails closed in an Allow.
    unknown = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": TOPIC,
                    "Condition": {"StringEquals": {"aws:SourceOrgID": "o-123"}},
                }
            ]
        }
    )
    assert not events_may_publish(unknown, topic_arn=TOPIC, rule_arn=arn, account_id=ACCOUNT)[0]
    # Another service, or another topic, is not EventBridge on this one.
    sqs = unconditioned.replace("events.amazonaws.com", "sqs.amazonaws.com")
    assert not events_may_publish(sqs, topic_arn=TOPIC, rule_arn=arn, account_id=ACCOUNT)[0]
    assert not events_may_publish(topic_policy(arn), topic_arn=EU_TOPIC, rule_arn=arn, account_id=ACCOUNT)[0]


# -- a key that is not usable: the commands and the deadlines ---------------------------------------------

GOOD_KEY = KeyRecord(True, KEY, "Enabled", "CUSTOMER", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", True, "{}")
ALIAS = AliasRecord("alias/orders", KEY)
GOOD_TABLE = TableRecord(True, "ACTIVE", "ENABLED", "KMS", KEY, "", "ENABLED", True, (("id", "S"),))


def test_the_commands_take_the_key_arn_and_cancel_before_enable() -> None:
    where = f"--region {REGION} --key-id {KEY}"
    assert key_fix(REGION, KEY, "Disabled") == f"aws kms enable-key {where}"
    assert (
        key_fix(REGION, KEY, "PendingDeletion") == f"aws kms cancel-key-deletion {where} && aws kms enable-key {where}"
    )
    assert key_fix(REGION, KEY, "PendingImport") == ""
    assert key_fix(REGION, KEY, "Enabled") == ""


def test_a_key_pending_deletion_fails_with_both_deadlines() -> None:
    key = dataclasses.replace(GOOD_KEY, state="PendingDeletion", deletion_date="2026-12-31 00:00:00+00:00")
    table = dataclasses.replace(GOOD_TABLE, inaccessible_since="2026-12-01 10:00:00+00:00")
    enabled = next(f for f in judge_key(key, ALIAS, WANT, table) if f.check == "key.enabled")
    assert enabled.status is Status.FAIL
    assert "DeletionDate=2026-12-31 00:00:00+00:00" in enabled.seen
    assert key_fix(REGION, KEY, "PendingDeletion") in enabled.advice
    assert "KMS deletes the key on 2026-12-31 00:00:00+00:00" in enabled.advice
    assert "DynamoDB archives the table after 2026-12-08 10:00:00+00:00" in enabled.advice
    accessible = next(f for f in judge_table(table, WANT, key) if f.check == "table.key_accessible")
    assert accessible.status is Status.FAIL
    assert key_fix(REGION, KEY, "PendingDeletion") in accessible.advice
    assert "2026-12-08 10:00:00+00:00" in accessible.advice


def test_a_disabled_key_before_dynamodb_noticed() -> None:
    key = dataclasses.replace(GOOD_KEY, state="Disabled")
    enabled = next(f for f in judge_key(key, ALIAS, WANT, GOOD_TABLE) if f.check == "key.enabled")
    assert enabled.advice.startswith(f"enable the key: {key_fix(REGION, KEY, 'Disabled')}")
    assert "more than 7 days" in enabled.advice
    assert "cancel-key-deletion" not in enabled.advice


def test_an_inaccessible_table_with_an_enabled_key_says_what_else() -> None:
    table = dataclasses.replace(GOOD_TABLE, inaccessible_since="2026-12-01 10:00:00+00:00")
    accessible = next(f for f in judge_table(table, WANT, GOOD_KEY) if f.check == "table.key_accessible")
    assert "DynamoDB's grants not revoked" in accessible.advice
    assert "aws kms" not in accessible.advice
    assert archive_deadline("not a time").startswith("DynamoDB archives the table once")


def test_a_replica_key_pending_deletion_uses_the_same_commands() -> None:
    replica = Replica(EU, EU_KEY, "alias/orders", f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/orders")
    advice = inaccessible_advice(replica, "PendingDeletion", "", "2026-12-31 00:00:00+00:00")
    assert key_fix(EU, EU_KEY, "PendingDeletion") in advice
    assert "20 hours" in advice
    assert "KMS deletes the key on 2026-12-31" in advice
