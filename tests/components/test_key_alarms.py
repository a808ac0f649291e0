"""EncryptedTable with key-loss protection under mocks (issue 20): every region's key policy, and the alarms of
every key region (rules, targets, the topic, its key and its policy), and the key_protection output."""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.analyzers import unconditioned_wildcard_statements
from access.errors import ConfigError
from access.event_patterns import matches
from access.key_protection import ALARM_KINDS, ALARM_RULE_STATES, key_alarm_events, key_alarm_patterns
from access.kms_dynamodb import (
    KEY_ADMIN_ACTIONS,
    MAX_DELETION_WINDOW_DAYS,
    SID_ADMINISTRATION,
    SID_KEY_LOSS_PROTECTION,
    SID_LOCKOUT_BYPASS,
    SID_ROOT_DELEGATION,
)
from access.provider_types import EVENT_RULE, EVENT_TARGET, KMS_KEY, KMS_REPLICA_KEY, SNS_TOPIC, SNS_TOPIC_POLICY
from components import EncryptedTable
from components.key_alarms import (
    EVENTBRIDGE_SERVICE_PRINCIPAL,
    SID_EVENTBRIDGE_KEY_USE,
    SID_KEY_ALARM_RULES_PUBLISH,
    SID_TOPIC_OWNER,
    TOPIC_KEY_PUBLISH_ACTIONS,
    alarm_topic_policy,
)
from policy.policies import key_policy_violations
from sandbox.emulator.account import ACCOUNT_ID, REGION
from sandbox.harness import ISSUER_ARN, RecordedResource, RecordingMocks
from tests.conftest import policy_of, statement

REPLICAS = ["eu-west-1", "ap-southeast-2"]
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT_ID}:role/break-glass/KeyRecovery"
PROTECTED: dict[str, Any] = {"partition_key": "id", "key_loss_protection": True}


def build(args: dict[str, Any]) -> Any:
    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", {**PROTECTED, **args})
        return {"protection": table.key_protection, "admins": table.key_admin_arns, "key": table.key_arn}

    return program


def named(mocks: RecordingMocks, name: str) -> RecordedResource:
    (found,) = [r for r in mocks.resources if r.name == name]
    return found


def suffix(region: str) -> str:
    return "" if region == REGION else f"-{region}"


