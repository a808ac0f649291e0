"""Red-team findings on readers in other accounts (issue 19), sandbox side: each test failed before its fix.

1. A table or stream resource policy letting in "*" with nothing restricting it was stored, and then every
   account's principals with an identity policy of their own read the table. DynamoDB's Block Public Access
   refuses such a policy when it is put
   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html): "You must ensure that
   the principal doesn't include a * entry or that one of the specified condition keys restricts the
   principal's access"; aws:PrincipalAccount is one of those keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.emulator.account import CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE
from sandbox.emulator.server import Emulator
from tests.sandbox.emulator.test_cross_account import ITEM, THIRD_ACCOUNT_ID, THIRD_PROFILE, Owner, make_table, reader


@pytest.fixture
def aws(clean_aws_env: None) -> Iterator[Emulator]:
    with Emulator(profiles={CONSUMER_PROFILE: CONSUMER_ACCOUNT_ID, THIRD_PROFILE: THIRD_ACCOUNT_ID}) as running:
        yield running


@pytest.fixture
def owner(aws: Emulator) -> Owner:
    return Owner(aws, *make_table(aws))


pytestmark = pytest.mark.emulator


def public_statement(resource: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def put(table_owner: Owner, resource_arn: str, *statements: dict[str, Any]) -> None:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    table_owner.aws.client("dynamodb").put_resource_policy(ResourceArn=resource_arn, Policy=json.dumps(document))


def test_a_public_table_policy_is_refused_and_every_other_account_stays_out(aws: Emulator, owner: Owner) -> None:
    owner.allow_in_key_policy("*")
    for wide in (
        public_statement(owner.table_arn),
        {**public_statement(owner.table_arn), "Principal": {"AWS": ["*"]}},
        public_statement(owner.table_arn, {"StringLike": {"aws:PrincipalAccount": "4444*"}}),  # a wildcard value
        public_statement(owner.table_arn, {"StringNotEquals": {"aws:PrincipalAccount": "777788889999"}}),
        public_statement(owner.table_arn, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),  # not a trusted key
    ):
        with pytest.raises(ClientError) as refused:
            put(owner, owner.table_arn, wide)
        assert refused.value.response["Error"]["Code"] == "ValidationException", wide
        assert "public access" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as no_policy:
        aws.client("dynamodb").get_resource_policy(ResourceArn=owner.table_arn)
    assert no_policy.value.response["Error"]["Code"] == "PolicyNotFoundException"
    third = aws.client("dynamodb", aws.session(THIRD_PROFILE))
    with pytest.raises(ClientError) as out:
        third.get_item(TableName=owner.table_arn, Key={"orderId": ITEM["orderId"]})
    assert out.value.response["Error"]["Code"] == "AccessDeniedException"
    # "*" kept to one account by a trusted condition key is not public: stored, and that account reads.
    put(
        owner,
        owner.table_arn,
        public_statement(owner.table_arn, {"StringEquals": {"aws:PrincipalAccount": CONSUMER_ACCOUNT_ID}}),
    )
    assert reader(aws).get_item(TableName=owner.table_arn, Key={"orderId": ITEM["orderId"]})["Item"] == ITEM
    with pytest.raises(ClientError) as still_out:
        third.get_item(TableName=owner.table_arn, Key={"orderId": ITEM["orderId"]})
    assert still_out.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_public_policy_is_refused_on_a_stream_and_at_create_table(aws: Emulator) -> None:
    dynamodb = aws.client("dynamodb")
    schema: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "orderId", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "orderId", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    public = json.dumps({"Version": "2012-10-17", "Statement": [public_statement("*")]})
    with pytest.raises(ClientError) as at_create:
        dynamodb.create_table(TableName="opened", ResourcePolicy=public, **schema)
    assert at_create.value.response["Error"]["Code"] == "ValidationException"
    streamed = dynamodb.create_table(
        TableName="streamed", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}, **schema
    )["TableDescription"]
    with pytest.raises(ClientError) as on_stream:
        dynamodb.put_resource_policy(ResourceArn=streamed["LatestStreamArn"], Policy=public)
    assert on_stream.value.response["Error"]["Code"] == "ValidationException"


def test_a_not_principal_allow_is_public_and_refused(aws: Emulator, owner: Owner) -> None:
    # An Allow with NotPrincipal lets in everyone but the named (the IAM Principal element page): as public as
    # "*", and refused under the same rule, unless a trusted condition key keeps it to one account.
    owner.allow_in_key_policy("*")
    everyone_but = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "dynamodb:GetItem",
        "Resource": owner.table_arn,
    }
    with pytest.raises(ClientError) as refused:
        put(owner, owner.table_arn, everyone_but)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "public access" in refused.value.response["Error"]["Message"]
    third = aws.client("dynamodb", aws.session(THIRD_PROFILE))
    with pytest.raises(ClientError) as out:
        third.get_item(TableName=owner.table_arn, Key={"orderId": ITEM["orderId"]})
    assert out.value.response["Error"]["Code"] == "AccessDeniedException"
    put(
        owner,
        owner.table_arn,
        {**everyone_but, "Condition": {"StringEquals": {"aws:PrincipalAccount": CONSUMER_ACCOUNT_ID}}},
    )


def test_a_call_across_accounts_the_emulator_does_not_serve_names_the_resource_arn(aws: Emulator) -> None:
    # AWS names the resource in an access-denied message (IAM troubleshoot_access-denied), never an account id.
    unserved = "arn:aws:dynamodb:us-east-1:999988887777:table/elsewhere"
    with pytest.raises(ClientError) as refused:
        reader(aws).get_item(TableName=unserved, Key={"orderId": {"S": "1"}})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"on resource: {unserved} " in refused.value.response["Error"]["Message"]
