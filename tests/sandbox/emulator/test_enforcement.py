"""KMS key access enforced on the emulator's DynamoDB data plane, as AWS enforces it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.emulator.decisions import INACCESSIBLE_TABLE_STATUS
from sandbox.emulator.server import Emulator
from stack import outputs as contract
from tests.sandbox.conftest import FakeClock, principal_dynamodb, up
from verify.inputs import parse_outputs
from verify.run import Aws, verify

pytestmark = pytest.mark.emulator

KEY = {"id": {"S": "item-1"}}
ITEM = {**KEY, "note": {"S": "secret note"}}


def test_a_read_only_key_user_reads_by_every_read_api(emulator: Emulator, stack: Any) -> None:
    """AmazonDynamoDBReadOnlyAccess allows PartiQLSelect and GetItem, which is what those calls need."""
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    table = out[contract.TABLE_NAME]
    emulator.client("dynamodb").put_item(TableName=table, Item=ITEM)
    client = principal_dynamodb(emulator, out)
    assert client.execute_statement(Statement=select_all(table))["Items"] == [ITEM]
    assert client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": KEY}}])["Responses"]
    delete = f"DELETE FROM \"{table}\" WHERE id = 'item-1'"  # noqa: S608 (the test's own table)
    refused = error_of(lambda: client.execute_statement(Statement=delete))
    assert refused is not None
    assert "dynamodb:PartiQLDelete" in refused[1]


def select_all(table: str) -> str:
    return f'SELECT * FROM "{table}"'  # noqa: S608 (PartiQL on the test's own table)


def data_plane_calls(table: str) -> dict[str, Callable[[Any], Any]]:
    return {
        "GetItem": lambda c: c.get_item(TableName=table, Key=KEY),
        "PutItem": lambda c: c.put_item(TableName=table, Item=ITEM),
        "UpdateItem": lambda c: c.update_item(
            TableName=table, Key=KEY, UpdateExpression="SET n = :v", ExpressionAttributeValues={":v": {"N": "1"}}
        ),
        "DeleteItem": lambda c: c.delete_item(TableName=table, Key={"id": {"S": "absent"}}),
        "Query": lambda c: c.query(
            TableName=table, KeyConditionExpression="id = :id", ExpressionAttributeValues={":id": KEY["id"]}
        ),
        "Scan": lambda c: c.scan(TableName=table),
        "BatchGetItem": lambda c: c.batch_get_item(RequestItems={table: {"Keys": [KEY]}}),
        "BatchWriteItem": lambda c: c.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": ITEM}}]}),
        "TransactGetItems": lambda c: c.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": KEY}}]),
        "TransactWriteItems": lambda c: c.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": ITEM}}]
        ),
        "ExecuteStatement": lambda c: c.execute_statement(Statement=select_all(table)),
    }


def error_of(call: Callable[[], Any]) -> tuple[str, str] | None:
    """(code, message) of the ClientError the call raised, None if it succeeded. Every refusal is HTTP 400."""
    try:
        call()
    except ClientError as error:
        response = error.response
    else:
        return None
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == 400 or response["Error"]["Code"] == "403", f"HTTP {status}"
    return response["Error"]["Code"], response["Error"]["Message"]


def give_full_dynamodb_rights(emulator: Emulator, user_arn: str) -> None:
    """So that every data-plane call passes IAM and only the key decides."""
    emulator.client("iam").put_user_policy(
        UserName=user_arn.rsplit("/", 1)[-1],
        PolicyName="dynamodb-all",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}
        ),
    )


def test_every_data_plane_call_needs_kms_decrypt_and_a_grant_gives_it(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="user").outputs
    table, user = out[contract.TABLE_NAME], out[contract.TEST_PRINCIPAL_ARN]
    emulator.client("dynamodb").put_item(TableName=table, Item=ITEM)
    give_full_dynamodb_rights(emulator, user)
    client = principal_dynamodb(emulator, out)

    for operation, call in data_plane_calls(table).items():
        refused = error_of(lambda call=call: call(client))
        assert refused is not None, f"{operation} went through without kms:Decrypt"
        code, message = refused
        assert code == "AccessDeniedException", operation
        assert message.startswith("KMS key access denied error: User: " + user), operation
        assert "kms:Decrypt" in message, operation
        assert out[contract.KEY_ARN] in message, operation

    up(stack, testPrincipal="user", grantTestPrincipal="true")
    for operation, call in data_plane_calls(table).items():
        assert error_of(lambda call=call: call(client)) is None, operation


def test_an_iam_denial_comes_first_and_names_the_dynamodb_action(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    refused = error_of(
        lambda: principal_dynamodb(emulator, out).put_item(TableName=out[contract.TABLE_NAME], Item=ITEM)
    )
    assert refused is not None
    assert refused[0] == "AccessDeniedException"
    assert "is not authorized to perform: dynamodb:PutItem" in refused[1]
    assert not refused[1].startswith("KMS key access denied")


def test_an_explicit_deny_in_an_identity_policy_beats_the_grant(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    emulator.client("iam").put_user_policy(
        UserName=out[contract.TEST_PRINCIPAL_ARN].rsplit("/", 1)[-1],
        PolicyName="no-decrypt",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]}
        ),
    )
    refused = error_of(lambda: principal_dynamodb(emulator, out).scan(TableName=out[contract.TABLE_NAME]))
    assert refused is not None
    assert "with an explicit deny in an identity-based policy" in refused[1]


def test_the_deployer_reads_through_root_delegation_and_tables_without_a_cmk_are_not_gated(
    emulator: Emulator, stack: Any
) -> None:
    out = up(stack, testPrincipal="none").outputs
    dynamodb = emulator.client("dynamodb")
    dynamodb.put_item(TableName=out[contract.TABLE_NAME], Item=ITEM)
    assert dynamodb.get_item(TableName=out[contract.TABLE_NAME], Key=KEY)["Item"] == ITEM
    dynamodb.create_table(
        TableName="plain",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="plain", Item=ITEM)


def test_credentials_the_emulator_did_not_issue_are_refused(emulator: Emulator) -> None:
    stranger = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=emulator.endpoint_url,
        region_name=emulator.region,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    refused = error_of(stranger.list_tables)
    assert refused == ("UnrecognizedClientException", "The security token included in the request is invalid.")


@pytest.mark.parametrize("make_unusable", ["disable_key", "schedule_key_deletion"])
def test_a_disabled_or_deleted_key_makes_the_data_inaccessible(
    emulator: Emulator, stack: Any, make_unusable: str
) -> None:
    deployment = up(stack, testPrincipal="role", grantTestPrincipal="true")
    out = deployment.outputs
    dynamodb, kms = emulator.client("dynamodb"), emulator.client("kms")
    dynamodb.put_item(TableName=out[contract.TABLE_NAME], Item=ITEM)
    kms_call = getattr(kms, make_unusable)
    kms_call(
        KeyId=out[contract.KEY_ID], **({"PendingWindowInDays": 7} if make_unusable == "schedule_key_deletion" else {})
    )

    refused = error_of(lambda: dynamodb.get_item(TableName=out[contract.TABLE_NAME], Key=KEY))
    assert refused is not None
    assert refused[0] == "ValidationException"
    assert "inaccessible" in refused[1]
    described = dynamodb.describe_table(TableName=out[contract.TABLE_NAME])["Table"]
    assert described["TableStatus"] == INACCESSIBLE_TABLE_STATUS
    assert "InaccessibleEncryptionDateTime" in described["SSEDescription"]

    findings = {
        f.check: f for f in verify(Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out), max_wait=0)
    }
    assert findings["table.key_accessible"].status.value == "FAIL"
    assert findings["key.enabled"].status.value == "FAIL"
    assert findings["round_trip"].status.value == "FAIL"
    assert "could not write a canary: ValidationException" in findings["round_trip"].seen
    assert "canary_removed" not in findings  # nothing was written, so nothing to remove


def test_changes_take_effect_only_after_the_propagation_delay(clean_aws_env: None) -> None:
    clock = FakeClock()
    with Emulator(propagation_delay=30, clock=clock) as emulator:
        from sandbox.engine import Stack

        stack = Stack(emulator)
        out = up(stack, testPrincipal="user").outputs
        clock.now += 60  # the new principal's read-only policy has propagated
        table = out[contract.TABLE_NAME]
        emulator.client("dynamodb").put_item(TableName=table, Item=ITEM)
        client = principal_dynamodb(emulator, out)
        assert error_of(lambda: client.get_item(TableName=table, Key=KEY)) is not None

        up(stack, testPrincipal="user", grantTestPrincipal="true")
        clock.now += 29
        still = error_of(lambda: client.get_item(TableName=table, Key=KEY))
        assert still is not None
        assert still[1].startswith("KMS key access denied")
        clock.now += 2
        assert error_of(lambda: client.get_item(TableName=table, Key=KEY)) is None

        up(stack, testPrincipal="user", grantTestPrincipal="false")  # the grant is retired
        clock.now += 1
        assert error_of(lambda: client.get_item(TableName=table, Key=KEY)) is None, "revocation is not instant either"
        clock.now += 30
        assert error_of(lambda: client.get_item(TableName=table, Key=KEY)) is not None


def test_a_client_cannot_claim_the_layers_authorization(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="user").outputs
    client = principal_dynamodb(emulator, out)
    assert emulator.faults is not None
    token = emulator.faults.app.token  # even the right token, had it leaked
    client.meta.events.register(
        "before-send.dynamodb.*", lambda request, **_: request.headers.__setitem__("X-Sandbox-Authorized", token)
    )
    # Not a data-plane call: moto's own check judges it, and the read-only user may not create tables.
    refused = error_of(
        lambda: client.create_table(
            TableName="forged",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert refused is not None
    assert "dynamodb:CreateTable" in refused[1]