def test_every_key_region_gets_its_rules_targets_and_encrypted_topic(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build({"replica_regions": REPLICAS}))
    keys = {r.name: r for r in mocks.of_type(KMS_KEY)}
    assert len(mocks.of_type(EVENT_RULE)) == len(mocks.of_type(EVENT_TARGET)) == 3 * len(ALARM_KINDS)
    assert len(mocks.of_type(SNS_TOPIC)) == len(mocks.of_type(SNS_TOPIC_POLICY)) == 3
    for region in (REGION, *REPLICAS):
        end = suffix(region)
        key_arn = keys[f"orders-key{end}"].state["arn"]
        topic = named(mocks, f"orders-alarm-topic{end}")
        topic_key = named(mocks, f"orders-alarm-topic-key{end}")
        # The replicas' resources are placed as their key is: the `region` input; the table's region's are not.
        for resource in (topic, topic_key, named(mocks, f"orders-alarm-topic-policy{end}")):
            assert resource.inputs.get("region") == (None if region == REGION else region), resource.name
        assert key_arn.split(":")[3] == region
        assert topic.inputs["kmsMasterKeyId"] == topic_key.state["arn"]
        assert topic_key.inputs["enableKeyRotation"] is True
        assert topic_key.inputs["deletionWindowInDays"] == MAX_DELETION_WINDOW_DAYS
        rule_arns = []
        for kind in ALARM_KINDS:
            rule = named(mocks, f"orders-alarm-{kind}{end}")
            target = named(mocks, f"orders-alarm-{kind}-target{end}")
            pattern = json.loads(rule.inputs["eventPattern"])
            assert pattern == key_alarm_patterns(key_arn)[kind], rule.name
            assert rule.inputs["state"] == ALARM_RULE_STATES[kind]
            assert rule.inputs.get("region") == (None if region == REGION else region)
            # The rule sees every event it exists for, of this key, and none of another region's key.
            assert all(matches(pattern, event) for event in key_alarm_events(kind, key_arn)), rule.name
            other = keys[f"orders-key{suffix(REPLICAS[0] if region == REGION else REGION)}"].state["arn"]
            assert not any(matches(pattern, event) for event in key_alarm_events(kind, other)), rule.name
            assert (target.inputs["rule"], target.inputs["arn"]) == (rule.state["name"], topic.state["arn"])
            rule_arns.append(rule.state["arn"])
        # EventBridge may publish for these rules only; the owner account manages the topic.
        topic_policy = policy_of(named(mocks, f"orders-alarm-topic-policy{end}"))
        assert named(mocks, f"orders-alarm-topic-policy{end}").inputs["arn"] == topic.state["arn"]
        assert topic_policy == alarm_topic_policy(
            partition="aws", account_id=ACCOUNT_ID, topic_arn=topic.state["arn"], rule_arns=rule_arns
        )
        publish = statement(topic_policy, SID_KEY_ALARM_RULES_PUBLISH)
        assert publish["Principal"] == {"Service": EVENTBRIDGE_SERVICE_PRINCIPAL}
        assert publish["Condition"] == {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}}
        assert statement(topic_policy, SID_TOPIC_OWNER)["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
        assert unconditioned_wildcard_statements(topic_policy) == []
    summary = out["protection"]
    assert [a["region"] for a in summary["alarms"]] == [REGION, *REPLICAS]
    for alarms in summary["alarms"]:
        end = suffix(alarms["region"])
        assert alarms["key_arn"] == keys[f"orders-key{end}"].state["arn"]
        assert alarms["topic_arn"] == named(mocks, f"orders-alarm-topic{end}").state["arn"]
        assert alarms["rules"] == {k: named(mocks, f"orders-alarm-{k}{end}").state["name"] for k in ALARM_KINDS}


def test_the_topic_key_lets_eventbridge_publish_to_this_accounts_topics_only(
    mocks: RecordingMocks, resolve: Any
) -> None:
    resolve(build({"replica_regions": REPLICAS[:1]}))
    for region in (REGION, REPLICAS[0]):
        topic_key = policy_of(named(mocks, f"orders-alarm-topic-key{suffix(region)}"))
        use = statement(topic_key, SID_EVENTBRIDGE_KEY_USE)
        assert use == {
            "Sid": SID_EVENTBRIDGE_KEY_USE,
            "Effect": "Allow",
            "Principal": {"Service": EVENTBRIDGE_SERVICE_PRINCIPAL},
            "Action": list(TOPIC_KEY_PUBLISH_ACTIONS),
            "Resource": "*",
            "Condition": {
                "StringLike": {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{region}:{ACCOUNT_ID}:*"}
            },
        }
        assert statement(topic_key, SID_ROOT_DELEGATION)["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
        assert statement(topic_key, SID_ADMINISTRATION)["Action"] == list(KEY_ADMIN_ACTIONS)
        # Disabling the topic's key would silence the alarms: it is protected as the table's is.
        assert statement(topic_key, SID_KEY_LOSS_PROTECTION)["Effect"] == "Deny"
        assert key_policy_violations({"policy": json.dumps(topic_key)}) == []
    # The table's own keys stay DynamoDB-only: EventBridge is named in no table key policy.
    for name in ("orders-key", f"orders-key-{REPLICAS[0]}"):
        assert EVENTBRIDGE_SERVICE_PRINCIPAL not in json.dumps(policy_of(named(mocks, name)))


@pytest.mark.parametrize("multi_region", [False, True])
def test_every_regions_key_policy_denies_key_loss_but_to_break_glass(
    mocks: RecordingMocks, resolve: Any, multi_region: bool
) -> None:
    out = resolve(
        build({"replica_regions": REPLICAS, "multi_region_key": multi_region, "break_glass_principals": [BREAK_GLASS]})
    )
    keys = [*mocks.of_type(KMS_KEY), *mocks.of_type(KMS_REPLICA_KEY)]
    table_keys = [k for k in keys if not k.name.startswith("orders-alarm-")]
    assert len(table_keys) == 3
    assert {k.typ for k in table_keys} == ({KMS_KEY, KMS_REPLICA_KEY} if multi_region else {KMS_KEY})
    for key in keys:
        document = policy_of(key)
        deny = statement(document, SID_KEY_LOSS_PROTECTION)
        assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS}}, key.name
        assert statement(document, SID_LOCKOUT_BYPASS)["Effect"] == "Deny", key.name
        assert BREAK_GLASS in statement(document, SID_ADMINISTRATION)["Principal"]["AWS"], key.name
    assert out["protection"]["break_glass"] == [BREAK_GLASS]
    assert out["admins"] == [ISSUER_ARN, BREAK_GLASS]


def test_outputs_name_the_deployer_as_break_glass_by_default(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build({"break_glass_require_mfa": True, "deletion_window_days": 7}))
    protection = out["protection"]
    assert set(protection) == {"break_glass", "require_mfa", "deletion_window_days", "alarms"}
    assert (protection["break_glass"], protection["require_mfa"]) == ([ISSUER_ARN], True)
    assert protection["deletion_window_days"] == 7 == named(mocks, "orders-key").inputs["deletionWindowInDays"]
    (alarms,) = protection["alarms"]
    assert (alarms["region"], alarms["key_arn"]) == (REGION, out["key"])
    assert out["admins"] == [ISSUER_ARN]


def test_topics_the_user_passes_are_targeted_and_none_is_created(mocks: RecordingMocks, resolve: Any) -> None:
    topics = {r: f"arn:aws:sns:{r}:{ACCOUNT_ID}:security-alarms" for r in (REGION, *REPLICAS)}
    out = resolve(build({"replica_regions": REPLICAS, "alarm_topic_arns": topics}))
    assert not mocks.of_type(SNS_TOPIC)
    assert not mocks.of_type(SNS_TOPIC_POLICY)
    assert not [k for k in mocks.of_type(KMS_KEY) if k.name.startswith("orders-alarm-")]
    for region, topic in topics.items():
        for kind in ALARM_KINDS:
            assert named(mocks, f"orders-alarm-{kind}-target{suffix(region)}").inputs["arn"] == topic
    assert {a["region"]: a["topic_arn"] for a in out["protection"]["alarms"]} == topics


def test_off_creates_no_alarm_and_outputs_no_protection(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build({"key_loss_protection": False, "replica_regions": REPLICAS}))
    assert out["protection"] == {}
    for typ in (EVENT_RULE, EVENT_TARGET, SNS_TOPIC, SNS_TOPIC_POLICY):
        assert not mocks.of_type(typ), typ
    assert all(s["Effect"] == "Allow" for k in mocks.of_type(KMS_KEY) for s in policy_of(k)["Statement"])


def test_a_replica_with_a_provider_of_its_own_has_its_alarms_there(mocks: RecordingMocks, resolve: Any) -> None:
    import pulumi_aws as aws

    def program() -> dict[str, Any]:
        ireland = aws.Provider("ireland", region="eu-west-1")
        table = EncryptedTable(
            "orders", {**PROTECTED, "replica_regions": ["eu-west-1"]}, region_providers={"eu-west-1": ireland}
        )
        return {"protection": table.key_protection}

    out = resolve(program)
    key = named(mocks, "orders-key-eu-west-1")
    for name in ("orders-alarm-topic-eu-west-1", "orders-alarm-key-changes-eu-west-1"):
        resource = named(mocks, name)
        assert "region" not in resource.inputs, name
        assert resource.state["arn"].split(":")[3] == "eu-west-1"
    assert out["protection"]["alarms"][1]["key_arn"] == key.state["arn"]


def test_a_break_glass_principal_of_another_account_fails_the_deploy(mocks: RecordingMocks, resolve: Any) -> None:
    stranger = "arn:aws:iam::444455556666:role/KeyRecovery"
    # Known only at deploy: the key's policy (the first resource) fails, as the provider would see it.
    with pytest.raises(Exception, match=r"break_glass_principals\[0\]: .* not the table's \(123456789012\)"):
        resolve(build({"break_glass_principals": [stranger]}))


def test_bad_protection_input_fails_before_anything_is_created(mocks: RecordingMocks) -> None:
    with pytest.raises(ConfigError, match=r"^alarm_topic_arns: no topic for the key region\(s\) \['eu-west-1'\]"):
        EncryptedTable(
            "orders",
            {
                **PROTECTED,  # type: ignore[typeddict-item]
                "replica_regions": ["eu-west-1"],
                "alarm_topic_arns": {REGION: f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alarms"},
            },
        )
    assert mocks.resources == []
