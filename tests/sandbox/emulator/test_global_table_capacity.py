"""Issue 20: a replica of a PROVISIONED table is refused, as DynamoDB refuses it, unless Application Auto Scaling
scales the table's write capacity and each global secondary index's, in the table's region; on-demand unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from access.kms_dynamodb import (
    GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    SCALABLE_DIMENSIONS,
    autoscaling_resource_id,
)
from sandbox.emulator.server import Emulator
from tests.sandbox.emulator.test_holes import region_client

pytestmark = pytest.mark.emulator

REPLICA_REGION = "eu-west-1"
INDEX = "byCustomer"
CAPACITY = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def table(emulator: Emulator, billing: str) -> Any:
    dynamodb = emulator.client("dynamodb")
    provisioned = billing == "PROVISIONED"
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "customer", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                **({"ProvisionedThroughput": CAPACITY} if provisioned else {}),
            }
        ],
        BillingMode=billing,
        **({"ProvisionedThroughput": CAPACITY} if provisioned else {}),
    )
    return dynamodb


def scale(emulator: Emulator, index: str | None, kind: str, *, region: str | None = None, policy: bool = True) -> None:
    """Application Auto Scaling of the table's (or the index's) capacity of this kind: a target, and a
    target-tracking policy unless told otherwise."""
    scaling = region_client(emulator, "application-autoscaling", region or emulator.region)
    resource = autoscaling_resource_id("orders", index)
    dimension = SCALABLE_DIMENSIONS[("table" if index is None else "index", kind)]
    scaling.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=dimension, MinCapacity=1, MaxCapacity=20
    )
    if policy:
        metric = "DynamoDBWriteCapacityUtilization" if kind == "write" else "DynamoDBReadCapacityUtilization"
        scaling.put_scaling_policy(
            PolicyName=f"{resource}-{kind}",
            ServiceNamespace="dynamodb",
            ResourceId=resource,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            },
        )


def add_replica(dynamodb: Any) -> Any:
    return dynamodb.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": REPLICA_REGION}}])


def refusal(dynamodb: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        add_replica(dynamodb)
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def no_replica(emulator: Emulator) -> bool:
    tables = region_client(emulator, "dynamodb", REPLICA_REGION).list_tables()["TableNames"]
    return (
        "orders" not in tables
        and "Replicas" not in emulator.client("dynamodb").describe_table(TableName="orders")["Table"]
    )


TABLE_REFUSED = ("ValidationException", GLOBAL_TABLE_WRITE_CAPACITY_ERROR)
INDEX_REFUSED = ("ValidationException", GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR)


def test_a_provisioned_table_without_write_auto_scaling_gets_no_replica(emulator: Emulator) -> None:
    dynamodb = table(emulator, "PROVISIONED")
    assert refusal(dynamodb) == TABLE_REFUSED
    scale(emulator, None, "read")
    scale(emulator, INDEX, "read")
    assert refusal(dynamodb) == TABLE_REFUSED  # read auto scaling is not the requirement
    scale(emulator, None, "write", policy=False)
    assert refusal(dynamodb) == TABLE_REFUSED  # a target without a scaling policy is not auto scaling
    scale(emulator, None, "write", region=REPLICA_REGION)
    assert refusal(dynamodb) == TABLE_REFUSED  # in another region than the table's
    assert no_replica(emulator)


def test_each_global_secondary_index_needs_write_auto_scaling_too(emulator: Emulator) -> None:
    dynamodb = table(emulator, "PROVISIONED")
    scale(emulator, None, "write")
    assert refusal(dynamodb) == INDEX_REFUSED
    scale(emulator, INDEX, "write", policy=False)
    assert refusal(dynamodb) == INDEX_REFUSED
    assert no_replica(emulator)
    scale(emulator, INDEX, "write")
    replicas = add_replica(dynamodb)["TableDescription"]["Replicas"]
    assert [r["RegionName"] for r in replicas] == [REPLICA_REGION]
    assert "orders" in region_client(emulator, "dynamodb", REPLICA_REGION).list_tables()["TableNames"]


def test_an_on_demand_table_needs_no_auto_scaling(emulator: Emulator) -> None:
    dynamodb = table(emulator, "PAY_PER_REQUEST")
    assert [r["RegionName"] for r in add_replica(dynamodb)["TableDescription"]["Replicas"]] == [REPLICA_REGION]
