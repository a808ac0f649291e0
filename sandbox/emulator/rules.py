"""What AWS checks before a control-plane request, and on which resource: the emulator's own authorization rules.

moto's identity check judges every action against Resource "*" and ignores conditions and
key policies, so an identity policy scoped to a table or key ARN is wrongly refused, and a
key policy never refuses. For the operations mapped here the layer decides instead, on the
real resources, and moto's check stands aside; for the rest (IAM, ListKeys, RetireGrant,
global tables, ...) moto's check stays. A need carries the condition keys the request sets from its own
parameters (kms_request_keys); a KMS key need, whether its parameter takes an alias at all
(kms_parameter_takes_alias).

A rule is a list of needs, each judged in turn (the first refusal is the answer):
- `Iam`: an IAM action on a resource ARN (or "*"), decided by identity policies;
- `Key`: a KMS action on a key given as the request gives it (id, ARN, alias name or alias
  ARN; or the key a ciphertext was made with), decided as KMS decides it: key policy,
  identity policies and grants; `via_dynamodb` for what DynamoDB does with the key as the
  caller (kms:CreateGrant and kms:DescribeKey to put a table under it);
- `TableData`: kms:Decrypt through DynamoDB on the key of a table's data, as the caller,
  with the table's encryption context; today only for the table a stream shard iterator
  reads (GetRecords), the one documented-unsettled case (below);
- `AssumeRole`: sts:AssumeRole, decided by the role's trust policy and identity policies.

Sources: the Service Authorization Reference for DynamoDB and KMS (resource types of each
action); "Using IAM with DynamoDB backup and restore"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/backuprestore_IAM.html:
RestoreTableFromBackup on the backup and RestoreTableToPointInTime on the source table, plus
BatchWriteItem, DeleteItem, GetItem, PutItem, Query, Scan and UpdateItem on the target table;
an SSESpecificationOverride to a customer-managed key needs that key's rights, to the AWS
owned key none; CreateBackup on the table); "Requesting a table export"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport_Requesting.html:
ExportTableToPointInTime on the table, plus S3 writes to the bucket, not modelled: the sandbox
serves no S3). None of them needs a key right of the caller on the source's key (DynamoDB reads
it with its own grant): requiring one would be stricter than AWS and hide these paths from the
audit. "DynamoDB Streams are always encrypted with a table-level encryption key" (the encryption
usage notes) and aws-cdk PR 23400 (grantStreamRead adds kms:Decrypt) for GetRecords. Stream
metadata (DescribeStream, GetShardIterator) carries no item data: IAM on the stream alone.

Pure; nothing here touches moto.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from access.arns import Location
from access.operations import BY_NAME, account_wide_operations, operations_by_parameter
from sandbox.emulator.requests import Call

# Condition keys a request sets from its own parameters, as the request carries them.
RequestKeys = Mapping[str, str | bool]


@dataclass(frozen=True)
class Iam:
    action: str
    resource: str  # an ARN, or "*"
    context: RequestKeys = field(default_factory=dict)


@dataclass(frozen=True)
class Key:
    action: str
    key: str  # as the request names it; "" with a ciphertext
    ciphertext: str = ""  # base64 CiphertextBlob, when the key is the one it was made with
    encryption_context: Mapping[str, str] = field(default_factory=dict)
    via_dynamodb: bool = False
    alias_allowed: bool = True  # False: the parameter takes a key id or key ARN only (kms_parameter_takes_alias)
    context: RequestKeys = field(default_factory=dict)


@dataclass(frozen=True)
class TableData:
    table: str = ""  # a table name
    backup: str = ""  # a backup ARN: the backed-up table's key
    iterator: str = ""  # a shard iterator: dynamodb:GetRecords on its stream, then the stream's table's key


@dataclass(frozen=True)
class AssumeRole:
    role_arn: str


Need = Iam | Key | TableData | AssumeRole

# The item actions DynamoDB checks on a restore's target table.
RESTORE_TARGET_ACTIONS = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
# What DynamoDB needs of the caller on the key of a table it creates (the aws-notes: CreateGrant).
TABLE_KEY_ACTIONS = ("kms:DescribeKey", "kms:CreateGrant")

# Control-plane calls judged on the resource their parameter names, from the catalogue of operations
# (access.operations): a call that reads or writes items is never among them (the data plane decides
# those, with the key), nor one the catalogue gives a parameter of its own handled below.
_BY_PARAMETER = operations_by_parameter("dynamodb")
_BY_TABLE_NAME = frozenset(
    name for name in _BY_PARAMETER["TableName"] if not (BY_NAME[name].reads or BY_NAME[name].writes)
)
_BY_RESOURCE_ARN = _BY_PARAMETER["ResourceArn"]
# Judged on the ARN their parameter names as it is: a backup's (but a restore, below), an export's, an import's.
_BY_OWN_ARN = {
    name: parameter
    for parameter in ("BackupArn", "ExportArn", "ImportArn")
    for name in _BY_PARAMETER.get(parameter, frozenset())
    if BY_NAME[name].path is None
}
_ACCOUNT_WIDE = account_wide_operations("dynamodb")
_STREAM_ACCOUNT_WIDE = account_wide_operations("dynamodbstreams")
_BY_STREAM_ARN = operations_by_parameter("dynamodbstreams")["StreamArn"]
# KMS operations with a KeyId that KMS authorizes otherwise: ListAliases (Resource "*"), RetireGrant (the grant).
_KMS_NOT_BY_KEY = frozenset({"ListAliases", "RetireGrant"})


@functools.cache
def kms_key_operations() -> frozenset[str]:
    """KMS operations whose input names a key (KeyId), from botocore's model."""
    model = botocore.session.get_session().get_service_model("kms")
    found = set()
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None and "KeyId" in shape.members and name not in _KMS_NOT_BY_KEY:
            found.add(name)
    return frozenset(found)


