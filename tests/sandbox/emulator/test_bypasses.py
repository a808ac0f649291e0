"""The KMS boundary cannot be walked around: each way an adversarial review found around it, pinned.

Every test here failed against the layer as it was before its fix (a request reached moto
unclassified, a PartiQL statement was misread, stream records and restored tables skipped
the key, access was decided before the signature, control-plane calls were judged
against Resource "*"). Raw requests are signed here with botocore's signer, as a client that
does not go through boto3's own validation would send them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

from sandbox.emulator.server import Emulator
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.sandbox.emulator.test_enforcement import ITEM, give_full_dynamodb_rights

pytestmark = pytest.mark.emulator

JSON_1_0 = "application/x-amz-json-1.0"
JSON_1_1 = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def send(
    emulator: Emulator,
    credentials: Credentials,
    *,
    service: str = "dynamodb",
    target: str | None = None,
    body: bytes | Mapping[str, Any] = b"{}",
    content_type: str = JSON_1_0,
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    signed_body: bytes | None = None,
    method: str = "POST",
) -> Answer:
    """A SigV4-signed request to the emulator. `signed_body` signs other bytes than those sent."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": content_type, **(headers or {})}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    request = AWSRequest(method=method, url=emulator.endpoint_url + path, data=signed_body or data, headers=all_headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(credentials, service, emulator.region).add_auth(request)
    request.data = data
    prepared = request.prepare()
    response = URLLib3Session().send(prepared)
    return Answer(response.status_code, response.content)


def deployed_user(emulator: Emulator, stack: Any, **config: str) -> tuple[dict[str, Any], Credentials]:
    """The stack with a test user (not granted unless asked) holding every DynamoDB right, and an item."""
    out = up(stack, testPrincipal="user", **config).outputs
    emulator.client("dynamodb").put_item(TableName=out[contract.TABLE_NAME], Item=ITEM)
    give_full_dynamodb_rights(emulator, out[contract.TEST_PRINCIPAL_ARN])
    user = Credentials(out[contract.TEST_USER_ACCESS_KEY_ID], out[contract.TEST_USER_SECRET_ACCESS_KEY])
    return out, user


def leaked(answer: Answer) -> bool:
    return b"secret note" in answer.body


# -- 1. every request is classified as AWS parses it, or refused ----------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "DynamoDB_20120810.x.Scan",
        "dynamodb_20120810.Scan",
        "DYNAMODB_20120810.Scan",
        "DynamoDB_20120810.scan",
        "Anything.Scan",
        "DynamoDB_20111205.Scan",
        "DynamoDB_20120810.Scan ",
    ],
)
def test_a_target_dynamodb_does_not_know_is_an_unknown_operation(emulator: Emulator, stack: Any, target: str) -> None:
    out, user = deployed_user(emulator, stack)
    answer = send(emulator, user, target=target, body={"TableName": out[contract.TABLE_NAME]})
    assert not leaked(answer), answer.text
    assert answer.status == 400, answer.text
    assert answer.json["__type"].endswith("UnknownOperationException")


