"""A PROVISIONED global table deployed into the emulator as AWS takes it: the stack program with auto scaling,
`pulumi up` by the engine (issue 20).

With write auto scaling the table, its scalable targets and policies, then its replica (a TableReplica made
after them, with its region's key), then the replica region's read scaling are created, and a second `up`
changes nothing; without it the program refuses before anything exists, naming the config keys.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from access.errors import ConfigError
from access.kms_dynamodb import (
    AUTOSCALING_NAMESPACE,
    AUTOSCALING_POLICY_TYPE,
    GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    SCALABLE_DIMENSIONS,
    UTILIZATION_METRICS,
    autoscaling_resource_id,
)
from access.provider_types import AUTOSCALING_POLICY, AUTOSCALING_TARGET, DYNAMODB_TABLE, DYNAMODB_TABLE_REPLICA
from components import EncryptedTable
from sandbox.emulator.account import REGION as HOME
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, ResourceOperationError, Stack
from sandbox.harness import RecordingMocks, run_program
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.sandbox.engine.programs import Program, deploy_program
from verify.findings import Status
from verify.inputs import parse_outputs
from verify.run import Aws, verify

pytestmark = pytest.mark.emulator

EU = "eu-west-1"
PROVISIONED = {"billingMode": "PROVISIONED", "readCapacity": "5", "writeCapacity": "5", "replicaRegions": f'["{EU}"]'}
SCALED = {
    **PROVISIONED,
    "writeCapacityMin": "1",
    "writeCapacityMax": "10",
    "readCapacityMin": "2",
    "readCapacityMax": "8",
}


def targets(emulator: Emulator, region: str) -> dict[str, tuple[int, int]]:
    """The emulator's scalable targets of the DynamoDB namespace in `region`: dimension -> (min, max)."""
    client = emulator.session().client(
        "application-autoscaling", region_name=region, endpoint_url=emulator.endpoint_url
    )
    found = client.describe_scalable_targets(ServiceNamespace=AUTOSCALING_NAMESPACE)["ScalableTargets"]
    return {t["ScalableDimension"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found}


def test_a_provisioned_global_table_with_auto_scaling_deploys_and_stays_put(emulator: Emulator, stack: Stack) -> None:
    deployment = up(stack, **SCALED)
    out = deployment.outputs
    (replica,) = out[contract.REPLICAS]
    made = {(c.typ, c.name): c.action for c in deployment.changes}
    assert made[(DYNAMODB_TABLE_REPLICA, f"encrypted-replica-{EU}")] is Action.CREATE
    assert sum(1 for typ, _ in made if typ == AUTOSCALING_TARGET) == 3  # write, read; read in the replica region
    assert sum(1 for typ, _ in made if typ == AUTOSCALING_POLICY) == 3
    assert targets(emulator, HOME) == {
        SCALABLE_DIMENSIONS[("table", "write")]: (1, 10),
        SCALABLE_DIMENSIONS[("table", "read")]: (2, 8),
    }
    assert targets(emulator, EU)[SCALABLE_DIMENSIONS[("table", "read")]] == (2, 8)
    home = Aws(emulator.session(), emulator.endpoint_url).in_region(HOME).dynamodb()
    described = home.describe_table(TableName=out[contract.TABLE_NAME])["Table"]
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    (live,) = described["Replicas"]
    assert live["RegionName"] == EU
    assert live["KMSMasterKeyId"] == replica[contract.REPLICA_KEY_ARN]
    again = up(stack, **SCALED)
    assert {c.action for c in again.changes} == {Action.SAME}, [c for c in again.changes if c.action is not Action.SAME]


def test_the_verifier_passes_a_provisioned_global_table_in_both_regions(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, **SCALED, testPrincipal="role").outputs
    findings = verify(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out), max_wait=5)
    failed = [f for f in findings if f.status is Status.FAIL]
    assert failed == [], failed
    assert {f.check: f.status for f in findings}[f"replica[{EU}].sse_key"] is Status.PASS


