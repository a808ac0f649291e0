"""EncryptedTable under mocks: the key, the alias, the table, and how they relate."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from access.documents import statement_allows_action, statement_principals
from access.kms_dynamodb import KEY_DATA_OPERATIONS, SID_ADMINISTRATION, SID_KEY_USE_VIA_DYNAMODB
from components import EncryptedTable, KeyUser
from sandbox.emulator.account import ACCOUNT_ID
from sandbox.harness import ISSUER_ARN, RecordingMocks, use_mocks
from tests.conftest import policy_of, statement

KEY, ALIAS, TABLE = "aws:kms/key:Key", "aws:kms/alias:Alias", "aws:dynamodb/table:Table"
READER = f"arn:aws:iam::{ACCOUNT_ID}:role/reader"


def build(args: dict[str, Any] | None = None) -> dict[str, Any]:
    table = EncryptedTable("orders", {"partition_key": "id", **(args or {})})
    return {
        "key_arn": table.key_arn,
        "key_id": table.key_id,
        "table_arn": table.table_arn,
        "table_name": table.table_name,
        "alias_name": table.alias_name,
    }


def test_table_is_encrypted_with_the_components_own_key_arn(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build)
    key, table = mocks.one(KEY), mocks.one(TABLE)
    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key.state["arn"]}
    assert out["key_arn"] == key.state["arn"]
    assert out["key_arn"].startswith("arn:aws:kms:")
    assert ":alias/" not in table.inputs["serverSideEncryption"]["kmsKeyArn"]


def test_key_is_symmetric_and_rotates_by_default(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(build)
    key = mocks.one(KEY)
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert "bypassPolicyLockoutSafetyCheck" not in key.inputs


def test_key_options_reach_the_key(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(
        lambda: build(
            {"rotation_period_days": 180, "deletion_window_days": 7, "key_description": "orders", "tags": {"team": "a"}}
        )
    )
    key = mocks.one(KEY)
    assert (key.inputs["rotationPeriodInDays"], key.inputs["deletionWindowInDays"]) == (180, 7)
    assert key.inputs["description"] == "orders"
    assert key.inputs["tags"] == {"team": "a"} == mocks.one(TABLE).inputs["tags"]


def test_alias_targets_the_key_and_defaults_to_the_stack(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build)
    alias, key = mocks.one(ALIAS), mocks.one(KEY)
    assert alias.inputs["targetKeyId"] == key.state["keyId"]
    assert alias.inputs["name"] == "alias/encrypted-dynamodb/dev/orders" == out["alias_name"]


def test_children_are_parented_to_the_component(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(build)
    (component,) = [r for r in mocks.resources if r.typ == "encrypted-dynamodb:index:EncryptedTable"]
    children = [r for r in mocks.resources if r.custom]
    assert {r.typ for r in children} == {KEY, ALIAS, TABLE}
    for child in children:
        assert child.parent == component.urn, f"{child.urn} is not parented to {component.urn}"
    assert [r.name for r in children if r.typ == KEY] == ["orders-key"]


def test_table_defaults_are_safe(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(build)
    table = mocks.one(TABLE)
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    assert table.inputs["deletionProtectionEnabled"] is True
    assert table.inputs["hashKey"] == "id"
    assert table.inputs["attributes"] == [{"name": "id", "type": "S"}]
    assert "name" not in table.inputs, "no name given: Pulumi auto-names the table"


def test_table_options(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(
        lambda: build(
            {
                "table_name": "orders",
                "sort_key": "at",
                "sort_key_type": "N",
                "billing_mode": "PROVISIONED",
                "read_capacity": 5,
                "write_capacity": 2,
                "point_in_time_recovery": False,
                "deletion_protection": False,
                "ttl_attribute": "expires",
                "stream_view_type": "NEW_IMAGE",
                "global_secondary_indexes": [
                    {
                        "name": "by-customer",
                        "partition_key": "customer",
                        "sort_key": "at",
                        "sort_key_type": "N",
                        "read_capacity": 1,
                        "write_capacity": 1,
                    }
                ],
            }
        )
    )
    table = mocks.one(TABLE)
    assert table.inputs["name"] == "orders"
    assert (table.inputs["rangeKey"], table.inputs["readCapacity"], table.inputs["writeCapacity"]) == ("at", 5, 2)
    assert table.inputs["pointInTimeRecovery"] == {"enabled": False}
    assert table.inputs["deletionProtectionEnabled"] is False
    assert table.inputs["ttl"] == {"attributeName": "expires", "enabled": True}
    assert (table.inputs["streamEnabled"], table.inputs["streamViewType"]) == (True, "NEW_IMAGE")
    assert {a["name"]: a["type"] for a in table.inputs["attributes"]} == {"id": "S", "at": "N", "customer": "S"}
    (index,) = table.inputs["globalSecondaryIndexes"]
    assert index["keySchemas"] == [
        {"attributeName": "customer", "keyType": "HASH"},
        {"attributeName": "at", "keyType": "RANGE"},
    ]
    assert (index["projectionType"], index["readCapacity"]) == ("ALL", 1)


def test_key_policy_admins_cannot_decrypt_and_deployer_role_is_admin(mocks: RecordingMocks, resolve: Any) -> None:
    admin_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/security/KeyAdmin"
    resolve(lambda: build({"key_admins": [admin_arn]}))
    admin = statement(policy_of(mocks.one(KEY)), SID_ADMINISTRATION)
    # The deployer is an STS session in the mocks; the policy must name its role, path included.
    assert statement_principals(admin) == [admin_arn, ISSUER_ARN]
    assert not [op for op in KEY_DATA_OPERATIONS if statement_allows_action(admin, op)]


def test_key_users_from_outputs_carry_the_via_service_condition(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(lambda: build({"key_users": [pulumi.Output.from_input(READER)]}))
    use = statement(policy_of(mocks.one(KEY)), SID_KEY_USE_VIA_DYNAMODB)
    assert statement_principals(use) == [READER]
    assert use["Condition"]["StringEquals"] == {
        "kms:ViaService": "dynamodb.us-east-1.amazonaws.com",
        "kms:CallerAccount": ACCOUNT_ID,
    }


@pytest.mark.parametrize(
    ("partition", "region"),
    [
        ("aws", "us-east-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-us-gov", "us-gov-west-1"),
        ("aws-iso", "us-iso-east-1"),
        ("aws-iso-b", "us-isob-east-1"),
    ],
)
def test_region_and_partition_follow_the_provider(resolve: Any, partition: str, region: str) -> None:
    recorder = RecordingMocks(region=region, partition=partition)
    use_mocks(recorder, {})
    resolve(lambda: build({"key_users": [f"arn:{partition}:iam::{ACCOUNT_ID}:role/reader"]}))
    policy = policy_of(recorder.one(KEY))
    assert statement(policy, "EnableIamPolicies")["Principal"] == {"AWS": f"arn:{partition}:iam::{ACCOUNT_ID}:root"}
    condition = statement(policy, SID_KEY_USE_VIA_DYNAMODB)["Condition"]["StringEquals"]
    # The KMS guide's kms:ViaService table: use the .amazonaws.com suffix in all AWS
    # partitions, China's included, whatever the partition's DNS suffix
    # (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
    assert condition["kms:ViaService"] == f"dynamodb.{region}.amazonaws.com"


def test_key_user_args_carry_the_tables_values(mocks: RecordingMocks, resolve: Any) -> None:
    def run() -> dict[str, Any]:
        table = EncryptedTable("orders", {"partition_key": "id", "allow_iam_policies": False})
        args = table.key_user_args(READER, mode="grant", access="read-write")
        assert args["key_allows_iam_policies"] is False
        assert (args["mode"], args["access"], args["principal_arn"]) == ("grant", "read-write", READER)
        return {"key": args["key_arn"], "arn": args["table_arn"], "name": args["table_name"]}

    out = resolve(run)
    # What the provider made, not the component's own Outputs: the args must name these resources.
    assert out["key"] == mocks.one(KEY).state["arn"]
    table = mocks.one("aws:dynamodb/table:Table")
    assert (out["arn"], out["name"]) == (table.state["arn"], table.state["name"])


def test_deploy_context_is_asked_once_per_provider(mocks: RecordingMocks, resolve: Any) -> None:
    import pulumi_aws as aws

    def build() -> dict[str, Any]:
        first = EncryptedTable("first", {"partition_key": "id"})
        second = EncryptedTable("second", {"partition_key": "id"})
        KeyUser("reader", first.key_user_args("arn:aws:iam::123456789012:role/Reader"))
        elsewhere = aws.Provider("eu", region="eu-west-1")
        third = EncryptedTable("third", {"partition_key": "id"}, pulumi.ResourceOptions(providers=[elsewhere]))
        return {"arns": [first.key_arn, second.key_arn, third.key_arn]}

    resolve(build)
    tokens = [token for token, _ in mocks.invokes]
    # Four invokes for the default provider, four for the explicit one: not four per component.
    assert len(tokens) == 8
    assert len(set(tokens)) == 4
