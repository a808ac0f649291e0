"""`pulumi up`, `pulumi refresh` and `pulumi destroy` of issue 20's resource types into the emulator: a key's
alarm (EventBridge rule and target, SNS topic and its policy), write auto scaling and a replica added to a
PROVISIONED table; created, kept, updated, replaced, deleted, and drift seen and put back."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from access import provider_types
from access.key_protection import (
    ALARM_KEY_CHANGES,
    ALARM_KINDS,
    ALARM_RULE_STATES,
    RULE_ENABLED,
    key_alarm_patterns,
)
from access.kms_dynamodb import GLOBAL_TABLE_WRITE_CAPACITY_ERROR
from sandbox.emulator.account import REGION as HOME
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, Change, EmulatorBackend, ResourceOperationError, Stack
from sandbox.engine.documents import event_pattern_state, policies_equivalent
from tests.sandbox.engine.programs import Program, deploy_program

pytestmark = pytest.mark.emulator

EU = "eu-west-1"
WRITE_CAPACITY = "dynamodb:table:WriteCapacityUnits"


def actions(changes: list[Change]) -> dict[str, Action]:
    return {c.name: c.action for c in changes}


def publish_policy(topic_arn: str) -> str:
    """EventBridge may publish to the topic; the account manages it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgePublishes",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                }
            ],
        }
    )


def alarm(*, state: str = RULE_ENABLED, rule_name: str = "key-changes", region: str | None = None) -> Program:
    """A key, a topic encrypted with it and open to EventBridge, and a rule sending the key's endangering calls
    to the topic: every resource in `region` (the stack's when None)."""
    where: dict[str, Any] = {"region": region} if region else {}

    def build() -> dict[str, Any]:
        key = aws.kms.Key("key", deletion_window_in_days=7, **where)
        topic = aws.sns.Topic("alarms", name="key-alarms", kms_master_key_id=key.arn, **where)
        aws.sns.TopicPolicy("alarms-policy", arn=topic.arn, policy=topic.arn.apply(publish_policy), **where)
        pattern = key.arn.apply(lambda arn: json.dumps(key_alarm_patterns(arn)[ALARM_KEY_CHANGES], indent=2))
        rule = aws.cloudwatch.EventRule("rule", name=rule_name, event_pattern=pattern, state=state, **where)
        target = aws.cloudwatch.EventTarget("to-topic", rule=rule.name, arn=topic.arn, **where)
        return {
            "key": key.arn,
            "topic": topic.arn,
            "rule": rule.name,
            "rule_arn": rule.arn,
            "state": rule.state,
            "pattern": rule.event_pattern,
            "target": target.target_id,
        }

    return build


def in_region(emulator: Emulator, service: Any, region: str = HOME) -> Any:
    return emulator.session().client(service, region_name=region, endpoint_url=emulator.endpoint_url)


def refresh(stack: Stack) -> dict[str, Change]:
    return {c.name: c for c in EmulatorBackend.for_stack(stack).refresh()}


def test_an_alarm_is_created_as_asked_and_a_second_up_changes_nothing(emulator: Emulator, stack: Stack) -> None:
    out, changes = deploy_program(stack, alarm())
    assert set(actions(changes).values()) == {Action.CREATE}
    events, sns = in_region(emulator, "events"), in_region(emulator, "sns")
    rule = events.describe_rule(Name=out["rule"])
    assert (rule["Arn"], rule["State"], out["state"]) == (out["rule_arn"], RULE_ENABLED, RULE_ENABLED)
    assert event_pattern_state(rule["EventPattern"]) == out["pattern"]
    assert json.loads(out["pattern"]) == key_alarm_patterns(out["key"])[ALARM_KEY_CHANGES]
    assert [(t["Id"], t["Arn"]) for t in events.list_targets_by_rule(Rule=out["rule"])["Targets"]] == [
        (out["target"], out["topic"])
    ]
    attributes = sns.get_topic_attributes(TopicArn=out["topic"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == out["key"]
    assert policies_equivalent(attributes["Policy"], publish_policy(out["topic"]))
    again = deploy_program(stack, alarm())
    assert again[0] == out
    assert set(actions(again[1]).values()) == {Action.SAME}


def test_a_rule_disabled_by_the_program_is_updated_in_place_and_a_new_name_replaces_it(
    emulator: Emulator, stack: Stack
) -> None:
    out, _ = deploy_program(stack, alarm())
    events = in_region(emulator, "events")
    disabled, changes = deploy_program(stack, alarm(state="DISABLED"))
    rule = next(c for c in changes if c.typ == provider_types.EVENT_RULE)
    assert (rule.action, rule.detail) == (Action.UPDATE, "state")
    assert disabled["rule_arn"] == out["rule_arn"]
    assert events.describe_rule(Name=out["rule"])["State"] == "DISABLED"

    renamed, changes = deploy_program(stack, alarm(state="DISABLED", rule_name="key-changes-2"))
    assert actions(changes)["rule"] is Action.REPLACE
    # A named rule is deleted before its replacement is made (its name is the user's), and its target,
    # whose rule is ForceNew, goes first and is made again: Pulumi's dependent replacement.
    assert actions(changes)["to-topic"] is Action.REPLACE
    names = [r["Name"] for r in events.list_rules()["Rules"]]
    assert names == ["key-changes-2"], "the old rule deleted, after its target"
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule="key-changes-2")["Targets"]] == [out["topic"]]
    assert renamed["topic"] == out["topic"]


