"""Resources in other regions (the pulumi-aws 7 `region` input or an explicit provider's), multi-Region key
replicas, and a table's replicas, planned and called as the provider does; all but one without the emulator."""

from __future__ import annotations

from typing import Any

import boto3
import pulumi
import pulumi_aws as aws
import pytest

from access import provider_types
from access.provider_types import KMS_REPLICA_KEY
from sandbox.emulator.server import Emulator
from sandbox.engine import HANDLERS, Action, Deployed, InventedBackend, Stack, Where, handler_for
from sandbox.engine.dynamodb import ReplicaFacts, TableFacts, TableHandler
from sandbox.engine.kms import ReplicaKeyHandler
from sandbox.engine.model import with_region
from sandbox.engine.plan import plan
from sandbox.harness import RecordingMocks, resolve_under_mocks, use_mocks
from tests.sandbox.engine.programs import deploy_program

ACCOUNT = "123456789012"
HOME, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"
WHERE = Where(ACCOUNT, HOME, "aws")
TABLE = "orders"
US_KEY = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
EU_KEY = f"arn:aws:kms:{EU}:{ACCOUNT}:key/1111"
EU_KEY_2 = f"arn:aws:kms:{EU}:{ACCOUNT}:key/2222"


def deployed(typ: str, inputs: dict[str, Any], facts: Any = None, resource_id: str = "id") -> Deployed:
    return Deployed(f"urn:pulumi:dev::p::{typ}::r", typ, "r", inputs, resource_id, dict(inputs), facts)


def register(typ: str, inputs: dict[str, Any], name: str = "r") -> dict[str, Any]:
    return InventedBackend().register(WHERE, f"urn:pulumi:dev::p::{typ}::{name}", typ, name, inputs)[1]


# -- region --------------------------------------------------------------------------------------------


def test_every_regional_type_replaces_on_region_and_a_global_one_has_none() -> None:
    for typ, handler in HANDLERS.items():
        if handler.regional:
            assert "region" in handler.rules.replace_on, typ
        else:
            assert "region" not in handler.rules.replace_on | handler.rules.in_place, typ
    assert not handler_for(provider_types.IAM_ROLE, "r").regional
    assert not handler_for(provider_types.PROVIDER, "r").regional


@pytest.mark.parametrize(
    ("asked", "action"),
    [({}, Action.SAME), ({"region": HOME}, Action.SAME), ({"region": EU}, Action.REPLACE)],
)
def test_an_unset_region_is_the_providers_and_another_region_replaces(asked: dict[str, Any], action: Action) -> None:
    handler = handler_for(provider_types.KMS_KEY, "r")
    before = deployed(provider_types.KMS_KEY, with_region(handler, {"policy": "p"}, HOME))
    step = plan(handler, before, "r", with_region(handler, {"policy": "p", **asked}, HOME))
    assert step.action is action
    if action is Action.REPLACE:
        assert step.detail == "region"


@pytest.mark.parametrize(
    ("typ", "inputs", "arn_field"),
    [
        (provider_types.KMS_KEY, {}, "arn"),
        (provider_types.KMS_ALIAS, {"name": "alias/a", "targetKeyId": "1111"}, "arn"),
        (provider_types.DYNAMODB_TABLE, {"name": TABLE, "hashKey": "id"}, "arn"),
    ],
)
def test_invented_values_are_in_the_resources_region(typ: str, inputs: dict[str, Any], arn_field: str) -> None:
    assert f":{HOME}:" in register(typ, inputs)[arn_field]
    there = register(typ, {**inputs, "region": EU})
    assert f":{EU}:" in there[arn_field]
    assert there["region"] == EU
    assert register(typ, inputs)["region"] == HOME


def keys_of_an_explicit_provider() -> dict[str, Any]:
    eu = aws.Provider("eu", region=EU)
    managed = pulumi.ResourceOptions(provider=eu)
    return {
        "provider": aws.kms.Key("by-provider", opts=managed).arn,
        "own": aws.kms.Key("own-region", region=AP, opts=managed).arn,
        "default": aws.kms.Key("default").arn,
    }


def test_a_resource_of_an_explicit_provider_is_in_the_providers_region_unless_it_names_its_own() -> None:
    use_mocks(RecordingMocks(), {})
    try:
        arns, _ = resolve_under_mocks(keys_of_an_explicit_provider)
    finally:
        pulumi.runtime.reset_options()
    assert {name: arn.split(":")[3] for name, arn in arns.items()} == {"provider": EU, "own": AP, "default": HOME}


