"""What a request to the emulator is: its DynamoDB operation, the IAM actions it needs, who signed it.

Pure functions of a WSGI environ and body; nothing here touches moto.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DYNAMODB_TARGET = "DynamoDB_20120810."
KMS_TARGET = "TrentService."

_PARTIQL_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_.\-]+)"?', re.IGNORECASE)
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/")
_QUERY_ACTION = re.compile(rb"Action=(\w+)")
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


def dynamodb_operation(environ: Mapping[str, Any]) -> str:
    """The DynamoDB API operation of a request ("GetItem", ...), "" for any other service."""
    called = target(environ)
    return called[len(DYNAMODB_TARGET) :] if called.startswith(DYNAMODB_TARGET) else ""


def signer(environ: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(access key id, session token) a SigV4 request was signed with; None if unsigned."""
    found = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if not found:
        return None
    return found.group(1), environ.get("HTTP_X_AMZ_SECURITY_TOKEN")


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


def changes_key_access(environ: Mapping[str, Any], body: bytes) -> bool:
    """Does this IAM or KMS request change something key access depends on?"""
    called = target(environ)
    if called.startswith(KMS_TARGET):
        action = called[len(KMS_TARGET) :]
    elif b"Action=" in body and "iam" in str(environ.get("HTTP_AUTHORIZATION", "")):
        found = _QUERY_ACTION.search(body)
        if found is None:
            return False
        action = found.group(1).decode()
    else:
        return False
    return not action.startswith(_READ_ONLY_PREFIXES)