def test_a_kms_target_is_parsed_exactly_too(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    for target in ("trentservice.DescribeKey", "TrentService.x.DescribeKey", "TrentService.describeKey"):
        answer = send(
            emulator, user, service="kms", target=target, body={"KeyId": out[contract.KEY_ID]}, content_type=JSON_1_1
        )
        assert answer.status == 400, (target, answer.text)
        assert answer.json["__type"].endswith("UnknownOperationException"), target


def test_a_target_signed_for_another_service_is_unknown(emulator: Emulator, stack: Any) -> None:
    _out, user = deployed_user(emulator, stack)
    answer = send(emulator, user, service="kms", target="DynamoDB_20120810.Scan", body={"TableName": "x"})
    assert answer.status == 400
    assert answer.json["__type"].endswith("UnknownOperationException")


def test_an_action_smuggled_into_the_body_or_a_header_does_not_change_the_operation(
    emulator: Emulator, stack: Any
) -> None:
    # moto reads an `Action` from a form-decoded body (even a JSON one) or from the headers
    # before it reads X-Amz-Target: the layer must judge the operation moto will run.
    out, user = deployed_user(emulator, stack)
    table = out[contract.TABLE_NAME]
    smuggled = json.dumps({"TableName": table, "x": "&Action=Scan&"}).encode()
    answer = send(emulator, user, target="DynamoDB_20120810.DescribeTable", body=smuggled)
    assert not leaked(answer), answer.text
    assert answer.status == 400
    header = send(emulator, user, target="DynamoDB_20120810.DescribeTable", body=b"", headers={"Action": "Scan"})
    assert not leaked(header), header.text
    assert header.status == 400


def test_a_form_body_or_a_query_string_is_not_a_dynamodb_request(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    form = send(
        emulator,
        user,
        target="DynamoDB_20120810.DescribeTable",
        body=f"Action=Scan&TableName={out[contract.TABLE_NAME]}".encode(),
        content_type=FORM,
    )
    assert not leaked(form), form.text
    assert form.status == 400, form.text
    query = send(
        emulator,
        user,
        target="DynamoDB_20120810.DescribeTable",
        path="/?Action=Scan",
        body={"TableName": out[contract.TABLE_NAME]},
    )
    assert not leaked(query), query.text
    assert query.status == 400, query.text


def test_motos_own_api_is_not_served(emulator: Emulator, stack: Any) -> None:
    # moto's /moto-api dumps every backend's state (items and secret keys included), turns
    # its auth off or resets the account.
    out, user = deployed_user(emulator, stack)
    for method, path, body in [
        ("GET", "/moto-api/data.json", b""),
        ("POST", "/moto-api/reset-auth", b"1000000"),
        ("POST", "/moto-api/reset", b""),
    ]:
        answer = send(emulator, user, method=method, path=path, body=body)
        assert not leaked(answer), answer.text
        assert out[contract.TEST_USER_SECRET_ACCESS_KEY] not in answer.text
        assert answer.status >= 400, (path, answer.text)
    assert emulator.client("dynamodb").describe_table(TableName=out[contract.TABLE_NAME])  # not reset
    # Auth is still on: the test user may not create a user.
    iam = emulator.client("iam", boto3.session.Session(user.access_key, user.secret_key, region_name=emulator.region))
    with pytest.raises(ClientError, match="iam:CreateUser"):
        iam.create_user(UserName="intruder")


def deployer(emulator: Emulator) -> Credentials:
    return Credentials(emulator.running.deployer.access_key_id, emulator.running.deployer.secret_access_key)


def test_only_the_modelled_services_are_served(emulator: Emulator) -> None:
    # Not even to the administrator: an S3 bucket is where moto would write a table's export.
    answer = send(emulator, deployer(emulator), service="s3", method="GET", path="/", body=b"")
    assert answer.status >= 400, answer.text
    assert answer.json["__type"].endswith("UnknownOperationException")


# -- 5. the signature is verified before anything is decided ----------------------------------------


def test_a_wrong_secret_is_a_bad_signature_before_any_access_decision(emulator: Emulator, stack: Any) -> None:
    # With the right access key id and a wrong secret, AWS answers that the signature does not
    # match, and names no principal and no key; a verifier with a garbage secret must not read
    # the KMS denial it expects.
    out, user = deployed_user(emulator, stack)
    garbage = Credentials(user.access_key, "not-the-secret")
    answer = send(emulator, garbage, target="DynamoDB_20120810.Scan", body={"TableName": out[contract.TABLE_NAME]})
    assert answer.status == 400, answer.text
    assert answer.json["__type"].endswith("InvalidSignatureException"), answer.text
    assert "arn:" not in answer.text
    kms = send(
        emulator, garbage, service="kms", target="TrentService.DescribeKey", body={"KeyId": out[contract.KEY_ID]},
        content_type=JSON_1_1,
    )  # fmt: skip
    assert kms.status == 400, kms.text
    assert kms.json["__type"].endswith("InvalidSignatureException"), kms.text
    sts = send(emulator, garbage, service="sts", body=b"Action=GetCallerIdentity&Version=2011-06-15", content_type=FORM)
    assert sts.status == 403, sts.text
    assert "<Code>SignatureDoesNotMatch</Code>" in sts.text, sts.text


def test_the_signature_covers_the_body(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    table = out[contract.TABLE_NAME]
    answer = send(
        emulator,
        user,
        target="DynamoDB_20120810.Scan",
        body={"TableName": table},
        signed_body=json.dumps({"TableName": "another"}).encode(),
    )
    assert answer.status == 400, answer.text
    assert answer.json["__type"].endswith("InvalidSignatureException")


def test_an_unknown_access_key_is_an_unrecognized_client(emulator: Emulator, stack: Any) -> None:
    out, _user = deployed_user(emulator, stack)
    stranger = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    answer = send(emulator, stranger, target="DynamoDB_20120810.Scan", body={"TableName": out[contract.TABLE_NAME]})
    assert answer.status == 400, answer.text
    assert answer.json["__type"].endswith("UnrecognizedClientException")
    assert answer.json["message"] == "The security token included in the request is invalid."


def test_an_unsigned_request_is_refused(emulator: Emulator, stack: Any) -> None:
    out, _user = deployed_user(emulator, stack)
    response = URLLib3Session().send(
        AWSRequest(
            method="POST",
            url=emulator.endpoint_url + "/",
            data=json.dumps({"TableName": out[contract.TABLE_NAME]}).encode(),
            headers={"Content-Type": JSON_1_0, "X-Amz-Target": "DynamoDB_20120810.Scan"},
        ).prepare()
    )
    assert response.status_code == 400, response.content
    assert b"MissingAuthenticationToken" in response.content
    assert b"secret note" not in response.content


# -- 2. PartiQL: every table a statement touches, read as DynamoDB reads it --------------------------


def plain_table(emulator: Emulator, name: str = "plain-table") -> str:
    emulator.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def partiql_error(emulator: Emulator, user: Credentials, operation: str, body: Mapping[str, Any]) -> Answer:
    answer = send(emulator, user, target=f"DynamoDB_20120810.{operation}", body=body)
    assert not leaked(answer), answer.text
    assert answer.status == 400, answer.text
    return answer


@pytest.mark.parametrize(
    "projection", ['"from x", note', '"x INTO plain", note', '"it\'s", note', "note /* the note */"]
)
def test_a_select_is_checked_on_the_table_it_reads(emulator: Emulator, stack: Any, projection: str) -> None:
    out, user = deployed_user(emulator, stack)
    statement = f'SELECT {projection} FROM "{out[contract.TABLE_NAME]}"'  # noqa: S608 (the test's own table)
    answer = partiql_error(emulator, user, "ExecuteStatement", {"Statement": statement})
    assert answer.json["message"].startswith("KMS key access denied error"), answer.text


def test_a_statement_is_checked_in_transactions_and_batches(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    statement = f'SELECT "from x", note FROM "{out[contract.TABLE_NAME]}" WHERE id = \'item-1\''  # noqa: S608
    for operation, key in (("ExecuteTransaction", "TransactStatements"), ("BatchExecuteStatement", "Statements")):
        answer = partiql_error(emulator, user, operation, {key: [{"Statement": statement}]})
        assert answer.json["message"].startswith("KMS key access denied error"), (operation, answer.text)


@pytest.mark.parametrize(
    "statement",
    [
        'SELECT "a FROM {table} WHERE b" FROM "{plain}"',  # moto would read {table}, the statement says {plain}
        'SELECT note /* FROM {plain} */ FROM "{table}"',  # and here {plain}
        'SELECT * FROM "{plain}" WHERE id IN (SELECT id FROM "{table}")',
        'SELECT * FROM "{plain}", "{table}"',
        'SELECTX * FROM "{table}"',
        'EXPLAIN SELECT * FROM "{table}"',
        "",
        'SELECT * FROM "{plain}" WHERE "unterminated',
    ],
)
def test_a_statement_that_cannot_be_classified_is_refused(emulator: Emulator, stack: Any, statement: str) -> None:
    out, user = deployed_user(emulator, stack)
    text = statement.format(table=out[contract.TABLE_NAME], plain=plain_table(emulator))
    answer = partiql_error(emulator, user, "ExecuteStatement", {"Statement": text})
    assert answer.json["__type"].endswith("ValidationException"), answer.text


def test_each_partiql_verb_is_checked_on_its_table(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    table = out[contract.TABLE_NAME]
    for statement in (
        f"INSERT INTO \"{table}\" VALUE {{'id': 'item-2', 'note': 'x FROM y'}}",
        f"UPDATE \"{table}\" SET note = 'from' WHERE id = 'item-1'",  # noqa: S608
        f"DELETE FROM \"{table}\" WHERE id = 'item-1'",  # noqa: S608
        f'select * from "{table}"."by-note"',  # noqa: S608
    ):
        answer = partiql_error(emulator, user, "ExecuteStatement", {"Statement": statement})
        assert answer.json["message"].startswith("KMS key access denied error"), (statement, answer.text)


# -- 3. DynamoDB Streams: records are the table's data, encrypted with its key -----------------------


def as_user(emulator: Emulator, user: Credentials, service: str) -> Any:
    session = boto3.session.Session(user.access_key, user.secret_key, region_name=emulator.region)
    return session.client(service, endpoint_url=emulator.endpoint_url)  # type: ignore[call-overload]


def grant_decrypt(emulator: Emulator, out: Mapping[str, Any], table: str | None = None) -> None:
    context = {
        "aws:dynamodb:tableName": table or out[contract.TABLE_NAME],
        "aws:dynamodb:subscriberId": out[contract.ACCOUNT_ID],
    }
    emulator.client("kms").create_grant(
        KeyId=out[contract.KEY_ARN],
        GranteePrincipal=out[contract.TEST_PRINCIPAL_ARN],
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": context},
    )


def test_stream_records_need_the_tables_key(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    table = out[contract.TABLE_NAME]
    dynamodb = emulator.client("dynamodb")
    dynamodb.update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    dynamodb.put_item(TableName=table, Item={**ITEM, "id": {"S": "item-2"}})
    streams = as_user(emulator, user, "dynamodbstreams")
    arn = streams.list_streams(TableName=table)["Streams"][0]["StreamArn"]
    # Stream metadata is IAM's alone: no item data in it.
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")

    with pytest.raises(ClientError) as refused:
        streams.get_records(ShardIterator=iterator["ShardIterator"])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert refused.value.response["Error"]["Message"].startswith("KMS key access denied error")
    assert "secret note" not in str(refused.value.response)

    grant_decrypt(emulator, out)
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert records[0]["dynamodb"]["NewImage"]["note"] == {"S": "secret note"}


def test_stream_reads_need_iam_on_the_stream(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    table = out[contract.TABLE_NAME]
    emulator.client("dynamodb").update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )
    user = Credentials(out[contract.TEST_USER_ACCESS_KEY_ID], out[contract.TEST_USER_SECRET_ACCESS_KEY])
    give_full_dynamodb_rights(emulator, out[contract.TEST_PRINCIPAL_ARN])
    iam = emulator.client("iam")
    name = out[contract.TEST_PRINCIPAL_ARN].rsplit("/", 1)[-1]
    deny = {"Effect": "Deny", "Action": "dynamodb:GetRecords", "Resource": f"{out[contract.TABLE_ARN]}/stream/*"}
    iam.put_user_policy(
        UserName=name, PolicyName="no-stream", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    )
    streams = as_user(emulator, user, "dynamodbstreams")
    arn = streams.list_streams(TableName=table)["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    with pytest.raises(ClientError, match="dynamodb:GetRecords"):
        streams.get_records(ShardIterator=iterator["ShardIterator"])


# -- 4. restores keep the key; exports and restores need the rights AWS documents ------------------


def test_a_restored_table_keeps_the_source_key_or_takes_the_override(emulator: Emulator, stack: Any) -> None:
    out, user = deployed_user(emulator, stack)
    table, key = out[contract.TABLE_NAME], out[contract.KEY_ARN]
    dynamodb = emulator.client("dynamodb")
    backup = dynamodb.create_backup(TableName=table, BackupName="nightly")["BackupDetails"]["BackupArn"]
    dynamodb.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)
    dynamodb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName="restored-pitr")
    other = emulator.client("kms").create_key(Description="another key")["KeyMetadata"]["Arn"]
    override = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": other}
    dynamodb.restore_table_from_backup(
        TargetTableName="restored-other", BackupArn=backup, SSESpecificationOverride=override
    )

    client = as_user(emulator, user, "dynamodb")
    for restored, expected in (("restored", key), ("restored-pitr", key), ("restored-other", other)):
        described = dynamodb.describe_table(TableName=restored)["Table"]
        assert described.get("SSEDescription", {}).get("KMSMasterKeyArn") == expected, restored
        with pytest.raises(ClientError, match="KMS key access denied error") as refused:
            client.scan(TableName=restored)
        assert "secret note" not in str(refused.value.response), restored


def test_a_restore_or_an_export_needs_no_key_right_and_the_restored_data_stays_behind_the_key(
    emulator: Emulator, stack: Any
) -> None:
    # AWS documents the restore and export rights without any key right of the caller (DynamoDB
    # reads the source with its own grant): backuprestore_IAM.html, S3DataExport_Requesting.html.
    # Requiring kms:Decrypt here was stricter than AWS and hid these paths from the audit.
    out, user = deployed_user(emulator, stack)
    table = out[contract.TABLE_NAME]
    dynamodb = emulator.client("dynamodb")
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    backup = dynamodb.create_backup(TableName=table, BackupName="nightly")["BackupDetails"]["BackupArn"]
    client = as_user(emulator, user, "dynamodb")
    client.restore_table_from_backup(TargetTableName="mine", BackupArn=backup)
    client.restore_table_to_point_in_time(SourceTableName=table, TargetTableName="mine-pitr")
    client.export_table_to_point_in_time(TableArn=out[contract.TABLE_ARN], S3Bucket="exports", S3Prefix="x")
    for restored in ("mine", "mine-pitr"):
        with pytest.raises(ClientError, match="KMS key access denied error") as refused:
            client.scan(TableName=restored)
        assert "secret note" not in str(refused.value.response), restored


# -- 6. control-plane calls judged on their real resources, by the access core's evaluator --------------


def scoped_user(emulator: Emulator, statements: list[dict[str, Any]]) -> Credentials:
    iam = emulator.client("iam")
    iam.create_user(UserName="scoped")
    document = {"Version": "2012-10-17", "Statement": statements}
    iam.put_user_policy(UserName="scoped", PolicyName="scoped", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName="scoped")["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def test_an_identity_policy_scoped_to_a_table_or_key_is_enough_and_no_more(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="role").outputs
    table, key = out[contract.TABLE_NAME], out[contract.KEY_ARN]
    other = plain_table(emulator)
    user = scoped_user(
        emulator,
        [
            {"Effect": "Allow", "Action": "dynamodb:DescribeTable", "Resource": out[contract.TABLE_ARN]},
            {"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:GetKeyPolicy"], "Resource": key},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": out[contract.TEST_PRINCIPAL_ARN]},
        ],
    )
    dynamodb, kms = as_user(emulator, user, "dynamodb"), as_user(emulator, user, "kms")
    assert dynamodb.describe_table(TableName=table)["Table"]["TableName"] == table
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"] == key
    assert kms.describe_key(KeyId=out[contract.KEY_ALIAS])["KeyMetadata"]["Arn"] == key  # an alias resolves
    assert kms.get_key_policy(KeyId=out[contract.KEY_ID], PolicyName="default")["Policy"]
    assume = as_user(emulator, user, "sts").assume_role(
        RoleArn=out[contract.TEST_PRINCIPAL_ARN], RoleSessionName="probe"
    )
    assert assume["Credentials"]["AccessKeyId"]

    with pytest.raises(ClientError, match="dynamodb:DescribeTable") as refused:
        dynamodb.describe_table(TableName=other)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError, match="kms:ListGrants"):
        kms.list_grants(KeyId=key)


def test_a_key_policy_that_does_not_delegate_refuses_even_an_administrator(emulator: Emulator) -> None:
    # moto never reads key policies on the control plane; KMS does.
    kms = emulator.client("kms")
    deployer_arn = emulator.client("sts").get_caller_identity()["Arn"]
    locked = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": deployer_arn}, "Action": "kms:DescribeKey", "Resource": "*"}
        ],
    }
    key = kms.create_key(Policy=json.dumps(locked), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
    with pytest.raises(ClientError, match="kms:GetKeyPolicy") as refused:
        kms.get_key_policy(KeyId=key, PolicyName="default")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_direct_decrypt_is_judged_on_the_key_the_ciphertext_was_made_with(emulator: Emulator, stack: Any) -> None:
    out = up(stack, testPrincipal="user").outputs
    blob = emulator.client("kms").encrypt(KeyId=out[contract.KEY_ARN], Plaintext=b"secret note")["CiphertextBlob"]
    mine = emulator.client("kms").create_key(Description="the user's own key")["KeyMetadata"]["Arn"]
    user = scoped_user(emulator, [{"Effect": "Allow", "Action": "kms:*", "Resource": mine}])
    kms = as_user(emulator, user, "kms")
    for attempt in (
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.decrypt(CiphertextBlob=blob, KeyId=mine),
        lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=mine),
    ):
        with pytest.raises(ClientError, match=out[contract.KEY_ARN]) as refused:
            attempt()
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
