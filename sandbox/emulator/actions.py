"""What a classified request needs: the IAM action AWS authorizes per table it touches; does it move key access.

Pure functions of a request's operation and parameters; nothing here touches moto.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sandbox.emulator.requests import Call

_PARTIQL_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_.\-]+)"?', re.IGNORECASE)
_PARTIQL_ACTIONS = {
    "SELECT": "PartiQLSelect",
    "INSERT": "PartiQLInsert",
    "UPDATE": "PartiQLUpdate",
    "DELETE": "PartiQLDelete",
}
_TRANSACT_WRITE_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# Calls that read key or identity state without changing it.
_READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Generate", "Encrypt", "Decrypt")


def target(environ: Mapping[str, Any]) -> str:
    """The X-Amz-Target of a JSON-protocol request (DynamoDB, KMS), e.g. "DynamoDB_20120810.PutItem"."""
    return str(environ.get("HTTP_X_AMZ_TARGET", ""))


def _partiql(statement: str) -> list[tuple[str, str]]:
    tables = _PARTIQL_TABLE.findall(statement)[:1]
    verb = statement.lstrip().split(" ", 1)[0].upper()
    return [(table, f"dynamodb:{_PARTIQL_ACTIONS.get(verb, 'PartiQLSelect')}") for table in tables]


def table_actions(operation: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(table as sent, IAM action) for each table a data-plane request touches. Pure.

    The IAM action is what AWS authorizes: a transaction is authorized item by item
    (dynamodb:GetItem, PutItem, ... ConditionCheckItem) and PartiQL by its verb
    (dynamodb:PartiQLSelect, ...), not by the API operation's own name.
    """
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(table, f"dynamodb:{operation}") for table in body.get("RequestItems", {})]
    if operation == "TransactGetItems":
        return [(i["Get"]["TableName"], "dynamodb:GetItem") for i in body.get("TransactItems", []) if "Get" in i]
    if operation == "TransactWriteItems":
        return [
            (op["TableName"], f"dynamodb:{_TRANSACT_WRITE_ACTIONS.get(kind, kind)}")
            for item in body.get("TransactItems", [])
            for kind, op in item.items()
            if "TableName" in op
        ]
    if operation == "ExecuteStatement":
        return _partiql(body.get("Statement", ""))
    if operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        key = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        return [pair for s in body.get(key, []) for pair in _partiql(s.get("Statement", ""))]
    return [(body["TableName"], f"dynamodb:{operation}")] if "TableName" in body else []


def changes_key_access(call: Call) -> bool:
    """Does this IAM or KMS request change something key access depends on?"""
    return call.service.name in ("iam", "kms") and not call.operation.startswith(_READ_ONLY_PREFIXES)
