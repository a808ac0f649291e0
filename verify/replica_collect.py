"""Collect, per replica region: DescribeTable, the key, its alias and policy, read with that region's
clients, as small typed records for the replicas' judges (replicas.py). No judgement here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from verify.collect import (
    AliasRecord,
    KeyRecord,
    ReplicaRecord,
    TableRecord,
    collect_alias,
    collect_key,
    collect_table,
    resolve_key_arn,
)
from verify.failures import is_operational
from verify.inputs import Replica

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient


@dataclass(frozen=True)
class RegionRecords:
    """What one replica region holds, read with that region's clients."""

    replica: Replica
    table: TableRecord
    listed: ReplicaRecord | None  # the primary's `Replicas` entry for the region, its key resolved there
    key: KeyRecord
    alias: AliasRecord
    # KeyManager ("AWS" / "CUSTOMER") of the key the replica is encrypted with when it is not the
    # declared one; "" when unknown (the verifier's policy covers the stack's keys only).
    other_key_manager: str = ""


def _key_manager(kms: KMSClient, key_arn: str) -> str:
    try:
        return str(kms.describe_key(KeyId=key_arn)["KeyMetadata"].get("KeyManager", ""))
    except ClientError as error:
        if is_operational(error):
            raise
        return ""


def collect_region(
    dynamodb: DynamoDBClient, kms: KMSClient, replica: Replica, table_name: str, primary: TableRecord
) -> RegionRecords:
    """DescribeTable, the key, its alias and policy, in the replica's region (clients of that region)."""
    table = collect_table(dynamodb, kms, table_name)
    listed = next((r for r in primary.replicas if r.region == replica.region), None)
    if listed is not None:
        listed = dataclasses.replace(listed, kms_key=resolve_key_arn(kms, listed.kms_key))
    other = table.kms_key_arn not in ("", replica.key_arn)
    return RegionRecords(
        replica=replica,
        table=table,
        listed=listed,
        key=collect_key(kms, replica.key_arn),
        alias=collect_alias(kms, replica.key_alias),
        other_key_manager=_key_manager(kms, table.kms_key_arn) if other else "",
    )
