"""moto's `x-moto-account-id` header is not a way into another account (issue 19).

moto serves a request in the account that header names before the account of the caller's
access key (BaseResponse.get_current_account). AWS ignores a header it does not know, so the layer
does not refuse it: it replaces it, on every request it passes on, with the account it decided
for. Each test here failed with the layer passing the client's header on (the layer authorizes
in the caller's account, moto then served the named one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session

from sandbox.emulator.account import ACCOUNT_ID, CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE
from sandbox.emulator.server import Emulator
from tests.sandbox.emulator.test_bypasses import JSON_1_0, Answer
from tests.sandbox.emulator.test_cross_account import ITEM, TABLE, make_table

pytestmark = pytest.mark.emulator

THEIRS = {"orderId": ITEM["orderId"], "total": {"N": "0"}}


@pytest.fixture
def aws(clean_aws_env: None) -> Iterator[Emulator]:
    with Emulator() as running:
        make_table(running)  # the owner's table, with ITEM
        make_table(running, CONSUMER_PROFILE, THEIRS)  # the consumer's, of the same name
        yield running


def send(
    emulator: Emulator,
    credentials: Credentials,
    *,
    service: str = "dynamodb",
    target: str | None = None,
    body: bytes | Mapping[str, Any] = b"{}",
    content_type: str = JSON_1_0,
    headers: Mapping[str, str] | None = None,
    unsigned_headers: Mapping[str, str] | None = None,
) -> Answer:
    """A SigV4-signed request to the emulator, with `headers` signed and `unsigned_headers` added after signing."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": content_type, **(headers or {})}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=emulator.endpoint_url + "/", data=data, headers=all_headers)
    SigV4Auth(credentials, service, emulator.region).add_auth(request)
    for name, value in (unsigned_headers or {}).items():
        request.headers[name] = value
    response = URLLib3Session().send(request.prepare())
    return Answer(response.status_code, response.content)


def consumer(aws: Emulator) -> Credentials:
    frozen = aws.session(CONSUMER_PROFILE).get_credentials()
    assert frozen is not None
    return Credentials(frozen.access_key, frozen.secret_key)


@pytest.mark.parametrize("signed", [False, True])
def test_a_read_naming_another_account_in_the_header_reads_the_callers_own_table(aws: Emulator, signed: bool) -> None:
    # Signed or not, the header counts for nothing: the signature covers it, the layer then replaces it.
    answer = send(
        aws,
        consumer(aws),
        target="DynamoDB_20120810.GetItem",
        body={"TableName": TABLE, "Key": {"orderId": ITEM["orderId"]}},
        headers={"x-moto-account-id": ACCOUNT_ID} if signed else None,
        unsigned_headers={} if signed else {"x-moto-account-id": ACCOUNT_ID},
    )
    assert answer.status == 200, answer.text
    assert answer.json["Item"] == THEIRS


def test_a_control_plane_call_naming_another_account_in_the_header_stays_in_the_callers(aws: Emulator) -> None:
    answer = send(
        aws,
        consumer(aws),
        target="DynamoDB_20120810.DescribeTable",
        body={"TableName": TABLE},
        unsigned_headers={"x-moto-account-id": ACCOUNT_ID},
    )
    assert answer.status == 200, answer.text
    assert f":{CONSUMER_ACCOUNT_ID}:table/{TABLE}" in answer.json["Table"]["TableArn"]


def test_a_call_left_to_motos_check_is_served_in_the_callers_account(aws: Emulator) -> None:
    answer = send(
        aws,
        consumer(aws),
        service="iam",
        body=b"Action=ListUsers&Version=2010-05-08",
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        unsigned_headers={"x-moto-account-id": ACCOUNT_ID},
    )
    assert answer.status == 200, answer.text
    assert "sandbox-deployer" not in answer.text
    assert f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:user/" in answer.text
