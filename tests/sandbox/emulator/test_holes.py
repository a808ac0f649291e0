"""Issue 17, point 5: the holes an audit of the enforcement layer found, each pinned by a test that failed before.

1. the request line: a request target other than exactly "/" (a `#fragment`, a second slash, an
   absolute URI, an empty query) that moto reads a region out of, while the layer judged the
   request in its signing region;
2. PartiQL: a table named like another table's index ("orders.byCustomer");
3. policy documents AWS refuses, which moto stored;
4. exports, backups and restores that needed more than AWS documents.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from sandbox.emulator.server import Emulator
from tests.sandbox.emulator.test_bypasses import JSON_1_0, Answer, scoped_user

pytestmark = pytest.mark.emulator

OTHER_REGION = "eu-west-1"
SECRET = {"id": {"S": "item-1"}, "note": {"S": "secret note"}}


def region_client(emulator: Emulator, service: str, region: str) -> Any:
    return emulator.session().client(service, region_name=region, endpoint_url=emulator.endpoint_url)  # type: ignore[call-overload]


def encrypted_table_in(emulator: Emulator, region: str, name: str) -> str:
    """A table of `region` under a customer-managed key of that region, holding SECRET; its key's ARN."""
    key = region_client(emulator, "kms", region).create_key(Description=f"{name} key")["KeyMetadata"]["Arn"]
    dynamodb = region_client(emulator, "dynamodb", region)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
    )
    dynamodb.put_item(TableName=name, Item=SECRET)
    return str(key)


def send_raw(
    emulator: Emulator,
    credentials: Credentials,
    request_target: str,
    *,
    target: str,
    body: Mapping[str, Any],
    host: str | None = None,
) -> Answer:
    """A request signed (for the emulator's region) over POST / whose request line carries `request_target`."""
    data = json.dumps(body).encode()
    endpoint = urlsplit(emulator.endpoint_url)
    request = AWSRequest(
        method="POST",
        url=f"http://{host or endpoint.netloc}/",
        data=data,
        headers={"Content-Type": JSON_1_0, "X-Amz-Target": target},
    )
    SigV4Auth(credentials, "dynamodb", emulator.region).add_auth(request)
    connection = http.client.HTTPConnection(str(endpoint.hostname), endpoint.port, timeout=10)
    try:
        connection.putrequest("POST", request_target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or endpoint.netloc)
        for name, value in request.headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    finally:
        connection.close()


# -- 1. the request line is exactly "/" ----------------------------------------------------------------


@pytest.mark.parametrize(
    "request_target",
    [
        f"/#x.{OTHER_REGION}.amazonaws.com",  # werkzeug drops the fragment from PATH_INFO, moto reads it
        f"/?#x.{OTHER_REGION}.amazonaws.com",
        f"//dynamodb.{OTHER_REGION}.amazonaws.com/",
        f"http://dynamodb.{OTHER_REGION}.amazonaws.com/",
        "/?",
        "/#",
    ],
)
def test_a_request_line_other_than_slash_is_refused(emulator: Emulator, request_target: str) -> None:
    # The scoped user may call DynamoDB but holds no right on the other region's key: signed for
    # the emulator's region, where no table of that name exists (no key to judge), the request
    # must not be served by moto against the other region's table.
    encrypted_table_in(emulator, OTHER_REGION, "secret")
    user = scoped_user(emulator, [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}])
    answer = send_raw(emulator, user, request_target, target="DynamoDB_20120810.Scan", body={"TableName": "secret"})
    assert b"secret note" not in answer.body, answer.text
    assert answer.status == 400, answer.text
    assert answer.json["__type"].endswith("UnknownOperationException"), answer.text


def test_a_request_line_of_exactly_slash_is_served(emulator: Emulator) -> None:
    encrypted_table_in(emulator, OTHER_REGION, "secret")
    user = scoped_user(emulator, [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}])
    answer = send_raw(emulator, user, "/", target="DynamoDB_20120810.ListTables", body={})
    assert answer.status == 200, answer.text
    assert answer.json["TableNames"] == []  # the emulator's region: the other region's table is not there
    # And the other region's table, asked for in its own region, is refused without its key.
    other = boto3.session.Session(user.access_key, user.secret_key, region_name=OTHER_REGION).client(
        "dynamodb", endpoint_url=emulator.endpoint_url
    )
    with pytest.raises(Exception, match="KMS key access denied error"):
        other.scan(TableName="secret")


