"""The emulator's global tables and multi-Region keys (sandbox/emulator/replicas.py), driven by hand with boto3.

moto 5.2.5 has no replicas at all; the emulator adds them as DynamoDB behaves: ReplicaUpdates
makes and deletes replicas, every write reaches the other replicas, DescribeTable lists the
other regions with their keys, and each region's data is guarded by that region's key.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session

from sandbox.emulator.server import CLIENT_CONFIG, Emulator
from tests.sandbox.conftest import FakeClock

pytestmark = pytest.mark.emulator

HOME, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"
TABLE = "orders"
KEY = {"id": {"S": "o-1"}}


def session(emulator: Emulator, region: str, access_key: str = "", secret: str = "") -> boto3.session.Session:
    """The deployer's session (or these credentials') in a region."""
    if not access_key:
        credentials = emulator.session().get_credentials()
        assert credentials is not None
        access_key, secret = credentials.access_key, credentials.secret_key
    return boto3.session.Session(access_key, secret, region_name=region)


def client(emulator: Emulator, service: str, region: str, **credentials: str) -> Any:
    return session(emulator, region, **credentials).client(
        service, endpoint_url=emulator.endpoint_url, config=CLIENT_CONFIG
    )


def key_in(emulator: Emulator, region: str) -> str:
    return str(client(emulator, "kms", region).create_key()["KeyMetadata"]["Arn"])


def global_table(emulator: Emulator, *regions: str, items: int = 0) -> dict[str, str]:
    """A table in HOME with `items` items and a CMK of its region, and a replica in each region; keys by region."""
    keys = {region: key_in(emulator, region) for region in (HOME, *regions)}
    dynamodb = client(emulator, "dynamodb", HOME)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": keys[HOME]},
    )
    for index in range(items):
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": f"before-{index}"}})
    for region in regions:
        create = {"RegionName": region, "KMSMasterKeyId": keys[region]}
        dynamodb.update_table(TableName=TABLE, ReplicaUpdates=[{"Create": create}])
    return keys


def item(emulator: Emulator, region: str, key: dict[str, Any] = KEY) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        client(emulator, "dynamodb", region).get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")
    )
    return found


def replicas(emulator: Emulator, region: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (
        client(emulator, "dynamodb", region).describe_table(TableName=TABLE)["Table"].get("Replicas", [])
    )
    return listed


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    err = raised.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


# -- replicas ------------------------------------------------------------------------------------------


def test_a_replica_is_a_table_of_its_region_with_its_key_and_the_items(emulator: Emulator) -> None:
    keys = global_table(emulator, EU, items=2)
    described = client(emulator, "dynamodb", EU).describe_table(TableName=TABLE)["Table"]
    assert described["TableArn"] == f"arn:aws:dynamodb:{EU}:123456789012:table/{TABLE}"
    assert described["SSEDescription"]["KMSMasterKeyArn"] == keys[EU]
    assert described["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert item(emulator, EU, {"id": {"S": "before-1"}}) == {"id": {"S": "before-1"}}


def test_each_region_lists_the_others_with_their_key(emulator: Emulator) -> None:
    keys = global_table(emulator, EU, AP)
    for region in (HOME, EU, AP):
        table = client(emulator, "dynamodb", region).describe_table(TableName=TABLE)["Table"]
        assert table["GlobalTableVersion"] == "2019.11.21"
        assert table["Replicas"] == [
            {"RegionName": other, "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": keys[other]}
            for other in sorted({HOME, EU, AP} - {region})
        ]


def test_a_table_with_no_replica_lists_none(emulator: Emulator) -> None:
    global_table(emulator)
    table = client(emulator, "dynamodb", HOME).describe_table(TableName=TABLE)["Table"]
    assert "Replicas" not in table
    assert "GlobalTableVersion" not in table


@pytest.mark.parametrize(
    ("create", "message"),
    [
        ({"RegionName": EU}, "KMSMasterKeyId must be specified for each replica"),
        ({"RegionName": EU, "KMSMasterKeyId": "home"}, "is not in the replica's region"),
        ({"RegionName": EU, "KMSMasterKeyId": "alias/nothing"}, "does not exist in eu-west-1"),
        ({"RegionName": HOME, "KMSMasterKeyId": "home"}, "invalid replica region"),
        ({"RegionName": "cn-north-1", "KMSMasterKeyId": "home"}, "invalid replica region"),
    ],
)
def test_a_replica_needs_a_key_of_its_own_region(emulator: Emulator, create: dict[str, str], message: str) -> None:
    keys = global_table(emulator)
    create = {k: keys[HOME] if v == "home" else v for k, v in create.items()}
    dynamodb = client(emulator, "dynamodb", HOME)
    code, text = error(lambda: dynamodb.update_table(TableName=TABLE, ReplicaUpdates=[{"Create": create}]))
    assert code == "ValidationException"
    assert message in text
    assert TABLE not in client(emulator, "dynamodb", EU).list_tables()["TableNames"]


def test_a_replica_with_a_disabled_key_is_refused(emulator: Emulator) -> None:
    global_table(emulator)
    key = key_in(emulator, EU)
    client(emulator, "kms", EU).disable_key(KeyId=key.rsplit("/", 1)[1])  # moto's DisableKey takes an id
    dynamodb = client(emulator, "dynamodb", HOME)
    code, text = error(
        lambda: dynamodb.update_table(
            TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": EU, "KMSMasterKeyId": key}}]
        )
    )
    assert (code, "KeyState=Disabled" in text) == ("ValidationException", True)


def test_a_deleted_replica_is_gone_and_no_longer_listed(emulator: Emulator) -> None:
    global_table(emulator, EU, AP)
    dynamodb = client(emulator, "dynamodb", HOME)
    dynamodb.update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    assert TABLE not in client(emulator, "dynamodb", EU).list_tables()["TableNames"]
    assert [r["RegionName"] for r in replicas(emulator, HOME)] == [AP]
    code, text = error(lambda: dynamodb.update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": EU}}]))
    assert (code, text) == (
        "ValidationException",
        "Replica specified in the Replica Update or Replica Delete action of the request was not found.",
    )
    # DeleteTable in a replica's region deletes that replica only.
    client(emulator, "dynamodb", AP).delete_table(TableName=TABLE)
    assert replicas(emulator, HOME) == []
    client(emulator, "dynamodb", HOME).put_item(TableName=TABLE, Item=KEY)


def test_a_replica_protected_from_deletion_is_not_deleted(emulator: Emulator) -> None:
    global_table(emulator, EU)
    client(emulator, "dynamodb", EU).update_table(TableName=TABLE, DeletionProtectionEnabled=True)
    dynamodb = client(emulator, "dynamodb", HOME)
    code, text = error(lambda: dynamodb.update_table(TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": EU}}]))
    assert code == "ValidationException"
    assert "DeletionProtectionEnabled" in text
    assert TABLE in client(emulator, "dynamodb", EU).list_tables()["TableNames"]


# -- replication ---------------------------------------------------------------------------------------


def written_by_every_api(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "put"}, "v": {"S": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "updated"}, "v": {"S": "1"}})
    dynamodb.update_item(
        TableName=TABLE,
        Key={"id": {"S": "updated"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "2"}},
    )
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "deleted"}})
    dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": "deleted"}})
    dynamodb.batch_write_item(
        RequestItems={
            TABLE: [{"PutRequest": {"Item": {"id": {"S": "batch"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "put"}}}}]
        }
    )
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": {"id": {"S": "transact"}}}}])
    dynamodb.execute_statement(Statement=f"INSERT INTO \"{TABLE}\" VALUE {{'id': 'partiql'}}")


EXPECTED = {
    "updated": {"id": {"S": "updated"}, "v": {"S": "2"}},
    "batch": {"id": {"S": "batch"}},
    "transact": {"id": {"S": "transact"}},
    "partiql": {"id": {"S": "partiql"}},
}


@pytest.mark.parametrize("writer", [HOME, EU])
def test_every_write_reaches_every_other_replica_at_once(emulator: Emulator, writer: str) -> None:
    global_table(emulator, EU, AP)
    written_by_every_api(client(emulator, "dynamodb", writer))
    for region in (HOME, EU, AP):
        items = client(emulator, "dynamodb", region).scan(TableName=TABLE, ConsistentRead=True)["Items"]
        assert {i["id"]["S"]: i for i in items} == EXPECTED, region


def test_a_partiql_delete_reaches_the_replicas(emulator: Emulator) -> None:
    global_table(emulator, EU, items=2)
    client(emulator, "dynamodb", HOME).execute_statement(
        Statement=f"DELETE FROM \"{TABLE}\" WHERE id = 'before-0'"  # noqa: S608
    )
    assert item(emulator, EU, {"id": {"S": "before-0"}}) is None
    assert item(emulator, EU, {"id": {"S": "before-1"}}) is not None


def test_a_write_to_a_table_of_the_same_name_that_is_not_a_replica_stays(emulator: Emulator) -> None:
    global_table(emulator)
    client(emulator, "dynamodb", EU).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client(emulator, "dynamodb", HOME).put_item(TableName=TABLE, Item=KEY)
    assert item(emulator, EU) is None


# -- each region guarded by its own key ----------------------------------------------------------------


def reader(emulator: Emulator) -> tuple[str, dict[str, str]]:
    """A user with every DynamoDB right and no KMS right: its ARN and credentials."""
    iam = emulator.client("iam")
    arn = iam.create_user(UserName="reader")["User"]["Arn"]
    iam.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess")
    access = iam.create_access_key(UserName="reader")["AccessKey"]
    return arn, {"access_key": access["AccessKeyId"], "secret": access["SecretAccessKey"]}


def grant(emulator: Emulator, key_arn: str, grantee: str) -> None:
    """Decrypt on the key, constrained to the table, in the key's region."""
    client(emulator, "kms", key_arn.split(":")[3]).create_grant(
        KeyId=key_arn,
        GranteePrincipal=grantee,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"aws:dynamodb:tableName": TABLE}},
    )


