"""Readers in another account (issue 19): the owner's CMK table read by the consumer's role, by its ARN.

Across accounts AWS needs the table's resource policy AND the caller's identity policy (a Deny in
either wins), then kms:Decrypt through DynamoDB as the caller: the owner's key policy AND the
caller's identity policy, or a grant alone
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
boto3 clients of the emulator only, no stack program; the AWS CLI for one case.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from access.kms_dynamodb import dynamodb_via_service
from sandbox.emulator.account import ACCOUNT_ID, CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE, CONSUMER_ROLE_NAME, REGION
from sandbox.emulator.server import Emulator, UnknownProfileError

pytestmark = pytest.mark.emulator

TABLE = "orders"
ITEM = {"orderId": {"S": "o-1"}, "total": {"N": "42"}}
READS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")
THIRD_PROFILE, THIRD_ACCOUNT_ID = "sandbox-third", "777788889999"
ROLE_ARN = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:role/{CONSUMER_ROLE_NAME}"


@pytest.fixture
def aws(clean_aws_env: None) -> Iterator[Emulator]:
    with Emulator(profiles={CONSUMER_PROFILE: CONSUMER_ACCOUNT_ID, THIRD_PROFILE: THIRD_ACCOUNT_ID}) as running:
        yield running


@dataclass
class Owner:
    aws: Emulator
    key_arn: str
    table_arn: str

    def allow_in_table_policy(self, principal: str = ROLE_ARN) -> None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(READS), "Resource": self.table_arn}
            ],
        }
        self.aws.client("dynamodb").put_resource_policy(ResourceArn=self.table_arn, Policy=json.dumps(policy))

    def allow_in_key_policy(self, principal: str = ROLE_ARN) -> None:
        kms = self.aws.client("kms")
        policy = json.loads(kms.get_key_policy(KeyId=self.key_arn, PolicyName="default")["Policy"])
        policy["Statement"].append(
            {
                "Sid": "ExternalReader",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": dynamodb_via_service(REGION),
                        "kms:EncryptionContext:aws:dynamodb:tableName": TABLE,
                        "kms:EncryptionContext:aws:dynamodb:subscriberId": ACCOUNT_ID,
                    }
                },
            }
        )
        kms.put_key_policy(KeyId=self.key_arn, PolicyName="default", Policy=json.dumps(policy))

    def grant(self, principal: str = ROLE_ARN) -> None:
        self.aws.client("kms").create_grant(
            KeyId=self.key_arn,
            GranteePrincipal=principal,
            Operations=["Decrypt"],
            Constraints={
                "EncryptionContextSubset": {"aws:dynamodb:tableName": TABLE, "aws:dynamodb:subscriberId": ACCOUNT_ID}
            },
        )


def make_table(aws: Emulator, profile: str | None = None, item: dict[str, Any] = ITEM) -> tuple[str, str]:
    """A table under a new customer-managed key of the profile's account, with one item: (key ARN, table ARN)."""
    session = aws.session(profile)
    key_arn = aws.client("kms", session).create_key()["KeyMetadata"]["Arn"]
    dynamodb = aws.client("dynamodb", session)
    table = dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
    )["TableDescription"]
    dynamodb.put_item(TableName=TABLE, Item=item)
    return key_arn, table["TableArn"]


@pytest.fixture
def owner(aws: Emulator) -> Owner:
    return Owner(aws, *make_table(aws))


READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": list(READS), "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
    ],
}
DYNAMODB_ONLY_POLICY = {"Version": "2012-10-17", "Statement": [READ_POLICY["Statement"][0]]}


def reader(aws: Emulator, identity_policy: dict[str, Any] | None = READ_POLICY) -> Any:
    """A DynamoDB client as the consumer's role, assumed with the consumer profile, with this identity policy."""
    session = aws.session(CONSUMER_PROFILE)
    if identity_policy is not None:
        aws.client("iam", session).put_role_policy(
            RoleName=CONSUMER_ROLE_NAME, PolicyName="read-orders", PolicyDocument=json.dumps(identity_policy)
        )
    credentials = aws.client("sts", session).assume_role(RoleArn=ROLE_ARN, RoleSessionName="reader")["Credentials"]

    assumed = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    return aws.client("dynamodb", assumed)


def reads(client: Any, table: str) -> list[Callable[[], Any]]:
    return [
        lambda: client.get_item(TableName=table, Key={"orderId": ITEM["orderId"]})["Item"],
        lambda: client.query(
            TableName=table,
            KeyConditionExpression="orderId = :id",
            ExpressionAttributeValues={":id": ITEM["orderId"]},
        )["Items"][0],
        lambda: client.scan(TableName=table)["Items"][0],
    ]


def refusals(client: Any, table: str) -> list[str]:
    messages = []
    for read in reads(client, table):
        with pytest.raises(ClientError) as refused:
            read()
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        messages.append(refused.value.response["Error"]["Message"])
    return messages


def test_the_consumer_profile_is_the_consumer_accounts_administrator(aws: Emulator) -> None:
    identity = aws.client("sts", aws.session(CONSUMER_PROFILE)).get_caller_identity()
    assert identity["Account"] == CONSUMER_ACCOUNT_ID
    assert aws.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID
    with pytest.raises(UnknownProfileError, match="sandbox-nobody"):
        aws.session("sandbox-nobody")


def test_only_the_consumer_account_may_assume_its_role(aws: Emulator, owner: Owner) -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        aws.client("sts").assume_role(RoleArn=ROLE_ARN, RoleSessionName="owner")
    role = aws.client("iam", aws.session(CONSUMER_PROFILE)).get_role(RoleName=CONSUMER_ROLE_NAME)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root"
    }
    assert not aws.client("iam", aws.session(CONSUMER_PROFILE)).list_role_policies(RoleName=CONSUMER_ROLE_NAME)[
        "PolicyNames"
    ]


