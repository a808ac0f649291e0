"""A PROVISIONED global table deployed into the emulator as AWS takes it: the stack program with auto scaling,
`pulumi up` by the engine (issue 20).

With write auto scaling the table, its scalable targets and policies, then its replica (a TableReplica made
after them, with its region's key), then the replica region's read scaling are created, and a second `up`
changes nothing; without it the program refuses before anything exists, naming the config keys.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.errors import ConfigError
from access.kms_dynamodb import AUTOSCALING_NAMESPACE, GLOBAL_TABLE_WRITE_CAPACITY_ERROR, SCALABLE_DIMENSIONS
from access.provider_types import AUTOSCALING_POLICY, AUTOSCALING_TARGET, DYNAMODB_TABLE, DYNAMODB_TABLE_REPLICA
from sandbox.emulator.account import REGION as HOME
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
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


def table_of(stack: Stack) -> Any:
    (table,) = [d for d in stack.resources.values() if d.typ == DYNAMODB_TABLE]
    return table


def test_an_on_demand_global_table_is_made_as_before(stack: Stack) -> None:
    deployment = up(stack, replicaRegions=json.dumps([EU]))
    assert not [c for c in deployment.changes if c.typ in (DYNAMODB_TABLE_REPLICA, AUTOSCALING_TARGET)]
    assert [r["regionName"] for r in table_of(stack).inputs["replicas"]] == [EU]