# -- 2. PartiQL: a table and another table's index are different resources --------------------------

# Table "orders" has an index "byCustomer"; table "orders.byCustomer" (a '.' is allowed in a table
# name) is another table, under another key. moto handed its PartiQL executor one dict holding
# tables as "T" and indexes as "T.index", so one of them hid the other.
ORDERS, DOTTED, INDEX = "orders", "orders.byCustomer", "byCustomer"
ORDERS_ITEM = {"id": {"S": "o1"}, "customer": {"S": "c1"}, "note": {"S": "orders secret"}}
DOTTED_ITEM = {"id": {"S": "d1"}, "customer": {"S": "c1"}, "note": {"S": "dotted secret"}}


def orders_and_dotted(emulator: Emulator, *, dotted_first: bool) -> dict[str, str]:
    """Both tables, each under its own customer-managed key, each with its item; their keys' ARNs by table."""
    kms, dynamodb = emulator.client("kms"), emulator.client("dynamodb")
    keys: dict[str, str] = {}
    for name in (DOTTED, ORDERS) if dotted_first else (ORDERS, DOTTED):
        keys[name] = kms.create_key(Description=name)["KeyMetadata"]["Arn"]
        index = {
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": INDEX if name == ORDERS else "other",
                    "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ]
        }
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "customer", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[name]},
            **index,
        )
        dynamodb.put_item(TableName=name, Item=ORDERS_ITEM if name == ORDERS else DOTTED_ITEM)
    return keys


def reader_of(emulator: Emulator, key_arn: str) -> Any:
    """A DynamoDB client of a user with every DynamoDB right and kms:Decrypt on this one key only."""
    user = scoped_user(
        emulator,
        [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn},
        ],
    )
    session = boto3.session.Session(user.access_key, user.secret_key, region_name=emulator.region)
    return session.client("dynamodb", endpoint_url=emulator.endpoint_url)


def notes(answer: Mapping[str, Any]) -> list[str]:
    return sorted(item["note"]["S"] for item in answer.get("Items", []))


@pytest.mark.parametrize("dotted_first", [True, False])
def test_a_table_named_like_an_index_is_served_its_own_items(emulator: Emulator, dotted_first: bool) -> None:
    # May read the table "orders.byCustomer" (its key), not "orders".
    keys = orders_and_dotted(emulator, dotted_first=dotted_first)
    client = reader_of(emulator, keys[DOTTED])
    assert notes(client.execute_statement(Statement=f'SELECT * FROM "{DOTTED}"')) == ["dotted secret"]  # noqa: S608
    assert notes(client.scan(TableName=DOTTED)) == ["dotted secret"]


@pytest.mark.parametrize("dotted_first", [True, False])
@pytest.mark.parametrize("reference", [f"{ORDERS}.{INDEX}", f'"{ORDERS}"."{INDEX}"'])
def test_an_index_is_served_its_own_tables_items(emulator: Emulator, dotted_first: bool, reference: str) -> None:
    # May read "orders" and its index (its key), not the table "orders.byCustomer".
    keys = orders_and_dotted(emulator, dotted_first=dotted_first)
    client = reader_of(emulator, keys[ORDERS])
    assert notes(client.execute_statement(Statement=f"SELECT * FROM {reference}")) == ["orders secret"]  # noqa: S608


