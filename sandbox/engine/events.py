"""EventBridge: a rule and its target, each in its region (the key-loss alarms, issue 20).

As terraform-provider-aws internal/service/events/rule.go (@ 0cdab4ae09a963535e03dde0bff4784afe8e3517) and
target.go (@ 0762c41e2027fcd3cb8340d3e6886c6975fc0a59) make them:
- a rule: PutRule on create and on every update but a tags-only one (tags by TagResource and
  UntagResource), DeleteRule on delete; its id is its name (with its bus's, off the default bus);
  `state` (ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS) is sent when given, else
  the deprecated `isEnabled` as ENABLED or DISABLED, else nothing (EventBridge enables the rule); Read
  records State and an event pattern normalised (engine.documents.event_pattern_state);
- a target: PutTargets on create and update, RemoveTargets on delete, its id `<rule>-<targetId>`; a
  targetId the program leaves out is generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from access import provider_types
from sandbox.engine.documents import event_pattern_state
from sandbox.engine.model import (
    Cloud,
    Deployed,
    Handler,
    Inputs,
    Where,
    digest,
    physical_name,
    tag_change,
    tag_list,
    uuid_like,
)

DEFAULT_EVENT_BUS = "default"  # the provider's default for event_bus_name
# The rule states that match events (rule.go's Read sets is_enabled true for them).
ENABLED_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
ENABLED, DISABLED = "ENABLED", "DISABLED"
NOT_FOUND = "ResourceNotFoundException"
# The PutRule arguments that follow an input of the same meaning, by input (rule.go expandPutRuleInput).
RULE_ARGUMENTS = {"description": "Description", "scheduleExpression": "ScheduleExpression", "roleArn": "RoleArn"}
# The PutTargets target fields the sandbox passes, by input: the string fields, then the blocks whose
# fields are the API's with the first letter in lower case (retryPolicy.maximumRetryAttempts ...).
TARGET_STRINGS = {"arn": "Arn", "input": "Input", "inputPath": "InputPath", "roleArn": "RoleArn"}
TARGET_BLOCKS = {"retryPolicy": "RetryPolicy", "deadLetterConfig": "DeadLetterConfig"}


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == NOT_FOUND


def _bus(inputs: Inputs) -> str:
    return str(inputs.get("eventBusName") or DEFAULT_EVENT_BUS)


def _bus_argument(inputs: Inputs) -> dict[str, str]:
    return {"EventBusName": _bus(inputs)} if _bus(inputs) != DEFAULT_EVENT_BUS else {}


def _rule_state(inputs: Inputs) -> str | None:
    """The State PutRule is given: `state`, else the deprecated isEnabled, else none (rule.go)."""
    if inputs.get("state"):
        return str(inputs["state"])
    if inputs.get("isEnabled") is not None:
        return ENABLED if inputs["isEnabled"] else DISABLED
    return None


@dataclass(frozen=True)
class RuleFacts:
    name: str
    arn: str


class EventRuleHandler(Handler[RuleFacts]):
    typ = provider_types.EVENT_RULE

    @staticmethod
    def _arn(partition: str, region: str, account: str, inputs: Inputs, name: str) -> str:
        on_bus = f"{_bus(inputs)}/" if _bus(inputs) != DEFAULT_EVENT_BUS else ""
        return f"arn:{partition}:events:{region}:{account}:rule/{on_bus}{name}"

    def normalise(self, inputs: Inputs) -> dict[str, Any]:
        normalised = dict(inputs)
        if isinstance(inputs.get("eventPattern"), str):
            normalised["eventPattern"] = event_pattern_state(inputs["eventPattern"])
        return normalised

    def invent(self, name: str, inputs: Inputs, where: Where) -> RuleFacts:
        rule = physical_name(name, inputs, where)
        return RuleFacts(rule, self._arn(where.partition, where.region, where.account_id, inputs, rule))

    def _put(self, rule: str, inputs: Inputs, cloud: Cloud, *, tags: bool) -> str:
        args: dict[str, Any] = {"Name": rule, **_bus_argument(inputs)}
        if inputs.get("eventPattern"):
            args["EventPattern"] = inputs["eventPattern"]
        args.update({api: inputs[name] for name, api in RULE_ARGUMENTS.items() if inputs.get(name)})
        state = _rule_state(inputs)
        if state is not None:
            args["State"] = state
        if tags and inputs.get("tags"):
            args["Tags"] = tag_list(inputs)
        return str(cloud.events.put_rule(**args)["RuleArn"])

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> RuleFacts:
        rule = physical_name(name, inputs, cloud)
        return RuleFacts(rule, self._put(rule, inputs, cloud, tags=True))

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> RuleFacts:
        facts: RuleFacts = old.facts
        if changed - {"tags", "forceDestroy"}:
            self._put(facts.name, inputs, cloud, tags=False)
        if "tags" in changed:
            tag_change(old.inputs, inputs).apply(
                cloud.events.untag_resource, cloud.events.tag_resource, ResourceARN=facts.arn
            )
        return facts

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        args: dict[str, Any] = {"Name": old.facts.name, **_bus_argument(old.inputs)}
        if old.inputs.get("forceDestroy"):
            args["Force"] = True
        try:
            cloud.events.delete_rule(**args)
        except ClientError as error:
            if not _not_found(error):
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourceRuleRead: gone when DescribeRule finds no rule; the pattern, state and arguments read back.

        A state the program leaves unset is not compared (its DiffSuppressFunc: an old value and no new
        one is no change); nor is a deprecated isEnabled left unset."""
        try:
            found = cloud.events.describe_rule(Name=old.facts.name, **_bus_argument(old.inputs))
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        inputs = dict(old.inputs)
        if found.get("EventPattern") or "eventPattern" in inputs:
            inputs["eventPattern"] = event_pattern_state(str(found.get("EventPattern") or ""))
        for name, api in RULE_ARGUMENTS.items():
            if found.get(api) or name in inputs:
                inputs[name] = found.get(api) or None
        state = str(found.get("State") or ENABLED)
        if inputs.get("state"):
            inputs["state"] = state
        elif inputs.get("isEnabled") is not None:
            inputs["isEnabled"] = state in ENABLED_STATES
        listed = cloud.events.list_tags_for_resource(ResourceARN=old.facts.arn).get("Tags") or []
        if listed or "tags" in inputs:
            inputs["tags"] = {t["Key"]: t["Value"] for t in listed}
        return inputs

    def state(self, facts: RuleFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        state = _rule_state(inputs) or ENABLED
        rule_id = facts.name if _bus(inputs) == DEFAULT_EVENT_BUS else f"{_bus(inputs)}/{facts.name}"
        return rule_id, {
            "name": facts.name,
            "arn": facts.arn,
            "eventBusName": _bus(inputs),
            "state": state,
            "isEnabled": state in ENABLED_STATES,
        }


@dataclass(frozen=True)
class TargetFacts:
    target_id: str


def _first_upper(value: Any) -> Any:
    """A block of pulumi-aws inputs as the API takes it: keys with their first letter in upper case,
    integral numbers as integers (the SDK hands every number over as a float)."""
    if isinstance(value, Mapping):
        return {k[:1].upper() + k[1:]: _first_upper(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_first_upper(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class EventTargetHandler(Handler[TargetFacts]):
    typ = provider_types.EVENT_TARGET
    # A replacement changes the rule, the bus or the id: the new target never clashes with the old one.
    fixed_name_input = ""

    def invent(self, name: str, inputs: Inputs, where: Where) -> TargetFacts:
        return TargetFacts(str(inputs.get("targetId") or f"terraform-{digest('target', name, length=26)}"))

    def _put(self, target_id: str, inputs: Inputs, cloud: Cloud) -> None:
        target: dict[str, Any] = {"Id": target_id}
        target.update({api: inputs[name] for name, api in TARGET_STRINGS.items() if inputs.get(name)})
        target.update({api: _first_upper(inputs[name]) for name, api in TARGET_BLOCKS.items() if inputs.get(name)})
        if inputs.get("inputTransformer"):
            transformer = inputs["inputTransformer"]
            target["InputTransformer"] = {
                "InputPathsMap": dict(transformer.get("inputPaths") or {}),
                "InputTemplate": transformer["inputTemplate"],
            }
        answer = cloud.events.put_targets(Rule=inputs["rule"], Targets=[target], **_bus_argument(inputs))
        failed = answer.get("FailedEntries") or []
        if failed:
            problems = "; ".join(f"{f.get('ErrorCode')}: {f.get('ErrorMessage')}" for f in failed)
            raise ClientError({"Error": {"Code": str(failed[0].get("ErrorCode")), "Message": problems}}, "PutTargets")

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> TargetFacts:
        # target.go: id.UniqueId() when target_id is not set.
        facts = TargetFacts(str(inputs.get("targetId") or f"terraform-{uuid_like('target', name).replace('-', '')}"))
        self._put(facts.target_id, inputs, cloud)
        return facts

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> TargetFacts:
        if changed - {"forceDestroy"}:
            self._put(old.facts.target_id, inputs, cloud)
        return super().update(old, inputs, changed, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        args: dict[str, Any] = {"Rule": old.inputs["rule"], "Ids": [old.facts.target_id], **_bus_argument(old.inputs)}
        if old.inputs.get("forceDestroy"):
            args["Force"] = True
        try:
            cloud.events.remove_targets(**args)
        except ClientError as error:
            if not _not_found(error):
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourceTargetRead: gone when the rule or its target with this id is (ListTargetsByRule)."""
        try:
            listed = cloud.events.list_targets_by_rule(Rule=old.inputs["rule"], **_bus_argument(old.inputs))
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        found = [t for t in listed.get("Targets") or [] if t.get("Id") == old.facts.target_id]
        if not found:
            return None
        inputs = dict(old.inputs)
        for name, api in TARGET_STRINGS.items():
            if found[0].get(api) or name in inputs:
                inputs[name] = found[0].get(api) or None
        return inputs

    def state(self, facts: TargetFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        on_bus = [_bus(inputs)] if _bus(inputs) != DEFAULT_EVENT_BUS else []
        return "-".join([*on_bus, str(inputs.get("rule")), facts.target_id]), {
            "targetId": facts.target_id,
            "eventBusName": _bus(inputs),
        }
