"""A deployment in the in-process emulator (moto), shaped as the program deploys it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.policy_builders import build_key_policy
from stack import outputs as contract

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def deployer_key_policy() -> dict[str, Any]:
    """The key policy the components write with no administrator and no key user: the deployer's only."""
    return build_key_policy(
        partition="aws",
        account_id=ACCOUNT,
        region=REGION,
        admin_arns=[],
        key_user_arns=[],
        deployer_arn=f"arn:aws:iam::{ACCOUNT}:role/Deployer",
    )


def moto_deployment(
    *,
    encrypt: str = "cmk",  # "cmk", "aws-managed" or "none"
    rotation: bool = True,
    policy: dict[str, Any] | None = None,
    principal: str = "user",
    expected: str = contract.EXPECT_READ,
) -> dict[str, Any]:
    """Create key, alias, table and test principal with boto3; return the stack outputs."""
    kms = boto3.client("kms", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    key_policy = policy or deployer_key_policy()
    key = kms.create_key(Policy=json.dumps(key_policy), KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
    meta = key["KeyMetadata"]
    if rotation:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    kms.create_alias(AliasName="alias/encrypted-dynamodb/dev/encrypted", TargetKeyId=meta["KeyId"])
    sse: dict[str, Any] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": meta["Arn"]}
    if encrypt == "aws-managed":
        sse = {"Enabled": True, "SSEType": "KMS"}
    table_args: dict[str, Any] = {
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "DeletionProtectionEnabled": True,
    }
    if encrypt != "none":
        table_args["SSESpecification"] = sse
    table = dynamodb.create_table(**table_args)["TableDescription"]
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    out: dict[str, Any] = {
        contract.REGION: REGION,
        contract.ACCOUNT_ID: ACCOUNT,
        contract.TABLE_NAME: "orders",
        contract.TABLE_ARN: table["TableArn"],
        contract.KEY_ID: meta["KeyId"],
        contract.KEY_ARN: meta["Arn"],
        contract.KEY_ALIAS: "alias/encrypted-dynamodb/dev/encrypted",
        contract.POINT_IN_TIME_RECOVERY: True,
        contract.DELETION_PROTECTION: True,
        contract.TEST_PRINCIPAL_KIND: principal,
    }
    if principal == "user":
        user = iam.create_user(UserName="test-principal")["User"]
        access = iam.create_access_key(UserName="test-principal")["AccessKey"]
        out |= {
            contract.TEST_PRINCIPAL_ARN: user["Arn"],
            contract.TEST_PRINCIPAL_EXPECTED_ACCESS: expected,
            contract.TEST_USER_ACCESS_KEY_ID: access["AccessKeyId"],
            contract.TEST_USER_SECRET_ACCESS_KEY: access["SecretAccessKey"],
        }
    elif principal == "role":
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = iam.create_role(RoleName="test-principal", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        out |= {contract.TEST_PRINCIPAL_ARN: role["Arn"], contract.TEST_PRINCIPAL_EXPECTED_ACCESS: expected}
    return out


def user_items() -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName="orders")["Items"]


# The sandbox's emulator fixtures, for the tests that explain live policies.
from tests.sandbox.conftest import clean_aws_env, emulator, stack  # noqa: E402, F401
