"""Key-loss alarms (issue 20): in every key region, an EventBridge rule per alarm kind on the events that
endanger that region's key, each targeting an SNS topic: the one the user passes for the region, or one this
module creates, encrypted with a key of its own.

The rules' event patterns and states are the access core's (access.key_protection: ALARM_KINDS,
key_alarm_patterns, ALARM_RULE_STATES), so the verifier checks the live rules against the same facts.
The documents are plain functions; `region_alarms` is the thin Pulumi wiring around them.

Sources:
- An encrypted topic an AWS service publishes to needs a customer managed key whose policy lets the service
  call kms:GenerateDataKey* and kms:Decrypt: "Several AWS services publish events to Amazon SNS topics. To
  allow these event sources to work with encrypted topics, you must perform the following steps. 1. Use a
  customer managed key ... 2. To allow the AWS service to have the kms:GenerateDataKey* and kms:Decrypt
  permissions, add the following statement to the KMS policy" (https://docs.aws.amazon.com/sns/latest/dg/
  sns-key-management.html#compatibility-with-aws-services): the AWS managed key alias/aws/sns cannot be
  given that statement. The table's key stays DynamoDB-only: the topic gets a key of its own.
- EventBridge publishes to a topic under the topic's resource policy (https://docs.aws.amazon.com/
  eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions), and against the confused
  deputy "For EventBridge event bus rule targets, the value of aws:SourceArn must be the rule ARN"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from access.arns import account_root_arn
from access.documents import POLICY_VERSION
from access.key_protection import ALARM_KINDS, ALARM_RULE_STATES, key_alarm_patterns
from access.kms_dynamodb import KEY_SPEC, KEY_USAGE
from components.policy_builders import build_key_policy
from components.validation import KeyProtectionSpec

EVENTBRIDGE_SERVICE_PRINCIPAL = "events.amazonaws.com"
SID_TOPIC_OWNER = "TopicOwner"
SID_KEY_ALARM_RULES_PUBLISH = "KeyAlarmRulesPublish"
SID_EVENTBRIDGE_KEY_USE = "EventBridgeEncryptsKeyAlarms"
# What the account (through its IAM policies) may do on the topic: the actions of the policy SNS gives a new
# topic (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html), to the account's root
# rather than to "*" conditioned on AWS:SourceOwner, so that the policy names its principals.
TOPIC_OWNER_ACTIONS: tuple[str, ...] = (
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:Publish",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
)
# The publisher's key rights on an encrypted topic (sns-key-management.html, above).
TOPIC_KEY_PUBLISH_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey*", "kms:Decrypt")
TOPIC_KEY_DESCRIPTION = "Customer-managed key of the key-loss alarm topic of an encrypted DynamoDB table"


# The encryption context SNS sends to KMS for a message of an encrypted topic: the topic's ARN. AWS's own
# statements for a service publishing to an encrypted topic scope the service principal with it (and
# aws:SourceArn), not with kms:ViaService, which KMS sets for a service acting for an IAM principal
# (https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html; the SNS
# guide's compatibility statement, sns-key-management.html, has no condition at all).
SNS_TOPIC_CONTEXT_KEY = "kms:EncryptionContext:aws:sns:topicArn"


def topics_of(partition: str, region: str, account_id: str) -> str:
    """The ARN pattern of every SNS topic of this account in this region."""
    return f"arn:{partition}:sns:{region}:{account_id}:*"


def alarm_topic_key_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    admin_arns: Sequence[str],
    deployer_arn: str,
    protection: KeyProtectionSpec,
) -> dict[str, Any]:
    """The policy of an alarm topic's key: the root delegation, the table key's administrators (and its key-loss
    protection: disabling this key would silence the alarms), and EventBridge's publishing rights for messages of
    this account's topics in this region only (SNS_TOPIC_CONTEXT_KEY)."""
    policy = build_key_policy(
        partition=partition,
        account_id=account_id,
        region=region,
        admin_arns=admin_arns,
        key_user_arns=(),
        allow_iam_policies=True,
        deployer_arn=deployer_arn,
        key_loss_protection=protection,
    )
    policy["Statement"].append(
        {
            "Sid": SID_EVENTBRIDGE_KEY_USE,
            "Effect": "Allow",
            "Principal": {"Service": EVENTBRIDGE_SERVICE_PRINCIPAL},
            "Action": list(TOPIC_KEY_PUBLISH_ACTIONS),
            "Resource": "*",
            # SNS encrypts each message with the topic's ARN as encryption context: scoped to this account's
            # topics in this region (the topic's own ARN is not known before its key).
            "Condition": {"StringLike": {SNS_TOPIC_CONTEXT_KEY: topics_of(partition, region, account_id)}},
        }
    )
    return policy


