"""Replicas without AWS: the judges on hand-made records, DescribeTable's `Replicas` shapes through
botocore's Stubber, the bounded wait for replication, and the verifier's policy for a global table."""

from __future__ import annotations

import dataclasses
import datetime
import random
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from access.documents import parse_document
from access.kms_dynamodb import INACCESSIBLE_STATUS as INACCESSIBLE_ENCRYPTION_CREDENTIALS
from verify.collect import AliasRecord, KeyRecord, ReplicaRecord, TableRecord, collect_table
from verify.findings import Finding, Status
from verify.inputs import Replica, StackOutputs
from verify.permissions import verifier_policy
from verify.replica_collect import RegionRecords
from verify.replica_wait import REPLICATION_WAIT, wait_for_canary
from verify.replicas import judge_region, judge_replication_group

ACCOUNT = "123456789012"
PRIMARY_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/primary"
EU_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/eu"
AWS_MANAGED_EU = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/aws-managed"
EU = Replica("eu-west-1", EU_KEY, "alias/a", f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders")
WANT = StackOutputs(
    "us-east-1",
    ACCOUNT,
    "orders",
    f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
    "primary",
    PRIMARY_KEY,
    "alias/a",
    "none",
    True,
    True,
    replicas=(EU,),
)
LISTED = ReplicaRecord("eu-west-1", "ACTIVE", EU_KEY)
PRIMARY = TableRecord(
    True,
    "ACTIVE",
    "ENABLED",
    "KMS",
    PRIMARY_KEY,
    "",
    "ENABLED",
    True,
    (("id", "S"),),
    global_table_version="2019.11.21",
    replicas=(LISTED,),
)
# A replica's own PITR and deletion protection are not in the outputs: DISABLED / False are not findings.
EU_TABLE = TableRecord(True, "ACTIVE", "ENABLED", "KMS", EU_KEY, "", "DISABLED", False, (("id", "S"),))
EU_KEY_RECORD = KeyRecord(True, EU_KEY, "Enabled", "CUSTOMER", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", True, "")
HEALTHY = RegionRecords(EU, EU_TABLE, LISTED, EU_KEY_RECORD, AliasRecord("alias/a", EU_KEY))


def failing(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings if f.status is Status.FAIL}


def changed(records: RegionRecords, **changes: Any) -> RegionRecords:
    return dataclasses.replace(records, **changes)


def test_a_healthy_replica_passes_and_every_check_names_its_region() -> None:
    findings = judge_region(HEALTHY, WANT)
    assert failing(findings) == {}
    assert all(f.check.startswith("replica[eu-west-1].") for f in findings)
    assert {"replica[eu-west-1].exists", "replica[eu-west-1].sse_key", "replica[eu-west-1].key.rotation"} <= {
        f.check for f in findings
    }
    assert not any("point_in_time_recovery" in f.check or "deletion_protection" in f.check for f in findings)
    assert failing(judge_replication_group(PRIMARY, WANT)) == {}


@pytest.mark.parametrize(
    ("actual", "manager", "named"),
    [
        (AWS_MANAGED_EU, "AWS", "an AWS managed key, alias/aws/dynamodb"),
        (PRIMARY_KEY, "", "the primary region's key"),
        (f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/x", "", "a key in another region"),
    ],
)
def test_a_replica_on_another_key_fails_naming_the_region_and_the_key(actual: str, manager: str, named: str) -> None:
    records = changed(
        HEALTHY,
        table=dataclasses.replace(EU_TABLE, kms_key_arn=actual),
        listed=dataclasses.replace(LISTED, kms_key=actual),
        other_key_manager=manager,
    )
    found = failing(judge_region(records, WANT))
    assert set(found) == {"replica[eu-west-1].sse_key", "replica[eu-west-1].listed"}
    assert named in found["replica[eu-west-1].sse_key"].seen
    assert "eu-west-1's own customer-managed key" in found["replica[eu-west-1].sse_key"].advice


@pytest.mark.parametrize(
    ("state", "fix"),
    [
        ("Disabled", "aws kms enable-key --region eu-west-1"),
        ("PendingDeletion", "aws kms cancel-key-deletion --region eu-west-1"),
    ],
)
def test_an_unusable_replica_key_fails_with_what_to_do_before_20_hours(state: str, fix: str) -> None:
    records = changed(HEALTHY, key=dataclasses.replace(EU_KEY_RECORD, state=state))
    found = failing(judge_region(records, WANT))
    assert set(found) == {"replica[eu-west-1].key.enabled", "replica[eu-west-1].key_accessible"}
    accessible = found["replica[eu-west-1].key_accessible"]
    assert f"KeyState={state}" in accessible.seen
    assert fix in accessible.advice
    assert "20 hours" in accessible.advice
    assert "removes the eu-west-1 replica from the replication group" in accessible.advice


def test_inaccessible_as_dynamodb_reports_it_names_the_time() -> None:
    # The key looks Enabled (e.g. DynamoDB's grants were revoked), DynamoDB says otherwise.
    records = changed(
        HEALTHY,
        table=dataclasses.replace(EU_TABLE, inaccessible_since="2026-03-01 10:00:00+00:00"),
        listed=dataclasses.replace(
            LISTED, status=INACCESSIBLE_ENCRYPTION_CREDENTIALS, inaccessible_since="2026-03-01 09:58:00+00:00"
        ),
    )
    found = failing(judge_region(records, WANT))
    assert set(found) == {"replica[eu-west-1].key_accessible", "replica[eu-west-1].listed"}
    accessible = found["replica[eu-west-1].key_accessible"]
    assert "InaccessibleEncryptionDateTime=2026-03-01 10:00:00+00:00" in accessible.seen
    assert "ReplicaStatus=INACCESSIBLE_ENCRYPTION_CREDENTIALS since 2026-03-01 09:58:00+00:00" in accessible.seen
    assert "within about 20 hours of 2026-03-01 09:58:00+00:00" in accessible.advice
    assert "DynamoDB's grants not revoked" in accessible.advice
    assert "replica[eu-west-1].key_accessible" in found["replica[eu-west-1].listed"].advice


def test_a_missing_replica_fails_exists_and_listed() -> None:
    records = changed(HEALTHY, table=TableRecord(False), listed=None)
    found = failing(judge_region(records, WANT))
    assert set(found) == {"replica[eu-west-1].exists", "replica[eu-west-1].listed"}
    assert "not found in eu-west-1" in found["replica[eu-west-1].exists"].seen


def test_a_replica_not_yet_active_fails_with_its_status() -> None:
    records = changed(HEALTHY, listed=dataclasses.replace(LISTED, status="CREATING", status_description="50%"))
    found = failing(judge_region(records, WANT))
    assert found["replica[eu-west-1].listed"].seen == "ReplicaStatus=CREATING (50%)"


def test_the_replication_group_version_and_undeclared_regions() -> None:
    legacy = dataclasses.replace(PRIMARY, global_table_version="2017.11.29")
    assert set(failing(judge_replication_group(legacy, WANT))) == {"replicas.global_table_version"}
    extra = dataclasses.replace(PRIMARY, replicas=(LISTED, ReplicaRecord("ap-south-1", "ACTIVE")))
    (finding,) = failing(judge_replication_group(extra, WANT)).values()
    assert finding.check == "replicas.as_declared"
    assert "ap-south-1" in finding.seen
    single = dataclasses.replace(WANT, replicas=())
    assert judge_replication_group(dataclasses.replace(PRIMARY, replicas=()), single) == [], "quiet without replicas"
    assert set(failing(judge_replication_group(extra, single))) == {"replicas.as_declared"}


def stubbed_dynamodb(table: dict[str, Any]) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    stubber = Stubber(client)
    stubber.add_response("describe_table", {"Table": table}, {"TableName": "orders"})
    stubber.add_response(
        "describe_continuous_backups",
        {"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED"}},
        {"TableName": "orders"},
    )
    stubber.activate()
    return client


def test_describe_table_replicas_are_read_as_aws_shapes_them() -> None:
    since = datetime.datetime(2026, 3, 1, 9, 58, tzinfo=datetime.UTC)
    dynamodb = stubbed_dynamodb(
        {
            "TableName": "orders",
            "TableStatus": "ACTIVE",
            "GlobalTableVersion": "2019.11.21",
            "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": PRIMARY_KEY},
            "Replicas": [
                {"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": EU_KEY},
                {
                    "RegionName": "ap-southeast-2",
                    "ReplicaStatus": "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
                    "ReplicaStatusDescription": "The KMS key is disabled",
                    "KMSMasterKeyId": f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/ap",
                    "ReplicaInaccessibleDateTime": since,
                },
            ],
        }
    )
    table = collect_table(dynamodb, kms=None, table_name="orders")  # type: ignore[arg-type]  # key ARNs: no KMS call
    assert table.global_table_version == "2019.11.21"
    assert table.replicas == (
        ReplicaRecord("eu-west-1", "ACTIVE", EU_KEY),
        ReplicaRecord(
            "ap-southeast-2",
            INACCESSIBLE_ENCRYPTION_CREDENTIALS,
            f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/ap",
            str(since),
            "The KMS key is disabled",
        ),
    )


def test_a_table_without_replicas_has_none() -> None:
    table = collect_table(stubbed_dynamodb({"TableName": "orders", "TableStatus": "ACTIVE"}), None, "orders")  # type: ignore[arg-type]
    assert (table.replicas, table.global_table_version) == ((), "")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_canary_arriving_late_is_waited_for() -> None:
    fake, answers = FakeClock(), iter([None, None, "v"])
    arrival = wait_for_canary(
        lambda: next(answers), "v", "eu-west-1", clock=fake.clock, sleep=fake.sleep, rng=random.Random(1)
    )
    assert (arrival.arrived, arrival.attempts) == (True, 3)
    assert len(fake.sleeps) == 2


def test_a_canary_that_never_arrives_is_given_up_on_at_the_bound() -> None:
    fake = FakeClock()
    arrival = wait_for_canary(lambda: None, "v", "eu-west-1", clock=fake.clock, sleep=fake.sleep)
    assert not arrival.arrived
    assert fake.now == pytest.approx(REPLICATION_WAIT)
    assert arrival.detail == "the canary never arrived in eu-west-1"
    fake = FakeClock()
    assert not wait_for_canary(lambda: None, "v", "eu-west-1", max_wait=0, clock=fake.clock, sleep=fake.sleep).arrived
    assert fake.sleeps == [], "--max-wait 0: one look, no wait"


def error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetItem")


def test_another_value_or_a_refusal_ends_the_wait_at_once() -> None:
    fake = FakeClock()
    assert not wait_for_canary(lambda: "other", "v", "eu-west-1", clock=fake.clock, sleep=fake.sleep).arrived

    def refused() -> str | None:
        raise error("AccessDeniedException", "KMS key access denied error: the key is disabled")

    arrival = wait_for_canary(refused, "v", "eu-west-1", clock=fake.clock, sleep=fake.sleep)
    assert not arrival.arrived
    assert "GetItem in eu-west-1 failed: AccessDeniedException: KMS key access denied" in arrival.detail
    assert fake.sleeps == []


def test_throttling_while_waiting_is_no_finding_but_cannot_run() -> None:
    def throttled() -> str | None:
        raise error("ThrottlingException", "Rate exceeded")

    with pytest.raises(ClientError):
        wait_for_canary(throttled, "v", "eu-west-1", clock=FakeClock().clock, sleep=FakeClock().sleep)


def test_the_verifiers_policy_covers_each_replica_in_its_region() -> None:
    policy = verifier_policy(
        table_arn=WANT.table_arn,
        key_arn=PRIMARY_KEY,
        region="us-east-1",
        account_id=ACCOUNT,
        replicas=[(EU.region, EU.replica_arn, EU.key_arn)],
    )
    by_sid = {s["Sid"]: s for s in parse_document(policy)["Statement"]}
    assert by_sid["KeyChecks"]["Resource"] == [PRIMARY_KEY, EU_KEY]
    replica_table = by_sid["ReplicaChecksAndCanaryRead"]
    assert replica_table["Resource"] == [EU.replica_arn]
    assert "dynamodb:GetItem" in replica_table["Action"]
    assert "dynamodb:PutItem" not in replica_table["Action"], "the canary is written in the primary only"
    read = by_sid["CanaryReadThroughDynamoDBInReplicas"]
    assert read["Resource"] == [EU_KEY]
    assert read["Condition"]["StringEquals"]["kms:ViaService"] == ["dynamodb.eu-west-1.amazonaws.com"]
    single = verifier_policy(table_arn=WANT.table_arn, key_arn=PRIMARY_KEY, region="us-east-1", account_id=ACCOUNT)
    assert {s["Sid"] for s in single["Statement"]} == {
        "TableChecksAndCanary",
        "KeyChecks",
        "CanaryThroughDynamoDB",
        "StreamPolicies",  # the audit reads a stream's own policy whenever the table has a stream
        "ReadPrincipalsAndPolicies",
    }
