"""EncryptedTable and KeyUser with replicas (a global table): a key per region, each used only there."""

from __future__ import annotations

from typing import Any

import pytest

from access.errors import ConfigError
from access.kms_dynamodb import SID_KEY_USE_VIA_DYNAMODB
from components import EncryptedTable, KeyUser
from sandbox.emulator.account import ACCOUNT_ID
from sandbox.harness import RecordingMocks
from tests.conftest import policy_of, statement

KEY, ALIAS, TABLE, GRANT = "aws:kms/key:Key", "aws:kms/alias:Alias", "aws:dynamodb/table:Table", "aws:kms/grant:Grant"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
READER = f"arn:aws:iam::{ACCOUNT_ID}:role/reader"
REPLICAS = ["eu-west-1", "ap-southeast-2"]


def build(**args: Any) -> Any:
    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", {"partition_key": "id", "key_users": [READER], **args})
        return {"replica_key_arns": table.replica_key_arns, "replica_arns": table.replica_arns}

    return program


def by_name(mocks: RecordingMocks, typ: str) -> dict[str, Any]:
    return {r.name: r for r in mocks.of_type(typ)}


def test_a_key_and_an_alias_in_each_replica_region_and_the_table_names_them(
    mocks: RecordingMocks, resolve: Any
) -> None:
    out = resolve(build(replica_regions=REPLICAS))
    keys, aliases = by_name(mocks, KEY), by_name(mocks, ALIAS)
    assert set(keys) == {"orders-key", "orders-key-eu-west-1", "orders-key-ap-southeast-2"}
    for region in REPLICAS:
        key = keys[f"orders-key-{region}"]
        assert key.inputs["region"] == region  # managed by the component's own provider, in that region
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
        assert aliases[f"orders-alias-{region}"].inputs["region"] == region
        assert aliases[f"orders-alias-{region}"].inputs["targetKeyId"] == key.state["keyId"]
        assert out["replica_key_arns"][region] == key.state["arn"]
        assert out["replica_arns"][region].startswith(f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/")
    table = mocks.one(TABLE)
    assert [(r["regionName"], r["kmsKeyArn"]) for r in table.inputs["replicas"]] == [
        (region, keys[f"orders-key-{region}"].state["arn"]) for region in REPLICAS
    ]
    assert "region" not in keys["orders-key"].inputs  # the primary: the provider's own region


def test_each_key_policy_scopes_use_to_dynamodb_of_its_own_region(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(build(replica_regions=REPLICAS))
    keys = by_name(mocks, KEY)
    for name, region in [("orders-key", "us-east-1")] + [(f"orders-key-{r}", r) for r in REPLICAS]:
        condition = statement(policy_of(keys[name]), SID_KEY_USE_VIA_DYNAMODB)["Condition"]["StringEquals"]
        assert condition["kms:ViaService"] == f"dynamodb.{region}.amazonaws.com", name


def test_global_tables_replicate_through_a_stream_of_new_and_old_images(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(build(replica_regions=["eu-west-1"]))
    table = mocks.one(TABLE)
    assert (table.inputs["streamEnabled"], table.inputs["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")


def test_per_replica_options(mocks: RecordingMocks, resolve: Any) -> None:
    resolve(
        build(
            point_in_time_recovery=True,
            replicas=[{"region": "eu-west-1", "point_in_time_recovery": False, "propagate_tags": False}],
        )
    )
    (replica,) = mocks.one(TABLE).inputs["replicas"]
    assert replica["pointInTimeRecovery"] is False
    assert replica["propagateTags"] is False
    assert replica["deletionProtectionEnabled"] is True  # the table's setting


def test_no_replicas_no_change_to_the_walkthrough(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(build())
    assert len(mocks.of_type(KEY)) == 1
    assert "replicas" not in mocks.one(TABLE).inputs
    assert out["replica_key_arns"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"replica_regions": ["eu-west-1", "eu-west-1"]}, r"replica_regions: \['eu-west-1'\] given twice"),
        (
            {"replica_regions": ["eu-west-1"], "replicas": [{"region": "eu-west-1"}]},
            r"replica_regions: \['eu-west-1'\] given twice",
        ),
        ({"replica_regions": ["us-east-1"], "primary_region": "us-east-1"}, r"'us-east-1' is the table's own region"),
        ({"replica_regions": ["eu-middle-9"]}, r"replica_regions\[0\].region: 'eu-middle-9' is not an AWS region"),
        ({"replica_regions": ["eu-west-1", "cn-north-1"]}, r"regions of several partitions"),
        (
            {"replica_regions": ["eu-west-1"], "stream_view_type": "KEYS_ONLY"},
            r"stream_view_type: 'KEYS_ONLY' cannot carry a global table's replication",
        ),
        (
            {"replica_regions": ["eu-west-1"], "billing_mode": "PROVISIONED"},
            r"billing_mode PROVISIONED needs both capacities",
        ),
    ],
)
def test_bad_replicas_are_refused_before_anything_is_registered(
    mocks: RecordingMocks, resolve: Any, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(build(**args))
    assert mocks.resources == []


def test_the_stacks_aws_region_is_the_primary(resolve: Any) -> None:
    import pulumi

    from sandbox.harness import use_mocks

    recorder = RecordingMocks()
    use_mocks(recorder, {"aws:region": "eu-west-1"})
    with pytest.raises(ConfigError, match=r"'eu-west-1' is the table's own region"):
        resolve(build(replica_regions=["eu-west-1"]))
    assert pulumi.Config("aws").get("region") == "eu-west-1"


def test_a_key_user_gets_a_grant_per_region_on_that_regions_key(mocks: RecordingMocks, resolve: Any) -> None:
    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", {"partition_key": "id", "replica_regions": REPLICAS})
        KeyUser("reader", table.key_user_args(READER))
        KeyUser("local", {**table.key_user_args(f"{READER}-local"), "regions": []})
        return {}

    resolve(program)
    keys, grants = by_name(mocks, KEY), by_name(mocks, GRANT)
    assert set(grants) == {"reader-grant", "reader-grant-eu-west-1", "reader-grant-ap-southeast-2", "local-grant"}
    for region in REPLICAS:
        grant = grants[f"reader-grant-{region}"]
        assert grant.inputs["keyId"] == keys[f"orders-key-{region}"].state["arn"]
        assert grant.inputs["region"] == region
        assert grant.inputs["constraints"] == grants["reader-grant"].inputs["constraints"]


def test_a_key_user_in_iam_mode_names_every_regions_key_and_dynamodb(mocks: RecordingMocks, resolve: Any) -> None:
    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", {"partition_key": "id", "replica_regions": ["eu-west-1"]})
        KeyUser("reader", table.key_user_args(READER, mode="iam-policy", include_table_access=True))
        return {}

    resolve(program)
    keys = by_name(mocks, KEY)
    document = policy_of(mocks.one(ROLE_POLICY))
    kms = statement(document, "UseTableKeyThroughDynamoDB")
    assert kms["Resource"] == [keys["orders-key"].state["arn"], keys["orders-key-eu-west-1"].state["arn"]]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == [
        "dynamodb.us-east-1.amazonaws.com",
        "dynamodb.eu-west-1.amazonaws.com",
    ]
    table_arn = mocks.one(TABLE).state["arn"]
    replica_arn = table_arn.replace(":us-east-1:", ":eu-west-1:")
    assert statement(document, "AccessTableItems")["Resource"] == [
        table_arn,
        f"{table_arn}/index/*",
        replica_arn,
        f"{replica_arn}/index/*",
    ]


@pytest.mark.parametrize(
    ("regions", "message"),
    [(["us-west-2"], r"regions: \['us-west-2'\] have no replica key"), (["eu-west-1", "eu-west-1"], "given twice")],
)
def test_a_key_user_names_only_replica_regions(resolve: Any, regions: list[str], message: str) -> None:
    def program() -> dict[str, Any]:
        table = EncryptedTable("orders", {"partition_key": "id", "replica_regions": ["eu-west-1"]})
        KeyUser("reader", {**table.key_user_args(READER), "regions": regions})
        return {}

    with pytest.raises(ConfigError, match=message):
        resolve(program)


def test_a_replica_key_serves_dynamodb_of_its_own_region_only(mocks: RecordingMocks, resolve: Any) -> None:
    # The choice against the DynamoDB guide's `dynamodb.*.amazonaws.com`: by the evaluator, the key user
    # decrypts with the eu-west-1 key through DynamoDB in eu-west-1, and not through any other region's.
    from access.evaluator import authorize_kms, dynamodb_decrypt_request

    resolve(build(replica_regions=["eu-west-1"]))
    key = by_name(mocks, KEY)["orders-key-eu-west-1"]

    def through(region: str) -> bool:
        request = dynamodb_decrypt_request(
            principal_arn=READER, key_arn=key.state["arn"], table_name="orders", region=region, account_id=ACCOUNT_ID
        )
        return authorize_kms(request, policy_of(key)).allowed

    assert through("eu-west-1")
    assert not through("us-east-1")
    assert not through("ap-southeast-2")
