"""Provisioned capacity that follows the load: Application Auto Scaling for an EncryptedTable, and a PROVISIONED
global table as AWS takes it.

What is scaled, where (the pure plan, `scaling_targets`):
- In the table's own region, every capacity `autoscaling` names, for the table and for each of its global
  secondary indexes with the same settings (the DynamoDB console's default "Apply same settings to global
  secondary indexes": https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.Console.html).
- In each replica's region, read capacity only. Write auto scaling is the global table's, kept by DynamoDB:
  "If provisioned with auto scaling, the write settings (minimum, maximum, and target utilization) are
  replicated across Regions" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
  bp-global-table-design.prescriptive-guidance.throughput.html); a second owner of those targets would fight
  DynamoDB's copy. Read capacity is each replica's own (UpdateTableReplicaAutoScaling takes a
  ReplicaProvisionedReadCapacityAutoScalingUpdate per replica region: https://docs.aws.amazon.com/
  amazondynamodb/latest/APIReference/API_ReplicaAutoScalingUpdate.html), so the user sets it in each region.

How a PROVISIONED global table is made (`replicas_need_own_resources`):
- DynamoDB refuses a replica of a PROVISIONED table until the table's write capacity, and each index's, has a
  scalable target and a target-tracking policy (access.kms_dynamodb.GLOBAL_TABLE_WRITE_CAPACITY_ERROR). The
  provider's inline `replicas` are created inside the table's own create (terraform-provider-aws
  internal/service/dynamodb/table.go, createReplicas after CreateTable), before any target can exist (a
  target names the table). So the replicas are aws.dynamodb.TableReplica resources that depend on the
  primary region's policies, and each replica region's read scaling depends on its replica.
- The table then ignores `replicas` (the provider's docs for TableReplica: "use lifecycle ignore_changes for
  replica in the associated aws_dynamodb_table") and, whenever auto scaling is on, the capacities it
  scales: "We recommend using lifecycle ignore_changes for read_capacity and/or write_capacity if there's
  Auto Scaling policy attached to the table" (pulumi_aws.dynamodb.Table, from the provider's
  website/docs/r/dynamodb_table.html.markdown); the same for each index's.
- An on-demand global table keeps its inline replicas, exactly as before.

No role is given to a target: DynamoDB's auto scaling acts through the service-linked role
AWSServiceRoleForApplicationAutoScaling_DynamoDBTable, "created automatically for you" (AutoScaling.Console.html
above); the deployer needs iam:CreateServiceLinkedRole the first time in an account.
"""

# No `from __future__ import annotations`: the package analyzer reads the TypedDicts' field types as objects.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from access.kms_dynamodb import (
    AUTOSCALING_NAMESPACE,
    AUTOSCALING_POLICY_TYPE,
    CAPACITY_KINDS,
    SCALABLE_DIMENSIONS,
    UTILIZATION_METRICS,
    autoscaling_resource_id,
)
from components.validation import CapacityScalingSpec, TableSpec


class CapacityAutoScalingArgs(TypedDict):
    """Target tracking of one capacity (read or write) of the table and of each of its global secondary indexes."""

    min_capacity: int
    """Fewest capacity units auto scaling scales in to, at least 1."""
    max_capacity: int
    """Most capacity units auto scaling scales out to, at least min_capacity."""
    target_utilization: NotRequired[float]
    """Percent of the provisioned capacity consumed that auto scaling keeps to, 20 to 90."""


class AutoScalingArgs(TypedDict):
    """Auto scaling of a PROVISIONED table's capacity (Application Auto Scaling, target tracking); the table's
    read_capacity and write_capacity (and each index's) are where it starts and must lie in the ranges."""

    write: NotRequired[CapacityAutoScalingArgs]
    """Write capacity; required for a PROVISIONED table with replicas (a global table)."""
    read: NotRequired[CapacityAutoScalingArgs]
    """Read capacity, in the table's region and in each replica's."""


@dataclass(frozen=True)
class ScalingTarget:
    """One capacity to scale: of the table (index None) or of one of its global secondary indexes."""

    index: str | None
    kind: str  # "write" or "read"
    scaling: CapacityScalingSpec

    @property
    def dimension(self) -> str:
        return SCALABLE_DIMENSIONS[("table" if self.index is None else "index", self.kind)]

    @property
    def metric(self) -> str:
        return UTILIZATION_METRICS[self.kind]

    @property
    def label(self) -> str:
        """What the child resources' names say of it: 'write', or 'index-<name>-read'."""
        return self.kind if self.index is None else f"index-{self.index}-{self.kind}"

    def resource_id(self, table_name: str) -> str:
        return autoscaling_resource_id(table_name, self.index)


def replicas_need_own_resources(spec: TableSpec) -> bool:
    """A PROVISIONED global table: its replicas are TableReplica resources made after the write auto scaling."""
    return spec.billing_mode == "PROVISIONED" and bool(spec.replicas)