def test_a_rule_disabled_or_deleted_out_of_band_is_seen_by_refresh_and_put_back_by_up(
    emulator: Emulator, stack: Stack
) -> None:
    out, _ = deploy_program(stack, alarm())
    events = in_region(emulator, "events")
    assert {c.action for c in refresh(stack).values()} == {Action.SAME}, "nothing changed yet"

    events.disable_rule(Name=out["rule"])
    seen = refresh(stack)
    assert (seen["rule"].action, seen["rule"].detail) == (Action.UPDATE, "changed out of band: state")
    assert {c.action for n, c in seen.items() if n != "rule"} == {Action.SAME}
    _, changes = deploy_program(stack, alarm())
    assert actions(changes)["rule"] is Action.UPDATE
    assert events.describe_rule(Name=out["rule"])["State"] == RULE_ENABLED

    events.remove_targets(Rule=out["rule"], Ids=[out["target"]])
    events.delete_rule(Name=out["rule"])
    seen = refresh(stack)
    assert (seen["rule"].action, seen["to-topic"].action) == (Action.DELETE, Action.DELETE)
    assert seen["rule"].detail == "deleted out of band"
    back, changes = deploy_program(stack, alarm())
    assert (actions(changes)["rule"], actions(changes)["to-topic"]) == (Action.CREATE, Action.CREATE)
    assert events.describe_rule(Name=out["rule"])["State"] == RULE_ENABLED
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=out["rule"])["Targets"]] == [out["topic"]]
    assert back["rule_arn"] == out["rule_arn"]


def test_a_target_pointed_elsewhere_or_a_topic_policy_changed_out_of_band_is_put_back(
    emulator: Emulator, stack: Stack
) -> None:
    out, _ = deploy_program(stack, alarm())
    events, sns = in_region(emulator, "events"), in_region(emulator, "sns")
    elsewhere = sns.create_topic(Name="somebody-elses")["TopicArn"]
    events.put_targets(Rule=out["rule"], Targets=[{"Id": out["target"], "Arn": elsewhere}])
    locked = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": out["topic"]}],
        }
    )
    sns.set_topic_attributes(TopicArn=out["topic"], AttributeName="Policy", AttributeValue=locked)

    seen = refresh(stack)
    assert (seen["to-topic"].action, seen["to-topic"].detail) == (Action.UPDATE, "changed out of band: arn")
    assert (seen["alarms-policy"].action, seen["alarms-policy"].detail) == (
        Action.UPDATE,
        "changed out of band: policy",
    )
    _, changes = deploy_program(stack, alarm())
    assert (actions(changes)["to-topic"], actions(changes)["alarms-policy"]) == (Action.UPDATE, Action.UPDATE)
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=out["rule"])["Targets"]] == [out["topic"]]
    policy = sns.get_topic_attributes(TopicArn=out["topic"])["Attributes"]["Policy"]
    assert policies_equivalent(policy, publish_policy(out["topic"]))


def test_an_equivalent_policy_written_out_of_band_is_no_drift(emulator: Emulator, stack: Stack) -> None:
    out, _ = deploy_program(stack, alarm())
    sns = in_region(emulator, "sns")
    rewritten = json.loads(publish_policy(out["topic"]))
    rewritten["Statement"][0]["Action"] = ["sns:Publish"]
    sns.set_topic_attributes(
        TopicArn=out["topic"], AttributeName="Policy", AttributeValue=json.dumps(rewritten, indent=1)
    )
    assert refresh(stack)["alarms-policy"].action is Action.SAME