@pytest.mark.parametrize("dotted_first", [True, False])
def test_a_write_to_a_table_named_like_an_index_touches_that_table_only(emulator: Emulator, dotted_first: bool) -> None:
    keys = orders_and_dotted(emulator, dotted_first=dotted_first)
    client = reader_of(emulator, keys[DOTTED])
    dynamodb = emulator.client("dynamodb")
    # moto updated the items it was handed under that name: another table's, copied into this one.
    client.execute_statement(Statement=f"UPDATE \"{DOTTED}\" SET extra = 'x' WHERE id = 'o1'")  # noqa: S608
    assert dynamodb.scan(TableName=DOTTED)["Items"] == [DOTTED_ITEM]
    client.execute_statement(Statement=f"UPDATE \"{DOTTED}\" SET extra = 'y' WHERE id = 'd1'")  # noqa: S608
    assert dynamodb.scan(TableName=DOTTED)["Items"] == [{**DOTTED_ITEM, "extra": {"S": "y"}}]
    client.execute_statement(Statement=f"DELETE FROM \"{DOTTED}\" WHERE id = 'd1'")  # noqa: S608
    assert dynamodb.scan(TableName=DOTTED)["Items"] == []
    assert dynamodb.scan(TableName=ORDERS)["Items"] == [ORDERS_ITEM]


# -- 3. policy documents AWS refuses are refused, and nothing is stored ------------------------------

# Action 5 is not an action: KMS refuses the document (MalformedPolicyDocumentException, PutKeyPolicy
# and CreateKey API references); moto stored it, and the key was unusable after.
BAD_KEY_POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": 5, "Resource": "*"}]})


def error(refused: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = refused.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


@pytest.mark.parametrize("document", [BAD_KEY_POLICY, "not JSON", "[]", json.dumps({"Statement": []} | {"Id": 1})])
def test_a_key_policy_kms_refuses_is_not_stored(emulator: Emulator, document: str) -> None:
    kms = emulator.client("kms")
    key = kms.create_key(Description="a key")["KeyMetadata"]["KeyId"]
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    with pytest.raises(ClientError) as refused:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=document)
    status, code, _message = error(refused)
    assert (status, code) == (400, "MalformedPolicyDocumentException")
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Enabled"]  # still usable


def test_a_key_created_with_a_policy_kms_refuses_is_not_created(emulator: Emulator) -> None:
    kms = emulator.client("kms")
    keys = kms.list_keys()["Keys"]
    with pytest.raises(ClientError) as refused:
        kms.create_key(Description="a key", Policy=BAD_KEY_POLICY)
    status, code, message = error(refused)
    assert (status, code) == (400, "MalformedPolicyDocumentException")
    assert "Statement[0].Action" in message
    assert kms.list_keys()["Keys"] == keys


def test_a_table_resource_policy_dynamodb_refuses_is_not_stored(emulator: Emulator) -> None:
    dynamodb = emulator.client("dynamodb")
    arn = dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    # A statement without a Principal: a resource-based policy must name one (IAM policy grammar).
    document = json.dumps({"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn}]})
    with pytest.raises(ClientError) as refused:
        dynamodb.put_resource_policy(ResourceArn=arn, Policy=document)
    status, code, message = error(refused)
    assert (status, code) == (400, "ValidationException")
    assert "Invalid policy document" in message
    with pytest.raises(ClientError, match="PolicyNotFoundException"):
        dynamodb.get_resource_policy(ResourceArn=arn)
    # CreateTable's ResourcePolicy is the same document (moto 5.2.5 ignores it; DynamoDB refuses it).
    with pytest.raises(ClientError) as at_creation:
        dynamodb.create_table(
            TableName="others",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            ResourcePolicy=document,
        )
    assert error(at_creation)[:2] == (400, "ValidationException")
    assert dynamodb.list_tables()["TableNames"] == ["orders"]


def test_a_trust_policy_iam_refuses_is_not_stored(emulator: Emulator) -> None:
    iam = emulator.client("iam")
    # Principal must be "*" or a map of principal types (IAM policy grammar); moto stored this one.
    document = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "arn:aws:iam::123456789012:root", "Action": "sts:AssumeRole"}]}
    )
    with pytest.raises(ClientError) as refused:
        iam.create_role(RoleName="reader", AssumeRolePolicyDocument=document)
    assert error(refused)[:2] == (400, "MalformedPolicyDocument")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    # moto itself refuses a malformed identity policy, as IAM does.
    iam.create_user(UserName="someone")
    with pytest.raises(ClientError) as identity:
        iam.put_user_policy(
            UserName="someone",
            PolicyName="p",
            PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}),
        )
    assert error(identity)[:2] == (400, "MalformedPolicyDocument")


# -- 4. exports, backups and restores need exactly the rights AWS documents ----------------------------

