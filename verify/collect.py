"""Collect: boto3 calls -> small typed records. No judgement here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from access.arns import KEY_ARN_PATTERN
from access.evaluator import Grant
from access.kms_dynamodb import KEY_MANAGER_CUSTOMER
from verify.explain import key_grants
from verify.failures import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient


@dataclass(frozen=True)
class ReplicaRecord:
    """One entry of the primary's DescribeTable `Replicas` (global tables version 2019.11.21)."""

    region: str
    status: str = ""
    kms_key: str = ""  # as DynamoDB reports it: a key ARN, id or alias; resolved in the replica's region
    inaccessible_since: str = ""
    status_description: str = ""


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
    global_table_version: str = ""
    replicas: tuple[ReplicaRecord, ...] = ()
    stream_arn: str = ""  # the latest stream's (readable 24 hours after the stream is turned off)


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
    deletion_date: str = ""  # DescribeKey DeletionDate: when KMS deletes a key pending deletion


@dataclass(frozen=True)
class AliasRecord:
    name: str
    target_key_arn: str  # "" when the alias does not exist


def resolve_key_arn(kms: KMSClient, key: str) -> str:
    """A key ARN for a key id, key ARN or alias (name or ARN), as KMS resolves it. A key ARN is
    itself: describing a key the verifier was not given (AWS managed, another region's) would need
    rights its policy does not hold."""
    if not key or KEY_ARN_PATTERN.fullmatch(key):
        return key
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
    replicas = tuple(
        ReplicaRecord(
            region=r.get("RegionName", ""),
            status=r.get("ReplicaStatus", ""),
            kms_key=r.get("KMSMasterKeyId", ""),
            inaccessible_since=str(r["ReplicaInaccessibleDateTime"]) if r.get("ReplicaInaccessibleDateTime") else "",
            status_description=r.get("ReplicaStatusDescription", ""),
        )
        for r in table.get("Replicas", [])
    )
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
        global_table_version=table.get("GlobalTableVersion", ""),
        stream_arn=table.get("LatestStreamArn", ""),
        replicas=replicas,
    )


def collect_key(kms: KMSClient, key_id: str) -> KeyRecord:
    try:
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) in ("NotFoundException", "NotFound"):
            return KeyRecord(exists=False)
        raise
    customer_managed = meta.get("KeyManager") == KEY_MANAGER_CUSTOMER
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
        deletion_date=str(meta["DeletionDate"]) if meta.get("DeletionDate") else "",
    )


def collect_alias(kms: KMSClient, alias_name: str) -> AliasRecord:
    return AliasRecord(alias_name, resolve_key_arn(kms, alias_name) if alias_name else "")


@dataclass(frozen=True)
class KeyPrincipals:
    """Who the key names: its policy (as text) and its grants."""

    policy_text: str
    grants: tuple[Grant, ...]


def collect_key_principals(kms: KMSClient, key_arn: str) -> KeyPrincipals | None:
    """The key policy and every grant (ListGrants, paged); None when there is no such key (the key
    checks say so). Any other refusal ends the run: kms:GetKeyPolicy and kms:ListGrants are in the
    verifier's policy."""
    try:
        policy = kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
        grants = key_grants(kms, key_arn)
    except ClientError as error:
        if error_code(error) in ("NotFoundException", "NotFound"):
            return None
        raise
    return KeyPrincipals(policy, tuple(grants))
