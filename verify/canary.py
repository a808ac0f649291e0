"""The canary: one item of our own, written, read back and always removed.

Its key is unique per run and written with attribute_not_exists, so no item of
the user's is ever overwritten; it is deleted only if it still holds our value.
The write counts from the moment it is sent: an interruption while PutItem is in
flight may have left it in the table, and a conditional delete of our run-unique
key is harmless if it never landed. Deletion runs in a finally, so an exception,
Ctrl-C or SIGTERM does not leave it behind; when deletion fails, the Canary says so
and how to delete it by hand.

The canary passes through the table's stream, if it has one (an INSERT and a REMOVE
per run): it carries CANARY_MARKER_ATTRIBUTE so that stream consumers can skip it.
"""

from __future__ import annotations

import base64
import json
import secrets
import shlex
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from verify.failures import error_code, error_text, is_operational

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CANARY_VALUE_ATTRIBUTE = "verifyCanaryValue"
# Set on every canary item: a stream consumer can drop records whose image has it.
CANARY_MARKER_ATTRIBUTE = "encryptedDynamodbVerifyCanary"


class CanaryWriteError(Exception):
    """DynamoDB refused the canary write: nothing of ours is in the table."""


@dataclass
class Canary:
    table_name: str
    region: str
    key: dict[str, dict[str, str]]
    value: str = field(repr=False)
    sent: bool = False  # PutItem sent: the item may be in the table
    written: bool = False  # PutItem answered OK: the item is in the table
    removed: bool = False
    removal_error: str = ""

    @property
    def left_behind(self) -> bool:
        """Whether the item may still be in the table."""
        return self.sent and not self.removed

    def cli_key(self) -> dict[str, dict[str, str]]:
        """The key as the AWS CLI takes it: binary values base64-encoded (both CLI versions decode them)."""
        return {
            name: {kind: base64.b64encode(value.encode()).decode() if kind == "B" else value}
            for name, typed in self.key.items()
            for kind, value in typed.items()
        }

    def delete_command(self) -> str:
        """The AWS CLI command that deletes this canary (only if it still holds our marker)."""
        return shlex.join(
            [
                "aws",
                "dynamodb",
                "delete-item",
                "--region",
                self.region,
                "--table-name",
                self.table_name,
                "--key",
                json.dumps(self.cli_key()),
                "--condition-expression",
                f"attribute_exists({CANARY_MARKER_ATTRIBUTE})",
            ]
        )


def canary_key(key_schema: tuple[tuple[str, str], ...], run_id: str) -> dict[str, dict[str, str]]:
    """A primary key no user item has: a run-unique value of each key attribute's type."""
    number = str(int(uuid.UUID(run_id).int % 10**30) + 10**30)  # 31 digits, fits DynamoDB's 38
    values = {"S": f"verify-canary-{run_id}", "N": number, "B": f"verify-canary-{run_id}"}
    return {name: {kind: values[kind]} for name, kind in key_schema}


def new_canary(table_name: str, region: str, key_schema: tuple[tuple[str, str], ...]) -> Canary:
    return Canary(table_name, region, canary_key(key_schema, str(uuid.uuid4())), secrets.token_hex(16))


@contextmanager
def canary_item(dynamodb: DynamoDBClient, canary: Canary) -> Iterator[Canary]:
    first_key = next(iter(canary.key))
    try:
        canary.sent = True
        try:
            dynamodb.put_item(
                TableName=canary.table_name,
                Item={
                    **canary.key,
                    CANARY_VALUE_ATTRIBUTE: {"S": canary.value},
                    CANARY_MARKER_ATTRIBUTE: {"BOOL": True},
                },
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": first_key},
            )
        except ClientError as error:
            canary.sent = False  # DynamoDB answered with an error: nothing was written
            if is_operational(error):
                raise  # throttled or credentials gone: the run cannot go on, it is not a finding
            raise CanaryWriteError(error_text(error)) from error
        canary.written = True
        yield canary
    finally:
        if canary.sent:
            remove(dynamodb, canary)


def remove(dynamodb: DynamoDBClient, canary: Canary) -> None:
    """Delete the canary if it still holds our value; record what happened."""
    try:
        dynamodb.delete_item(
            TableName=canary.table_name,
            Key=canary.key,
            ConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": CANARY_VALUE_ATTRIBUTE},
            ExpressionAttributeValues={":v": {"S": canary.value}},
        )
        canary.removed = True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException" and not canary.written:
            canary.removed = True  # the interrupted write never landed
        else:
            canary.removal_error = error_text(error)
    except Exception as error:  # reported; the original error, if any, still propagates
        canary.removal_error = f"{type(error).__name__}: {error}"


def read_canary(dynamodb: DynamoDBClient, canary: Canary) -> str | None:
    """The canary's value as read back strongly consistent, or None if absent."""
    item = dynamodb.get_item(TableName=canary.table_name, Key=canary.key, ConsistentRead=True).get("Item")
    if item is None:
        return None
    return str(item.get(CANARY_VALUE_ATTRIBUTE, {}).get("S"))
