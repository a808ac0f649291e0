"""A global table deployed into the emulator: the stack program with replicaRegions, `pulumi up` by the engine.

Each replica region gets its own key and alias and the replica is encrypted with that key;
an item written in one region reads back in the other; the test principal is refused by KMS
in every region until granted in every region; a disabled key makes only its replica
inaccessible; a new key for a replica recreates that replica, with the data.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.emulator.account import REGION as HOME
from sandbox.emulator.server import Emulator
from sandbox.engine import Action, Stack
from sandbox.harness import Deployment
from stack import outputs as contract
from tests.sandbox.conftest import up
from verify.findings import Status
from verify.inputs import parse_outputs
from verify.replicas import region_view
from verify.run import Aws, principal_client_factory, verify

pytestmark = pytest.mark.emulator

EU = "eu-west-1"
ITEM = {"id": {"S": "order-1"}, "note": {"S": "secret note"}}
KEY = {"id": {"S": "order-1"}}


def deploy(stack: Stack, regions: tuple[str, ...] = (EU,), **config: str) -> Deployment:
    return up(stack, replicaRegions=json.dumps(list(regions)), **config)


def aws(emulator: Emulator, region: str = HOME) -> Aws:
    """The deployer, with clients in `region`."""
    return Aws(emulator.session(), emulator.endpoint_url).in_region(region)


def the_replica(out: dict[str, Any]) -> dict[str, str]:
    (replica,) = out[contract.REPLICAS]
    return dict(replica)


def principal_in(emulator: Emulator, out: dict[str, Any], region: str) -> Any:
    """A DynamoDB client of the test principal in `region`, as the verifier makes it."""
    want = parse_outputs(out)
    if region != want.region:
        want = region_view(want, next(r for r in want.replicas if r.region == region))
    return principal_client_factory(aws(emulator), want)()


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def key_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def changes(deployment: Deployment) -> dict[tuple[str, str], Action]:
    return {(c.typ, c.name): c.action for c in deployment.changes}


def test_a_two_region_stack_has_a_key_and_alias_of_its_own_in_the_replica_region(
    emulator: Emulator, stack: Stack
) -> None:
    deployment = deploy(stack, testPrincipal="user")
    out, replica = deployment.outputs, the_replica(deployment.outputs)
    assert replica[contract.REPLICA_REGION] == EU
    assert f":kms:{EU}:" in replica[contract.REPLICA_KEY_ARN]
    assert replica[contract.REPLICA_ARN] == out[contract.TABLE_ARN].replace(HOME, EU)
    made = changes(deployment)
    assert made[("aws:kms/key:Key", f"encrypted-key-{EU}")] is Action.CREATE
    assert made[("aws:kms/alias:Alias", f"encrypted-alias-{EU}")] is Action.CREATE
    kms = aws(emulator, EU).kms()
    key = kms.describe_key(KeyId=replica[contract.REPLICA_KEY_ARN])["KeyMetadata"]
    assert (key["KeyManager"], key["KeyState"], key["KeySpec"]) == ("CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT")
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases(KeyId=key["KeyId"])["Aliases"]}
    assert aliases == {replica[contract.REPLICA_KEY_ALIAS]: key["KeyId"]}
    # The policy the program rendered for that region, not AWS's default.
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} >= {"EnableIamPolicies"}
    # The primary region's key is not the replica's.
    assert key["Arn"] != out[contract.KEY_ARN]


def test_each_region_describes_its_table_with_its_own_key_and_lists_the_other(emulator: Emulator, stack: Stack) -> None:
    out = deploy(stack, testPrincipal="none").outputs
    keys = {HOME: out[contract.KEY_ARN], EU: the_replica(out)[contract.REPLICA_KEY_ARN]}
    for region, other in ((HOME, EU), (EU, HOME)):
        dynamodb = aws(emulator, region).dynamodb()
        table = dynamodb.describe_table(TableName=out[contract.TABLE_NAME])["Table"]
        assert table["SSEDescription"]["KMSMasterKeyArn"] == keys[region]
        assert table["TableArn"].split(":")[3] == region
        assert table["GlobalTableVersion"] == "2019.11.21"
        assert table["Replicas"] == [{"RegionName": other, "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": keys[other]}]
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        backups = dynamodb.describe_continuous_backups(TableName=out[contract.TABLE_NAME])
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED", region


def test_an_item_written_in_one_region_reads_back_in_the_other(emulator: Emulator, stack: Stack) -> None:
    table = deploy(stack, testPrincipal="none").outputs[contract.TABLE_NAME]
    home, eu = aws(emulator, HOME).dynamodb(), aws(emulator, EU).dynamodb()
    home.put_item(TableName=table, Item=ITEM)
    assert eu.get_item(TableName=table, Key=KEY, ConsistentRead=True)["Item"] == ITEM
    eu.put_item(TableName=table, Item={**KEY, "note": {"S": "changed in eu-west-1"}})
    assert home.get_item(TableName=table, Key=KEY)["Item"]["note"] == {"S": "changed in eu-west-1"}


@pytest.mark.parametrize("principal", ["user", "role"])
def test_the_test_principal_is_refused_by_kms_in_both_regions_until_granted_in_both(
    emulator: Emulator, stack: Stack, principal: str
) -> None:
    out = deploy(stack, testPrincipal=principal).outputs
    table = out[contract.TABLE_NAME]
    aws(emulator).dynamodb().put_item(TableName=table, Item=ITEM)
    keys = {HOME: out[contract.KEY_ARN], EU: the_replica(out)[contract.REPLICA_KEY_ARN]}
    for region in (HOME, EU):
        client = principal_in(emulator, out, region)
        code, message = refusal(lambda client=client: client.get_item(TableName=table, Key=KEY))
        assert code == "AccessDeniedException", region
        assert message.startswith("KMS key access denied error"), message
        assert keys[region] in message

    granted = deploy(stack, testPrincipal=principal, grantTestPrincipal="true")
    made = changes(granted)
    assert made[("aws:kms/grant:Grant", "test-principal-key-user-grant")] is Action.CREATE
    assert made[("aws:kms/grant:Grant", f"test-principal-key-user-grant-{EU}")] is Action.CREATE
    assert {a for (typ, _), a in made.items() if typ != "aws:kms/grant:Grant"} == {Action.SAME}
    grants = aws(emulator, EU).kms().list_grants(KeyId=key_id(keys[EU]))["Grants"]
    assert [g["GranteePrincipal"] for g in grants] == [out[contract.TEST_PRINCIPAL_ARN]]
    for region in (HOME, EU):
        assert principal_in(emulator, granted.outputs, region).get_item(TableName=table, Key=KEY)["Item"] == ITEM


@pytest.mark.parametrize("grant_mode", ["key-policy", "iam-policy"])
def test_every_grant_mode_makes_the_test_principal_a_reader_in_both_regions(
    emulator: Emulator, stack: Stack, grant_mode: str
) -> None:
    out = deploy(stack, testPrincipal="role", grantMode=grant_mode).outputs
    table = out[contract.TABLE_NAME]
    aws(emulator).dynamodb().put_item(TableName=table, Item=ITEM)
    for region in (HOME, EU):
        client = principal_in(emulator, out, region)
        assert refusal(lambda client=client: client.get_item(TableName=table, Key=KEY))[0] == "AccessDeniedException"
    granted = deploy(stack, testPrincipal="role", grantMode=grant_mode, grantTestPrincipal="true").outputs
    for region in (HOME, EU):
        assert principal_in(emulator, granted, region).get_item(TableName=table, Key=KEY)["Item"] == ITEM


def test_the_verifier_passes_in_both_regions_before_and_after_the_grant(emulator: Emulator, stack: Stack) -> None:
    for granted in ("false", "true"):
        out = deploy(stack, testPrincipal="role", grantTestPrincipal=granted).outputs
        findings = verify(aws(emulator), parse_outputs(out), max_wait=5)
        failed = [f for f in findings if f.status is Status.FAIL]
        assert failed == [], failed
        checks = {f.check: f.status for f in findings}
        assert checks[f"replica[{EU}].sse_key"] is Status.PASS
        assert checks[f"replica[{EU}].canary_replicated"] is Status.PASS
        assert checks[f"replica[{EU}].boundary_probe.{'read' if granted == 'true' else 'denied'}"] is Status.PASS


def test_a_disabled_replica_key_makes_only_that_replica_inaccessible(emulator: Emulator, stack: Stack) -> None:
    out = deploy(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    table = out[contract.TABLE_NAME]
    aws(emulator).dynamodb().put_item(TableName=table, Item=ITEM)
    aws(emulator, EU).kms().disable_key(KeyId=key_id(the_replica(out)[contract.REPLICA_KEY_ARN]))

    code, message = refusal(lambda: principal_in(emulator, out, EU).get_item(TableName=table, Key=KEY))
    assert code == "ValidationException"
    assert "INACCESSIBLE_ENCRYPTION_CREDENTIALS" in message
    assert principal_in(emulator, out, HOME).get_item(TableName=table, Key=KEY)["Item"] == ITEM
    aws(emulator).dynamodb().put_item(TableName=table, Item={**KEY, "note": {"S": "still written"}})
    (listed,) = aws(emulator).dynamodb().describe_table(TableName=table)["Table"]["Replicas"]
    assert (listed["RegionName"], listed["ReplicaStatus"]) == (EU, "INACCESSIBLE_ENCRYPTION_CREDENTIALS")
    eu = aws(emulator, EU).dynamodb().describe_table(TableName=table)["Table"]
    assert eu["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert "InaccessibleEncryptionDateTime" in eu["SSEDescription"]
    home = aws(emulator).dynamodb().describe_table(TableName=table)["Table"]
    assert home["TableStatus"] == "ACTIVE"


def test_a_new_key_for_the_replica_recreates_that_replica_with_the_data(emulator: Emulator, stack: Stack) -> None:
    first = deploy(stack, testPrincipal="none")
    table = first.outputs[contract.TABLE_NAME]
    aws(emulator).dynamodb().put_item(TableName=table, Item=ITEM)
    eu = aws(emulator, EU)
    created = eu.dynamodb().describe_table(TableName=table)["Table"]["CreationDateTime"]

    # A multi-Region key: a new primary, and a replica key (ReplicaKey) in place of the replica's own key.
    second = deploy(stack, testPrincipal="none", multiRegionKey="true")
    made = changes(second)
    assert made[("aws:kms/key:Key", "encrypted-key")] is Action.REPLACE
    assert made[("aws:kms/replicaKey:ReplicaKey", f"encrypted-key-{EU}")] is Action.CREATE
    assert made[("aws:kms/key:Key", f"encrypted-key-{EU}")] is Action.DELETE
    assert made[("aws:dynamodb/table:Table", "encrypted-table")] is Action.UPDATE  # the table stays
    new_key = the_replica(second.outputs)[contract.REPLICA_KEY_ARN]
    assert new_key != the_replica(first.outputs)[contract.REPLICA_KEY_ARN]
    assert key_id(new_key) == second.outputs[contract.KEY_ID]  # a multi-Region key: one id, every region

    described = eu.dynamodb().describe_table(TableName=table)["Table"]
    assert described["SSEDescription"]["KMSMasterKeyArn"] == new_key
    assert described["CreationDateTime"] > created  # recreated
    assert eu.dynamodb().get_item(TableName=table, Key=KEY, ConsistentRead=True)["Item"] == ITEM
    metadata = eu.kms().describe_key(KeyId=new_key)["KeyMetadata"]
    assert metadata["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    old = eu.kms().describe_key(KeyId=the_replica(first.outputs)[contract.REPLICA_KEY_ARN])["KeyMetadata"]
    assert old["KeyState"] == "PendingDeletion"
    home = aws(emulator).dynamodb().describe_table(TableName=table)["Table"]
    assert home["SSEDescription"]["KMSMasterKeyArn"] == second.outputs[contract.KEY_ARN]
    assert home["Replicas"][0]["KMSMasterKeyId"] == new_key


def test_a_region_added_later_gets_the_items_and_a_region_removed_loses_its_replica_then_its_key(
    emulator: Emulator, stack: Stack
) -> None:
    table = deploy(stack, (), testPrincipal="none").outputs[contract.TABLE_NAME]
    aws(emulator).dynamodb().put_item(TableName=table, Item=ITEM)
    added = deploy(stack, testPrincipal="none")
    assert changes(added)[("aws:dynamodb/table:Table", "encrypted-table")] is Action.UPDATE
    eu = aws(emulator, EU)
    assert eu.dynamodb().get_item(TableName=table, Key=KEY, ConsistentRead=True)["Item"] == ITEM

    removed = deploy(stack, (), testPrincipal="none")
    made = changes(removed)
    assert made[("aws:kms/key:Key", f"encrypted-key-{EU}")] is Action.DELETE
    assert table not in eu.dynamodb().list_tables()["TableNames"]
    assert "Replicas" not in aws(emulator).dynamodb().describe_table(TableName=table)["Table"]
    old_key = the_replica(added.outputs)[contract.REPLICA_KEY_ARN]
    assert eu.kms().describe_key(KeyId=old_key)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_python_m_verify_on_a_two_region_stack_passes_then_fails_naming_the_region_of_a_disabled_key(
    emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from verify.__main__ import main

    out = deploy(stack, testPrincipal="role", grantTestPrincipal="true").outputs
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    assert main(["--outputs", str(path), "--max-wait", "5"]) == 0, capsys.readouterr().out

    aws(emulator, EU).kms().disable_key(KeyId=key_id(the_replica(out)[contract.REPLICA_KEY_ARN]))
    assert main(["--outputs", str(path), "--max-wait", "2"]) == 1
    report = capsys.readouterr().out
    failed = [line for line in report.splitlines() if line.startswith("FAIL")]
    assert failed, report
    assert all(f"replica[{EU}]" in line for line in failed), failed
    assert any("20 hours" in line for line in failed), failed
