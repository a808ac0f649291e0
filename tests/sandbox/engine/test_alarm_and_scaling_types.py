"""The resource types of issue 20 (key-loss alarms; provisioned global tables), planned, invented and called as
the real provider does them, without the emulator: EventBridge rule and target, SNS topic and topic policy,
Application Auto Scaling target and policy, DynamoDB table replica."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from access import provider_types
from access.key_protection import ALARM_KEY_CHANGES, key_alarm_patterns
from access.kms_dynamodb import SID_KEY_LOSS_PROTECTION
from sandbox.engine import Action, Deployed, InventedBackend, ResourceOperationError, Where, handler_for
from sandbox.engine.autoscaling import from_api, to_api
from sandbox.engine.backends import refused
from sandbox.engine.documents import event_pattern_state, policies_equivalent
from sandbox.engine.dynamodb import TableReplicaFacts, TableReplicaHandler
from sandbox.engine.events import EventRuleHandler, EventTargetHandler
from sandbox.engine.model import with_region
from sandbox.engine.plan import plan

ACCOUNT = "123456789012"
HOME, EU = "us-east-1", "eu-west-1"
WHERE = Where(ACCOUNT, HOME, "aws")
KEY_ARN = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TABLE_ARN = f"arn:aws:dynamodb:{HOME}:{ACCOUNT}:table/orders"
EU_KEY = f"arn:aws:kms:{EU}:{ACCOUNT}:key/1111"
TOPIC_ARN = f"arn:aws:sns:{HOME}:{ACCOUNT}:alarms"


def register(typ: str, inputs: dict[str, Any], name: str = "r") -> tuple[str, dict[str, Any]]:
    return InventedBackend().register(WHERE, f"urn:pulumi:dev::p::{typ}::{name}", typ, name, inputs)


def deployed(typ: str, inputs: dict[str, Any], facts: Any = None) -> Deployed:
    handler = handler_for(typ, "r")
    recorded = with_region(handler, handler.normalise(inputs), HOME)
    return Deployed(f"urn:pulumi:dev::p::{typ}::r", typ, "r", recorded, "id", dict(recorded), facts)


def step(typ: str, before: dict[str, Any], after: dict[str, Any]) -> Any:
    handler = handler_for(typ, "r")
    return plan(handler, deployed(typ, before), "r", with_region(handler, handler.normalise(after), HOME))


def publish_policy(*, reordered: bool = False) -> str:
    statements = [
        {
            "Sid": "EventBridgePublishes",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
        },
        {
            "Sid": "OwnerManages",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["sns:GetTopicAttributes", "sns:SetTopicAttributes"],
            "Resource": TOPIC_ARN,
        },
    ]
    if reordered:
        statements = [
            {**statements[1], "Action": ["sns:SetTopicAttributes", "sns:GetTopicAttributes"]},
            {**statements[0], "Action": ["sns:Publish"], "Principal": {"Service": ["events.amazonaws.com"]}},
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2 if reordered else None)


# -- documents ---------------------------------------------------------------------------------------


def test_an_event_pattern_is_recorded_as_the_provider_normalises_it() -> None:
    pattern = key_alarm_patterns(KEY_ARN)[ALARM_KEY_CHANGES]
    recorded = event_pattern_state(json.dumps(pattern, indent=4))
    assert recorded == json.dumps(pattern, sort_keys=True, separators=(",", ":"))
    assert event_pattern_state('{"b": [1], "a": ["<x>&"]}') == '{"a":["<x>&"],"b":[1]}', "no HTML escaping"
    assert event_pattern_state("not json") == "not json"


def test_a_reformatted_event_pattern_is_no_change_and_another_pattern_is_an_update() -> None:
    pattern = key_alarm_patterns(KEY_ARN)[ALARM_KEY_CHANGES]
    before = {"eventPattern": json.dumps(pattern), "state": "ENABLED"}
    reformatted = {"eventPattern": json.dumps(dict(reversed(pattern.items())), indent=2), "state": "ENABLED"}
    assert step(provider_types.EVENT_RULE, before, reformatted).action is Action.SAME
    other = {**before, "eventPattern": json.dumps({**pattern, "source": ["aws.dynamodb"]})}
    changed = step(provider_types.EVENT_RULE, before, other)
    assert (changed.action, changed.detail) == (Action.UPDATE, "eventPattern")
    _, state = register(provider_types.EVENT_RULE, reformatted)
    assert state["eventPattern"] == event_pattern_state(json.dumps(pattern))


def test_equivalent_policies_are_one_and_a_different_one_is_not() -> None:
    assert policies_equivalent(publish_policy(), publish_policy(reordered=True))
    assert policies_equivalent(
        '{"Statement": {"Effect": "Allow", "Principal": "*"}}',
        '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}}]}',
    )
    widened = json.loads(publish_policy())
    widened["Statement"][0]["Principal"] = "*"
    assert not policies_equivalent(publish_policy(), json.dumps(widened))
    assert not policies_equivalent(publish_policy(), publish_policy().replace("sns:Publish", "sns:Subscribe"))
    assert not policies_equivalent("not json", "not json ")


@pytest.mark.parametrize("typ", [provider_types.SNS_TOPIC_POLICY, provider_types.SNS_TOPIC])
def test_an_equivalent_topic_policy_is_kept_as_deployed_and_another_is_an_update(typ: str) -> None:
    before = (
        {"arn": TOPIC_ARN, "policy": publish_policy()}
        if typ == provider_types.SNS_TOPIC_POLICY
        else {"policy": publish_policy()}
    )
    same = step(typ, before, {**before, "policy": publish_policy(reordered=True)})
    assert same.action is Action.SAME
    assert same.inputs["policy"] == publish_policy(), "the deployed text stays in the state"
    assert "equivalent policy document" in same.detail
    other = step(typ, before, {**before, "policy": publish_policy().replace("sns:Publish", "sns:Subscribe")})
    assert (other.action, other.detail) == (Action.UPDATE, "policy")


# -- what replaces, what updates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typ", "before", "changed", "action"),
    [
        (provider_types.EVENT_RULE, {"name": "a", "state": "ENABLED"}, {"state": "DISABLED"}, Action.UPDATE),
        (provider_types.EVENT_RULE, {"name": "a", "state": "ENABLED"}, {"name": "b"}, Action.REPLACE),
        (provider_types.EVENT_RULE, {"name": "a"}, {"eventBusName": "audit"}, Action.REPLACE),
        (provider_types.EVENT_RULE, {"name": "a"}, {"tags": {"team": "sec"}}, Action.UPDATE),
        (provider_types.EVENT_RULE, {"name": "a"}, {"region": EU}, Action.REPLACE),
        (provider_types.EVENT_TARGET, {"rule": "a", "arn": TOPIC_ARN}, {"arn": TOPIC_ARN + "2"}, Action.UPDATE),
        (provider_types.EVENT_TARGET, {"rule": "a", "arn": TOPIC_ARN}, {"rule": "b"}, Action.REPLACE),
        (provider_types.EVENT_TARGET, {"rule": "a", "targetId": "x"}, {"targetId": "y"}, Action.REPLACE),
        (provider_types.SNS_TOPIC, {"name": "t"}, {"kmsMasterKeyId": KEY_ARN}, Action.UPDATE),
        (provider_types.SNS_TOPIC, {"name": "t"}, {"fifoTopic": True}, Action.REPLACE),
        (provider_types.SNS_TOPIC_POLICY, {"arn": TOPIC_ARN, "policy": "{}"}, {"arn": TOPIC_ARN + "2"}, Action.REPLACE),
        (
            provider_types.AUTOSCALING_TARGET,
            {"resourceId": "table/a", "minCapacity": 1.0},
            {"minCapacity": 2.0},
            Action.UPDATE,
        ),
        (provider_types.AUTOSCALING_TARGET, {"resourceId": "table/a"}, {"resourceId": "table/b"}, Action.REPLACE),
        (provider_types.AUTOSCALING_TARGET, {"scalableDimension": "d"}, {"scalableDimension": "e"}, Action.REPLACE),
        (
            provider_types.AUTOSCALING_POLICY,
            {"name": "p"},
            {"targetTrackingScalingPolicyConfiguration": {"targetValue": 50.0}},
            Action.UPDATE,
        ),
        (provider_types.AUTOSCALING_POLICY, {"name": "p"}, {"name": "q"}, Action.REPLACE),
        (
            provider_types.DYNAMODB_TABLE_REPLICA,
            {"globalTableArn": TABLE_ARN, "kmsKeyArn": EU_KEY},
            {"kmsKeyArn": EU_KEY + "2"},
            Action.REPLACE,
        ),
        (
            provider_types.DYNAMODB_TABLE_REPLICA,
            {"globalTableArn": TABLE_ARN},
            {"pointInTimeRecovery": True},
            Action.UPDATE,
        ),
        (
            provider_types.DYNAMODB_TABLE_REPLICA,
            {"globalTableArn": TABLE_ARN},
            {"deletionProtectionEnabled": True},
            Action.UPDATE,
        ),
        (
            provider_types.DYNAMODB_TABLE_REPLICA,
            {"globalTableArn": TABLE_ARN},
            {"region": "ap-southeast-2"},
            Action.REPLACE,
        ),
    ],
)
def test_each_input_replaces_or_updates_as_the_provider_does(
    typ: str, before: dict[str, Any], changed: dict[str, Any], action: Action
) -> None:
    assert step(typ, before, {**before, **changed}).action is action


# -- invented (plain mocks): what a preview shows ------------------------------------------------------


def test_an_invented_rule_and_target_name_the_rule_its_state_and_the_topic() -> None:
    rule_id, rule = register(
        provider_types.EVENT_RULE, {"state": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}, "alarm"
    )
    assert rule_id == rule["name"]
    assert rule["name"].startswith("alarm-")
    assert rule["arn"] == f"arn:aws:events:{HOME}:{ACCOUNT}:rule/{rule['name']}"
    assert (rule["state"], rule["isEnabled"], rule["eventBusName"]) == (
        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
        True,
        "default",
    )
    assert register(provider_types.EVENT_RULE, {"isEnabled": False})[1]["state"] == "DISABLED"
    assert register(provider_types.EVENT_RULE, {"name": "r", "eventBusName": "audit"})[1]["arn"].endswith(
        ":rule/audit/r"
    )
    target_id, target = register(provider_types.EVENT_TARGET, {"rule": rule["name"], "arn": TOPIC_ARN}, "to-topic")
    assert target["arn"] == TOPIC_ARN
    assert target_id == f"{rule['name']}-{target['targetId']}"
    assert register(provider_types.EVENT_TARGET, {"rule": "r", "targetId": "t"})[0] == "r-t"


def test_an_invented_topic_has_its_arn_owner_and_the_default_policy_until_one_is_given() -> None:
    topic_id, topic = register(provider_types.SNS_TOPIC, {"name": "alarms", "kmsMasterKeyId": KEY_ARN})
    assert topic_id == topic["arn"] == TOPIC_ARN
    assert (topic["owner"], topic["kmsMasterKeyId"]) == (ACCOUNT, KEY_ARN)
    default = json.loads(topic["policy"])
    assert default["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}
    assert (
        register(provider_types.SNS_TOPIC, {"name": "a", "policy": publish_policy()})[1]["policy"] == publish_policy()
    )
    assert register(provider_types.SNS_TOPIC, {"fifoTopic": True}, "f")[1]["name"].endswith(".fifo")
    policy_id, policy = register(provider_types.SNS_TOPIC_POLICY, {"arn": TOPIC_ARN, "policy": publish_policy()})
    assert (policy_id, policy["owner"]) == (TOPIC_ARN, ACCOUNT)


def test_invented_autoscaling_target_and_policy() -> None:
    keys = {
        "resourceId": "table/orders",
        "scalableDimension": "dynamodb:table:WriteCapacityUnits",
        "serviceNamespace": "dynamodb",
    }
    target_id, target = register(provider_types.AUTOSCALING_TARGET, {**keys, "minCapacity": 1.0, "maxCapacity": 10.0})
    assert target_id == "table/orders"
    assert target["arn"].startswith(f"arn:aws:application-autoscaling:{HOME}:{ACCOUNT}:scalable-target/")
    assert (target["minCapacity"], target["maxCapacity"]) == (1.0, 10.0)
    policy_id, policy = register(
        provider_types.AUTOSCALING_POLICY, {**keys, "name": "writes", "policyType": "TargetTrackingScaling"}
    )
    assert policy_id == "writes"
    assert policy["arn"].endswith(":resource/dynamodb/table/orders:policyName/writes")
    assert register(provider_types.AUTOSCALING_POLICY, {**keys, "name": "w"})[1]["policyType"] == "StepScaling"


def test_an_invented_table_replica_is_in_its_region_with_the_main_tables_name() -> None:
    replica_id, replica = register(
        provider_types.DYNAMODB_TABLE_REPLICA, {"globalTableArn": TABLE_ARN, "kmsKeyArn": EU_KEY, "region": EU}
    )
    assert replica_id == f"orders:{HOME}"
    assert replica["arn"] == f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/orders"
    assert (replica["kmsKeyArn"], replica["region"]) == (EU_KEY, EU)


# -- the calls, recorded -------------------------------------------------------------------------------


class Recorder:
    def __init__(self, cloud: RecordingCloud, service: str) -> None:
        self.cloud, self.service = cloud, service

    def __getattr__(self, operation: str) -> Any:
        def call(**args: Any) -> Any:
            self.cloud.calls.append((self.cloud.region, self.service, operation, args))
            if operation == "describe_table":
                arn = f"arn:aws:dynamodb:{self.cloud.region}:{ACCOUNT}:table/{args['TableName']}"
                return {"Table": {"TableArn": arn, "SSEDescription": {"KMSMasterKeyArn": EU_KEY}}}
            if operation == "create_key":
                return {"KeyMetadata": {"KeyId": "k1", "Arn": f"arn:aws:kms:{self.cloud.region}:{ACCOUNT}:key/k1"}}
            if operation == "put_rule":
                return {"RuleArn": f"arn:aws:events:{self.cloud.region}:{ACCOUNT}:rule/{args['Name']}"}
            return {}

        return call


class RecordingCloud:
    account_id = ACCOUNT

    def __init__(self, region: str = HOME, calls: list[Any] | None = None) -> None:
        self.region = region
        self.calls: list[tuple[str, str, str, dict[str, Any]]] = [] if calls is None else calls
        for service in ("kms", "dynamodb", "iam", "events", "sns", "autoscaling"):
            setattr(self, service, Recorder(self, service))

    def in_region(self, region: str) -> RecordingCloud:
        return RecordingCloud(region, self.calls)

    def autoname(self, name: str) -> str:
        return name


def test_a_table_replica_is_created_from_the_main_tables_region_with_its_own_key() -> None:
    cloud = RecordingCloud(EU)
    inputs = {"globalTableArn": TABLE_ARN, "kmsKeyArn": EU_KEY, "pointInTimeRecovery": True, "region": EU}
    facts = TableReplicaHandler().create("r", inputs, cloud)  # type: ignore[arg-type]
    create = {"Create": {"RegionName": EU, "KMSMasterKeyId": EU_KEY}}
    assert cloud.calls[0] == (HOME, "dynamodb", "update_table", {"TableName": "orders", "ReplicaUpdates": [create]})
    assert [(region, operation) for region, _, operation, _ in cloud.calls[1:]] == [
        (EU, "describe_table"),
        (EU, "update_continuous_backups"),
    ], "deletion protection and tags left at their defaults: no call"
    assert facts == TableReplicaFacts("orders", HOME, f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/orders", EU_KEY)
    TableReplicaHandler().delete(deployed(provider_types.DYNAMODB_TABLE_REPLICA, inputs, facts), cloud)  # type: ignore[arg-type]
    assert cloud.calls[-1] == (
        HOME,
        "dynamodb",
        "update_table",
        {"TableName": "orders", "ReplicaUpdates": [{"Delete": {"RegionName": EU}}]},
    )


def test_a_replica_in_the_main_tables_own_region_is_refused_before_any_call() -> None:
    cloud = RecordingCloud(HOME)
    handler = TableReplicaHandler()
    with (
        pytest.raises(
            ResourceOperationError, match=r"creating 'r' \(aws:dynamodb/tableReplica.*same region as main table"
        ),
        refused("creating", handler, "r"),
    ):
        handler.create("r", {"globalTableArn": TABLE_ARN}, cloud)  # type: ignore[arg-type]
    assert cloud.calls == []


def test_a_rule_is_put_with_its_state_and_pattern_and_a_target_with_the_topic() -> None:
    cloud = RecordingCloud()
    pattern = event_pattern_state(json.dumps(key_alarm_patterns(KEY_ARN)[ALARM_KEY_CHANGES]))
    EventRuleHandler().create(
        "alarm", {"name": "alarm", "eventPattern": pattern, "state": "ENABLED", "tags": {"a": "b"}}, cloud
    )  # type: ignore[arg-type]
    EventRuleHandler().create("quiet", {"name": "quiet", "eventPattern": pattern, "isEnabled": False}, cloud)  # type: ignore[arg-type]
    EventTargetHandler().create("t", {"rule": "alarm", "arn": TOPIC_ARN, "targetId": "topic"}, cloud)  # type: ignore[arg-type]
    puts = [args for _, _, operation, args in cloud.calls]
    assert puts[0] == {
        "Name": "alarm",
        "EventPattern": pattern,
        "State": "ENABLED",
        "Tags": [{"Key": "a", "Value": "b"}],
    }
    assert puts[1]["State"] == "DISABLED", "the deprecated isEnabled, when state is not given"
    assert puts[2] == {"Rule": "alarm", "Targets": [{"Id": "topic", "Arn": TOPIC_ARN}]}


def test_a_target_tracking_configuration_goes_to_the_api_and_comes_back_in_the_programs_shape() -> None:
    given = {
        "targetValue": 70.0,
        "scaleInCooldown": 60.0,
        "disableScaleIn": False,
        "predefinedMetricSpecification": {"predefinedMetricType": "DynamoDBWriteCapacityUtilization"},
    }
    api = to_api(given)
    assert api == {
        "TargetValue": 70,
        "ScaleInCooldown": 60,
        "DisableScaleIn": False,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
    }
    assert isinstance(api["ScaleInCooldown"], int), "an Integer in the API; the SDK gives a float"
    assert from_api({**api, "TargetValue": 70.0}) == given
    steps = {"stepAdjustments": [{"metricIntervalLowerBound": "0", "scalingAdjustment": 1.0}]}
    assert to_api(steps) == {"StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}
    assert from_api(to_api(steps))["stepAdjustments"][0]["metricIntervalLowerBound"] == "0.0"


# -- refusals ------------------------------------------------------------------------------------------


def test_a_refused_key_deletion_names_the_key_the_refusal_and_who_may_delete_it() -> None:
    denied = ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": "User: deployer is not authorized to perform: kms:ScheduleKeyDeletion with an explicit deny",
            }
        },
        "ScheduleKeyDeletion",
    )
    handler = handler_for(provider_types.KMS_KEY, "encrypted-key")
    with pytest.raises(ResourceOperationError) as stopped, refused("deleting", handler, "encrypted-key", "1234"):
        raise denied
    message = str(stopped.value)
    assert message.startswith("deleting 'encrypted-key' (aws:kms/key:Key, 1234): AccessDeniedException: User: deployer")
    assert SID_KEY_LOSS_PROTECTION in message
    assert "break-glass" in message
    assert stopped.value.code == "AccessDeniedException"
    other = handler_for(provider_types.SNS_TOPIC, "t")
    with pytest.raises(ResourceOperationError) as plain, refused("creating", other, "t"):
        raise ClientError({"Error": {"Code": "InvalidParameter", "Message": "bad"}}, "CreateTopic")
    assert str(plain.value) == "creating 't' (aws:sns/topic:Topic): InvalidParameter: bad"


@pytest.mark.parametrize(("bypass", "sent"), [(False, {}), (True, {"BypassPolicyLockoutSafetyCheck": True})])
def test_the_lockout_bypass_is_sent_only_when_true_as_the_provider_sends_it(bypass: bool, sent: dict[str, Any]) -> None:
    cloud = RecordingCloud()
    handler = handler_for(provider_types.KMS_KEY, "k")
    inputs = {"policy": "{}", "bypassPolicyLockoutSafetyCheck": bypass}
    handler.create("k", inputs, cloud)  # type: ignore[arg-type]
    _, service, operation, args = cloud.calls[0]
    assert (service, operation) == ("kms", "create_key")
    assert {k: v for k, v in args.items() if k == "BypassPolicyLockoutSafetyCheck"} == sent
