"""Application Auto Scaling takes only target tracking for DynamoDB (API_PutScalingPolicy, PolicyType:
"StepScaling—Not supported for DynamoDB"); moto took any type, so a step-scaled table passed offline."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from access.kms_dynamodb import SCALABLE_DIMENSIONS, autoscaling_resource_id
from sandbox.emulator.server import Emulator
from tests.sandbox.emulator.test_global_table_capacity import CAPACITY, table

pytestmark = pytest.mark.emulator

WRITE = SCALABLE_DIMENSIONS[("table", "write")]


def put(emulator: Emulator, kind: str) -> None:
    scaling = emulator.client("application-autoscaling")
    scaling.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId=autoscaling_resource_id("orders", None),
        ScalableDimension=WRITE,
        MinCapacity=1,
        MaxCapacity=CAPACITY["WriteCapacityUnits"] * 4,
    )
    configuration = (
        {
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
            }
        }
        if kind == "TargetTrackingScaling"
        else {"StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": []}}
    )
    scaling.put_scaling_policy(
        PolicyName=f"orders-{kind}",
        ServiceNamespace="dynamodb",
        ResourceId=autoscaling_resource_id("orders", None),
        ScalableDimension=WRITE,
        PolicyType=kind,
        **configuration,  # type: ignore[arg-type]
    )


def test_dynamodb_takes_target_tracking_only(emulator: Emulator) -> None:
    table(emulator, "PROVISIONED")
    put(emulator, "TargetTrackingScaling")
    with pytest.raises(ClientError) as error:
        put(emulator, "StepScaling")
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "StepScaling" in error.value.response["Error"]["Message"]
