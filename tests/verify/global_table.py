"""An emulated global table in the in-process emulator (moto), which has no replicas (version 2019.11.21).

Until the sandbox deploys replicas, a test builds them itself: the primary as conftest.moto_deployment
does, then in each replica region that region's key (policy, rotation, alias) and a table of the same
name encrypted with it. `EmulatedGlobalTable` is the verifier's Aws with the two things moto lacks,
for the primary region's DynamoDB client only:
- DescribeTable shows `GlobalTableVersion` and the `Replicas` list AWS would (`listing`);
- PutItem and DeleteItem are copied to the replica tables (`replicate`), as replication would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import moto.kms.models

from components.policy_builders import build_key_policy
from stack import outputs as contract
from tests.verify.conftest import ACCOUNT, REGION
from verify.run import Aws

TABLE = "orders"
ALIAS = "alias/encrypted-dynamodb/dev/encrypted"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/Deployer"


def replica_region(region: str, *, encrypt: str = "cmk", table: bool = True) -> dict[str, Any]:
    """That region's key and, unless table=False, the replica table; the outputs' `replicas` entry.
    encrypt: "cmk" (the region's own key) or "aws-managed" (alias/aws/dynamodb, as AWS reports it)."""
    kms = boto3.client("kms", region_name=region)
    policy = build_key_policy(
        partition="aws", account_id=ACCOUNT, region=region, admin_arns=[], key_user_arns=[], deployer_arn=DEPLOYER
    )
    meta = kms.create_key(Policy=json.dumps(policy), KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")[
        "KeyMetadata"
    ]
    kms.enable_key_rotation(KeyId=meta["KeyId"])
    kms.create_alias(AliasName=ALIAS, TargetKeyId=meta["KeyId"])
    arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{TABLE}"
    if table:
        sse: dict[str, Any] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": meta["Arn"]}
        if encrypt == "aws-managed":
            sse = {"Enabled": True, "SSEType": "KMS"}
        arn = boto3.client("dynamodb", region_name=region).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification=sse,
        )["TableDescription"]["TableArn"]
        if encrypt == "aws-managed":
            as_aws_reports_it(region)
    return {
        contract.REPLICA_REGION: region,
        contract.REPLICA_KEY_ARN: meta["Arn"],
        contract.REPLICA_KEY_ALIAS: ALIAS,
        contract.REPLICA_ARN: arn,
    }


def as_aws_reports_it(region: str) -> None:
    """moto creates `aws/dynamodb` with KeyManager=CUSTOMER (aws-notes); AWS says AWS."""
    backend = moto.kms.models.kms_backends[ACCOUNT][region]
    backend.keys[backend.get_key_id_from_alias("alias/aws/dynamodb")].key_manager = "AWS"


def sse_key(region: str) -> str:
    table = boto3.client("dynamodb", region_name=region).describe_table(TableName=TABLE)["Table"]
    return str(table["SSEDescription"]["KMSMasterKeyArn"])


def listing_of(replicas: list[dict[str, Any]], status: dict[str, str] | None = None) -> tuple[dict[str, Any], ...]:
    """The `Replicas` AWS would show: each region ACTIVE (or `status[region]`) with the key its table uses."""
    return tuple(
        {
            "RegionName": r[contract.REPLICA_REGION],
            "ReplicaStatus": (status or {}).get(r[contract.REPLICA_REGION], "ACTIVE"),
            "KMSMasterKeyId": sse_key(r[contract.REPLICA_REGION]),
        }
        for r in replicas
    )


class _Primary:
    """The primary region's DynamoDB client, with what a global table adds."""

    def __init__(self, client: Any, aws: EmulatedGlobalTable) -> None:
        self._client, self._aws = client, aws

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_table(self, **kwargs: Any) -> Any:
        answer = self._client.describe_table(**kwargs)
        answer["Table"]["GlobalTableVersion"] = "2019.11.21"
        answer["Table"]["Replicas"] = [dict(r) for r in self._aws.listing]
        return answer

    def put_item(self, **kwargs: Any) -> Any:
        answer = self._client.put_item(**kwargs)
        for region in self._aws.replicate:
            boto3.client("dynamodb", region_name=region).put_item(TableName=kwargs["TableName"], Item=kwargs["Item"])
        return answer

    def delete_item(self, **kwargs: Any) -> Any:
        answer = self._client.delete_item(**kwargs)
        for region in self._aws.replicate:
            boto3.client("dynamodb", region_name=region).delete_item(TableName=kwargs["TableName"], Key=kwargs["Key"])
        return answer


@dataclass(frozen=True)
class EmulatedGlobalTable(Aws):
    listing: tuple[dict[str, Any], ...] = ()
    replicate: tuple[str, ...] = ()  # the regions a write in the primary reaches

    def dynamodb(self) -> Any:
        client = super().dynamodb()
        return _Primary(client, self) if self.region in (None, REGION) else client


def global_table(
    replicas: list[dict[str, Any]], *, replicate: bool = True, status: dict[str, str] | None = None
) -> EmulatedGlobalTable:
    """The verifier's Aws for a global table of these replicas (listed as AWS would, replicating)."""
    return EmulatedGlobalTable(
        boto3.session.Session(region_name=REGION),
        listing=listing_of(replicas, status),
        replicate=tuple(r[contract.REPLICA_REGION] for r in replicas) if replicate else (),
    )


def items(region: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=region).scan(TableName=TABLE)["Items"]