@pytest.mark.emulator
def test_the_emulator_backend_deploys_each_key_in_its_region(emulator: Emulator, stack: Stack) -> None:
    arns, changes = deploy_program(stack, keys_of_an_explicit_provider)
    assert {name: arn.split(":")[3] for name, arn in arns.items()} == {"provider": EU, "own": AP, "default": HOME}
    session = emulator.session()
    for arn in arns.values():
        kms = emulator.client("kms", boto3_session(session, arn.split(":")[3]))
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == arn
    # Deployed again unchanged: the same keys, nothing replaced.
    assert {c.action for c in deploy_program(stack, keys_of_an_explicit_provider)[1]} == {Action.SAME}
    assert len(changes) == 4  # the provider and three keys


def boto3_session(session: Any, region: str) -> Any:
    credentials = session.get_credentials()
    return boto3.session.Session(credentials.access_key, credentials.secret_key, region_name=region)


def test_a_global_resource_has_no_region() -> None:
    assert "region" not in register(provider_types.IAM_ROLE, {"assumeRolePolicy": "{}"})


def test_an_invented_multi_region_key_and_its_replica_share_the_id_with_an_arn_of_each_region() -> None:
    primary = register(provider_types.KMS_KEY, {"multiRegion": True})
    assert primary["keyId"].startswith("mrk-")
    replica = register(KMS_REPLICA_KEY, {"primaryKeyArn": primary["arn"], "region": EU})
    assert replica["keyId"] == primary["keyId"]
    assert replica["arn"] == primary["arn"].replace(f":{HOME}:", f":{EU}:")


def test_an_invented_table_names_each_replica_in_its_region() -> None:
    replicas = [{"regionName": EU, "kmsKeyArn": EU_KEY}, {"regionName": AP, "kmsKeyArn": "k"}]
    state = register(provider_types.DYNAMODB_TABLE, {"name": TABLE, "hashKey": "id", "replicas": replicas})
    assert [r["arn"] for r in state["replicas"]] == [
        f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/{TABLE}",
        f"arn:aws:dynamodb:{AP}:{ACCOUNT}:table/{TABLE}",
    ]
    assert state["replicas"][0]["kmsKeyArn"] == EU_KEY


# -- the replica key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "action"),
    [
        ({"primaryKeyArn": "arn:aws:kms:us-east-1:1:key/mrk-other"}, Action.REPLACE),
        ({"enabled": False}, Action.UPDATE),
        ({"policy": "new"}, Action.UPDATE),
        ({"description": "new"}, Action.UPDATE),
        ({"deletionWindowInDays": 7}, Action.UPDATE),
    ],
)
def test_a_replica_key_is_replaced_only_for_another_primary(changed: dict[str, Any], action: Action) -> None:
    before = {"primaryKeyArn": US_KEY, "policy": "old", "region": EU}
    step = plan(handler_for(KMS_REPLICA_KEY, "r"), deployed(KMS_REPLICA_KEY, before), "r", {**before, **changed})
    assert step.action is action


class Recorder:
    """A service's client in one region: records each call, answers what the handlers read."""

    def __init__(self, cloud: RecordingCloud, service: str) -> None:
        self.cloud, self.service = cloud, service

    def __getattr__(self, operation: str) -> Any:
        def call(**args: Any) -> Any:
            self.cloud.calls.append((self.cloud.region, self.service, operation, args))
            if operation == "describe_table":
                arn = f"arn:aws:dynamodb:{self.cloud.region}:{ACCOUNT}:table/{args['TableName']}"
                return {"Table": {"TableArn": arn, "LatestStreamArn": f"{arn}/stream/1"}}
            if operation == "replicate_key":
                key_id = args["KeyId"]
                arn = f"arn:aws:kms:{args['ReplicaRegion']}:{ACCOUNT}:key/{key_id}"
                return {"ReplicaKeyMetadata": {"KeyId": key_id, "Arn": arn}}
            return {}

        return call


class RecordingCloud:
    def __init__(self, region: str = HOME, calls: list[Any] | None = None) -> None:
        self.region = region
        self.calls: list[tuple[str, str, str, dict[str, Any]]] = [] if calls is None else calls
        self.kms, self.dynamodb, self.iam = Recorder(self, "kms"), Recorder(self, "dynamodb"), Recorder(self, "iam")

    def in_region(self, region: str) -> RecordingCloud:
        return RecordingCloud(region, self.calls)

    def autoname(self, name: str) -> str:
        return name


def test_a_replica_key_is_made_by_replicate_key_in_the_primarys_region() -> None:
    cloud = RecordingCloud(EU)
    facts = ReplicaKeyHandler().create(
        "k",
        {"primaryKeyArn": US_KEY, "policy": "p", "tags": {"team": "a"}, "enabled": False},
        cloud,  # type: ignore[arg-type]
    )
    assert facts.arn == US_KEY.replace(HOME, EU)
    (region, _, operation, args), disabled = cloud.calls
    assert (region, operation) == (HOME, "replicate_key")
    assert args["KeyId"] == US_KEY.rsplit("/", 1)[1]
    assert args["ReplicaRegion"] == EU
    assert args["Policy"] == "p"
    assert args["Tags"] == [{"TagKey": "team", "TagValue": "a"}]
    assert (disabled[0], disabled[2]) == (EU, "disable_key")