def test_destroy_deletes_the_alarm_and_puts_the_topics_default_policy_back_first(
    emulator: Emulator, stack: Stack
) -> None:
    out, _ = deploy_program(stack, alarm())
    calls: list[str] = []
    backend = EmulatorBackend.for_stack(stack)
    sns = backend.cloud.sns
    sns.meta.events.register("before-call.sns.*", lambda model, **_: calls.append(model.name))
    changes = backend.destroy()
    assert {c.action for c in changes} == {Action.DELETE}
    order = [c.name for c in changes]
    assert sorted(order) == ["alarms", "alarms-policy", "key", "rule", "to-topic"]
    # Newest first: each before what it depends on.
    for dependent, on in [("to-topic", "rule"), ("to-topic", "alarms"), ("alarms-policy", "alarms"), ("alarms", "key")]:
        assert order.index(dependent) < order.index(on), (dependent, on)
    assert calls == ["SetTopicAttributes", "DeleteTopic"], "the default policy put back, then the topic deleted"
    assert stack.resources == {}
    assert in_region(emulator, "events").list_rules()["Rules"] == []
    assert in_region(emulator, "sns").list_topics()["Topics"] == []
    key = in_region(emulator, "kms").describe_key(KeyId=out["key"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"


def test_an_alarm_in_another_region_than_the_stacks_is_made_and_read_there(emulator: Emulator, stack: Stack) -> None:
    out, _ = deploy_program(stack, alarm(region=EU))
    assert {arn.split(":")[3] for arn in (out["key"], out["topic"], out["rule_arn"])} == {EU}
    events = in_region(emulator, "events", EU)
    assert events.describe_rule(Name=out["rule"])["State"] == RULE_ENABLED
    assert in_region(emulator, "events").list_rules()["Rules"] == [], "nothing in the stack's region"
    events.disable_rule(Name=out["rule"])
    assert refresh(stack)["rule"].action is Action.UPDATE, "read in its region"
    deploy_program(stack, alarm(region=EU))
    assert events.describe_rule(Name=out["rule"])["State"] == RULE_ENABLED


def test_each_alarm_kind_is_made_in_the_state_it_needs_with_its_pattern(emulator: Emulator, stack: Stack) -> None:
    def build() -> dict[str, Any]:
        key = aws.kms.Key("key", deletion_window_in_days=7)
        rules = {
            kind: aws.cloudwatch.EventRule(
                kind,
                event_pattern=key.arn.apply(lambda arn, kind=kind: json.dumps(key_alarm_patterns(arn)[kind])),
                state=ALARM_RULE_STATES[kind],
            )
            for kind in ALARM_KINDS
        }
        return {"key": key.arn, **{kind: rule.name for kind, rule in rules.items()}}

    out, _ = deploy_program(stack, build)
    events = in_region(emulator, "events")
    for kind in ALARM_KINDS:
        rule = events.describe_rule(Name=out[kind])
        assert rule["State"] == ALARM_RULE_STATES[kind], kind
        assert json.loads(rule["EventPattern"]) == key_alarm_patterns(out["key"])[kind], kind
    assert {c.action for c in deploy_program(stack, build)[1]} == {Action.SAME}


# -- write auto scaling, and a replica added to a PROVISIONED table ---------------------------------------


def provisioned_global_table(*, scaled: bool = True, max_capacity: float = 10, replica: bool = True) -> Program:
    """A PROVISIONED table, its write capacity auto scaled (target and target-tracking policy), then a replica
    in EU with EU's own key, made by a TableReplica after the scaling exists."""

    def build() -> dict[str, Any]:
        eu_key = aws.kms.Key("eu-key", deletion_window_in_days=7, region=EU)
        table = aws.dynamodb.Table(
            "table",
            attributes=[{"name": "id", "type": "S"}],
            hash_key="id",
            billing_mode="PROVISIONED",
            read_capacity=5,
            write_capacity=5,
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
        )
        after: list[pulumi.Resource] = [table]
        out: dict[str, Any] = {"table": table.name, "table_arn": table.arn, "eu_key": eu_key.arn}
        if scaled:
            target = aws.appautoscaling.Target(
                "writes",
                resource_id=table.name.apply(lambda name: f"table/{name}"),
                scalable_dimension=WRITE_CAPACITY,
                service_namespace="dynamodb",
                min_capacity=5,
                max_capacity=max_capacity,
            )
            policy = aws.appautoscaling.Policy(
                "writes-policy",
                name="writes",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                service_namespace=target.service_namespace,
                policy_type="TargetTrackingScaling",
                target_tracking_scaling_policy_configuration={
                    "target_value": 70,
                    "predefined_metric_specification": {"predefined_metric_type": "DynamoDBWriteCapacityUtilization"},
                },
            )
            after = [target, policy]
            out.update(target=target.arn, policy=policy.arn)
        if replica:
            made = aws.dynamodb.TableReplica(
                "replica",
                global_table_arn=table.arn,
                kms_key_arn=eu_key.arn,
                region=EU,
                opts=pulumi.ResourceOptions(depends_on=after),
            )
            out.update(replica=made.arn, replica_key=made.kms_key_arn)
        return out

    return build


def scalable_targets(emulator: Emulator, region: str = HOME) -> dict[str, tuple[int, int]]:
    found = in_region(emulator, "application-autoscaling", region).describe_scalable_targets(
        ServiceNamespace="dynamodb"
    )
    return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found["ScalableTargets"]}


def test_write_auto_scaling_then_a_replica_with_its_regions_key(emulator: Emulator, stack: Stack) -> None:
    out, changes = deploy_program(stack, provisioned_global_table())
    assert set(actions(changes).values()) == {Action.CREATE}
    assert scalable_targets(emulator) == {f"table/{out['table']}": (5, 10)}
    policies = in_region(emulator, "application-autoscaling").describe_scaling_policies(ServiceNamespace="dynamodb")
    assert [p["PolicyARN"] for p in policies["ScalingPolicies"]] == [out["policy"]]
    assert out["replica"] == out["table_arn"].replace(f":{HOME}:", f":{EU}:")
    assert out["replica_key"] == out["eu_key"]
    there = in_region(emulator, "dynamodb", EU).describe_table(TableName=out["table"])["Table"]
    assert there["SSEDescription"]["KMSMasterKeyArn"] == out["eu_key"]
    home = in_region(emulator, "dynamodb").describe_table(TableName=out["table"])["Table"]
    assert [r["RegionName"] for r in home["Replicas"]] == [EU]

    _, changes = deploy_program(stack, provisioned_global_table(max_capacity=20))
    assert actions(changes)["writes"] is Action.UPDATE
    assert {a for n, a in actions(changes).items() if n != "writes"} == {Action.SAME}
    assert scalable_targets(emulator) == {f"table/{out['table']}": (5, 20)}


def test_scaling_changed_or_removed_out_of_band_is_seen_and_put_back(emulator: Emulator, stack: Stack) -> None:
    out, _ = deploy_program(stack, provisioned_global_table(replica=False))
    scaling = in_region(emulator, "application-autoscaling")
    resource = f"table/{out['table']}"
    scaling.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=WRITE_CAPACITY, MinCapacity=1, MaxCapacity=2
    )
    seen = refresh(stack)
    assert (seen["writes"].action, seen["writes"].detail) == (
        Action.UPDATE,
        "changed out of band: maxCapacity, minCapacity",
    )
    assert seen["writes-policy"].action is Action.SAME
    deploy_program(stack, provisioned_global_table(replica=False))
    assert scalable_targets(emulator) == {resource: (5, 10)}

    scaling.delete_scaling_policy(
        PolicyName="writes", ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=WRITE_CAPACITY
    )
    assert refresh(stack)["writes-policy"].action is Action.DELETE
    _, changes = deploy_program(stack, provisioned_global_table(replica=False))
    assert actions(changes)["writes-policy"] is Action.CREATE
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["writes"]


