"""EncryptedTable's auto scaling, and PROVISIONED global tables as AWS takes them (components/autoscaling.py).

The checks are pure (components.validation.validate_autoscaling through validate_table_args) and run before
anything is registered; the resources are checked under the recording mocks, their order through the
dependencies each registration declares (a monitor that keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs

from access.arns import table_arn
from access.errors import ConfigError
from access.kms_dynamodb import (
    AUTOSCALING_CAPACITY_UNITS,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    TARGET_UTILIZATION_PERCENT,
    autoscaling_resource_id,
)
from access.provider_types import (
    AUTOSCALING_POLICY,
    AUTOSCALING_TARGET,
    DYNAMODB_RESOURCE_POLICY,
    DYNAMODB_TABLE,
    DYNAMODB_TABLE_REPLICA,
    KMS_KEY,
)
from components import EncryptedTable
from components.autoscaling import replicas_need_own_resources, scaling_targets, table_ignored_changes
from components.validation import AUTOSCALING_DEFAULTS, TableSpec, validate_table_args
from sandbox.emulator.account import ACCOUNT_ID, CONSUMER_ACCOUNT_ID, PARTITION, REGION
from sandbox.harness import RecordedResource, RecordingMocks, resolve_under_mocks
from sandbox.harness.mocks import RecordingMonitor
from sandbox.harness.program import PROJECT, stack_config

WRITE = {"min_capacity": 5, "max_capacity": 50, "target_utilization": 60}
READ = {"min_capacity": 2, "max_capacity": 20}
INDEX = {"name": "byCustomer", "partition_key": "customer", "read_capacity": 4, "write_capacity": 5}
EXTERNAL_READER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:role/reader"
EU, AP = "eu-west-1", "ap-southeast-2"
GET_TABLE = "aws:dynamodb/getTable:getTable"


def provisioned(**args: Any) -> dict[str, Any]:
    """A PROVISIONED table's arguments, its capacities inside WRITE's and READ's ranges."""
    return {"partition_key": "id", "billing_mode": "PROVISIONED", "read_capacity": 5, "write_capacity": 10, **args}


