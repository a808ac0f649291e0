"""The key policy and identity policy builders, without Pulumi."""

from __future__ import annotations

import json

import pytest

from access.analyzers import unconditioned_wildcard_statements
from access.documents import statement_allows_action, statement_principals
from access.errors import ConfigError
from access.kms_dynamodb import (
    ACCESS_GRANT_OPERATIONS,
    KEY_DATA_OPERATIONS,
    KEY_POLICY_MAX_BYTES,
    SID_ADMINISTRATION,
    SID_KEY_USE_VIA_DYNAMODB,
    SID_ROOT_DELEGATION,
)
from components.policy_builders import (
    build_key_policy,
    key_policy_json,
    key_user_identity_policy,
    table_access_policy,
)
from tests.conftest import statement

ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci/Deployer"
READER = f"arn:aws:iam::{ACCOUNT}:role/Reader"


def policy(**overrides: object) -> dict:
    args: dict = {
        "partition": "aws",
        "account_id": ACCOUNT,
        "region": "eu-west-1",
        "admin_arns": [ADMIN],
        "key_user_arns": [READER],
        "deployer_arn": DEPLOYER,
    }
    args.update(overrides)
    return build_key_policy(**args)


def test_root_delegation_is_on_by_default_and_can_be_switched_off() -> None:
    on = policy()
    assert statement(on, SID_ROOT_DELEGATION)["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    off = policy(allow_iam_policies=False)
    assert SID_ROOT_DELEGATION not in [s["Sid"] for s in off["Statement"]]


def test_administrators_manage_but_cannot_use_the_key() -> None:
    admin = statement(policy(), SID_ADMINISTRATION)
    assert ADMIN in statement_principals(admin)
    assert not [op for op in KEY_DATA_OPERATIONS if statement_allows_action(admin, op)]
    assert not [a for a in admin["Action"] if "*" in a], "wildcard actions could include data use"
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant"} <= set(admin["Action"])


def test_key_users_may_use_the_key_only_through_dynamodb_of_this_account() -> None:
    use = statement(policy(), SID_KEY_USE_VIA_DYNAMODB)
    assert statement_principals(use) == [READER]
    assert "kms:Decrypt" in use["Action"]
    assert use["Condition"] == {
        "StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com", "kms:CallerAccount": ACCOUNT}
    }


def test_no_key_user_statement_without_key_users() -> None:
    assert SID_KEY_USE_VIA_DYNAMODB not in [s["Sid"] for s in policy(key_user_arns=[])["Statement"]]


@pytest.mark.parametrize("admins", [[], [ADMIN]])
@pytest.mark.parametrize("delegation", [True, False])
def test_deployer_is_always_an_administrator(admins: list[str], delegation: bool) -> None:
    admin = statement(policy(admin_arns=admins, allow_iam_policies=delegation), SID_ADMINISTRATION)
    assert DEPLOYER in statement_principals(admin)
    assert "kms:PutKeyPolicy" in admin["Action"]


def test_principals_are_not_repeated() -> None:
    admin = statement(policy(admin_arns=[DEPLOYER, ADMIN, ADMIN]), SID_ADMINISTRATION)
    assert statement_principals(admin) == [DEPLOYER, ADMIN]


def test_nobody_to_administer_is_refused() -> None:
    with pytest.raises(ConfigError, match="key_admins: nobody could administer the key"):
        policy(admin_arns=[], deployer_arn=None)


def test_built_policies_have_no_unconditioned_wildcard() -> None:
    assert unconditioned_wildcard_statements(policy()) == []


@pytest.mark.parametrize(
    ("stmt", "flagged"),
    [
        ({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"}, True),
        ({"Sid": "OpenAws", "Effect": "Allow", "Principal": {"AWS": ["x", "*"]}, "Action": "kms:*"}, True),
        ({"Sid": "NotP", "Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "kms:*"}, True),
        (
            {
                "Sid": "Scoped",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
            },
            False,
        ),
        ({"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "kms:*"}, False),
        ({"Sid": "Named", "Effect": "Allow", "Principal": {"AWS": READER}, "Action": "kms:*"}, False),
    ],
)
def test_wildcard_detector(stmt: dict, flagged: bool) -> None:
    found = unconditioned_wildcard_statements({"Statement": [stmt]})
    assert found == ([stmt["Sid"]] if flagged else [])


def test_policy_over_32_kb_points_to_key_user_grants() -> None:
    many = [f"arn:aws:iam::{ACCOUNT}:role/reader-{i:04d}-{'x' * 40}" for i in range(600)]
    with pytest.raises(ConfigError, match=r"key_users: the key policy would be \d+ bytes, over the KMS limit of 32768"):
        key_policy_json(policy(key_user_arns=many))
    with pytest.raises(ConfigError, match="KeyUser"):
        key_policy_json(policy(key_user_arns=many))


def test_policy_under_the_limit_serialises() -> None:
    text = key_policy_json(policy())
    assert len(text.encode()) < KEY_POLICY_MAX_BYTES
    assert json.loads(text) == policy()


def test_identity_policy_limits_to_this_key_through_dynamodb() -> None:
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k1"
    doc = key_user_identity_policy(key_arn=key, region="eu-west-1", account_id=ACCOUNT, access="read")
    (kms,) = doc["Statement"]
    assert kms["Resource"] == key
    assert kms["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == "dynamodb.eu-west-1.amazonaws.com"


def test_identity_policy_with_table_access_covers_table_and_indexes() -> None:
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
    doc = key_user_identity_policy(
        key_arn="k", region="eu-west-1", account_id=ACCOUNT, access="read-write", table_arn=table
    )
    items = statement(doc, "AccessTableItems")
    assert items["Resource"] == [table, f"{table}/index/*"]
    assert "dynamodb:PutItem" in items["Action"]
    assert "dynamodb:GetItem" in items["Action"]
    assert table_access_policy(table_arn=table, access="read")["Statement"][0]["Action"] == [
        a
        for a in items["Action"]
        if a not in {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    ]


def test_read_grant_operations_are_a_subset_of_read_write() -> None:
    assert set(ACCESS_GRANT_OPERATIONS["read"]) < set(ACCESS_GRANT_OPERATIONS["read-write"])
    assert "Encrypt" not in ACCESS_GRANT_OPERATIONS["read"]