def test_a_replica_removed_out_of_band_is_seen_and_made_again(emulator: Emulator, stack: Stack) -> None:
    out, _ = deploy_program(stack, provisioned_global_table())
    home = in_region(emulator, "dynamodb")
    home.update_table(TableName=out["table"], ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    seen = refresh(stack)
    assert (seen["replica"].action, seen["replica"].detail) == (Action.DELETE, "deleted out of band")
    _, changes = deploy_program(stack, provisioned_global_table())
    assert actions(changes)["replica"] is Action.CREATE
    assert [r["RegionName"] for r in home.describe_table(TableName=out["table"])["Table"]["Replicas"]] == [EU]


def test_a_replica_the_program_drops_is_deleted_from_the_main_tables_region(emulator: Emulator, stack: Stack) -> None:
    out, _ = deploy_program(stack, provisioned_global_table())
    _, changes = deploy_program(stack, provisioned_global_table(replica=False))
    assert actions(changes)["replica"] is Action.DELETE
    home = in_region(emulator, "dynamodb").describe_table(TableName=out["table"])["Table"]
    assert not home.get("Replicas")
    assert out["table"] not in in_region(emulator, "dynamodb", EU).list_tables()["TableNames"]


def test_a_replica_of_a_provisioned_table_without_write_auto_scaling_fails_with_awss_message(
    emulator: Emulator, stack: Stack
) -> None:
    with pytest.raises(
        Exception,
        match=r"creating 'replica' \(aws:dynamodb/tableReplica:TableReplica\): ValidationException: "
        + re.escape(GLOBAL_TABLE_WRITE_CAPACITY_ERROR),
    ) as stopped:
        deploy_program(stack, provisioned_global_table(scaled=False))
    assert "Traceback" not in str(stopped.value)
    names = {d.name for d in stack.resources.values()}
    assert "replica" not in names, "a failed create leaves nothing in the state"
    assert {"table", "eu-key"} <= names


def protected_key_policy(account: str) -> str:
    """The account's IAM decides, but nobody other than a break-glass role may schedule the key's deletion."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Root",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "DenyKeyLossExceptBreakGlass",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
                    "Resource": "*",
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/break-glass"}},
                },
            ],
        }
    )


def protected_key(policy: str, region: str | None = None) -> Program:
    def build() -> dict[str, Any]:
        where = {"region": region} if region else {}
        return {"key": aws.kms.Key("protected", policy=policy, deletion_window_in_days=30, **where).arn}

    return build


def test_a_replaced_key_kms_refuses_to_delete_waits_as_pending_and_goes_when_allowed(
    emulator: Emulator, stack: Stack
) -> None:
    account = EmulatorBackend.for_stack(stack).cloud.account_id
    policy = protected_key_policy(account)
    first, _ = deploy_program(stack, protected_key(policy))
    with pytest.raises(Exception, match=r"deleting 'protected' \(aws:kms/key:Key, .*AccessDeniedException"):
        deploy_program(stack, protected_key(policy, region=EU))
    assert [d.inputs["region"] for d in stack.resources.values()] == [EU], "the replacement is made"
    assert [d.state["arn"] for d in stack.pending_deletes] == [first["key"]], "the old key waits"

    kms = in_region(emulator, "kms")
    open_policy = json.loads(policy)
    open_policy["Statement"] = open_policy["Statement"][:1]
    kms.put_key_policy(KeyId=first["key"], PolicyName="default", Policy=json.dumps(open_policy))
    _, changes = deploy_program(stack, protected_key(policy, region=EU))
    old_id = first["key"].rsplit("/", 1)[1]
    assert [(c.action, c.detail) for c in changes] == [
        (Action.SAME, ""),
        (Action.DELETE, f"replaced earlier ({old_id})"),
    ]
    assert stack.pending_deletes == []
    assert kms.describe_key(KeyId=first["key"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_a_key_whose_deletion_the_key_policy_denies_the_deployer_stops_destroy_and_says_who_may(
    emulator: Emulator, stack: Stack
) -> None:
    account = EmulatorBackend.for_stack(stack).cloud.account_id
    out, _ = deploy_program(stack, protected_key(protected_key_policy(account)))
    with pytest.raises(ResourceOperationError) as stopped:
        EmulatorBackend.for_stack(stack).destroy()
    refusal = stopped.value
    assert (refusal.operation, refusal.typ, refusal.code) == (
        "deleting",
        provider_types.KMS_KEY,
        "AccessDeniedException",
    )
    assert "kms:ScheduleKeyDeletion" in refusal.message
    assert "break-glass" in str(refusal)
    assert [d.name for d in stack.resources.values()] == ["protected"], "the key stays in the state"
    key = in_region(emulator, "kms").describe_key(KeyId=out["key"])["KeyMetadata"]
    assert key["KeyState"] == "Enabled"