def refused(args: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        validate_table_args(args)
    return raised.value


# -- what is refused before anything exists ----------------------------------------------------------------


def test_a_provisioned_global_table_without_auto_scaling_is_refused_quoting_aws() -> None:
    error = refused(provisioned(replica_regions=["eu-west-1"]))
    assert error.field == "autoscaling"
    assert GLOBAL_TABLE_WRITE_CAPACITY_ERROR in error.problem
    assert "PAY_PER_REQUEST" in error.allowed


def test_read_auto_scaling_alone_does_not_make_a_global_table() -> None:
    error = refused(provisioned(replica_regions=["eu-west-1"], autoscaling={"read": READ}))
    assert error.field == "autoscaling.write"
    assert GLOBAL_TABLE_WRITE_CAPACITY_ERROR in error.problem


def test_auto_scaling_of_an_on_demand_table_is_refused() -> None:
    error = refused({"partition_key": "id", "autoscaling": {"write": WRITE}})
    assert error.field == "autoscaling"
    assert "PAY_PER_REQUEST" in error.problem


@pytest.mark.parametrize(
    ("autoscaling", "field"),
    [
        ("fast", "autoscaling"),
        ({}, "autoscaling"),
        ({"write": WRITE, "writes": WRITE}, "autoscaling"),
        ({"write": "5-50"}, "autoscaling.write"),
        ({"write": {**WRITE, "cooldown": 60}}, "autoscaling.write"),
        ({"write": {"max_capacity": 50}}, "autoscaling.write.min_capacity"),
        ({"write": {"min_capacity": 5}}, "autoscaling.write.max_capacity"),
        ({"write": {**WRITE, "min_capacity": 0}}, "autoscaling.write.min_capacity"),
        ({"write": {**WRITE, "min_capacity": 2.5}}, "autoscaling.write.min_capacity"),
        ({"write": {**WRITE, "min_capacity": True}}, "autoscaling.write.min_capacity"),
        ({"write": {**WRITE, "max_capacity": AUTOSCALING_CAPACITY_UNITS[1] + 1}}, "autoscaling.write.max_capacity"),
        ({"write": {"min_capacity": 10, "max_capacity": 9}}, "autoscaling.write.max_capacity"),
        (
            {"write": {**WRITE, "target_utilization": TARGET_UTILIZATION_PERCENT[0] - 0.5}},
            "autoscaling.write.target_utilization",
        ),
        (
            {"write": {**WRITE, "target_utilization": TARGET_UTILIZATION_PERCENT[1] + 1}},
            "autoscaling.write.target_utilization",
        ),
        ({"write": {**WRITE, "target_utilization": "70"}}, "autoscaling.write.target_utilization"),
        ({"write": {**WRITE, "target_utilization": True}}, "autoscaling.write.target_utilization"),
        ({"read": {**READ, "min_capacity": 21}}, "autoscaling.read.max_capacity"),
    ],
)
def test_bad_auto_scaling_is_refused_naming_the_field(autoscaling: Any, field: str) -> None:
    assert refused(provisioned(autoscaling=autoscaling)).field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (provisioned(write_capacity=51, autoscaling={"write": WRITE}), "write_capacity"),
        (provisioned(write_capacity=4, autoscaling={"write": WRITE}), "write_capacity"),
        (provisioned(read_capacity=21, autoscaling={"read": READ}), "read_capacity"),
        (
            provisioned(global_secondary_indexes=[{**INDEX, "write_capacity": 1}], autoscaling={"write": WRITE}),
            "global_secondary_indexes[0].write_capacity",
        ),
        (
            provisioned(global_secondary_indexes=[{**INDEX, "read_capacity": 30}], autoscaling={"read": READ}),
            "global_secondary_indexes[0].read_capacity",
        ),
    ],
)
def test_the_capacities_the_table_starts_with_lie_in_the_ranges(args: dict[str, Any], field: str) -> None:
    error = refused(args)
    assert error.field == field
    assert "min_capacity" in error.allowed


def test_the_range_edges_are_accepted_and_a_capacity_outside_an_unscaled_kind_is_not_checked() -> None:
    low, high = TARGET_UTILIZATION_PERCENT
    spec = validate_table_args(
        provisioned(
            write_capacity=5,
            read_capacity=1000,  # read is not scaled: its capacity is the user's to set
            autoscaling={"write": {**WRITE, "target_utilization": low}},
        )
    )
    assert spec.autoscaling is not None
    assert spec.autoscaling.write is not None
    assert spec.autoscaling.write.target_utilization == low
    assert spec.autoscaling.read is None
    top = validate_table_args(
        provisioned(write_capacity=50, autoscaling={"write": {**WRITE, "target_utilization": high}})
    )
    assert top.autoscaling is not None
    assert top.autoscaling.write is not None
    assert top.autoscaling.write.max_capacity == 50


def test_a_single_region_provisioned_table_may_scale_and_the_target_defaults() -> None:
    spec = validate_table_args(
        provisioned(autoscaling={"read": READ, "write": {"min_capacity": 1.0, "max_capacity": 10}})
    )
    assert spec.autoscaling is not None
    assert spec.autoscaling.of("read") == spec.autoscaling.read
    assert spec.autoscaling.write is not None
    assert spec.autoscaling.read is not None
    assert spec.autoscaling.write.min_capacity == 1
    assert isinstance(spec.autoscaling.write.min_capacity, int)
    assert spec.autoscaling.read.target_utilization == AUTOSCALING_DEFAULTS["target_utilization"]
    assert not replicas_need_own_resources(spec)


def test_without_auto_scaling_nothing_changes() -> None:
    assert validate_table_args(provisioned()).autoscaling is None
    on_demand = validate_table_args({"partition_key": "id", "replica_regions": ["eu-west-1"]})
    assert on_demand.autoscaling is None
    assert not replicas_need_own_resources(on_demand)
    assert table_ignored_changes(on_demand) == []
    assert scaling_targets(on_demand) == ()