def alarm_topic_policy(*, partition: str, account_id: str, topic_arn: str, rule_arns: Sequence[str]) -> dict[str, Any]:
    """The policy of a topic this module creates: the owner account manages it (no wildcard principal), and
    EventBridge may publish to it for these rules only (aws:SourceArn, the confused-deputy guidance)."""
    rules = sorted(set(rule_arns))
    if not rules:
        raise ValueError("an alarm topic policy needs the ARNs of the rules that publish to it")
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": SID_TOPIC_OWNER,
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn(partition, account_id)},
                "Action": list(TOPIC_OWNER_ACTIONS),
                "Resource": topic_arn,
            },
            {
                "Sid": SID_KEY_ALARM_RULES_PUBLISH,
                "Effect": "Allow",
                "Principal": {"Service": EVENTBRIDGE_SERVICE_PRINCIPAL},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rules[0] if len(rules) == 1 else rules}},
            },
        ],
    }


def alarm_rule_pattern(kind: str, key_arn: str) -> str:
    """The event pattern (JSON) of the rule of this kind for this key."""
    return json.dumps(key_alarm_patterns(key_arn)[kind])


# -- the resources of one key region ----------------------------------------------------------------


@dataclass(frozen=True)
class RegionAlarms:
    """The alarms of one key region: a rule and a target per kind, and the topic they publish to (with its key
    and policy when this module created it)."""

    region: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    rules: Mapping[str, aws.cloudwatch.EventRule]
    targets: Mapping[str, aws.cloudwatch.EventTarget]
    topic_key: aws.kms.Key | None = None
    topic: aws.sns.Topic | None = None
    topic_policy: aws.sns.TopicPolicy | None = None

    def summary(self) -> pulumi.Output[dict[str, Any]]:
        """{region, key_arn, topic_arn, rules: {kind: rule name}}: one `alarms` entry of key_protection."""
        names = {kind: rule.name for kind, rule in self.rules.items()}
        return pulumi.Output.all(self.region, self.key_arn, self.topic_arn, pulumi.Output.all(**names)).apply(
            lambda values: {"region": values[0], "key_arn": values[1], "topic_arn": values[2], "rules": dict(values[3])}
        )


def region_alarms(
    name: str,
    *,
    suffix: str,
    region: pulumi.Input[str],
    region_argument: str | None,
    key_arn: pulumi.Output[str],
    topic_arn: str | None,
    topic_key_policy: pulumi.Output[str],
    partition: pulumi.Output[str],
    account_id: pulumi.Output[str],
    deletion_window_days: int,
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None,
    opts: pulumi.ResourceOptions,
) -> RegionAlarms:
    """The alarms of the key `key_arn` in `region`: the user's topic_arn, or a topic (and its key and policy)
    created here. region_argument: the resources' `region` input (None: the provider's region), as the
    component places that region's key. Resource names end in `suffix` ("" for the table's region)."""
    topic_key = topic = topic_policy = None
    if topic_arn is None:
        topic_key = aws.kms.Key(
            f"{name}-alarm-topic-key{suffix}",
            description=TOPIC_KEY_DESCRIPTION,
            customer_master_key_spec=KEY_SPEC,
            key_usage=KEY_USAGE,
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=topic_key_policy,
            tags=tags,
            region=region_argument,
            opts=opts,
        )
        topic = aws.sns.Topic(
            f"{name}-alarm-topic{suffix}",
            kms_master_key_id=topic_key.arn,
            tags=tags,
            region=region_argument,
            opts=opts,
        )
        target_arn: pulumi.Output[str] = topic.arn
    else:
        target_arn = pulumi.Output.from_input(topic_arn)
    rules = {
        kind: aws.cloudwatch.EventRule(
            f"{name}-alarm-{kind}{suffix}",
            description=f"Key-loss alarm ({kind}) of an encrypted DynamoDB table's key",
            event_pattern=key_arn.apply(functools.partial(alarm_rule_pattern, kind)),
            state=ALARM_RULE_STATES[kind],
            tags=tags,
            region=region_argument,
            opts=opts,
        )
        for kind in ALARM_KINDS
    }
    after: list[pulumi.Resource] = []
    if topic is not None:

        def topic_policy_json(values: list[Any]) -> str:
            return json.dumps(
                alarm_topic_policy(partition=values[0], account_id=values[1], topic_arn=values[2], rule_arns=values[3:])
            )

        topic_policy = aws.sns.TopicPolicy(
            f"{name}-alarm-topic-policy{suffix}",
            arn=topic.arn,
            policy=pulumi.Output.all(partition, account_id, topic.arn, *(r.arn for r in rules.values())).apply(
                topic_policy_json
            ),
            region=region_argument,
            opts=opts,
        )
        after.append(topic_policy)
    # A target of a topic made here waits for the policy that lets its rule publish.
    targets = {
        kind: aws.cloudwatch.EventTarget(
            f"{name}-alarm-{kind}-target{suffix}",
            rule=rule.name,
            arn=target_arn,
            region=region_argument,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=after)) if after else opts,
        )
        for kind, rule in rules.items()
    }
    return RegionAlarms(
        region=pulumi.Output.from_input(region),
        key_arn=key_arn,
        topic_arn=target_arn,
        rules=rules,
        targets=targets,
        topic_key=topic_key,
        topic=topic,
        topic_policy=topic_policy,
    )
