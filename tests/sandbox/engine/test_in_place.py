"""`pulumi up` changes what the real provider changes in place, in place, and the emulator shows it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pulumi_aws as aws
import pytest
from botocore.exceptions import ClientError

from access import provider_types
from components import EncryptedTable
from components.encrypted_table import GlobalSecondaryIndexArgs
from sandbox.emulator.account import ACCOUNT_ID
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, Change, Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.sandbox.engine.programs import Program, deploy_program, up_program

pytestmark = pytest.mark.emulator

ITEM = {"id": {"S": "order-1"}, "owner": {"S": "ana"}}
ROOT_DELEGATION = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
)
ALL_DYNAMODB = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}
)
TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
DYNAMODB_READ_ONLY = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"


def change_of(changes: list[Change], typ: str) -> Change:
    (found,) = [c for c in changes if c.typ == typ]
    return found


# -- the key attribute's type ---------------------------------------------------------------------


def test_a_new_type_for_the_key_attribute_is_no_change_and_the_table_keeps_its_type(
    emulator: Emulator, stack: Stack
) -> None:
    """As the provider: a type-only change is cleared in its diff, and Read refills the old type."""
    name = up(stack, testPrincipal="none").outputs[contract.TABLE_NAME]
    again = up(stack, testPrincipal="none", partitionKeyType="N")
    assert {c.action for c in again.changes} == {Action.SAME}
    table = change_of(again.changes, provider_types.DYNAMODB_TABLE)
    assert table.detail == "no change: attribute types are not updated by the provider (id kept as deployed)"
    assert again.outputs[contract.TABLE_NAME] == name
    described = emulator.client("dynamodb").describe_table(TableName=name)["Table"]
    assert described["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    (deployed,) = [r for r in stack.resources.values() if r.typ == provider_types.DYNAMODB_TABLE]
    assert deployed.state["attributes"] == [{"name": "id", "type": "S"}]


# -- global secondary indexes ---------------------------------------------------------------------


def orders(*indexes: GlobalSecondaryIndexArgs) -> Program:
    def build() -> dict[str, Any]:
        table = EncryptedTable(
            "orders",
            {"partition_key": "id", "deletion_protection": False, "global_secondary_indexes": list(indexes)},
        )
        return {"table": table.table_name}

    return build


def test_indexes_are_added_changed_and_removed_in_place(emulator: Emulator, stack: Stack) -> None:
    dynamodb = emulator.client("dynamodb")
    name = deploy_program(stack, orders())[0]["table"]
    dynamodb.put_item(TableName=name, Item=ITEM)

    def indexes() -> dict[str, str]:
        described = dynamodb.describe_table(TableName=name)["Table"]
        return {i["IndexName"]: i["Projection"]["ProjectionType"] for i in described.get("GlobalSecondaryIndexes", [])}

    def kept_the_table(changes: list[Change], detail: str) -> None:
        table = change_of(changes, provider_types.DYNAMODB_TABLE)
        assert (table.action, table.detail) == (Action.UPDATE, detail)
        assert dynamodb.list_tables()["TableNames"] == [name]
        assert dynamodb.get_item(TableName=name, Key={"id": ITEM["id"]})["Item"] == ITEM, "the data stays"

    added = up_program(stack, orders({"name": "byOwner", "partition_key": "owner", "projection_type": "KEYS_ONLY"}))
    kept_the_table(added, "attributes, globalSecondaryIndexes")
    assert indexes() == {"byOwner": "KEYS_ONLY"}
    attributes = dynamodb.describe_table(TableName=name)["Table"]["AttributeDefinitions"]
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in attributes) == [("id", "S"), ("owner", "S")]
    found = dynamodb.query(
        TableName=name,
        IndexName="byOwner",
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": ITEM["owner"]},
    )["Items"]
    assert [i["id"] for i in found] == [ITEM["id"]]

    changed = up_program(stack, orders({"name": "byOwner", "partition_key": "owner", "projection_type": "ALL"}))
    kept_the_table(changed, "globalSecondaryIndexes")
    assert indexes() == {"byOwner": "ALL"}

    removed = up_program(stack, orders())
    kept_the_table(removed, "attributes, globalSecondaryIndexes")
    assert indexes() == {}


# -- grants ---------------------------------------------------------------------------------------


def grant(retire_on_delete: bool) -> Program:
    def build() -> dict[str, Any]:
        key = aws.kms.Key("k", policy=ROOT_DELEGATION, deletion_window_in_days=7)
        reader = aws.iam.User("reader")
        made = aws.kms.Grant(
            "g",
            key_id=key.key_id,
            grantee_principal=reader.arn,
            operations=["Decrypt"],
            retire_on_delete=retire_on_delete,
        )
        return {"key": key.key_id, "grant": made.grant_id}

    return build


def test_retire_on_delete_forces_a_new_grant_as_every_grant_argument_does(emulator: Emulator, stack: Stack) -> None:
    first, _ = deploy_program(stack, grant(retire_on_delete=False))
    second, changes = deploy_program(stack, grant(retire_on_delete=True))
    assert (
        change_of(changes, provider_types.KMS_GRANT).action,
        change_of(changes, provider_types.KMS_GRANT).detail,
    ) == (
        Action.REPLACE,
        "retireOnDelete",
    )
    assert second["grant"] != first["grant"]
    grants = emulator.client("kms").list_grants(KeyId=first["key"])["Grants"]
    assert [g["GrantId"] for g in grants] == [second["grant"]], "the old grant is gone"


# -- the table's key ------------------------------------------------------------------------------


def table_keyed_by(which: str) -> Program:
    """Two keys, a table encrypted with one of them, and a reader granted Decrypt on key "a" only."""

    def build() -> dict[str, Any]:
        keys = {n: aws.kms.Key(f"key-{n}", policy=ROOT_DELEGATION, deletion_window_in_days=7) for n in "ab"}
        reader = aws.iam.User("reader")
        aws.iam.UserPolicy("reader-dynamodb", user=reader.name, policy=ALL_DYNAMODB)
        access = aws.iam.AccessKey("reader-key", user=reader.name)
        aws.kms.Grant("reader-on-a", key_id=keys["a"].key_id, grantee_principal=reader.arn, operations=["Decrypt"])
        table = aws.dynamodb.Table(
            "t",
            attributes=[{"name": "id", "type": "S"}],
            hash_key="id",
            billing_mode="PAY_PER_REQUEST",
            server_side_encryption={"enabled": True, "kms_key_arn": keys[which].arn},
        )
        return {
            "table": table.name,
            "a": keys["a"].arn,
            "b": keys["b"].arn,
            "reader_id": access.id,
            "reader_secret": access.secret,
        }

    return build


def test_a_new_key_for_the_table_is_applied_in_place_and_kms_access_follows_it(
    emulator: Emulator, stack: Stack
) -> None:
    out, _ = deploy_program(stack, table_keyed_by("a"))
    dynamodb = emulator.client("dynamodb")
    dynamodb.put_item(TableName=out["table"], Item=ITEM)
    session = boto3.session.Session(
        aws_access_key_id=out["reader_id"], aws_secret_access_key=out["reader_secret"], region_name=emulator.region
    )
    reader = emulator.client("dynamodb", session)

    def read() -> Any:
        return reader.get_item(TableName=out["table"], Key={"id": ITEM["id"]}).get("Item")

    def table_key() -> str:
        return dynamodb.describe_table(TableName=out["table"])["Table"]["SSEDescription"]["KMSMasterKeyArn"]

    assert (table_key(), read()) == (out["a"], ITEM)

    rekeyed, changes = deploy_program(stack, table_keyed_by("b"))
    table = change_of(changes, provider_types.DYNAMODB_TABLE)
    assert (table.action, table.detail) == (Action.UPDATE, "serverSideEncryption")
    assert rekeyed["table"] == out["table"]
    assert table_key() == out["b"]
    with pytest.raises(ClientError) as refused:
        read()
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith("KMS key access denied error: ")
    assert out["b"] in error["Message"]

    deploy_program(stack, table_keyed_by("a"))
    assert (table_key(), read()) == (out["a"], ITEM), "and back"


# -- tags -----------------------------------------------------------------------------------------


def tagged(tags: dict[str, str]) -> Program:
    def build() -> dict[str, Any]:
        key = aws.kms.Key("key", policy=ROOT_DELEGATION, deletion_window_in_days=7, tags=tags)
        table = aws.dynamodb.Table(
            "table",
            attributes=[{"name": "id", "type": "S"}],
            hash_key="id",
            billing_mode="PAY_PER_REQUEST",
            tags=tags,
        )
        role = aws.iam.Role("role", assume_role_policy=TRUST_EC2, tags=tags)
        user = aws.iam.User("user", tags=tags)
        rule = aws.cloudwatch.EventRule("rule", event_pattern='{"source": ["aws.kms"]}', tags=tags)
        topic = aws.sns.Topic("topic", tags=tags)
        return {
            "key": key.key_id,
            "table": table.arn,
            "role": role.name,
            "user": user.name,
            "rule": rule.arn,
            "topic": topic.arn,
        }

    return build


def test_tags_are_changed_in_place_on_every_type_that_has_them(emulator: Emulator, stack: Stack) -> None:
    first, _ = deploy_program(stack, tagged({"team": "a", "gone": "soon"}))
    out, changes = deploy_program(stack, tagged({"team": "b", "new": "yes"}))
    assert [(c.action, c.detail) for c in changes] == [(Action.UPDATE, "tags")] * 6
    assert out == first, "the same resources"
    kms, dynamodb, iam = emulator.client("kms"), emulator.client("dynamodb"), emulator.client("iam")
    want = {"team": "b", "new": "yes"}
    assert {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=out["key"])["Tags"]} == want
    assert {t["Key"]: t["Value"] for t in dynamodb.list_tags_of_resource(ResourceArn=out["table"])["Tags"]} == want
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=out["role"])["Tags"]} == want
    assert {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=out["user"])["Tags"]} == want
    events, sns = emulator.client("events"), emulator.client("sns")
    assert {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=out["rule"])["Tags"]} == want
    assert {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=out["topic"])["Tags"]} == want


# -- IAM in place ---------------------------------------------------------------------------------


def principals(version: int) -> Program:
    """A role and a user whose in-place inputs change from version 1 to 2."""

    def build() -> dict[str, Any]:
        role = aws.iam.Role(
            "role",
            assume_role_policy=TRUST_EC2,
            max_session_duration=3600 * version,
            permissions_boundary=READ_ONLY if version == 2 else None,
            inline_policies=[{"name": f"inline-{version}", "policy": ALL_DYNAMODB}],
            managed_policy_arns=[DYNAMODB_READ_ONLY] if version == 1 else [READ_ONLY],
        )
        user = aws.iam.User("user", path=f"/v{version}/", tags={"team": "a"}, force_destroy=True)
        key = aws.iam.AccessKey("key", user=user.name, status="Active" if version == 1 else "Inactive")
        return {"role": role.name, "user": user.name, "user_arn": user.arn, "key": key.id}

    return build


def test_iam_principals_are_updated_in_place(emulator: Emulator, stack: Stack) -> None:
    first, _ = deploy_program(stack, principals(1))
    out, changes = deploy_program(stack, principals(2))
    assert {c.action for c in changes} == {Action.UPDATE}
    assert out["role"] == first["role"]
    assert out["user"] == first["user"]
    iam = emulator.client("iam")
    role = iam.get_role(RoleName=out["role"])["Role"]
    assert role["MaxSessionDuration"] == 7200
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == READ_ONLY
    assert iam.list_role_policies(RoleName=out["role"])["PolicyNames"] == ["inline-2"]
    attached = iam.list_attached_role_policies(RoleName=out["role"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [READ_ONLY]
    user = iam.get_user(UserName=out["user"])["User"]
    assert user["Arn"] == out["user_arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/v2/{out['user']}"
    assert iam.list_user_tags(UserName=out["user"])["Tags"] == [{"Key": "team", "Value": "a"}], "the tags follow"
    (key,) = iam.list_access_keys(UserName=out["user"])["AccessKeyMetadata"]
    assert (key["AccessKeyId"], key["Status"]) == (out["key"], "Inactive")

    # Deleting: the role's managed policies detached and inline ones deleted first, as the
    # provider does when it manages them; forceDestroy clears what the program never made.
    iam.put_user_policy(UserName=out["user"], PolicyName="added-by-hand", PolicyDocument=ALL_DYNAMODB)
    gone = up_program(stack, dict)
    assert {c.action for c in gone} == {Action.DELETE}
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert out["user"] not in [u["UserName"] for u in iam.list_users()["Users"]]
