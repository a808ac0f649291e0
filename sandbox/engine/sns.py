"""SNS: a topic and its policy, each in its region (the key-loss alarms' topic, issue 20).

As terraform-provider-aws internal/service/sns/topic.go and topic_policy.go make them
(@ 00a35305dc1b297a6fcdecdfbba33f1e63c3da39):
- a topic: CreateTopic with its name and tags (and FifoTopic, which only CreateTopic takes), then
  SetTopicAttributes for each attribute given; Update sets each changed attribute, tags by
  TagResource and UntagResource; DeleteTopic on delete (a topic already gone is no error); its id is
  its ARN. Its `policy` is Optional and Computed: unset, the state holds the policy SNS gave it;
- a topic policy: SetTopicAttributes Policy on create and update; on delete the default policy is
  put back (topic_policy.go defaultTopicPolicy: "It is impossible to delete a policy or set to empty");
  its id is the topic's ARN.
Policies are compared as documents (engine.documents.policies_equivalent): an equivalent text is no change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from access import provider_types
from sandbox.engine.documents import policies_equivalent
from sandbox.engine.model import Cloud, Deployed, Handler, Inputs, Where, physical_name, tag_change, tag_list

NOT_FOUND = "NotFound"  # SNS's error code for a topic that does not exist (NotFoundException)
FIFO_SUFFIX = ".fifo"
# The topic attributes the sandbox sets, by input (topic.go topicAttributeMap).
TOPIC_ATTRIBUTES = {
    "displayName": "DisplayName",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "policy": "Policy",
    "deliveryPolicy": "DeliveryPolicy",
    "signatureVersion": "SignatureVersion",
    "tracingConfig": "TracingConfig",
}
# Optional and Computed (topic.go): set by SNS when the program leaves them out, so not compared then.
COMPUTED_ATTRIBUTES = frozenset({"policy", "signatureVersion", "tracingConfig"})


def default_topic_policy(topic_arn: str, owner: str) -> str:
    """The policy a topic has when nobody set one, as the provider puts it back (topic_policy.go
    defaultTopicPolicy)."""
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
        "SNS:Receive",
    ]
    statement = {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": owner}},
    }
    return json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]})


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in (NOT_FOUND, "NotFoundException")


def _attribute_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # the SDK hands numbers over as floats
    return str(value)


def _attributes(topic_arn: str, cloud: Cloud) -> dict[str, str] | None:
    """GetTopicAttributes; None when the topic does not exist."""
    try:
        return dict(cloud.sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"])
    except ClientError as error:
        if _not_found(error):
            return None
        raise


@dataclass(frozen=True)
class TopicFacts:
    name: str
    arn: str
    owner: str
    policy: str  # as SNS holds it


class TopicHandler(Handler[TopicFacts]):
    typ = provider_types.SNS_TOPIC

    @staticmethod
    def _name(name: str, inputs: Inputs, namer: Where | Cloud) -> str:
        given = physical_name(name, inputs, namer)
        if inputs.get("fifoTopic") and not given.endswith(FIFO_SUFFIX):
            return given + FIFO_SUFFIX  # topic.go topicName: a generated FIFO topic name gets the suffix
        return given

    def invent(self, name: str, inputs: Inputs, where: Where) -> TopicFacts:
        topic = self._name(name, inputs, where)
        arn = f"arn:{where.partition}:sns:{where.region}:{where.account_id}:{topic}"
        return TopicFacts(
            topic, arn, where.account_id, str(inputs.get("policy") or default_topic_policy(arn, where.account_id))
        )

    def _set(self, arn: str, inputs: Inputs, names: set[str] | frozenset[str], cloud: Cloud) -> None:
        for name, attribute in TOPIC_ATTRIBUTES.items():
            if name in names and (inputs.get(name) not in (None, "") or name not in COMPUTED_ATTRIBUTES):
                value = inputs.get(name)
                cloud.sns.set_topic_attributes(
                    TopicArn=arn, AttributeName=attribute, AttributeValue=_attribute_text(value) if value else ""
                )

    @staticmethod
    def _facts(topic: str, arn: str, cloud: Cloud) -> TopicFacts:
        attributes = _attributes(arn, cloud) or {}
        return TopicFacts(topic, arn, attributes.get("Owner", cloud.account_id), attributes.get("Policy", ""))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> TopicFacts:
        topic = self._name(name, inputs, cloud)
        args: dict[str, Any] = {"Name": topic}
        if inputs.get("tags"):
            args["Tags"] = tag_list(inputs)
        if inputs.get("fifoTopic"):
            args["Attributes"] = {"FifoTopic": "true"}
        arn = str(cloud.sns.create_topic(**args)["TopicArn"])
        self._set(arn, inputs, {k for k in TOPIC_ATTRIBUTES if inputs.get(k) not in (None, "")}, cloud)
        return self._facts(topic, arn, cloud)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> TopicFacts:
        facts: TopicFacts = old.facts
        self._set(facts.arn, inputs, changed, cloud)
        if "tags" in changed:
            tag_change(old.inputs, inputs).apply(
                cloud.sns.untag_resource, cloud.sns.tag_resource, ResourceArn=facts.arn
            )
        return replace(facts, policy=self._facts(facts.name, facts.arn, cloud).policy)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        try:
            cloud.sns.delete_topic(TopicArn=old.facts.arn)
        except ClientError as error:
            if not _not_found(error):
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourceTopicRead: gone when GetTopicAttributes finds no topic; each attribute read back (a
        Computed one only when the program sets it; a policy equivalent to the deployed one is kept)."""
        attributes = _attributes(old.facts.arn, cloud)
        if attributes is None:
            return None
        inputs = dict(old.inputs)
        for name, attribute in TOPIC_ATTRIBUTES.items():
            found = attributes.get(attribute) or None
            if name in COMPUTED_ATTRIBUTES and inputs.get(name) in (None, ""):
                continue
            if found is None and name not in inputs:
                continue
            if name == "policy" and found and policies_equivalent(str(inputs.get(name) or ""), found):
                continue
            if name == "signatureVersion" and found is not None:
                inputs[name] = float(found)  # as the SDK hands numbers over
                continue
            inputs[name] = found
        listed = cloud.sns.list_tags_for_resource(ResourceArn=old.facts.arn).get("Tags") or []
        if listed or "tags" in inputs:
            inputs["tags"] = {t["Key"]: t["Value"] for t in listed}
        return inputs

    def state(self, facts: TopicFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.arn, {
            "arn": facts.arn,
            "name": facts.name,
            "owner": facts.owner,
            "policy": inputs.get("policy") or facts.policy,
        }


@dataclass(frozen=True)
class TopicPolicyFacts:
    owner: str


class TopicPolicyHandler(Handler[TopicPolicyFacts]):
    typ = provider_types.SNS_TOPIC_POLICY
    fixed_name_input = ""  # no name of its own: a replacement is on another topic

    def invent(self, name: str, inputs: Inputs, where: Where) -> TopicPolicyFacts:
        return TopicPolicyFacts(str(inputs["arn"]).split(":")[4] if ":" in str(inputs["arn"]) else where.account_id)

    def _put(self, inputs: Inputs, cloud: Cloud) -> TopicPolicyFacts:
        arn = str(inputs["arn"])
        cloud.sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=str(inputs["policy"]))
        return TopicPolicyFacts((_attributes(arn, cloud) or {}).get("Owner", cloud.account_id))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> TopicPolicyFacts:
        return self._put(inputs, cloud)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> TopicPolicyFacts:
        return self._put(inputs, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        arn = str(old.inputs["arn"])
        try:
            cloud.sns.set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=default_topic_policy(arn, old.facts.owner)
            )
        except ClientError as error:
            if not _not_found(error):
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourceTopicPolicyRead: gone with its topic (or an empty policy); the policy read back, the
        deployed text kept when equivalent (verify.PolicyToSet)."""
        attributes = _attributes(str(old.inputs["arn"]), cloud)
        if attributes is None or not attributes.get("Policy"):
            return None
        found = attributes["Policy"]
        if policies_equivalent(str(old.inputs.get("policy") or ""), found):
            return dict(old.inputs)
        return {**old.inputs, "policy": found}

    def state(self, facts: TopicPolicyFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return str(inputs["arn"]), {"owner": facts.owner}