# Export: dynamodb:ExportTableToPointInTime on the table, plus S3 writes to the bucket, which the
# sandbox does not serve (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport_Requesting.html).
# Restore: the restore action on the backup or the source table, and BatchWriteItem, DeleteItem,
# GetItem, PutItem, Query, Scan and UpdateItem on the target table; an SSESpecificationOverride to a
# customer-managed key needs that key's rights, to the AWS owned key none
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/backuprestore_IAM.html).
# CreateBackup: dynamodb:CreateBackup on the table. No key right for the caller in any of them: DynamoDB
# reads the source with its own grant on the key.
TARGET_ITEM_ACTIONS = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
]


def table_arn(emulator: Emulator, name: str) -> str:
    return f"arn:aws:dynamodb:{emulator.region}:123456789012:table/{name}"


def documented_rights_only(emulator: Emulator) -> tuple[Any, str, str]:
    """A CMK table with a backup, and a client of a user holding exactly the documented rights: no key rights."""
    key = encrypted_table_in(emulator, emulator.region, "orders")
    dynamodb = emulator.client("dynamodb")
    dynamodb.update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    backup = dynamodb.create_backup(TableName="orders", BackupName="nightly")["BackupDetails"]["BackupArn"]
    source = table_arn(emulator, "orders")
    targets = [table_arn(emulator, name) for name in ("restored", "restored-pitr", "restored-owned", "restored-cmk")]
    user = scoped_user(
        emulator,
        [
            {"Effect": "Allow", "Action": "dynamodb:ExportTableToPointInTime", "Resource": source},
            {"Effect": "Allow", "Action": "dynamodb:CreateBackup", "Resource": source},
            {"Effect": "Allow", "Action": "dynamodb:RestoreTableFromBackup", "Resource": backup},
            {"Effect": "Allow", "Action": "dynamodb:RestoreTableToPointInTime", "Resource": source},
            {"Effect": "Allow", "Action": TARGET_ITEM_ACTIONS, "Resource": targets},
        ],
    )
    session = boto3.session.Session(user.access_key, user.secret_key, region_name=emulator.region)
    return session.client("dynamodb", endpoint_url=emulator.endpoint_url), backup, key


def test_the_documented_rights_export_back_up_and_restore_without_key_rights(emulator: Emulator) -> None:
    client, backup, key = documented_rights_only(emulator)
    source = table_arn(emulator, "orders")
    export = client.export_table_to_point_in_time(TableArn=source, S3Bucket="exports")
    assert export["ExportDescription"]["TableArn"] == source
    assert client.create_backup(TableName="orders", BackupName="mine")["BackupDetails"]["BackupArn"]
    client.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)
    client.restore_table_to_point_in_time(SourceTableArn=source, TargetTableName="restored-pitr")
    # The restored tables keep the source's key: their items stay behind it.
    dynamodb = emulator.client("dynamodb")
    for restored in ("restored", "restored-pitr"):
        assert dynamodb.describe_table(TableName=restored)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key
        with pytest.raises(ClientError, match="KMS key access denied error"):
            client.scan(TableName=restored)


def test_a_restore_to_the_aws_owned_key_needs_no_key_right_and_to_another_key_that_keys_rights(
    emulator: Emulator,
) -> None:
    client, backup, _key = documented_rights_only(emulator)
    # To the AWS owned key: no key right, and the restored items are readable with table rights
    # alone. This is the access path an audit must see (a restore right reads a CMK table's data).
    client.restore_table_from_backup(
        TargetTableName="restored-owned", BackupArn=backup, SSESpecificationOverride={"Enabled": False}
    )
    assert [item["note"]["S"] for item in client.scan(TableName="restored-owned")["Items"]] == ["secret note"]
    # To another customer-managed key: DynamoDB uses it as the caller (kms:DescribeKey, kms:CreateGrant).
    other = emulator.client("kms").create_key(Description="another key")["KeyMetadata"]["Arn"]
    override = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": other}
    with pytest.raises(ClientError, match="KMS key access denied error"):
        client.restore_table_from_backup(
            TargetTableName="restored-cmk", BackupArn=backup, SSESpecificationOverride=override
        )
