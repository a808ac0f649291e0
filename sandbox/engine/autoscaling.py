"""Application Auto Scaling: a scalable target and its scaling policy, each in its region (issue 20: a
PROVISIONED global table needs write auto scaling in every replica's region).

As terraform-provider-aws internal/service/appautoscaling/target.go
(@ 0105d2191ae7e43ba37ba011b916843eddf361ed) and policy.go (@ 048320e88399c508ae6481be5d8ef6fd6f71a9f6)
make them:
- a target: RegisterScalableTarget on create and again on update (tags apart, by TagResource and
  UntagResource), DeregisterScalableTarget on delete (one already gone is no error); its id is its
  resource id (`table/<name>`);
- a policy: PutScalingPolicy on create and update, DeleteScalingPolicy on delete (one already gone is
  no error); its id is its name; `policyType` defaults to StepScaling; arn and alarmArns computed.
The configuration blocks are the API's structures with each key's first letter in lower case
(targetValue, predefinedMetricSpecification.predefinedMetricType ...); step adjustments' bounds are
strings in pulumi-aws and numbers in the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from access import provider_types
from sandbox.engine.model import Cloud, Deployed, Handler, Inputs, Where, as_int, digest, tag_change, uuid_like

NOT_FOUND = "ObjectNotFoundException"
DEFAULT_POLICY_TYPE = "StepScaling"  # policy.go: policy_type's Default
# Each policy type's configuration, by input and by API parameter.
CONFIGURATIONS = {
    "targetTrackingScalingPolicyConfiguration": "TargetTrackingScalingPolicyConfiguration",
    "stepScalingPolicyConfiguration": "StepScalingPolicyConfiguration",
    "predictiveScalingPolicyConfiguration": "PredictiveScalingPolicyConfiguration",
}
# A step adjustment's bounds: strings in pulumi-aws, numbers in the API (policy.go expandStepAdjustments).
STEP_BOUNDS = ("metricIntervalLowerBound", "metricIntervalUpperBound")


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == NOT_FOUND


def to_api(value: Any, key: str = "") -> Any:
    """A configuration block as the API takes it: keys with their first letter in upper case, a step
    adjustment's bounds as numbers, integral numbers as integers (the SDK hands numbers over as floats)."""
    if isinstance(value, Mapping):
        return {k[:1].upper() + k[1:]: to_api(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_api(v) for v in value]
    if key in STEP_BOUNDS and isinstance(value, str):
        return float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def from_api(value: Any, key: str = "") -> Any:
    """A configuration block as the provider reads it back, in the program's shape: keys with their first
    letter in lower case, numbers as floats (as the SDK hands them over), a step's bounds as strings."""
    if isinstance(value, Mapping):
        return {k[:1].lower() + k[1:]: from_api(v, k[:1].lower() + k[1:]) for k, v in value.items()}
    if isinstance(value, list):
        return [from_api(v) for v in value]
    if key in STEP_BOUNDS and isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _keys(inputs: Inputs) -> dict[str, str]:
    """What names a target (and its policies): the namespace, resource and dimension."""
    return {
        "ServiceNamespace": str(inputs["serviceNamespace"]),
        "ResourceId": str(inputs["resourceId"]),
        "ScalableDimension": str(inputs["scalableDimension"]),
    }


@dataclass(frozen=True)
class TargetFacts:
    arn: str
    role_arn: str = ""


class ScalableTargetHandler(Handler[TargetFacts]):
    typ = provider_types.AUTOSCALING_TARGET
    fixed_name_input = ""  # registering the same target again updates it; a replacement is another target

    def invent(self, name: str, inputs: Inputs, where: Where) -> TargetFacts:
        suffix = digest("scalable-target", *_keys(inputs).values(), length=32)
        return TargetFacts(
            f"arn:{where.partition}:application-autoscaling:{where.region}:{where.account_id}:scalable-target/{suffix}"
        )

    def _register(self, inputs: Inputs, cloud: Cloud, *, tags: bool) -> None:
        args: dict[str, Any] = {
            **_keys(inputs),
            "MinCapacity": as_int(inputs["minCapacity"]),
            "MaxCapacity": as_int(inputs["maxCapacity"]),
        }
        if inputs.get("roleArn"):
            args["RoleARN"] = inputs["roleArn"]
        if inputs.get("suspendedState"):
            args["SuspendedState"] = to_api(inputs["suspendedState"])
        if tags and inputs.get("tags"):
            args["Tags"] = {k: str(v) for k, v in inputs["tags"].items()}
        cloud.autoscaling.register_scalable_target(**args)

    def _found(self, inputs: Inputs, cloud: Cloud) -> Mapping[str, Any] | None:
        keys = _keys(inputs)
        listed = (
            cloud.autoscaling.describe_scalable_targets(
                ServiceNamespace=keys["ServiceNamespace"],
                ResourceIds=[keys["ResourceId"]],
                ScalableDimension=keys["ScalableDimension"],
            ).get("ScalableTargets")
            or []
        )
        return next((t for t in listed if all(t.get(k) == v for k, v in keys.items())), None)

    def _facts(self, inputs: Inputs, cloud: Cloud) -> TargetFacts:
        found = self._found(inputs, cloud) or {}
        return TargetFacts(str(found.get("ScalableTargetARN", "")), str(found.get("RoleARN", "")))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> TargetFacts:
        self._register(inputs, cloud, tags=True)
        return self._facts(inputs, cloud)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> TargetFacts:
        if changed - {"tags"}:
            self._register(inputs, cloud, tags=False)
        if "tags" in changed and old.facts.arn:
            tags = tag_change(old.inputs, inputs)
            tags.apply(
                cloud.autoscaling.untag_resource,
                cloud.autoscaling.tag_resource,
                tags=tags.set,
                ResourceARN=old.facts.arn,
            )
        return self._facts(inputs, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        try:
            cloud.autoscaling.deregister_scalable_target(**_keys(old.inputs))
        except ClientError as error:
            if not _not_found(error):
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourceTargetRead: gone when DescribeScalableTargets lists no such target; capacities read back."""
        found = self._found(old.inputs, cloud)
        if found is None:
            return None
        inputs = {**old.inputs, "minCapacity": float(found["MinCapacity"]), "maxCapacity": float(found["MaxCapacity"])}
        if inputs.get("roleArn") and found.get("RoleARN"):
            inputs["roleArn"] = found["RoleARN"]
        return inputs

    def state(self, facts: TargetFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        computed: dict[str, Any] = {"arn": facts.arn}
        if facts.role_arn and not inputs.get("roleArn"):
            computed["roleArn"] = facts.role_arn
        return str(inputs["resourceId"]), computed


@dataclass(frozen=True)
class PolicyFacts:
    arn: str
    alarm_arns: tuple[str, ...] = ()


class ScalingPolicyHandler(Handler[PolicyFacts]):
    typ = provider_types.AUTOSCALING_POLICY

    def invent(self, name: str, inputs: Inputs, where: Where) -> PolicyFacts:
        keys = _keys(inputs)
        return PolicyFacts(
            f"arn:{where.partition}:autoscaling:{where.region}:{where.account_id}:scalingPolicy:"
            f"{uuid_like('scaling-policy', name)}:resource/{keys['ServiceNamespace']}/{keys['ResourceId']}"
            f":policyName/{inputs['name']}"
        )

    def _put(self, inputs: Inputs, cloud: Cloud) -> PolicyFacts:
        args: dict[str, Any] = {
            "PolicyName": str(inputs["name"]),
            "PolicyType": str(inputs.get("policyType") or DEFAULT_POLICY_TYPE),
            **_keys(inputs),
        }
        for name, parameter in CONFIGURATIONS.items():
            if inputs.get(name):
                args[parameter] = to_api(inputs[name])
        answer = cloud.autoscaling.put_scaling_policy(**args)
        return PolicyFacts(str(answer["PolicyARN"]), tuple(str(a["AlarmARN"]) for a in answer.get("Alarms") or []))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> PolicyFacts:
        return self._put(inputs, cloud)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> PolicyFacts:
        return self._put(inputs, cloud)

    def _found(self, inputs: Inputs, cloud: Cloud) -> Mapping[str, Any] | None:
        keys = _keys(inputs)
        listed = cloud.autoscaling.describe_scaling_policies(PolicyNames=[str(inputs["name"])], **keys)
        return next(iter(listed.get("ScalingPolicies") or []), None)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        try:
            cloud.autoscaling.delete_scaling_policy(PolicyName=str(old.inputs["name"]), **_keys(old.inputs))
        except ClientError as error:
            if not _not_found(error):
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourcePolicyRead: gone when DescribeScalingPolicies finds none; its type and configuration read
        back in the program's shape."""
        found = self._found(old.inputs, cloud)
        if found is None:
            return None
        inputs = dict(old.inputs)
        if "policyType" in inputs or found.get("PolicyType") != DEFAULT_POLICY_TYPE:
            inputs["policyType"] = found.get("PolicyType")
        for name, parameter in CONFIGURATIONS.items():
            if found.get(parameter) or name in inputs:
                inputs[name] = from_api(found[parameter]) if found.get(parameter) else None
        return inputs

    def state(self, facts: PolicyFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return str(inputs["name"]), {
            "arn": facts.arn,
            "alarmArns": list(facts.alarm_arns),
            "policyType": inputs.get("policyType") or DEFAULT_POLICY_TYPE,
        }