# -- the plan: what is scaled where ---------------------------------------------------------------------------


def global_spec(**args: Any) -> TableSpec:
    return validate_table_args(
        provisioned(
            replica_regions=["eu-west-1"],
            global_secondary_indexes=[INDEX],
            autoscaling={"write": WRITE, "read": READ},
            **args,
        )
    )


def test_the_table_and_each_index_are_scaled_in_the_tables_region_and_only_read_in_a_replicas() -> None:
    spec = global_spec()
    home = {(t.index, t.kind, t.dimension, t.metric) for t in scaling_targets(spec)}
    assert home == {
        (None, "write", "dynamodb:table:WriteCapacityUnits", "DynamoDBWriteCapacityUtilization"),
        (None, "read", "dynamodb:table:ReadCapacityUnits", "DynamoDBReadCapacityUtilization"),
        ("byCustomer", "write", "dynamodb:index:WriteCapacityUnits", "DynamoDBWriteCapacityUtilization"),
        ("byCustomer", "read", "dynamodb:index:ReadCapacityUnits", "DynamoDBReadCapacityUtilization"),
    }
    there = {(t.index, t.kind) for t in scaling_targets(spec, replica_region=True)}
    assert there == {(None, "read"), ("byCustomer", "read")}
    index_write = next(t for t in scaling_targets(spec) if t.index and t.kind == "write")
    assert (
        index_write.resource_id("orders")
        == "table/orders/index/byCustomer"
        == autoscaling_resource_id("orders", "byCustomer")
    )


def test_the_table_ignores_what_auto_scaling_and_the_replica_resources_change() -> None:
    assert replicas_need_own_resources(global_spec())
    assert table_ignored_changes(global_spec()) == [
        "writeCapacity",
        "globalSecondaryIndexes[*].writeCapacity",
        "readCapacity",
        "globalSecondaryIndexes[*].readCapacity",
        "replicas",
    ]
    single = validate_table_args(provisioned(autoscaling={"write": WRITE}))
    assert table_ignored_changes(single) == ["writeCapacity"]


# -- the resources, and their order ------------------------------------------------------------------------


@dataclass
class DescribingMocks(RecordingMocks):
    """The recording mocks, also answering DescribeTable's invoke (aws.dynamodb.get_table) in any region."""

    described: list[dict[str, Any]] = field(default_factory=list)
    registered_when_described: list[set[str]] = field(default_factory=list)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token != GET_TABLE:
            return super().call(args)
        self.described.append(dict(args.args))
        self.registered_when_described.append({r.name for r in self.resources})
        arn = table_arn(PARTITION, str(args.args.get("region") or self.region), ACCOUNT_ID, str(args.args["name"]))
        return {"name": args.args["name"], "arn": arn, "streamArn": f"{arn}/stream/2026-02-02T00:00:00.000"}, []


