"""The catalogue of DynamoDB operations is the one home of each operation's facts: every API botocore
knows has a record, and every list the project keeps elsewhere is derived from it and agrees."""

from __future__ import annotations

import botocore.session
import pytest

from access import kms_dynamodb, operations
from access.operations import (
    API_OPERATIONS,
    BY_NAME,
    FINDING_PATHS,
    OPERATIONS,
    Effect,
    KeyUse,
    Path,
    Resource,
    operations_on,
)


@pytest.mark.parametrize("service", ["dynamodb", "dynamodbstreams"])
def test_every_api_botocore_knows_has_one_record(service: str) -> None:
    known = set(botocore.session.get_session().get_service_model(service).operation_names)
    recorded = [op.name for op in API_OPERATIONS if op.service == service]
    assert sorted(recorded) == sorted(known)


def test_names_are_unique_and_every_record_says_where_its_facts_come_from() -> None:
    assert len(BY_NAME) == len(OPERATIONS)
    for op in OPERATIONS:
        assert op.source, op.name
        assert op.effects, op.name
        assert all(action.startswith("dynamodb:") for action in op.actions), op.name
        if op.key_use is KeyUse.UNSETTLED:
            assert op.note, f"{op.name}: an unsettled fact says which reading each side takes"


def test_what_reads_or_writes_items_has_the_caller_use_the_key_unless_aws_does_not_say() -> None:
    # The KMS guide: DynamoDB calls Decrypt as the caller for item reads and writes.
    for name in ("GetItem", "PutItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems"):
        assert BY_NAME[name].key_use is KeyUse.CALLER
    # The pages list no key right for these: the audit's upper bound, the emulator's reading in the note.
    for name in ("GetRecords", "ExportTableToPointInTime", "RestoreTableFromBackup", "RestoreTableToPointInTime"):
        assert BY_NAME[name].key_use is KeyUse.UNSETTLED


def test_every_path_the_audit_flags_has_operations_on_resources_it_can_name() -> None:
    for path in Path:
        ops = operations_on(path)
        assert ops, path
        assert all(set(op.resources) <= set(Resource) - {Resource.ANY} for op in ops), path
    assert set(FINDING_PATHS) >= {Path.READ, Path.WRITE, Path.STREAM, Path.EXPORT, Path.RESTORE, Path.REKEY}


def test_the_item_action_lists_are_the_catalogues() -> None:
    assert operations.path_actions(Path.READ) == kms_dynamodb.ITEM_READ_ACTIONS
    assert operations.path_actions(Path.WRITE) == kms_dynamodb.ITEM_WRITE_ACTIONS
    assert set(kms_dynamodb.ITEM_READ_ACTIONS) >= {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:PartiQLSelect",
        "dynamodb:ConditionCheckItem",
    }
    assert set(kms_dynamodb.ITEM_WRITE_ACTIONS) >= {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    }


def test_a_key_users_table_rights_are_the_records_of_its_level() -> None:
    # Literal, as aws-cdk's perms.ts lists them: a change to a record shows here.
    assert kms_dynamodb.ACCESS_TABLE_ACTIONS["read"] == (
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    )
    assert kms_dynamodb.ACCESS_TABLE_ACTIONS["read-write"][6:] == (
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    )
    for level, actions in kms_dynamodb.ACCESS_TABLE_ACTIONS.items():
        levels = {"read": {"read"}, "read-write": {"read", "read-write"}}[level]
        assert set(actions) == {op.actions[0] for op in OPERATIONS if op.level in levels}


def test_the_data_plane_is_every_api_decrypting_items_as_the_caller() -> None:
    assert {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    } == kms_dynamodb.DATA_PLANE_OPERATIONS
    assert {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"} <= operations.ITEM_WRITE_OPERATIONS
    assert all(BY_NAME[name].writes for name in operations.ITEM_WRITE_OPERATIONS)


def test_who_may_change_the_boundary_by_the_table() -> None:
    assert set(kms_dynamodb.TABLE_BOUNDARY_ACTIONS) == {
        "dynamodb:UpdateTable",
        "dynamodb:PutResourcePolicy",
        "dynamodb:DeleteResourcePolicy",
    }
    assert all(Effect.CHANGES_BOUNDARY in BY_NAME[a.split(":")[1]].effects for a in kms_dynamodb.TABLE_BOUNDARY_ACTIONS)


def test_the_verifiers_policy_asks_only_for_actions_the_catalogue_knows() -> None:
    from verify.permissions import verifier_policy

    document = verifier_policy(
        table_arn="arn:aws:dynamodb:us-east-1:111122223333:table/t",
        key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
        region="us-east-1",
        account_id="111122223333",
    )
    dynamodb = {a for s in document["Statement"] for a in s["Action"] if a.startswith("dynamodb:")}
    assert dynamodb
    assert dynamodb <= {op.actions[0] for op in OPERATIONS}
