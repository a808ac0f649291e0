"""Which account serves a request: the caller's own, or the account a resource's ARN names, for the calls AWS
serves across accounts and the emulator models so.

DynamoDB takes a table's ARN wherever it takes a table name ("table name overloading"), and a
principal of another account reaches a table that way; AWS lists which calls work across accounts
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-iam-actions.html): the item
calls (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem, BatchWriteItem,
TransactGetItems, TransactWriteItems) and DynamoDB Streams' DescribeStream, GetShardIterator and
GetRecords do; PartiQL does not. The emulator models only those across accounts, with a few KMS
calls on a key named by its ARN that KMS allows across accounts (the KMS permissions reference,
https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html, "Cross-account
use"). Every other call naming another account's resource is refused as AccessDeniedException, never
served in the caller's account (where a same-named resource of the caller's would answer instead).
IAM and STS are served in the caller's account (an AssumeRole of another account's role included:
moto files the session under the role's account).

Pure; nothing here touches moto.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from access.kms_dynamodb import STREAM_READ_ACTIONS
from access.operations import DATA_PLANE_OPERATIONS, PARTIQL_OPERATIONS
from sandbox.emulator.requests import Call

CROSS_ACCOUNT_OPERATIONS: Mapping[str, frozenset[str]] = {
    # The item operations (the catalogue's data plane less PartiQL, whose statements the sandbox serves in
    # the caller's account only: docs/enforcement.md, "Several accounts").
    "dynamodb": DATA_PLANE_OPERATIONS - PARTIQL_OPERATIONS,
    "dynamodbstreams": frozenset(action.split(":", 1)[1] for action in STREAM_READ_ACTIONS),
    "kms": frozenset({"DescribeKey", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"}),
}
# The services whose calls may name another account's resource; IAM and STS are the caller's account's.
ROUTED_SERVICES = frozenset(CROSS_ACCOUNT_OPERATIONS)
# The parameters that name the resource a call acts on (botocore's models; a grantee, a principal or a
# ciphertext is not one).
RESOURCE_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "dynamodb": (
        "TableName",
        "TableArn",
        "ResourceArn",
        "SourceTableName",
        "SourceTableArn",
        "BackupArn",
        "ExportArn",
        "ImportArn",
    ),
    "dynamodbstreams": ("StreamArn", "TableName"),
    "kms": ("KeyId", "DestinationKeyId", "TargetKeyId"),
}


def arn_account(value: object) -> str | None:
    """The account an ARN names (its fifth field, twelve digits), None for anything else."""
    if not isinstance(value, str):
        return None
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or len(parts[4]) != 12 or not parts[4].isdigit():
        return None
    return parts[4]


def named_resources(service: str, params: Mapping[str, Any], tables: Iterable[str] = ()) -> list[str]:
    """The resources a call names: each table of a data-plane call (a name or an ARN), then each
    resource parameter of the service that is an ARN."""
    found = list(dict.fromkeys(tables))
    for name in RESOURCE_PARAMETERS.get(service, ()):
        value = params.get(name)
        if arn_account(value) is not None and value not in found:
            found.append(str(value))
    return found


def resource_account(call: Call, caller_account: str, tables: Iterable[str] = ()) -> tuple[str, str | None]:
    """(the account that serves the call, the resource that makes it cross-account or None).

    The caller's account unless the call names another account's resource; a call that names
    resources of several accounts, or one of another account that the emulator does not serve
    across accounts, raises ForeignResourceError naming that resource.
    """
    if call.service.name not in ROUTED_SERVICES:
        return caller_account, None
    named = named_resources(call.service.name, call.params, tables)
    accounts = {arn_account(resource) or caller_account for resource in named}
    foreign = next((r for r in named if (arn_account(r) or caller_account) != caller_account), None)
    if foreign is None:
        return caller_account, None
    if len(accounts) > 1 or call.operation not in CROSS_ACCOUNT_OPERATIONS[call.service.name]:
        raise ForeignResourceError(foreign)
    return str(arn_account(foreign)), foreign


class ForeignResourceError(Exception):
    """A call naming another account's resource that the emulator does not serve across accounts."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource)
        self.resource = resource
