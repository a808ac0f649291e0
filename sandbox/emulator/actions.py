"""What a classified request needs: the IAM action AWS authorizes per table it touches; does it move key access.

Pure functions of a request's operation and parameters; nothing here touches moto.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from access.operations import TRANSACT_WRITE_ACTIONS
from sandbox.emulator import partiql
from sandbox.emulator.requests import Call

# Calls that read key or identity state without changing it.
_READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Generate", "Encrypt", "Decrypt")


def target(environ: Mapping[str, Any]) -> str:
    """The X-Amz-Target of a JSON-protocol request (DynamoDB, KMS), e.g. "DynamoDB_20120810.PutItem"."""
    return str(environ.get("HTTP_X_AMZ_TARGET", ""))


class UnreadableRequestError(ValueError):
    """A data-plane request whose tables cannot be read off it: refused, never passed on unjudged."""


@dataclass(frozen=True)
class TableAccess:
    """One IAM action a data-plane request needs on a table (or one of its indexes)."""

    table: str  # as sent: a name or a table ARN
    action: str  # "dynamodb:GetItem", "dynamodb:PartiQLSelect", ...
    index: str | None = None  # IAM authorizes a read of an index on the index's ARN


def _table(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise UnreadableRequestError("TableName must be a table name or ARN")
    return value


def _items(value: object, key: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, Mapping) for i in value):
        raise UnreadableRequestError(f"{key} must be a list of objects")
    return value


def _partiql(entries: list[tuple[str, Sequence[Any]]]) -> list[TableAccess]:
    read = [partiql.classify(statement, parameters) for statement, parameters in entries]
    return [TableAccess(s.table, s.action, s.index) for s in read]


def table_actions(operation: str, body: Mapping[str, Any]) -> list[TableAccess]:
    """What IAM authorizes for each table a data-plane request touches. Pure.

    The IAM action is what AWS authorizes: a transaction is authorized item by item
    (dynamodb:GetItem, PutItem, ... ConditionCheckItem) and PartiQL by its verb
    (dynamodb:PartiQLSelect, ...) on the table each statement names, not by the API
    operation's own name. A request whose tables cannot be read off it raises
    UnreadableRequestError, a PartiQL statement that cannot be classified
    partiql.UnclassifiableStatementError (both ValueErrors).
    """
    if operation in ("BatchGetItem", "BatchWriteItem"):
        requested = body.get("RequestItems") or {}
        if not isinstance(requested, Mapping):
            raise UnreadableRequestError("RequestItems must map table names to requests")
        return [TableAccess(_table(table), f"dynamodb:{operation}") for table in requested]
    if operation == "TransactGetItems":
        items = _items(body.get("TransactItems"), "TransactItems")
        gets = [i["Get"] for i in items if isinstance(i.get("Get"), Mapping)]
        return [TableAccess(_table(get.get("TableName")), "dynamodb:GetItem") for get in gets]
    if operation == "TransactWriteItems":
        return [
            TableAccess(_table(op.get("TableName")), TRANSACT_WRITE_ACTIONS.get(kind, f"dynamodb:{kind}"))
            for item in _items(body.get("TransactItems"), "TransactItems")
            for kind, op in item.items()
            if isinstance(op, Mapping)
        ]
    if operation == "ExecuteStatement":
        return _partiql([(str(body.get("Statement", "")), list(body.get("Parameters") or []))])
    if operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        key = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        return _partiql(list(partiql.statements(body, key)))
    index = body.get("IndexName") if operation in ("Query", "Scan") else None
    if index is not None and not isinstance(index, str):
        raise UnreadableRequestError("IndexName must be an index name")
    return [TableAccess(_table(body.get("TableName")), f"dynamodb:{operation}", index)]


def changes_key_access(call: Call) -> bool:
    """Does this IAM or KMS request change something key access depends on?"""
    return call.service.name in ("iam", "kms") and not call.operation.startswith(_READ_ONLY_PREFIXES)