# The API reference's words for a KeyId that takes an alias: "To specify a KMS key, use its key ID, key ARN,
# alias name, or alias ARN." The others say "Specify the key ID or key ARN of the KMS key" (DisableKey,
# ScheduleKeyDeletion, GetKeyPolicy, CreateGrant, TagResource, ...), and KMS finds no key by an alias there.
_TAKES_ALIAS = "alias name, or alias ARN"


@functools.cache
def kms_parameter_takes_alias(operation: str, parameter: str = "KeyId") -> bool:
    """Does this KMS operation's key parameter take an alias name or alias ARN? From botocore's model, which
    carries the API reference's text of each parameter."""
    shape = botocore.session.get_session().get_service_model("kms").operation_model(operation).input_shape
    member = shape.members.get(parameter) if shape is not None else None
    text = " ".join(re.sub(r"<[^>]+>", " ", member.documentation if member is not None else "").split())
    return _TAKES_ALIAS in text


# Condition keys KMS sets from a request's parameters, only when the request carries the parameter: "the
# kms:BypassPolicyLockoutSafetyCheck condition key controls access to the CreateKey and PutKeyPolicy
# operations based on the value of the BypassPolicyLockoutSafetyCheck parameter in the request", and a key
# policy can "allow access only when the request does not include the BypassPolicyLockoutSafetyCheck
# parameter" with the Null operator (conditions-kms.html); "You can use the
# kms:ScheduleKeyDeletionPendingWindowInDays condition key to further constrain the values that principals
# can specify in the PendingWindowInDays parameter" (the ScheduleKeyDeletion API reference).
BYPASS_LOCKOUT_PARAMETER = "BypassPolicyLockoutSafetyCheck"
KMS_REQUEST_CONDITION_KEYS: Mapping[str, Mapping[str, str]] = {
    "CreateKey": {BYPASS_LOCKOUT_PARAMETER: "kms:BypassPolicyLockoutSafetyCheck"},
    "PutKeyPolicy": {BYPASS_LOCKOUT_PARAMETER: "kms:BypassPolicyLockoutSafetyCheck"},
    "ScheduleKeyDeletion": {"PendingWindowInDays": "kms:ScheduleKeyDeletionPendingWindowInDays"},
}


def is_alias(reference: str) -> bool:
    """Does a KeyId name an alias (alias/NAME, or an alias ARN)?"""
    name = reference.split(":", 5)[5] if reference.startswith("arn:") and reference.count(":") >= 5 else reference
    return name.startswith("alias/")


def kms_request_keys(operation: str, params: Mapping[str, Any]) -> dict[str, str | bool]:
    """The condition keys a KMS request sets from its parameters (a boolean as given, a number as text)."""
    found: dict[str, str | bool] = {}
    for parameter, key in KMS_REQUEST_CONDITION_KEYS.get(operation, {}).items():
        value = params.get(parameter)
        if isinstance(value, bool):
            found[key] = value
        elif isinstance(value, int | str):
            found[key] = str(value)
    return found


# Where the emulator's resources live, for ARNs: the access core's (partition, region, account) record.
Place = Location


def _text(params: Mapping[str, Any], *names: str) -> str | None:
    """The first of these parameters that is a non-empty string; None if none is."""
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _context(params: Mapping[str, Any]) -> dict[str, str]:
    context = params.get("EncryptionContext")
    return {str(k): str(v) for k, v in context.items()} if isinstance(context, Mapping) else {}


