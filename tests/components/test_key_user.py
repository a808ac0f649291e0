"""KeyUser under mocks: exactly this principal, this key, these operations, this table."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import KeyUser
from sandbox.emulator.account import ACCOUNT_ID
from sandbox.harness import ISSUER_ARN, RecordingMocks
from tests.conftest import policy_of, statement

TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/orders"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{KEY_ID}"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/apps/reader"
USER = f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
GRANT, ROLE_POLICY, USER_POLICY = (
    "aws:kms/grant:Grant",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
)


def key_user(**overrides: Any) -> Any:
    args = {"key_arn": KEY_ARN, "table_name": "orders", "table_arn": TABLE_ARN, "principal_arn": ROLE, **overrides}
    return lambda: {"principal": KeyUser("reader", args).principal_arn}


# The KMS grant operations DynamoDB needs for each access level (the grant-operations
# list of the KMS developer guide), pinned as literals.
GRANT_OPERATIONS = {
    "read": ["Decrypt", "DescribeKey"],
    "read-write": [
        "Decrypt",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    ],
}
READ_ITEMS = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
]
WRITE_ITEMS = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]


@pytest.mark.parametrize("access", ["read", "read-write"])
def test_grant_names_this_principal_key_operations_and_table_context(
    mocks: RecordingMocks, resolve: Any, access: str
) -> None:
    resolve(key_user(access=access))
    grant = mocks.one(GRANT)
    assert grant.inputs["granteePrincipal"] == ROLE
    assert grant.inputs["keyId"] == KEY_ARN
    assert grant.inputs["operations"] == GRANT_OPERATIONS[access]
    assert grant.inputs["constraints"] == [
        {"encryptionContextSubset": {"aws:dynamodb:tableName": "orders", "aws:dynamodb:subscriberId": ACCOUNT_ID}}
    ]
    assert grant.inputs["retireOnDelete"] is True
    assert grant.inputs["retiringPrincipal"] == ISSUER_ARN
    assert not mocks.of_type(ROLE_POLICY)
    assert not mocks.of_type(USER_POLICY)


def test_read_grant_cannot_encrypt(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(key_user())
    assert set(mocks.one(GRANT).inputs["operations"]) == {"Decrypt", "DescribeKey"}


def test_bare_key_id_becomes_the_tables_region_key_arn(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(key_user(key_arn=KEY_ID))
    assert mocks.one(GRANT).inputs["keyId"] == KEY_ARN


def test_children_are_parented_to_the_key_user(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(key_user(include_table_access=True))
    (component,) = [r for r in mocks.resources if r.typ == "encrypted-dynamodb:index:KeyUser"]
    children = [r for r in mocks.resources if r.custom]
    assert {r.typ for r in children} == {GRANT, ROLE_POLICY}
    assert all(child.parent == component.urn for child in children)


@pytest.mark.parametrize(
    ("principal", "typ", "field", "name"), [(ROLE, ROLE_POLICY, "role", "reader"), (USER, USER_POLICY, "user", "alice")]
)
def test_iam_policy_mode_attaches_to_the_principal_for_this_key_only(
    mocks: RecordingMocks, resolve: Any, principal: str, typ: str, field: str, name: str
) -> None:
    resolve(key_user(principal_arn=principal, mode="iam-policy"))
    attached = mocks.one(typ)
    assert attached.inputs[field] == name
    (kms,) = policy_of(attached)["Statement"]
    assert kms["Resource"] == KEY_ARN
    assert kms["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert kms["Condition"]["StringEquals"] == {
        "kms:ViaService": "dynamodb.eu-west-1.amazonaws.com",
        "kms:CallerAccount": ACCOUNT_ID,
    }
    assert not mocks.of_type(GRANT)


def test_iam_policy_mode_with_table_access(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(key_user(mode="iam-policy", access="read-write", include_table_access=True))
    items = statement(policy_of(mocks.one(ROLE_POLICY)), "AccessTableItems")
    assert items["Action"] == READ_ITEMS + WRITE_ITEMS
    assert items["Resource"] == [TABLE_ARN, f"{TABLE_ARN}/index/*"]


def test_grant_mode_with_table_access_adds_only_dynamodb_rights(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(key_user(include_table_access=True))
    (items,) = json.loads(mocks.one(ROLE_POLICY).inputs["policy"])["Statement"]
    assert items["Action"] == READ_ITEMS
    assert not [a for a in items["Action"] if a.startswith("kms:")]


def test_output_principal_with_declared_kind(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(key_user(principal_arn=pulumi.Output.from_input(USER), principal_kind="user", mode="iam-policy"))
    assert out["principal"] == USER
    assert mocks.one(USER_POLICY).inputs["user"] == "alice"
