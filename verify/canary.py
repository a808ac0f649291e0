"""The canary: one item of our own, written, read back and always removed.

Its key is unique per run and written with attribute_not_exists, so no item of
the user's is ever overwritten; it is deleted only if it still holds our value,
and deletion runs in a finally, so an exception or Ctrl-C does not leave it behind.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from verify.failures import error_text, is_operational

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CANARY_VALUE_ATTRIBUTE = "verifyCanaryValue"


class CanaryWriteError(Exception):
    """The canary could not be written: nothing of ours is in the table."""


@dataclass
class Canary:
    key: dict[str, dict[str, str]]
    value: str = field(repr=False)
    written: bool = False
    removed: bool = False
    removal_error: str = ""


def canary_key(key_schema: tuple[tuple[str, str], ...], run_id: str) -> dict[str, dict[str, str]]:
    """A primary key no user item has: a run-unique value of each key attribute's type."""
    number = str(int(uuid.UUID(run_id).int % 10**30) + 10**30)  # 31 digits, fits DynamoDB's 38
    values = {"S": f"verify-canary-{run_id}", "N": number, "B": f"verify-canary-{run_id}"}
    return {name: {kind: values[kind]} for name, kind in key_schema}


@contextmanager
def canary_item(dynamodb: DynamoDBClient, table_name: str, key_schema: tuple[tuple[str, str], ...]) -> Iterator[Canary]:
    run_id = str(uuid.uuid4())
    canary = Canary(key=canary_key(key_schema, run_id), value=secrets.token_hex(16))
    first_key = key_schema[0][0]
    try:
        try:
            dynamodb.put_item(
                TableName=table_name,
                Item={**canary.key, CANARY_VALUE_ATTRIBUTE: {"S": canary.value}},
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": first_key},
            )
        except ClientError as error:
            if is_operational(error):
                raise  # throttled or credentials gone: the run cannot go on, it is not a finding
            raise CanaryWriteError(error_text(error)) from error
        canary.written = True
        yield canary
    finally:
        if canary.written:
            try:
                dynamodb.delete_item(
                    TableName=table_name,
                    Key=canary.key,
                    ConditionExpression="#v = :v",
                    ExpressionAttributeNames={"#v": CANARY_VALUE_ATTRIBUTE},
                    ExpressionAttributeValues={":v": {"S": canary.value}},
                )
                canary.removed = True
            except Exception as error:  # reported as a finding; the original error, if any, still propagates
                canary.removal_error = f"{type(error).__name__}: {error}"


def read_canary(dynamodb: DynamoDBClient, table_name: str, canary: Canary) -> str | None:
    """The canary's value as read back strongly consistent, or None if absent."""
    item = dynamodb.get_item(TableName=table_name, Key=canary.key, ConsistentRead=True).get("Item")
    if item is None:
        return None
    return str(item.get(CANARY_VALUE_ATTRIBUTE, {}).get("S"))