class KeepingMonitor(RecordingMonitor):
    """Keeps what each registration declares that the mocks do not see: its URN, dependencies, ignoreChanges."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.urns: dict[str, str] = {}
        self.dependencies: dict[str, set[str]] = {}
        self.ignored: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        self.urns[request.name] = response.urn
        self.dependencies[request.name] = set(request.dependencies)
        self.ignored[request.name] = list(request.ignoreChanges)
        return response


@dataclass
class Deployed:
    mocks: DescribingMocks
    monitor: KeepingMonitor
    outputs: dict[str, Any]

    def named(self, typ: str) -> dict[str, RecordedResource]:
        return {r.name: r for r in self.mocks.of_type(typ)}

    def after(self, name: str, *others: str) -> bool:
        """Whether `name` was declared to depend on every one of `others`."""
        return {self.monitor.urns[o] for o in others} <= self.monitor.dependencies[name]


def deploy(args: dict[str, Any], **component: Any) -> Deployed:
    mocks = DescribingMocks()
    monitor = KeepingMonitor(mocks)
    pulumi.runtime.reset_options(project=PROJECT, stack="dev", preview=False)
    pulumi.runtime.set_all_config(stack_config({}))
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="dev", preview=False, monitor=monitor)

    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", args, **component)
        return {"table_name": table.table_name, "replica_key_arns": table.replica_key_arns}

    outputs, _ = resolve_under_mocks(program)
    return Deployed(mocks, monitor, outputs)


def global_table(**args: Any) -> dict[str, Any]:
    defaults = {
        "table_name": "orders",
        "replica_regions": [EU, AP],
        "global_secondary_indexes": [INDEX],
        "autoscaling": {"write": WRITE, "read": READ},
    }
    return provisioned(**{**defaults, **args})


HOME_SCALED = {
    "write": ("dynamodb:table:WriteCapacityUnits", "table/orders", WRITE),
    "read": ("dynamodb:table:ReadCapacityUnits", "table/orders", READ),
    "index-byCustomer-write": ("dynamodb:index:WriteCapacityUnits", "table/orders/index/byCustomer", WRITE),
    "index-byCustomer-read": ("dynamodb:index:ReadCapacityUnits", "table/orders/index/byCustomer", READ),
}


def test_a_provisioned_global_table_adds_its_replicas_after_the_write_auto_scaling_of_its_table_and_indexes() -> None:
    run = deploy(global_table())
    table = run.mocks.one(DYNAMODB_TABLE)
    assert "replicas" not in table.inputs, "no inline replica: those are made inside the table's own create"
    assert run.monitor.ignored["orders-table"] == table_ignored_changes(validate_table_args(global_table()))
    targets, policies = run.named(AUTOSCALING_TARGET), run.named(AUTOSCALING_POLICY)
    for label, (dimension, resource_id, scaling) in HOME_SCALED.items():
        target, policy = targets[f"orders-{label}-scaling"], policies[f"orders-{label}-tracking"]
        assert "region" not in target.inputs  # the table's own region
        assert (target.inputs["serviceNamespace"], target.inputs["scalableDimension"]) == ("dynamodb", dimension)
        assert target.inputs["resourceId"] == resource_id
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (
            scaling["min_capacity"],
            scaling["max_capacity"],
        )
        assert policy.inputs["policyType"] == "TargetTrackingScaling"
        assert (policy.inputs["resourceId"], policy.inputs["scalableDimension"]) == (resource_id, dimension)
        tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
        metric = "DynamoDBWriteCapacityUtilization" if label.endswith("write") else "DynamoDBReadCapacityUtilization"
        assert policy.inputs["name"] == tracking["predefinedMetricSpecification"]["predefinedMetricType"] == metric
        assert tracking["targetValue"] == scaling.get("target_utilization", AUTOSCALING_DEFAULTS["target_utilization"])
    home_policies = [f"orders-{label}-tracking" for label in HOME_SCALED]
    keys = run.named(KMS_KEY)
    replicas = run.named(DYNAMODB_TABLE_REPLICA)
    assert set(replicas) == {f"orders-replica-{EU}", f"orders-replica-{AP}"}
    for region in (EU, AP):
        replica = replicas[f"orders-replica-{region}"]
        assert replica.inputs["globalTableArn"] == table.state["arn"]
        assert replica.inputs["kmsKeyArn"] == keys[f"orders-key-{region}"].state["arn"]
        assert replica.inputs["region"] == region
        assert (replica.inputs["pointInTimeRecovery"], replica.inputs["deletionProtectionEnabled"]) == (True, True)
        assert run.after(f"orders-replica-{region}", *home_policies), f"{region}'s replica before the auto scaling"
        # Only read scaling there: DynamoDB copies the write auto scaling to every replica.
        there = {n: t for n, t in targets.items() if n.endswith(f"-{region}")}
        assert set(there) == {f"orders-read-scaling-{region}", f"orders-index-byCustomer-read-scaling-{region}"}
        for name, target in there.items():
            assert target.inputs["region"] == region
            assert run.after(name, f"orders-replica-{region}"), f"{name} before its replica"
            assert policies[name.replace("-scaling-", "-tracking-")].inputs["region"] == region
    assert len(targets) == len(policies) == len(HOME_SCALED) + 2 * 2


def test_replica_options_reach_the_replica_resources() -> None:
    run = deploy(
        global_table(
            tags={"team": "orders"},
            replica_regions=None,
            replicas=[
                {"region": EU, "point_in_time_recovery": False, "propagate_tags": False},
                {"region": AP, "deletion_protection": False},
            ],
        )
    )
    replicas = run.named(DYNAMODB_TABLE_REPLICA)
    eu, ap = replicas[f"orders-replica-{EU}"], replicas[f"orders-replica-{AP}"]
    assert eu.inputs["pointInTimeRecovery"] is False
    assert "tags" not in eu.inputs or not eu.inputs["tags"]
    assert ap.inputs["deletionProtectionEnabled"] is False
    assert ap.inputs["tags"] == {"team": "orders"}  # propagate_tags: the table's tags


def test_an_on_demand_global_table_keeps_its_inline_replicas_and_scales_nothing() -> None:
    run = deploy({"partition_key": "id", "replica_regions": [EU]})
    assert [r["regionName"] for r in run.mocks.one(DYNAMODB_TABLE).inputs["replicas"]] == [EU]
    assert run.mocks.of_type(DYNAMODB_TABLE_REPLICA) == []
    assert run.mocks.of_type(AUTOSCALING_TARGET) == run.mocks.of_type(AUTOSCALING_POLICY) == []
    assert run.monitor.ignored["orders-table"] == []


def test_a_single_region_provisioned_table_scales_in_its_region() -> None:
    run = deploy(provisioned(autoscaling={"write": WRITE}))
    (target,) = run.mocks.of_type(AUTOSCALING_TARGET)
    table = run.mocks.one(DYNAMODB_TABLE)
    assert target.inputs["resourceId"] == autoscaling_resource_id(run.outputs["table_name"])
    assert target.inputs["resourceId"] == f"table/{table.state['name']}"  # the auto-named table's name
    assert run.monitor.ignored["orders-table"] == ["writeCapacity"]
    assert run.mocks.of_type(DYNAMODB_TABLE_REPLICA) == []


def test_readers_in_other_accounts_of_a_replica_made_apart_get_their_policies_after_it() -> None:
    reader = {"principal": EXTERNAL_READER, "stream": True}
    run = deploy(global_table(replica_regions=[EU], external_principals=[reader]))
    policies = run.named(DYNAMODB_RESOURCE_POLICY)
    table = table_arn(PARTITION, EU, ACCOUNT_ID, "orders")
    assert policies[f"orders-table-policy-{EU}"].inputs["resourceArn"] == table
    # The replica's stream is read in its region once the replica exists: TableReplica exports none.
    assert policies[f"orders-stream-policy-{EU}"].inputs["resourceArn"] == f"{table}/stream/2026-02-02T00:00:00.000"
    assert run.mocks.described == [{"name": "orders", "region": EU}]
    assert f"orders-replica-{EU}" in run.mocks.registered_when_described[0], "the replica described before it exists"
    for name in (f"orders-table-policy-{EU}", f"orders-stream-policy-{EU}"):
        assert run.after(name, f"orders-replica-{EU}"), f"{name} before the replica it governs"
    assert policies["orders-table-policy"].inputs["resourceArn"] == table_arn(PARTITION, REGION, ACCOUNT_ID, "orders")


def test_bad_auto_scaling_refuses_the_component_before_anything_is_registered(mocks: RecordingMocks) -> None:
    with pytest.raises(ConfigError, match=r"^autoscaling: a PROVISIONED table with replicas needs write auto scaling"):
        EncryptedTable("orders", provisioned(replica_regions=[EU]))
    assert mocks.resources == []