# -- a table's replicas ------------------------------------------------------------------------------


def replica(region: str = EU, **changes: Any) -> dict[str, Any]:
    return {
        "regionName": region,
        "kmsKeyArn": EU_KEY,
        "pointInTimeRecovery": True,
        "deletionProtectionEnabled": False,
        "propagateTags": False,
        **changes,
    }


def update_replicas(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> tuple[TableFacts, list[Any]]:
    cloud = RecordingCloud()
    old_facts = TableFacts(
        TABLE,
        f"arn:aws:dynamodb:{HOME}:{ACCOUNT}:table/{TABLE}",
        "",
        tuple(
            ReplicaFacts(r["regionName"], f"arn:aws:dynamodb:{r['regionName']}:{ACCOUNT}:table/{TABLE}") for r in before
        ),
    )
    old = deployed(provider_types.DYNAMODB_TABLE, {"name": TABLE, "replicas": before}, old_facts, TABLE)
    facts = TableHandler().update(old, {"name": TABLE, "replicas": after}, frozenset({"replicas"}), cloud)  # type: ignore[arg-type]
    return facts, [(region, operation, args) for region, _, operation, args in cloud.calls]


def test_a_replica_is_created_from_the_tables_region_with_its_key_then_set_up_in_its_own() -> None:
    facts, calls = update_replicas([], [replica()])
    assert calls == [
        (
            HOME,
            "update_table",
            {"TableName": TABLE, "ReplicaUpdates": [{"Create": {"RegionName": EU, "KMSMasterKeyId": EU_KEY}}]},
        ),
        (
            EU,
            "update_continuous_backups",
            {"TableName": TABLE, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
        ),
        (EU, "update_table", {"TableName": TABLE, "DeletionProtectionEnabled": False}),
        (EU, "describe_table", {"TableName": TABLE}),
    ]
    assert facts.replicas == (
        ReplicaFacts(
            EU,
            f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/{TABLE}",
            f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/{TABLE}/stream/1",
        ),
    )


def test_a_new_key_recreates_the_replica_and_only_it() -> None:
    facts, calls = update_replicas(
        [replica(), replica(AP, kmsKeyArn="ap")], [replica(kmsKeyArn=EU_KEY_2), replica(AP, kmsKeyArn="ap")]
    )
    table_calls = [(region, args["ReplicaUpdates"]) for region, op, args in calls if "ReplicaUpdates" in args]
    assert table_calls == [
        (HOME, [{"Delete": {"RegionName": EU}}]),
        (HOME, [{"Create": {"RegionName": EU, "KMSMasterKeyId": EU_KEY_2}}]),
    ]
    assert [f.region for f in facts.replicas] == [EU, AP]


def test_a_region_gone_deletes_its_replica() -> None:
    facts, calls = update_replicas([replica(), replica(AP)], [replica(AP)])
    assert calls == [(HOME, "update_table", {"TableName": TABLE, "ReplicaUpdates": [{"Delete": {"RegionName": EU}}]})]
    assert [f.region for f in facts.replicas] == [AP]


def test_recovery_is_set_in_the_replicas_region_and_deletion_protection_waits_as_with_the_provider() -> None:
    _, calls = update_replicas([replica()], [replica(pointInTimeRecovery=False, deletionProtectionEnabled=True)])
    # updateReplica makes one change per replica and deploy: recovery first.
    assert calls == [
        (
            EU,
            "update_continuous_backups",
            {"TableName": TABLE, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}},
        )
    ]
    _, calls = update_replicas([replica()], [replica(deletionProtectionEnabled=True)])
    assert calls == [(EU, "update_table", {"TableName": TABLE, "DeletionProtectionEnabled": True})]


def test_propagate_tags_alone_calls_nothing() -> None:
    _, calls = update_replicas([replica()], [replica(propagateTags=True)])
    assert calls == []


def test_a_deleted_table_loses_its_replicas_first() -> None:
    cloud = RecordingCloud()
    old = deployed(provider_types.DYNAMODB_TABLE, {"name": TABLE, "replicas": [replica(), replica(AP)]}, None, TABLE)
    TableHandler().delete(old, cloud)  # type: ignore[arg-type]
    assert [(r, op, a.get("ReplicaUpdates")) for r, _, op, a in cloud.calls] == [
        (HOME, "update_table", [{"Delete": {"RegionName": EU}}]),
        (HOME, "update_table", [{"Delete": {"RegionName": AP}}]),
        (HOME, "delete_table", None),
    ]