def scaling_targets(spec: TableSpec, *, replica_region: bool = False) -> tuple[ScalingTarget, ...]:
    """The capacities to scale in the table's region, or (replica_region) in a replica's: read only there."""
    if spec.autoscaling is None:
        return ()
    kinds = ("read",) if replica_region else CAPACITY_KINDS
    return tuple(
        ScalingTarget(index, kind, scaling)
        for kind in kinds
        for scaling in [spec.autoscaling.of(kind)]
        if scaling is not None
        for index in (None, *(i.name for i in spec.indexes))
    )


def table_ignored_changes(spec: TableSpec) -> list[str]:
    """The table's inputs that auto scaling (or the TableReplica resources) change behind the program's back."""
    ignored: list[str] = []
    if spec.autoscaling is not None:
        for kind in CAPACITY_KINDS:
            if spec.autoscaling.of(kind) is not None:
                ignored.append(f"{kind}Capacity")
                if spec.indexes:
                    ignored.append(f"globalSecondaryIndexes[*].{kind}Capacity")
    if replicas_need_own_resources(spec):
        ignored.append("replicas")
    return ignored


def scale(
    name: str,
    table_name: pulumi.Input[str],
    targets: Sequence[ScalingTarget],
    *,
    place: str | None = None,
    region: str | None = None,
    opts: pulumi.ResourceOptions,
) -> list[aws.appautoscaling.Policy]:
    """A scalable target and its target-tracking policy for each capacity, in `place` (None: the table's own
    region; else a replica region, with `region` the resource argument, None when opts carry its provider)."""
    suffix = f"-{place}" if place else ""
    policies = []
    for target in targets:
        scalable = aws.appautoscaling.Target(
            f"{name}-{target.label}-scaling{suffix}",
            service_namespace=AUTOSCALING_NAMESPACE,
            scalable_dimension=target.dimension,
            resource_id=pulumi.Output.from_input(table_name).apply(target.resource_id),
            min_capacity=target.scaling.min_capacity,
            max_capacity=target.scaling.max_capacity,
            region=region,
            opts=opts,
        )
        policies.append(
            aws.appautoscaling.Policy(
                f"{name}-{target.label}-tracking{suffix}",
                # A policy is named within its scalable target: one per metric, the same in every region.
                name=target.metric,
                policy_type=AUTOSCALING_POLICY_TYPE,
                service_namespace=scalable.service_namespace,
                scalable_dimension=scalable.scalable_dimension,
                resource_id=scalable.resource_id,
                # PutScalingPolicy's TargetTrackingScalingPolicyConfiguration, with a PredefinedMetricSpecification.
                target_tracking_scaling_policy_configuration={
                    "predefined_metric_specification": {"predefined_metric_type": target.metric},
                    "target_value": target.scaling.target_utilization,
                },
                region=region,
                opts=opts,
            )
        )
    return policies


@dataclass(frozen=True)
class ReplicaPlace:
    """How a child resource is put in a replica's region: the resource's `region` argument, or a provider."""

    region: str
    region_argument: str | None
    provider: pulumi.ProviderResource | None


def add_replicas(
    name: str,
    parent: pulumi.Resource,
    table: aws.dynamodb.Table,
    spec: TableSpec,
    *,
    key_arns: Mapping[str, pulumi.Input[str]],
    places: Mapping[str, ReplicaPlace],
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None,
    after: Sequence[pulumi.Resource],
) -> tuple[dict[str, aws.dynamodb.TableReplica], dict[str, list[aws.appautoscaling.Policy]]]:
    """A PROVISIONED global table's replicas, each a TableReplica made after `after` (the primary region's
    auto scaling policies) with its region's key, then its region's read scaling. By region."""
    replicas: dict[str, aws.dynamodb.TableReplica] = {}
    policies: dict[str, list[aws.appautoscaling.Policy]] = {}
    for replica in spec.replicas:
        place = places[replica.region]
        replicas[replica.region] = aws.dynamodb.TableReplica(
            f"{name}-replica-{replica.region}",
            global_table_arn=table.arn,
            kms_key_arn=key_arns[replica.region],
            point_in_time_recovery=replica.point_in_time_recovery,
            deletion_protection_enabled=replica.deletion_protection,
            # TableReplica sets the replica's own tags; propagate_tags means the table's.
            tags=tags if replica.propagate_tags else None,
            region=place.region_argument,
            opts=pulumi.ResourceOptions(parent=parent, provider=place.provider, depends_on=list(after)),
        )
        policies[replica.region] = scale(
            name,
            table.name,
            scaling_targets(spec, replica_region=True),
            place=replica.region,
            region=place.region_argument,
            opts=pulumi.ResourceOptions(parent=parent, provider=place.provider, depends_on=[replicas[replica.region]]),
        )
    return replicas, policies


def replica_stream_arn(
    table_name: pulumi.Input[str], replica: aws.dynamodb.TableReplica, place: ReplicaPlace, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """A TableReplica's latest stream ARN, read from its region once it exists: the TableReplica resource
    exports none, and the table's `replicas` output knows only the replicas made with it."""
    described = aws.dynamodb.get_table_output(
        name=table_name,
        region=place.region_argument,
        opts=pulumi.InvokeOutputOptions(parent=parent, provider=place.provider, depends_on=[replica]),
    )
    return described.stream_arn
