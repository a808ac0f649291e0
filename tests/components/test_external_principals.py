"""Readers in other accounts (issue 19): EncryptedTable's external_principals, their key-policy and
resource-policy statements in every region, the consumer's identity policy, and their refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.errors import ConfigError
from access.kms_dynamodb import (
    CONTEXT_SUBSCRIBER_ID,
    CONTEXT_TABLE_NAME,
    RESOURCE_POLICY_MAX_BYTES,
    SID_EXTERNAL_STREAM_READ,
    SID_IDENTITY_KEY_USE,
    SID_TABLE_ITEMS,
)
from access.provider_types import DYNAMODB_RESOURCE_POLICY, DYNAMODB_TABLE, KMS_KEY
from components import EncryptedTable
from components.encrypted_table import validate_encrypted_table_args
from components.policy_builders import consumer_identity_policy
from components.validation import ExternalPrincipalSpec, validate_external_principals
from sandbox.emulator.account import ACCOUNT_ID, CONSUMER_ACCOUNT_ID
from sandbox.harness import RecordingMocks
from tests.conftest import policy_of, statement

READER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:role/apps/external-reader"
WRITER = f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:user/writer"
OTHER_READER = "arn:aws:iam::777788889999:role/analytics"
REPLICAS = ["eu-west-1"]
# Pinned as literals: what each access level may do, from the brief and the KMS guide.
READ_KMS = ["kms:Decrypt"]
READ_WRITE_KMS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
READ_TABLE = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
]
WRITE_TABLE = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
STREAM_READS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]


def build(external: list[dict[str, Any]], **args: Any) -> Any:
    def program() -> dict[str, Any]:
        table = EncryptedTable(
            "orders", {"partition_key": "id", "table_name": "orders", "external_principals": external, **args}
        )
        return {
            "external": table.external_principals,
            "consumer": table.consumer_policies,
            "table_policy": table.table_policy,
            "key_arn": table.key_arn,
            "replica_key_arns": table.replica_key_arns,
        }

    return program


def by_name(mocks: RecordingMocks, typ: str) -> dict[str, Any]:
    return {r.name: r for r in mocks.of_type(typ)}


def external_statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return statement(policy, sid)


def test_each_regions_key_policy_lets_the_reader_decrypt_only_through_its_dynamodb_for_this_table(
    mocks: RecordingMocks, resolve: Any
) -> None:
    resolve(build([{"principal": READER}, {"principal": WRITER, "access": "read-write"}], replica_regions=REPLICAS))
    keys = by_name(mocks, KMS_KEY)
    for name, region in [("orders-key", "us-east-1"), ("orders-key-eu-west-1", "eu-west-1")]:
        policy = policy_of(keys[name])
        read = statement(policy, "ExternalKeyUseRead")
        assert read["Principal"] == {"AWS": READER}
        assert read["Action"] == READ_KMS  # no DescribeKey: it carries no encryption context
        assert read["Resource"] == "*"
        assert read["Condition"] == {
            "StringEquals": {
                "kms:ViaService": f"dynamodb.{region}.amazonaws.com",
                f"kms:EncryptionContext:{CONTEXT_TABLE_NAME}": "orders",
                f"kms:EncryptionContext:{CONTEXT_SUBSCRIBER_ID}": ACCOUNT_ID,
            }
        }
        write = statement(policy, "ExternalKeyUseReadWrite")
        assert write["Principal"] == {"AWS": WRITER}
        assert write["Action"] == READ_WRITE_KMS
        assert write["Condition"] == read["Condition"]


def test_principals_of_one_access_share_one_key_statement(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(build([{"principal": READER}, {"principal": OTHER_READER}]))
    policy = policy_of(mocks.one(KMS_KEY))
    assert statement(policy, "ExternalKeyUseRead")["Principal"] == {"AWS": [READER, OTHER_READER]}


def test_a_grant_mode_principal_is_not_in_the_key_policy_but_in_the_table_policy(
    mocks: RecordingMocks, resolve: Any
) -> None:
    resolve(build([{"principal": READER, "key_access": "grant"}]))
    assert not [s for s in policy_of(mocks.one(KMS_KEY))["Statement"] if s["Sid"].startswith("ExternalKeyUse")]
    table_policy = json.loads(mocks.one(DYNAMODB_RESOURCE_POLICY).inputs["policy"])
    assert statement(table_policy, "ExternalTableRead")["Principal"] == {"AWS": READER}


def test_a_table_resource_policy_in_each_region_on_that_regions_table_and_indexes(
    mocks: RecordingMocks, resolve: Any
) -> None:
    out = resolve(
        build([{"principal": READER}, {"principal": WRITER, "access": "read-write"}], replica_regions=REPLICAS)
    )
    table = mocks.one(DYNAMODB_TABLE)
    policies = by_name(mocks, DYNAMODB_RESOURCE_POLICY)
    assert set(policies) == {"orders-table-policy", "orders-table-policy-eu-west-1"}
    primary, replica = policies["orders-table-policy"], policies["orders-table-policy-eu-west-1"]
    assert primary.inputs["resourceArn"] == table.state["arn"]
    assert "region" not in primary.inputs
    replica_arn = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/orders"
    assert replica.inputs["resourceArn"] == replica_arn
    assert replica.inputs["region"] == "eu-west-1"
    for resource, arn in ((primary, table.state["arn"]), (replica, replica_arn)):
        document = json.loads(resource.inputs["policy"])
        read = statement(document, "ExternalTableRead")
        assert read == {
            "Sid": "ExternalTableRead",
            "Effect": "Allow",
            "Principal": {"AWS": READER},
            "Action": READ_TABLE,
            "Resource": [arn, f"{arn}/index/*"],
        }
        assert statement(document, "ExternalTableReadWrite")["Action"] == READ_TABLE + WRITE_TABLE
        assert statement(document, "ExternalTableReadWrite")["Principal"] == {"AWS": WRITER}
    assert json.loads(out["table_policy"]) == json.loads(primary.inputs["policy"])
    assert " " not in primary.inputs["policy"], "compact: DynamoDB counts whitespace against its limit"


def test_a_stream_reader_gets_a_stream_policy_on_each_regions_latest_stream(
    mocks: RecordingMocks, resolve: Any
) -> None:
    resolve(build([{"principal": READER, "stream": True}, {"principal": WRITER}], replica_regions=REPLICAS))
    table = mocks.one(DYNAMODB_TABLE)
    policies = by_name(mocks, DYNAMODB_RESOURCE_POLICY)
    primary = policies["orders-stream-policy"]
    assert primary.inputs["resourceArn"] == table.state["streamArn"]
    replica_stream = next(r["streamArn"] for r in table.state["replicas"] if r["regionName"] == "eu-west-1")
    assert policies["orders-stream-policy-eu-west-1"].inputs["resourceArn"] == replica_stream
    for name, arn in (
        ("orders-stream-policy", table.state["streamArn"]),
        ("orders-stream-policy-eu-west-1", replica_stream),
    ):
        document = json.loads(policies[name].inputs["policy"])
        assert document["Statement"] == [
            {
                "Sid": SID_EXTERNAL_STREAM_READ,
                "Effect": "Allow",
                "Principal": {"AWS": READER},  # the writer did not ask for the stream
                "Action": STREAM_READS,
                "Resource": arn,
            }
        ]


def test_no_external_principals_no_resource_policy_and_empty_outputs(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build([]))
    assert mocks.of_type(DYNAMODB_RESOURCE_POLICY) == []
    assert out["external"] == []
    assert out["consumer"] == {}
    assert out["table_policy"] == ""
    assert not [s for s in policy_of(mocks.one(KMS_KEY))["Statement"] if s["Sid"].startswith("External")]


def test_the_consumer_policy_covers_every_regions_table_and_key_for_the_consumers_account(
    mocks: RecordingMocks, resolve: Any
) -> None:
    out = resolve(build([{"principal": READER, "stream": True}], replica_regions=REPLICAS))
    assert out["external"] == [
        {
            "principal": READER,
            "account": CONSUMER_ACCOUNT_ID,
            "access": "read",
            "key_access": "key-policy",
            "stream": True,
        }
    ]
    policy = json.loads(out["consumer"][READER])
    tables = [f"arn:aws:dynamodb:{r}:{ACCOUNT_ID}:table/orders" for r in ("us-east-1", "eu-west-1")]
    assert statement(policy, SID_TABLE_ITEMS)["Resource"] == [a for t in tables for a in (t, f"{t}/index/*")]
    assert statement(policy, SID_TABLE_ITEMS)["Action"] == READ_TABLE
    kms = statement(policy, SID_IDENTITY_KEY_USE)
    assert kms["Action"] == READ_KMS
    assert kms["Resource"] == [out["key_arn"], out["replica_key_arns"]["eu-west-1"]]
    assert kms["Condition"] == {
        "StringEquals": {
            "kms:ViaService": ["dynamodb.us-east-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com"],
            "kms:CallerAccount": CONSUMER_ACCOUNT_ID,  # the consumer's, not the owner's
        }
    }
    assert statement(policy, SID_EXTERNAL_STREAM_READ)["Resource"] == [f"{t}/stream/*" for t in tables]
    assert statement(policy, SID_EXTERNAL_STREAM_READ)["Action"] == STREAM_READS


def test_the_consumer_builder_refuses_the_aws_managed_key() -> None:
    spec = ExternalPrincipalSpec(READER, CONSUMER_ACCOUNT_ID, "role", "read", "key-policy", False)
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/orders"
    for key in ("alias/aws/dynamodb", f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:alias/aws/dynamodb"):
        with pytest.raises(ConfigError) as refused:
            consumer_identity_policy(spec, table_arn=table, key_arns={"us-east-1": key})
        assert refused.value.field == "key_arns['us-east-1']"


def refusal(entries: list[Any], **args: Any) -> ConfigError:
    with pytest.raises(ConfigError) as refused:
        validate_external_principals({"external_principals": entries, **args}, stream_enabled=False)
    return refused.value


@pytest.mark.parametrize(
    ("entries", "field", "words"),
    [
        ([{"principal": "*"}], "external_principals[0].principal", "wildcard"),
        ([{"principal": "arn:aws:iam::444455556666:role/*"}], "external_principals[0].principal", "wildcard"),
        ([{"principal": "arn:aws:iam::4444:role/x"}], "external_principals[0].principal", "not an IAM principal"),
        (
            [{"principal": READER}, {"principal": "arn:aws:sts::444455556666:assumed-role/r/s"}],
            "external_principals[1].principal",
            "STS session",
        ),
        ([{"principal": CONSUMER_ACCOUNT_ID}], "external_principals[0].principal", "whole account"),
        (
            [{"principal": f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root"}],
            "external_principals[0].principal",
            "whole account",
        ),
        ([{"principal": READER, "access": "admin"}], "external_principals[0].access", "'read', 'read-write'"),
        ([{"principal": READER, "key_access": "iam"}], "external_principals[0].key_access", "'key-policy', 'grant'"),
        ([{"principal": READER}, {"principal": READER}], "external_principals[1].principal", "already"),
        ([{"principal": READER, "stream": True}], "external_principals[0].stream", "no stream"),
        ([{"principal": READER, "colour": "red"}], "external_principals[0]", "unknown fields"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(entries: list[Any], field: str, words: str) -> None:
    error = refusal(entries)
    assert error.field == field
    assert words in str(error)


def test_a_whole_account_with_the_opt_in_and_its_two_spellings_are_one_principal() -> None:
    specs = validate_external_principals(
        {"external_principals": [{"principal": CONSUMER_ACCOUNT_ID}], "allow_external_accounts": True},
        stream_enabled=False,
    )
    assert specs[0].kind == "root"
    assert specs[0].account == CONSUMER_ACCOUNT_ID
    error = refusal(
        [{"principal": CONSUMER_ACCOUNT_ID}, {"principal": f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root"}],
        allow_external_accounts=True,
    )
    assert error.field == "external_principals[1].principal"


def test_a_principal_of_the_tables_own_account_is_refused_once_the_account_is_known(resolve: Any) -> None:
    own = f"arn:aws:iam::{ACCOUNT_ID}:role/reader"
    with pytest.raises(ConfigError) as refused:
        validate_external_principals(
            {"external_principals": [{"principal": own}]}, stream_enabled=False, owner_account=ACCOUNT_ID
        )
    assert refused.value.field == "external_principals[0].principal"
    with pytest.raises(Exception, match=r"external_principals\[0\]\.principal.*own account"):
        resolve(build([{"principal": own}]))


def test_key_policy_mode_needs_the_table_name_before_deploy(mocks: RecordingMocks) -> None:
    with pytest.raises(ConfigError) as refused:
        validate_encrypted_table_args("orders", {"partition_key": "id", "external_principals": [{"principal": READER}]})
    assert refused.value.field == "table_name"
    # grant mode does not need it
    validate_encrypted_table_args(
        "orders", {"partition_key": "id", "external_principals": [{"principal": READER, "key_access": "grant"}]}
    )


def test_a_resource_policy_over_20_kb_is_refused_before_deploy_naming_who_overflows(mocks: RecordingMocks) -> None:
    many = [
        {"principal": f"arn:aws:iam::{100000000000 + i}:role/{'r' * 60}", "key_access": "grant"} for i in range(400)
    ]
    with pytest.raises(ConfigError) as refused:
        validate_encrypted_table_args("orders", {"partition_key": "id", "external_principals": many})
    assert refused.value.field == "external_principals"
    message = str(refused.value)
    assert str(RESOURCE_POLICY_MAX_BYTES) in message
    overflowing = int(message.split("these ")[1].split(" ")[0])
    assert many[-1]["principal"] in message
    assert many[0]["principal"] not in message
    assert 0 < overflowing < len(many)
    assert many[len(many) - overflowing]["principal"] in message
    assert many[len(many) - overflowing - 1]["principal"] + "'" not in message


def test_a_consumer_policy_over_iams_inline_quota_is_refused_before_deploy_naming_the_principal(
    mocks: RecordingMocks,
) -> None:
    # IAM quotas: a user's inline policies hold 2,048 characters, a role's 10,240 (whitespace not counted).
    regions = ["eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"]
    wide = {"access": "read-write", "stream": True, "key_access": "grant"}
    args = {
        "partition_key": "id",
        "table_name": "orders",
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "replica_regions": regions,
    }
    with pytest.raises(ConfigError) as refused:
        validate_encrypted_table_args("orders", {**args, "external_principals": [{"principal": WRITER, **wide}]})
    assert refused.value.field == "external_principals"
    assert WRITER in str(refused.value)
    assert "2048" in str(refused.value)
    # The same access fits a role's quota, and a user's with one region.
    validate_encrypted_table_args("orders", {**args, "external_principals": [{"principal": READER, **wide}]})
    validate_encrypted_table_args(
        "orders", {**args, "replica_regions": [], "external_principals": [{"principal": WRITER, **wide}]}
    )


def test_an_external_grant_reader_gets_a_grant_per_region_with_its_declared_access(
    mocks: RecordingMocks, resolve: Any
) -> None:
    from components import KeyUser

    def program() -> dict[str, Any]:
        table = EncryptedTable(
            "orders",
            {
                "partition_key": "id",
                "external_principals": [{"principal": WRITER, "access": "read-write", "key_access": "grant"}],
                "replica_regions": REPLICAS,
            },
        )
        user = KeyUser("orders-writer", table.key_user_args(WRITER))
        return {"principal": user.principal_arn, "access": user.access}

    out = resolve(program)
    assert out == {"principal": WRITER, "access": "read-write"}
    grants = by_name(mocks, "aws:kms/grant:Grant")
    assert set(grants) == {"orders-writer-grant", "orders-writer-grant-eu-west-1"}
    assert {g.inputs["granteePrincipal"] for g in grants.values()} == {WRITER}
    assert "Encrypt" in grants["orders-writer-grant"].inputs["operations"]


def test_key_user_args_refuses_an_external_principal_the_key_policy_already_lets_in(mocks: RecordingMocks) -> None:
    table = EncryptedTable(
        "orders", {"partition_key": "id", "table_name": "orders", "external_principals": [{"principal": READER}]}
    )
    with pytest.raises(ConfigError) as refused:
        table.key_user_args(READER)
    assert refused.value.field == "principal_arn"


@pytest.mark.parametrize(
    ("overrides", "field"), [({"mode": "iam-policy"}, "mode"), ({"include_table_access": True}, "include_table_access")]
)
def test_a_key_user_of_another_account_is_refused_what_needs_a_policy_in_that_account(
    overrides: dict[str, Any], field: str
) -> None:
    from components.validation import validate_key_user_args

    args = {
        "key_arn": f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "table_name": "orders",
        "table_arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/orders",
        "principal_arn": READER,
        **overrides,
    }
    with pytest.raises(ConfigError) as refused:
        validate_key_user_args(args)
    assert refused.value.field == field
    assert CONSUMER_ACCOUNT_ID in str(refused.value)
    validate_key_user_args({**args, "mode": "grant", "include_table_access": False})  # a grant crosses accounts


def test_consumer_access_attaches_the_policy_to_the_role_or_user_by_name_without_its_path(
    mocks: RecordingMocks, resolve: Any
) -> None:
    from components import ConsumerAccess

    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    resolve(
        lambda: {
            "role": ConsumerAccess("reader", {"principal_arn": READER, "policy": policy}).policy_name,
            "user": ConsumerAccess("writer", {"principal_arn": WRITER, "policy": policy}).policy_name,
        }
    )
    role_policy = mocks.one("aws:iam/rolePolicy:RolePolicy")
    assert (role_policy.name, role_policy.inputs["role"], role_policy.inputs["policy"]) == (
        "reader-policy",
        "external-reader",
        policy,
    )
    assert mocks.one("aws:iam/userPolicy:UserPolicy").inputs["user"] == "writer"


def test_consumer_access_refuses_a_whole_account(mocks: RecordingMocks) -> None:
    from components import ConsumerAccess

    with pytest.raises(ConfigError) as refused:
        ConsumerAccess("account", {"principal_arn": f"arn:aws:iam::{CONSUMER_ACCOUNT_ID}:root", "policy": "{}"})
    assert refused.value.field == "principal_arn"
    assert "whole account" in str(refused.value)
    assert mocks.resources == []
