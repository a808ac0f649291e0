"""A DynamoDB stream's own resource policy is stored, read back and deleted, as DynamoDB does it (moto
refused a stream ARN: it took the ARN's last segment for a table name); a stream that does not exist
takes none (rbac-considerations: only existing streams take a policy)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from sandbox.emulator.server import Emulator

pytestmark = pytest.mark.emulator


def _policy(stream_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:role/external-reader"},
                    "Action": ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"],
                    "Resource": stream_arn,
                }
            ],
        }
    )


def test_a_stream_policy_is_put_read_and_deleted(emulator: Emulator) -> None:
    dynamodb = emulator.client("dynamodb")
    table = dynamodb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    dynamodb.put_resource_policy(ResourceArn=stream_arn, Policy=_policy(stream_arn))
    assert json.loads(dynamodb.get_resource_policy(ResourceArn=stream_arn)["Policy"]) == json.loads(_policy(stream_arn))
    # The table's own policy is another document: none was put.
    with pytest.raises(ClientError) as table_policy:
        dynamodb.get_resource_policy(ResourceArn=table["TableArn"])
    assert table_policy.value.response["Error"]["Code"] == "PolicyNotFoundException"
    dynamodb.delete_resource_policy(ResourceArn=stream_arn)
    with pytest.raises(ClientError) as gone:
        dynamodb.get_resource_policy(ResourceArn=stream_arn)
    assert gone.value.response["Error"]["Code"] == "PolicyNotFoundException"


def test_a_stream_that_does_not_exist_takes_no_policy(emulator: Emulator) -> None:
    dynamodb = emulator.client("dynamodb")
    table = dynamodb.create_table(
        TableName="unstreamed",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    stream_arn = f"{table['TableArn']}/stream/2026-01-01T00:00:00.000"
    with pytest.raises(ClientError) as refused:
        dynamodb.put_resource_policy(ResourceArn=stream_arn, Policy=_policy(stream_arn))
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