def needs(call: Call, place: Place) -> list[Need] | None:
    """What AWS checks before this request; None for a request the rules do not map (moto's check stays)."""
    name, operation, params = call.service.name, call.operation, call.params
    if name == "dynamodb":
        return _dynamodb(operation, params, place)
    if name == "dynamodbstreams":
        return _streams(operation, params)
    if name == "kms":
        return _kms(operation, params, place)
    if name == "sts" and operation == "AssumeRole":
        role = _text(params, "RoleArn")
        return [AssumeRole(role)] if role else None
    if name == "events":
        return _events(operation, params, place)
    if name == "sns":
        return _sns(operation, params, place)
    if name == "application-autoscaling" and operation in _SCALING_OPERATIONS:
        return [Iam(f"application-autoscaling:{operation}", "*")]
    return None


# -- the key-loss alarms and provisioned global tables (issue 20) -------------------------------------
# EventBridge rules and SNS topics are judged on their ARNs, as the Service Authorization Reference gives
# them: a rule is arn:${Partition}:events:${Region}:${Account}:rule/[${EventBusName}/]${RuleName} (the
# default bus's rules have no bus segment), a topic arn:${Partition}:sns:${Region}:${Account}:${TopicName}
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html,
# list_amazonsns.html); moto's own check judged them against "*", so a policy scoped to a rule or a topic
# (the verifier's least privilege) was refused. Application Auto Scaling is judged on "*": its Describe
# calls support no resource, and a scalable target's ARN is AWS's own id, which no request names
# (list_awsapplicationautoscaling.html); a policy scoped to one is refused, as moto refused it.
_RULE_BY_NAME = frozenset({"PutRule", "DescribeRule", "DeleteRule", "EnableRule", "DisableRule"})
_RULE_BY_RULE = frozenset({"PutTargets", "RemoveTargets", "ListTargetsByRule"})
_BY_RESOURCE_ARN_OF = {"events": "ResourceARN", "sns": "ResourceArn"}
_TAGGING = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})
_TOPIC_BY_ARN = frozenset(
    {
        "GetTopicAttributes",
        "SetTopicAttributes",
        "DeleteTopic",
        "Subscribe",
        "Publish",
        "ListSubscriptionsByTopic",
        "AddPermission",
        "RemovePermission",
    }
)
_SCALING_OPERATIONS = frozenset(
    {
        "RegisterScalableTarget",
        "DeregisterScalableTarget",
        "DescribeScalableTargets",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
        "DescribeScalingPolicies",
        "DescribeScalingActivities",
    }
)
DEFAULT_EVENT_BUS = "default"


def rule_arn(place: Place, name: str, event_bus: str | None = None) -> str:
    """An EventBridge rule's ARN; `event_bus` a bus name or ARN, the default bus when None."""
    bus = (event_bus or DEFAULT_EVENT_BUS).rsplit("event-bus/", 1)[-1]
    path = name if bus == DEFAULT_EVENT_BUS else f"{bus}/{name}"
    return f"arn:{place.partition}:events:{place.region}:{place.account_id}:rule/{path}"


def topic_arn(place: Place, name: str) -> str:
    return f"arn:{place.partition}:sns:{place.region}:{place.account_id}:{name}"


def _events(operation: str, params: Mapping[str, Any], place: Place) -> list[Need] | None:
    action = f"events:{operation}"
    if operation in _TAGGING:
        resource = _text(params, _BY_RESOURCE_ARN_OF["events"])
        return [Iam(action, resource)] if resource else None
    rule = _text(params, "Name") if operation in _RULE_BY_NAME else None
    if operation in _RULE_BY_RULE:
        rule = _text(params, "Rule")
    if rule is None:
        return None
    return [Iam(action, rule_arn(place, rule, _text(params, "EventBusName")))]


def _sns(operation: str, params: Mapping[str, Any], place: Place) -> list[Need] | None:
    action = f"sns:{operation}"
    if operation in _TAGGING:
        resource = _text(params, _BY_RESOURCE_ARN_OF["sns"])
        return [Iam(action, resource)] if resource else None
    if operation == "CreateTopic":
        name = _text(params, "Name")
        return [Iam(action, topic_arn(place, name))] if name else None
    if operation in _TOPIC_BY_ARN:
        topic = _text(params, "TopicArn")
        return [Iam(action, topic)] if topic else None
    return None


