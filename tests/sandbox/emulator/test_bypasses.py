"""The KMS boundary cannot be walked around: each way an adversarial review found around it, pinned.

Every test here failed against the layer as it was before its fix (a request reached moto
unclassified, a PartiQL statement was misread, stream records, restored tables and exports
skipped the key, access was decided before the signature, control-plane calls were judged
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
