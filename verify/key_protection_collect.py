"""Collect, per key region: the alarm rules (DescribeRule, ListTargetsByRule) and their topic
(GetTopicAttributes), read with that region's clients, as records for the judges (key_protection.py).
The key policy the deny is judged on is the one the key checks already read (collect.collect_key).
No judgement here."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from verify.failures import error_code
from verify.inputs import KeyAlarms
from verify.key_protection import AlarmRecords, RuleRecord, TopicRecord

# The clients are typed Any: the project's boto3 stubs cover DynamoDB, KMS, IAM and STS only.
EventBridgeClient = Any
SNSClient = Any

# DescribeRule and ListTargetsByRule: "ResourceNotFoundException: An entity that you specified does not
# exist" (EventBridge API reference); GetTopicAttributes: "NotFound: Indicates that the requested resource
# does not exist" (SNS API reference).
RULE_NOT_FOUND = "ResourceNotFoundException"
TOPIC_NOT_FOUND = ("NotFound", "NotFoundException")


def collect_rule(events: EventBridgeClient, kind: str, name: str) -> RuleRecord:
    try:
        rule = events.describe_rule(Name=name)
        targets: list[str] = []
        paginator = events.get_paginator("list_targets_by_rule")
        for page in paginator.paginate(Rule=name):
            targets += [target["Arn"] for target in page.get("Targets", [])]
    except ClientError as error:
        if error_code(error) == RULE_NOT_FOUND:
            return RuleRecord(kind, name, exists=False)
        raise
    return RuleRecord(
        kind,
        name,
        exists=True,
        arn=rule.get("Arn", ""),
        state=rule.get("State", ""),
        event_pattern=rule.get("EventPattern", ""),
        target_arns=tuple(targets),
    )


def collect_topic(sns: SNSClient, topic_arn: str) -> TopicRecord:
    try:
        attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    except ClientError as error:
        if error_code(error) in TOPIC_NOT_FOUND:
            return TopicRecord(topic_arn, exists=False)
        raise
    return TopicRecord(
        topic_arn,
        exists=True,
        policy_text=attributes.get("Policy", ""),
        kms_master_key_id=attributes.get("KmsMasterKeyId", ""),
    )


def collect_alarms(events: EventBridgeClient, sns: SNSClient, alarms: KeyAlarms) -> AlarmRecords:
    """One key region's rules and topic, with clients of that region."""
    rules = tuple(collect_rule(events, kind, name) for kind, name in alarms.rules)
    return AlarmRecords(alarms, rules, collect_topic(sns, alarms.topic_arn))
