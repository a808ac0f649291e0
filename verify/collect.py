"""Collect: boto3 calls -> small typed records. No judgement here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from verify.failures import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient


@dataclass(frozen=True)
class TableRecord:
    exists: bool
    status: str = ""
    sse_status: str = ""
    sse_type: str = ""
    kms_key_arn: str = ""  # resolved to a key ARN when DynamoDB reports an alias
    inaccessible_since: str = ""
    point_in_time_recovery: str = ""
    deletion_protection: bool = False
    key_schema: tuple[tuple[str, str], ...] = ()  # (attribute, S/N/B), partition key first


@dataclass(frozen=True)
class KeyRecord:
    exists: bool
    arn: str = ""
    state: str = ""
    manager: str = ""
    spec: str = ""
    usage: str = ""
    rotation_enabled: bool = False
    policy_text: str = ""


@dataclass(frozen=True)
class AliasRecord:
    name: str
    target_key_arn: str  # "" when the alias does not exist


def resolve_key_arn(kms: KMSClient, key: str) -> str:
    """A key ARN for a key id, key ARN or alias (name or ARN), as KMS resolves it."""
    if not key:
        return ""
    try:
        return str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
    except ClientError as error:
        if error_code(error) in ("NotFoundException", "NotFound"):
            return key
        raise


def collect_table(dynamodb: DynamoDBClient, kms: KMSClient, table_name: str) -> TableRecord:
    try:
        table = dynamodb.describe_table(TableName=table_name)["Table"]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return TableRecord(exists=False)
        raise
    sse = table.get("SSEDescription") or {}
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    schema = sorted(table.get("KeySchema", []), key=lambda k: k["KeyType"] != "HASH")
    backups = dynamodb.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"]
    pitr = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus", "DISABLED")
    inaccessible = sse.get("InaccessibleEncryptionDateTime")
    return TableRecord(
        exists=True,
        status=table.get("TableStatus", ""),
        sse_status=sse.get("Status", ""),
        sse_type=sse.get("SSEType", ""),
        kms_key_arn=resolve_key_arn(kms, sse.get("KMSMasterKeyArn", "")),
        inaccessible_since=str(inaccessible) if inaccessible else "",
        point_in_time_recovery=pitr,
        deletion_protection=bool(table.get("DeletionProtectionEnabled", False)),
        key_schema=tuple((k["AttributeName"], types.get(k["AttributeName"], "S")) for k in schema),
    )


def collect_key(kms: KMSClient, key_id: str) -> KeyRecord:
    try:
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) in ("NotFoundException", "NotFound"):
            return KeyRecord(exists=False)
        raise
    customer_managed = meta.get("KeyManager") == "CUSTOMER"
    rotation = customer_managed and bool(kms.get_key_rotation_status(KeyId=meta["KeyId"]).get("KeyRotationEnabled"))
    policy = kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"] if customer_managed else ""
    return KeyRecord(
        exists=True,
        arn=meta["Arn"],
        state=meta.get("KeyState", ""),
        manager=meta.get("KeyManager", ""),
        spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec", ""),
        usage=meta.get("KeyUsage", ""),
        rotation_enabled=rotation,
        policy_text=policy,
    )


def collect_alias(kms: KMSClient, alias_name: str) -> AliasRecord:
    return AliasRecord(alias_name, resolve_key_arn(kms, alias_name) if alias_name else "")