def test_a_replica_is_read_with_the_key_of_its_region(emulator: Emulator) -> None:
    keys = global_table(emulator, EU)
    client(emulator, "dynamodb", HOME).put_item(TableName=TABLE, Item=KEY)
    arn, credentials = reader(emulator)
    grant(emulator, keys[HOME], arn)
    assert client(emulator, "dynamodb", HOME, **credentials).get_item(TableName=TABLE, Key=KEY)["Item"] == KEY
    eu = client(emulator, "dynamodb", EU, **credentials)
    code, text = error(lambda: eu.get_item(TableName=TABLE, Key=KEY))
    assert code == "AccessDeniedException"
    assert text.startswith("KMS key access denied error")
    assert keys[EU] in text


def test_a_disabled_key_makes_only_its_replica_inaccessible(emulator: Emulator) -> None:
    keys = global_table(emulator, EU)
    client(emulator, "dynamodb", HOME).put_item(TableName=TABLE, Item=KEY)
    client(emulator, "kms", EU).disable_key(KeyId=keys[EU].rsplit("/", 1)[1])
    code, text = error(lambda: item(emulator, EU))
    assert code == "ValidationException"
    assert "INACCESSIBLE_ENCRYPTION_CREDENTIALS" in text
    assert item(emulator, HOME) == KEY
    (listed,) = replicas(emulator, HOME)
    assert listed["ReplicaStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert "ReplicaInaccessibleDateTime" in listed
    eu = client(emulator, "dynamodb", EU).describe_table(TableName=TABLE)["Table"]
    assert eu["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert replicas(emulator, EU)[0]["ReplicaStatus"] == "ACTIVE"  # us-east-1, seen from eu-west-1
    client(emulator, "kms", EU).enable_key(KeyId=keys[EU].rsplit("/", 1)[1])
    assert replicas(emulator, HOME)[0]["ReplicaStatus"] == "ACTIVE"
    assert item(emulator, EU) == KEY


def test_a_grant_in_another_region_waits_for_the_propagation_delay(clean_aws_env: None) -> None:
    clock = FakeClock()
    with Emulator(propagation_delay=30, clock=clock) as emulator:
        keys = global_table(emulator, EU)
        client(emulator, "dynamodb", HOME).put_item(TableName=TABLE, Item=KEY)
        arn, credentials = reader(emulator)
        clock.now += 31  # the user and its DynamoDB rights have propagated
        grant(emulator, keys[EU], arn)
        eu = client(emulator, "dynamodb", EU, **credentials)
        code, text = error(lambda: eu.get_item(TableName=TABLE, Key=KEY))
        assert (code, text.startswith("KMS key access denied error")) == ("AccessDeniedException", True)
        clock.now += 31
        assert eu.get_item(TableName=TABLE, Key=KEY)["Item"] == KEY


# -- regions -------------------------------------------------------------------------------------------


def signed(emulator: Emulator, region: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """ListTables signed by the deployer for `region`, with these headers signed too."""
    credentials = emulator.session().get_credentials()
    assert credentials is not None
    request = AWSRequest(
        method="POST",
        url=emulator.endpoint_url + "/",
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            **(headers or {}),
        },
    )
    SigV4Auth(credentials.get_frozen_credentials(), "dynamodb", region).add_auth(request)
    response = URLLib3Session().send(request.prepare())
    return response.status_code, response.content.decode()


def test_every_region_of_the_partition_is_served_and_no_other(emulator: Emulator) -> None:
    assert signed(emulator, AP)[0] == 200
    status, text = signed(emulator, "cn-north-1")
    assert status == 400
    assert "InvalidSignatureException" in text


@pytest.mark.parametrize(
    "headers",
    [{"Host": f"dynamodb.{EU}.amazonaws.com"}, {"User-Agent": f"Boto3/1 region/{EU}"}],
)
def test_a_request_that_would_be_served_in_another_region_than_signed_is_refused(
    emulator: Emulator, headers: dict[str, str]
) -> None:
    status, text = signed(emulator, HOME, headers)
    assert status == 400
    assert "Credential should be scoped to a valid region" in text


# -- multi-Region keys ---------------------------------------------------------------------------------


def multi_region_key(emulator: Emulator) -> dict[str, Any]:
    kms = client(emulator, "kms", HOME)
    primary = kms.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    kms.create_grant(KeyId=primary["KeyId"], GranteePrincipal="arn:aws:iam::123456789012:root", Operations=["Decrypt"])
    kms.create_alias(AliasName="alias/orders", TargetKeyId=primary["KeyId"])
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "replica",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    replicated = kms.replicate_key(
        KeyId=primary["KeyId"],
        ReplicaRegion=EU,
        Policy=policy,
        Description="replica",
        Tags=[{"TagKey": "team", "TagValue": "orders"}],
    )
    return {"primary": primary, "replicated": replicated, "policy": policy}


def test_a_replica_key_is_a_key_of_its_own(emulator: Emulator) -> None:
    made = multi_region_key(emulator)
    primary, replica = made["primary"], made["replicated"]["ReplicaKeyMetadata"]
    assert replica["KeyId"] == primary["KeyId"]
    assert replica["Arn"] == primary["Arn"].replace(HOME, EU)
    assert made["replicated"]["ReplicaPolicy"] == made["policy"]
    eu, home = client(emulator, "kms", EU), client(emulator, "kms", HOME)
    described = eu.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert described["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert described["Description"] == "replica"
    assert (
        home.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"]
        == "PRIMARY"
    )
    assert eu.get_key_policy(KeyId=primary["KeyId"], PolicyName="default")["Policy"] == made["policy"]
    assert eu.list_resource_tags(KeyId=primary["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "orders"}]
    # Its grants, aliases and state are its own.
    assert eu.list_grants(KeyId=primary["KeyId"])["Grants"] == []
    eu.create_grant(KeyId=primary["KeyId"], GranteePrincipal="arn:aws:iam::123456789012:user/x", Operations=["Decrypt"])
    assert len(home.list_grants(KeyId=primary["KeyId"])["Grants"]) == 1
    assert eu.list_aliases(KeyId=primary["KeyId"])["Aliases"] == []
    eu.disable_key(KeyId=primary["KeyId"])
    assert home.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_key_is_replicated_once_per_region_and_only_a_multi_region_primary(emulator: Emulator) -> None:
    made = multi_region_key(emulator)
    kms = client(emulator, "kms", HOME)
    code, _ = error(lambda: kms.replicate_key(KeyId=made["primary"]["KeyId"], ReplicaRegion=EU))
    assert code == "AlreadyExistsException"
    single = kms.create_key()["KeyMetadata"]["KeyId"]
    code, _ = error(lambda: kms.replicate_key(KeyId=single, ReplicaRegion=EU))
    assert code == "UnsupportedOperationException"