def test_a_table_policy_alone_is_refused_by_kms(aws: Emulator, owner: Owner) -> None:
    owner.allow_in_table_policy()
    for message in refusals(reader(aws), owner.table_arn):
        assert message.startswith("KMS key access denied error: ")
        assert f"kms:Decrypt on resource: {owner.key_arn} because no resource-based policy allows" in message


def test_a_key_statement_alone_is_refused_by_dynamodb_naming_the_resource_policy(aws: Emulator, owner: Owner) -> None:
    owner.allow_in_key_policy()
    session_arn = f"arn:aws:sts::{CONSUMER_ACCOUNT_ID}:assumed-role/{CONSUMER_ROLE_NAME}/reader"
    messages = refusals(reader(aws), owner.table_arn)
    for action, message in zip(READS, messages, strict=True):
        assert message == (
            f"User: {session_arn} is not authorized to perform: {action} on resource: {owner.table_arn} "
            f"because no resource-based policy allows the {action} action"
        )


def test_without_an_identity_policy_of_its_own_it_is_refused_naming_the_identity_policy(
    aws: Emulator, owner: Owner
) -> None:
    owner.allow_in_table_policy()
    owner.allow_in_key_policy()
    for message in refusals(reader(aws, identity_policy=None), owner.table_arn):
        assert "because no identity-based policy allows the dynamodb:" in message


def test_table_policy_key_statement_and_identity_policy_read_the_item(aws: Emulator, owner: Owner) -> None:
    owner.allow_in_table_policy()
    owner.allow_in_key_policy()
    for read in reads(reader(aws), owner.table_arn):
        assert read() == ITEM


def test_a_grant_reads_without_a_kms_identity_policy_but_not_without_the_table_policy(
    aws: Emulator, owner: Owner
) -> None:
    owner.grant()
    client = reader(aws, DYNAMODB_ONLY_POLICY)
    for message in refusals(client, owner.table_arn):
        assert "because no resource-based policy allows the dynamodb:" in message
    owner.allow_in_table_policy()
    for read in reads(client, owner.table_arn):
        assert read() == ITEM


def test_the_consumers_own_same_named_table_is_never_served_for_the_owners_arn(aws: Emulator, owner: Owner) -> None:
    theirs = {"orderId": ITEM["orderId"], "total": {"N": "0"}}
    _, consumer_table = make_table(aws, CONSUMER_PROFILE, theirs)
    owner.allow_in_key_policy()  # no table policy: the owner's table refuses
    client = reader(aws, {**READ_POLICY})
    assert refusals(client, owner.table_arn)
    # By name, or by its own ARN, the consumer reads its own table (its key's default policy delegates to its account).
    admin = aws.client("dynamodb", aws.session(CONSUMER_PROFILE))
    assert admin.get_item(TableName=TABLE, Key={"orderId": ITEM["orderId"]})["Item"] == theirs
    assert admin.get_item(TableName=consumer_table, Key={"orderId": ITEM["orderId"]})["Item"] == theirs
    owner.allow_in_table_policy()
    assert reads(client, owner.table_arn)[0]() == ITEM


def test_an_undeclared_third_account_is_refused(aws: Emulator, owner: Owner) -> None:
    owner.allow_in_table_policy()
    owner.allow_in_key_policy()
    third = aws.session(THIRD_PROFILE)  # an administrator of its own account: Action "*" on Resource "*"
    client = aws.client("dynamodb", third)
    for message in refusals(client, owner.table_arn):
        assert f"arn:aws:iam::{THIRD_ACCOUNT_ID}:user/" in message
        assert "because no resource-based policy allows the dynamodb:" in message


def test_control_plane_calls_across_accounts_are_refused(aws: Emulator, owner: Owner) -> None:
    owner.allow_in_table_policy(f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root")  # "*" alone: refused (block public access)
    admin = aws.client("dynamodb", aws.session(CONSUMER_PROFILE))
    calls = [
        lambda: admin.describe_table(TableName=owner.table_arn),
        lambda: admin.delete_table(TableName=owner.table_arn),
        lambda: admin.update_table(TableName=owner.table_arn, BillingMode="PAY_PER_REQUEST"),
        lambda: admin.get_resource_policy(ResourceArn=owner.table_arn),
        lambda: admin.execute_statement(Statement=f'SELECT * FROM "{owner.table_arn}"'),  # noqa: S608 (a test's own ARN)
        lambda: aws.client("kms", aws.session(CONSUMER_PROFILE)).schedule_key_deletion(KeyId=owner.key_arn),
    ]
    for refused_call in calls:
        with pytest.raises(ClientError) as refused:
            refused_call()
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException", refused.value
    assert aws.client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE"


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_reads_with_the_consumer_profile(aws: Emulator, owner: Owner) -> None:
    """An independent client: the AWS CLI, as the consumer's administrator by --profile."""
    owner.allow_in_key_policy(f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root")
    owner.allow_in_table_policy(f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root")
    command = [
        "aws",
        "dynamodb",
        "get-item",
        "--table-name",
        owner.table_arn,
        "--key",
        json.dumps({"orderId": ITEM["orderId"]}),
    ]
    env = {**os.environ, **aws.environment()}
    done = subprocess.run(
        [*command, "--profile", CONSUMER_PROFILE], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Item"] == ITEM
    # The same call by the third account's administrator, through the same files: refused.
    refused = subprocess.run(
        [*command, "--profile", THIRD_PROFILE], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode != 0
    assert "AccessDeniedException" in refused.stderr
