"""`pulumi up` of an EncryptedTable with readers in other accounts: its table resource policy is put in the
emulator, updated in place when the readers change, and deleted with the last reader. (moto 5 keys a
PutResourcePolicy by the ARN's last segment, so it refuses a stream ARN: stream policies are tested under
the plain mocks, tests/components/test_external_principals.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from access import provider_types
from components import EncryptedTable
from sandbox.emulator.account import CONSUMER_ACCOUNT_ID
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, Stack
from tests.sandbox.engine.programs import Program, deploy_program, up_program

pytestmark = pytest.mark.emulator

READER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:role/external-reader"
WRITER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:user/writer"


def orders(*external: dict[str, Any]) -> Program:
    def build() -> dict[str, Any]:
        table = EncryptedTable(
            "orders",
            {
                "partition_key": "id",
                "table_name": "orders",
                "deletion_protection": False,
                "external_principals": list(external),
            },
        )
        return {"arn": table.table_arn}

    return build


def principals(document: str) -> list[Any]:
    return [s["Principal"]["AWS"] for s in json.loads(document)["Statement"]]


def test_resource_policies_are_put_updated_in_place_and_deleted(emulator: Emulator, stack: Stack) -> None:
    dynamodb = emulator.client("dynamodb")
    out, changes = deploy_program(stack, orders({"principal": READER}))
    table_policy = dynamodb.get_resource_policy(ResourceArn=out["arn"])
    assert principals(table_policy["Policy"]) == [READER]
    (deployed,) = [
        r
        for r in stack.resources.values()
        if r.typ == provider_types.DYNAMODB_RESOURCE_POLICY and r.name == "orders-table-policy"
    ]
    assert deployed.id == out["arn"]  # the provider's id: the resource's ARN
    assert deployed.state["revisionId"] == table_policy["RevisionId"]

    changes = up_program(stack, orders({"principal": READER}, {"principal": WRITER, "access": "read-write"}))
    table_change = next(c for c in changes if c.name == "orders-table-policy")
    assert table_change.action is Action.UPDATE
    assert principals(dynamodb.get_resource_policy(ResourceArn=out["arn"])["Policy"]) == [READER, WRITER]

    changes = up_program(stack, orders())
    assert [c.name for c in changes if c.action is Action.DELETE] == ["orders-table-policy"]
    with pytest.raises(dynamodb.exceptions.PolicyNotFoundException):
        dynamodb.get_resource_policy(ResourceArn=out["arn"])