@pytest.mark.parametrize(
    ("config", "keys"),
    [
        (PROVISIONED, "writeCapacityMin/writeCapacityMax"),
        ({**PROVISIONED, "readCapacityMin": "1", "readCapacityMax": "8"}, "writeCapacityMin/writeCapacityMax"),
    ],
)
def test_a_provisioned_global_table_without_write_auto_scaling_is_refused_before_anything_exists(
    emulator: Emulator, stack: Stack, config: dict[str, str], keys: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        up(stack, **config)
    assert raised.value.field == keys
    assert GLOBAL_TABLE_WRITE_CAPACITY_ERROR in raised.value.problem
    assert stack.resources == {}
    for region in (HOME, EU):
        regional = Aws(emulator.session(), emulator.endpoint_url).in_region(region)
        assert regional.dynamodb().list_tables()["TableNames"] == []
        assert targets(emulator, region) == {}


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({**PROVISIONED, "writeCapacityMin": "1"}, "writeCapacityMax"),
        ({**SCALED, "readCapacityMax": "0"}, "readCapacityMax"),
        ({**SCALED, "writeCapacityMin": "20", "writeCapacityMax": "10"}, "writeCapacityMax"),
        ({**SCALED, "targetUtilization": "95"}, "targetUtilization"),
        ({**SCALED, "writeCapacity": "50"}, "writeCapacity"),
        ({"writeCapacityMin": "1", "writeCapacityMax": "10"}, "writeCapacityMin/writeCapacityMax"),
    ],
)
def test_bad_auto_scaling_config_is_refused_naming_the_key_the_user_typed(config: dict[str, str], field: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(config, mocks)
    assert raised.value.field == field
    assert mocks.resources == []


def table_of(stack: Stack) -> Any:
    (table,) = [d for d in stack.resources.values() if d.typ == DYNAMODB_TABLE]
    return table


def test_an_on_demand_global_table_is_made_as_before(stack: Stack) -> None:
    deployment = up(stack, replicaRegions=json.dumps([EU]))
    assert not [c for c in deployment.changes if c.typ in (DYNAMODB_TABLE_REPLICA, AUTOSCALING_TARGET)]
    assert [r["regionName"] for r in table_of(stack).inputs["replicas"]] == [EU]


def test_an_on_demand_global_table_switched_to_provisioned_fails_at_its_replica_as_in_aws(
    emulator: Emulator, stack: Stack
) -> None:
    """docs/components.md: the table ignores `replicas` once they are TableReplica resources, so Pulumi keeps the
    inline replica of the deployed table, and the TableReplica's create finds it there (the engine applies
    ignoreChanges as Pulumi does; it used to drop the inline replica and let the switch through)."""
    out = up(stack, replicaRegions=json.dumps([EU])).outputs
    with pytest.raises(ResourceOperationError, match=f"creating 'encrypted-replica-{EU}'.*already exists"):
        up(stack, **SCALED)
    assert [r["regionName"] for r in table_of(stack).inputs["replicas"]] == [EU], "kept, as ignore_changes keeps it"
    eu = Aws(emulator.session(), emulator.endpoint_url).in_region(EU).dynamodb()
    assert eu.describe_table(TableName=out[contract.TABLE_NAME])["Table"]["TableStatus"] == "ACTIVE"


# -- what AWS itself refuses, and the component's answer with indexes ------------------------------------------


def raw_global_table(*, scale_table: bool, scale_index: bool) -> Program:
    """A PROVISIONED table with an index and a TableReplica, auto scaled only as asked: what the component's
    checks never let through, deployed as a hand-written program would."""

    def build() -> dict[str, Any]:
        table = aws.dynamodb.Table(
            "raw",
            name="raw",
            billing_mode="PROVISIONED",
            read_capacity=1,
            write_capacity=1,
            hash_key="id",
            attributes=[{"name": "id", "type": "S"}, {"name": "customer", "type": "S"}],
            global_secondary_indexes=[
                {
                    "name": "byCustomer",
                    "key_schemas": [{"attribute_name": "customer", "key_type": "HASH"}],
                    "projection_type": "ALL",
                    "read_capacity": 1,
                    "write_capacity": 1,
                }
            ],
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
        )
        policies = []
        for index, wanted in ((None, scale_table), ("byCustomer", scale_index)):
            if not wanted:
                continue
            kind = "table" if index is None else "index"
            target = aws.appautoscaling.Target(
                f"raw-{kind}-write",
                service_namespace=AUTOSCALING_NAMESPACE,
                scalable_dimension=SCALABLE_DIMENSIONS[(kind, "write")],
                resource_id=table.name.apply(lambda name, index=index: autoscaling_resource_id(name, index)),
                min_capacity=1,
                max_capacity=10,
            )
            policies.append(
                aws.appautoscaling.Policy(
                    f"raw-{kind}-write",
                    name=UTILIZATION_METRICS["write"],
                    policy_type=AUTOSCALING_POLICY_TYPE,
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    target_tracking_scaling_policy_configuration={
                        "predefined_metric_specification": {"predefined_metric_type": UTILIZATION_METRICS["write"]},
                        "target_value": 70,
                    },
                )
            )
        aws.dynamodb.TableReplica(
            "raw-replica", global_table_arn=table.arn, region=EU, opts=pulumi.ResourceOptions(depends_on=policies)
        )
        return {}

    return build


@pytest.mark.parametrize(
    ("scale_table", "scale_index", "refusal"),
    [(False, False, GLOBAL_TABLE_WRITE_CAPACITY_ERROR), (True, False, GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR)],
)
def test_aws_refuses_the_replica_of_a_provisioned_table_whose_writes_are_not_all_auto_scaled(
    stack: Stack, scale_table: bool, scale_index: bool, refusal: str
) -> None:
    with pytest.raises(ResourceOperationError) as stopped:
        deploy_program(stack, raw_global_table(scale_table=scale_table, scale_index=scale_index))
    assert (stopped.value.typ, stopped.value.code) == (DYNAMODB_TABLE_REPLICA, "ValidationException")
    assert refusal in stopped.value.message


def test_the_components_global_table_with_an_index_scales_the_index_before_its_replica(
    emulator: Emulator, stack: Stack
) -> None:
    def build() -> dict[str, Any]:
        table = EncryptedTable(
            "orders",
            {
                "partition_key": "id",
                "table_name": "orders",
                "billing_mode": "PROVISIONED",
                "read_capacity": 2,
                "write_capacity": 2,
                "deletion_protection": False,
                "global_secondary_indexes": [
                    {"name": "byCustomer", "partition_key": "customer", "read_capacity": 2, "write_capacity": 2}
                ],
                "replica_regions": [EU],
                "autoscaling": {"write": {"min_capacity": 1, "max_capacity": 10}},
            },
        )
        return {"table": table.table_name}

    out, changes = deploy_program(stack, build)
    assert (DYNAMODB_TABLE_REPLICA, f"orders-replica-{EU}") in {(c.typ, c.name) for c in changes}
    assert targets(emulator, HOME) == {
        SCALABLE_DIMENSIONS[("table", "write")]: (1, 10),
        SCALABLE_DIMENSIONS[("index", "write")]: (1, 10),
    }
    home = emulator.session().client("dynamodb", region_name=HOME, endpoint_url=emulator.endpoint_url)
    assert [r["RegionName"] for r in home.describe_table(TableName=out["table"])["Table"]["Replicas"]] == [EU]