def _restore_target(params: Mapping[str, Any], place: Place) -> list[Need] | None:
    target = _text(params, "TargetTableName")
    if target is None:
        return None
    found: list[Need] = [Iam(action, place.table(target)) for action in RESTORE_TARGET_ACTIONS]
    override = params.get("SSESpecificationOverride")
    key = _text(override, "KMSMasterKeyId") if isinstance(override, Mapping) and override.get("Enabled") else None
    # Without an override the table keeps the source's key, which DynamoDB uses with its own grant;
    # an override to the AWS owned key (Enabled false) needs no key right (backuprestore_IAM).
    if key is not None:
        found += [Key(action, key, via_dynamodb=True) for action in TABLE_KEY_ACTIONS]
    return found


def _dynamodb(operation: str, params: Mapping[str, Any], place: Place) -> list[Need] | None:
    action = f"dynamodb:{operation}"
    if operation in _ACCOUNT_WIDE:
        return [Iam(action, "*")]
    if operation in _BY_TABLE_NAME:
        table = _text(params, "TableName")
        return [Iam(action, place.table(table))] if table else None
    if operation in _BY_RESOURCE_ARN:
        resource = _text(params, "ResourceArn")
        return [Iam(action, resource)] if resource else None
    if operation in _BY_OWN_ARN:
        resource = _text(params, _BY_OWN_ARN[operation])
        return [Iam(action, resource)] if resource else None
    if operation == "ExportTableToPointInTime":  # and S3 writes, not modelled
        table = _text(params, "TableArn")
        return [Iam(action, place.table(table))] if table else None
    if operation == "RestoreTableFromBackup":
        backup = _text(params, "BackupArn")
        if backup is None:
            return None
        target = _restore_target(params, place)
        return None if target is None else [Iam(action, backup), *target]
    if operation == "RestoreTableToPointInTime":
        source = _text(params, "SourceTableName", "SourceTableArn")
        if source is None:
            return None
        target = _restore_target(params, place)
        return None if target is None else [Iam(action, place.table(source)), *target]
    return None


def _streams(operation: str, params: Mapping[str, Any]) -> list[Need] | None:
    action = f"dynamodb:{operation}"
    if operation in _STREAM_ACCOUNT_WIDE:
        return [Iam(action, "*")]
    if operation in _BY_STREAM_ARN:
        stream = _text(params, "StreamArn")
        return [Iam(action, stream)] if stream else None
    if operation == "GetRecords":
        # IAM on the iterator's stream, then kms:Decrypt on its table's key as the caller. The one
        # documented-unsettled case: AWS's Lambda example and AWSLambdaDynamoDBExecutionRole list no
        # KMS action, CDK's grantStreamRead adds kms:Decrypt; the sandbox keeps the stricter reading
        # here only (the audit counts stream readers without key rights as possible readers).
        iterator = _text(params, "ShardIterator")
        return [TableData(iterator=iterator)] if iterator else None
    return None


def _kms(operation: str, params: Mapping[str, Any], place: Place) -> list[Need] | None:
    action = f"kms:{operation}"
    context = _context(params)
    if operation in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        alias = _text(params, "AliasName")
        if alias is None:
            return None
        found: list[Need] = [Iam(action, place.alias(alias))]
        if operation != "CreateAlias":
            found.append(Key(action, alias))  # the key the alias points to now
        target = _text(params, "TargetKeyId")
        if operation != "DeleteAlias":
            if target is None:
                return None
            found.append(Key(action, target, alias_allowed=kms_parameter_takes_alias(operation, "TargetKeyId")))
        return found
    # A ciphertext is decrypted with the key it was made with, whatever KeyId says: that key is judged.
    if operation == "ReEncrypt":
        blob = _text(params, "CiphertextBlob")
        destination = _text(params, "DestinationKeyId")
        if destination is None or blob is None:
            return None
        source_context = _context({"EncryptionContext": params.get("SourceEncryptionContext")})
        return [
            Key("kms:ReEncryptFrom", "", blob, source_context),
            Key("kms:ReEncryptTo", destination, alias_allowed=kms_parameter_takes_alias(operation, "DestinationKeyId")),
        ]
    if operation == "Decrypt":
        ciphertext = _text(params, "CiphertextBlob")
        return [Key(action, "", ciphertext, context)] if ciphertext else None
    if operation == "CreateKey":  # on "*": the key does not exist yet
        return [Iam(action, "*", kms_request_keys(operation, params))]
    if operation in kms_key_operations():
        named = _text(params, "KeyId")
        if named is None:
            return None
        takes_alias = kms_parameter_takes_alias(operation)
        request_keys = kms_request_keys(operation, params)
        return [Key(action, named, encryption_context=context, alias_allowed=takes_alias, context=request_keys)]
    return None
