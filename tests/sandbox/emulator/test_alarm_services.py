"""Issue 20: EventBridge, SNS and Application Auto Scaling served, as the key-loss alarms and provisioned global
tables use them: created, read back as given, changed by drift, in every region of the emulator, and still
refused to a caller whose identity policies do not allow them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from access.key_protection import ALARM_KINDS, ALARM_RULE_STATES, RULE_ENABLED, key_alarm_patterns
from sandbox.emulator.server import CLIENT_CONFIG, Emulator
from tests.sandbox.emulator.test_bypasses import scoped_user

pytestmark = pytest.mark.emulator

OTHER_REGION = "eu-west-1"


def regional(emulator: Emulator, service: str, region: str) -> Any:
    return emulator.session().client(  # type: ignore[call-overload]
        service, region_name=region, endpoint_url=emulator.endpoint_url, config=CLIENT_CONFIG
    )


def topic_policy(topic_arn: str) -> str:
    statement = {
        "Sid": "EventBridgePublishes",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize("region", [None, OTHER_REGION])
def test_the_alarm_rules_and_their_topic_round_trip_and_drift(emulator: Emulator, region: str | None) -> None:
    where = region or emulator.region
    kms, events, sns = (regional(emulator, s, where) for s in ("kms", "events", "sns"))
    key = kms.create_key()["KeyMetadata"]["Arn"]
    topic = sns.create_topic(Name="key-alarms", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=topic_policy(topic))
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == key
    assert json.loads(attributes["Policy"]) == json.loads(topic_policy(topic))

    patterns = key_alarm_patterns(key)
    for kind in ALARM_KINDS:
        pattern = json.dumps(patterns[kind])
        events.put_rule(Name=f"alarm-{kind}", EventPattern=pattern, State=ALARM_RULE_STATES[kind])
        assert (
            events.put_targets(Rule=f"alarm-{kind}", Targets=[{"Id": "topic", "Arn": topic}])["FailedEntryCount"] == 0
        )
        described = events.describe_rule(Name=f"alarm-{kind}")
        # The state EventBridge needs to deliver read-only management events is kept as given.
        assert described["State"] == ALARM_RULE_STATES[kind]
        assert json.loads(described["EventPattern"]) == patterns[kind]
        assert described["Arn"].startswith(f"arn:aws:events:{where}:")
        assert events.list_targets_by_rule(Rule=f"alarm-{kind}")["Targets"] == [{"Id": "topic", "Arn": topic}]

    # Drift: a rule disabled, another deleted.
    events.disable_rule(Name=f"alarm-{ALARM_KINDS[0]}")
    assert events.describe_rule(Name=f"alarm-{ALARM_KINDS[0]}")["State"] == "DISABLED"
    events.enable_rule(Name=f"alarm-{ALARM_KINDS[0]}")
    assert events.describe_rule(Name=f"alarm-{ALARM_KINDS[0]}")["State"] == RULE_ENABLED
    events.remove_targets(Rule=f"alarm-{ALARM_KINDS[1]}", Ids=["topic"])
    events.delete_rule(Name=f"alarm-{ALARM_KINDS[1]}")
    with pytest.raises(ClientError) as gone:
        events.describe_rule(Name=f"alarm-{ALARM_KINDS[1]}")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert sorted(r["Name"] for r in events.list_rules()["Rules"]) == sorted(
        f"alarm-{k}" for k in ALARM_KINDS if k != ALARM_KINDS[1]
    )


def test_write_auto_scaling_of_a_table_and_an_index_is_registered_and_read_back(emulator: Emulator) -> None:
    scaling = emulator.client("application-autoscaling")
    for resource, dimension in (
        ("table/orders", "dynamodb:table:WriteCapacityUnits"),
        ("table/orders/index/byCustomer", "dynamodb:index:WriteCapacityUnits"),
    ):
        scaling.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId=resource,
            ScalableDimension=dimension,
            MinCapacity=1,
            MaxCapacity=10,
        )
        scaling.put_scaling_policy(
            PolicyName=f"{resource}-write",
            ServiceNamespace="dynamodb",
            ResourceId=resource,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
            },
        )
    targets = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    assert sorted((t["ResourceId"], t["ScalableDimension"], t["MaxCapacity"]) for t in targets) == [
        ("table/orders", "dynamodb:table:WriteCapacityUnits", 10),
        ("table/orders/index/byCustomer", "dynamodb:index:WriteCapacityUnits", 10),
    ]
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb", ResourceId="table/orders")
    assert [p["PolicyName"] for p in policies["ScalingPolicies"]] == ["table/orders-write"]
    # Per region: nothing registered in another one.
    other = regional(emulator, "application-autoscaling", OTHER_REGION)
    assert other.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"] == []


def scoped_clients(emulator: Emulator, statements: list[dict[str, Any]], *services: str) -> list[Any]:
    """Clients of these services as a user holding only these statements."""
    user = scoped_user(emulator, statements)
    session = boto3.session.Session(user.access_key, user.secret_key, region_name=emulator.region)
    return [
        session.client(service, endpoint_url=emulator.endpoint_url, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        for service in services
    ]


def refusal(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    response = refused.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_a_policy_scoped_to_a_rule_and_a_topic_reads_them_and_nothing_else(emulator: Emulator) -> None:
    """The verifier's least privilege names its rules' and topic's ARNs: the ARNs the calls are judged on."""
    events, sns = emulator.client("events"), emulator.client("sns")
    pattern = json.dumps({"source": ["aws.kms"]})
    rule = events.put_rule(Name="watched", EventPattern=pattern)["RuleArn"]
    events.put_rule(Name="other", EventPattern=pattern)
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    other_topic = sns.create_topic(Name="other")["TopicArn"]
    statements = [
        {"Effect": "Allow", "Action": ["events:DescribeRule", "events:ListTargetsByRule"], "Resource": rule},
        {"Effect": "Allow", "Action": "sns:GetTopicAttributes", "Resource": topic},
    ]
    reader, topics = scoped_clients(emulator, statements, "events", "sns")
    assert reader.describe_rule(Name="watched")["Arn"] == rule
    assert reader.list_targets_by_rule(Rule="watched")["Targets"] == []
    status, code, message = refusal(lambda: reader.describe_rule(Name="other"))
    assert (status, code) == (400, "AccessDeniedException")
    assert message.endswith(
        f"events:DescribeRule on resource: {rule.replace('watched', 'other')} "
        "because no identity-based policy allows the events:DescribeRule action"
    )
    assert refusal(lambda: reader.disable_rule(Name="watched"))[:2] == (400, "AccessDeniedException")
    assert topics.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic
    status, code, message = refusal(lambda: topics.get_topic_attributes(TopicArn=other_topic))
    assert (status, code) == (403, "AuthorizationError")  # SNS's name for it
    assert f"on resource: {other_topic}" in message


def test_a_caller_without_the_rights_is_refused_these_services(emulator: Emulator) -> None:
    allowed = [{"Effect": "Allow", "Action": "events:DescribeRule", "Resource": "*"}]
    events, sns, scaling = scoped_clients(emulator, allowed, "events", "sns", "application-autoscaling")
    for service, call, expected in (
        ("events", lambda: events.put_rule(Name="r", EventPattern=json.dumps({"source": ["aws.kms"]})), 400),
        ("sns", lambda: sns.create_topic(Name="t"), 403),
        ("application-autoscaling", lambda: scaling.describe_scalable_targets(ServiceNamespace="dynamodb"), 400),
    ):
        status, code, message = refusal(call)
        assert (status, code) == (expected, "AuthorizationError" if service == "sns" else "AccessDeniedException")
        assert message.startswith("User: arn:aws:iam::123456789012:user/scoped is not authorized to perform: ")
