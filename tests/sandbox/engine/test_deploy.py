"""Deploying the stack program into the emulator behaves like `pulumi up`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from access.kms_dynamodb import SID_KEY_USE_VIA_DYNAMODB
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, EmulatorBackend, Stack
from sandbox.harness import deploying_mocks, resolve_under_mocks, use_mocks
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.sandbox.engine.programs import up_program

pytestmark = pytest.mark.emulator


def changes_by_name(deployment: Any) -> dict[str, Action]:
    return {c.name: c.action for c in deployment.changes}


def test_the_first_deploy_creates_real_resources_with_real_ids(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="role").outputs
    kms, dynamodb, iam = emulator.client("kms"), emulator.client("dynamodb"), emulator.client("iam")
    key = kms.describe_key(KeyId=out[contract.KEY_ID])["KeyMetadata"]
    assert key["Arn"] == out[contract.KEY_ARN]
    assert key["KeyManager"] == "CUSTOMER"
    assert kms.get_key_rotation_status(KeyId=out[contract.KEY_ID])["KeyRotationEnabled"]
    table = dynamodb.describe_table(TableName=out[contract.TABLE_NAME])["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == out[contract.KEY_ARN]
    assert table["DeletionProtectionEnabled"] is False
    role_name = out[contract.TEST_PRINCIPAL_ARN].rsplit("/", 1)[-1]
    attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonDynamoDBReadOnlyAccess"]
    aliases = kms.list_aliases(KeyId=out[contract.KEY_ID])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [out[contract.KEY_ALIAS]]


def test_a_second_deploy_keeps_ids_adds_and_removes_like_pulumi_up(emulator: Emulator, stack: Stack) -> None:
    first = up(stack, testPrincipal="role")
    kms = emulator.client("kms")
    key_id = first.outputs[contract.KEY_ID]

    granted = up(stack, testPrincipal="role", grantTestPrincipal="true")
    assert granted.outputs[contract.KEY_ID] == key_id
    assert granted.outputs[contract.TABLE_NAME] == first.outputs[contract.TABLE_NAME]
    actions = changes_by_name(granted)
    assert actions["test-principal-key-user-grant"] is Action.CREATE
    assert {a for n, a in actions.items() if n != "test-principal-key-user-grant"} == {Action.SAME}
    grants = kms.list_grants(KeyId=key_id)["Grants"]
    assert [g["GranteePrincipal"] for g in grants] == [first.outputs[contract.TEST_PRINCIPAL_ARN]]

    moved = up(stack, testPrincipal="role", grantTestPrincipal="true", grantMode="key-policy")
    actions = changes_by_name(moved)
    assert actions["encrypted-key"] is Action.UPDATE
    assert actions["test-principal-key-user-grant"] is Action.DELETE
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    users = [s for s in policy["Statement"] if s["Sid"] == SID_KEY_USE_VIA_DYNAMODB]
    assert users
    assert users[0]["Principal"]["AWS"] == [first.outputs[contract.TEST_PRINCIPAL_ARN]]


def test_a_changed_key_schema_replaces_the_table(emulator: Emulator, stack: Stack) -> None:
    old = up(stack, testPrincipal="none").outputs[contract.TABLE_NAME]
    replaced = up(stack, testPrincipal="none", partitionKey="pk")
    assert changes_by_name(replaced)["encrypted-table"] is Action.REPLACE
    tables = emulator.client("dynamodb").list_tables()["TableNames"]
    assert tables == [replaced.outputs[contract.TABLE_NAME]]
    assert old not in tables


def test_an_in_place_update_keeps_the_table(emulator: Emulator, stack: Stack) -> None:
    name = up(stack, testPrincipal="none").outputs[contract.TABLE_NAME]
    updated = up(stack, testPrincipal="none", pointInTimeRecovery="false")
    assert changes_by_name(updated)["encrypted-table"] is Action.UPDATE
    backups = emulator.client("dynamodb").describe_continuous_backups(TableName=name)
    assert (
        backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        == "DISABLED"
    )


def test_removing_the_test_principal_deletes_it(emulator: Emulator, stack: Stack) -> None:
    out = up(stack, testPrincipal="user").outputs
    gone = up(stack, testPrincipal="none")
    deleted = {c.typ for c in gone.changes if c.action is Action.DELETE}
    assert deleted == {
        "aws:iam/user:User",
        "aws:iam/accessKey:AccessKey",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    }
    users = [u["Arn"] for u in emulator.client("iam").list_users()["Users"]]
    assert out[contract.TEST_PRINCIPAL_ARN] not in users


def test_a_resource_type_the_sandbox_does_not_model_stops_with_its_token(emulator: Emulator, stack: Stack) -> None:
    use_mocks(deploying_mocks(EmulatorBackend.for_stack(stack)), {})
    with pytest.raises(Exception, match=r"resource type 'aws:sqs/queue:Queue' .*not supported by the sandbox"):
        resolve_under_mocks(lambda: {"queue": aws.sqs.Queue("jobs").id})
    assert stack.resources == {}
    pulumi.runtime.reset_options()


def test_a_change_the_sandbox_does_not_model_stops_the_deploy(emulator: Emulator, stack: Stack) -> None:
    def user(name: str, team: str = "a") -> Callable[[], dict[str, Any]]:
        return lambda: {"arn": aws.iam.User("probe", name=name, tags={"team": team}).arn}

    up_program(stack, user("probe-a"))
    (before,) = stack.resources.values()
    # The provider renames a user in place (UpdateUser); the sandbox does not follow its keys and policies.
    with pytest.raises(Exception, match=r"resource 'probe' \(aws:iam/user:User\).* a change to name \(the provider"):
        up_program(stack, user("probe-b", team="b"))
    iam = emulator.client("iam")
    assert [u["UserName"] for u in iam.list_users()["Users"] if u["UserName"].startswith("probe")] == ["probe-a"]
    assert iam.list_user_tags(UserName="probe-a")["Tags"] == [{"Key": "team", "Value": "a"}], "nothing applied"
    assert list(stack.resources.values()) == [before], "and the stack's state is as it was"


def test_a_change_the_provider_replaces_on_makes_a_new_resource(emulator: Emulator, stack: Stack) -> None:
    def role(path: str) -> Callable[[], dict[str, Any]]:
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        return lambda: {"arn": aws.iam.Role("probe", assume_role_policy=trust, path=path, tags={"team": "b"}).arn}

    up_program(stack, role("/"))
    (before,) = stack.resources.values()
    changes = up_program(stack, role("/probes/"))
    assert [(c.action, c.detail) for c in changes] == [(Action.REPLACE, "path")]
    (after,) = stack.resources.values()
    roles = emulator.client("iam").list_roles()["Roles"]
    assert [r["Arn"] for r in roles] == [after.state["arn"]]
    assert after.state["arn"].endswith(f":role/probes/{after.id}")
    assert before.id != after.id
