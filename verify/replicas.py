"""Global tables (version 2019.11.21): every replica checked in its own region, as the primary is.

A replica is a table in another region encrypted with THAT region's customer-managed key.
Each region gets the primary's checks through the same functions (collect.py, judge.py, the
canary read, the boundary probe, the audit), named `replica[<region>].<check>`; what only a
replica has is here:

- the primary's DescribeTable `Replicas` lists the region ACTIVE, with that region's key, and
  lists no region the outputs do not declare;
- the replica is encrypted with its own region's CMK: not the primary's, not the AWS managed
  `alias/aws/dynamodb` key (aliases resolved by KMS in the replica's region);
- the canary written in the primary arrives (a bounded wait with the probe's backoff);
- an inaccessible replica key is urgent: DynamoDB removes the replica from the replication group
  after about 20 hours (see INACCESSIBLE_ADVICE).

Split as the rest of verify/: replica_collect.collect_region reads one region (boto3);
replica_wait.wait_for_canary waits for the canary there (verify.wait.poll); the judges here
(judge_region, judge_replication_group, replication_finding) are pure: records -> findings.
"""

from __future__ import annotations

import dataclasses

from access.kms_dynamodb import (
    AWS_MANAGED_KEY_ALIAS,
    GLOBAL_TABLE_VERSION,
    INACCESSIBLE_STATUS,
    PENDING_DELETION_KEY_STATE,
    UNUSABLE_KEY_STATES,
)
from verify.collect import TableRecord
from verify.findings import Finding, Status, expect
from verify.inputs import Replica, StackOutputs
from verify.judge import UP, deletion_deadline, judge_key, judge_key_policy, judge_table, key_fix
from verify.replica_collect import RegionRecords
from verify.replica_wait import Arrival

ACTIVE = "ACTIVE"

# The ~20 hours: DynamoDB API reference, ReplicaDescription, ReplicaStatus
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicaDescription.html):
# "INACCESSIBLE_ENCRYPTION_CREDENTIALS - The KMS key used to encrypt the table is inaccessible. If the
# KMS key remains inaccessible for more than 20 hours, DynamoDB will remove this replica from the
# replication group. The replica will not be deleted and replication will stop from and to this region."
INACCESSIBLE_ADVICE = (
    "{fix} within about 20 hours of {since}: after that DynamoDB removes the {region} replica from the "
    "replication group; the table is kept, but replication to and from {region} stops and the replica must be "
    "added again"
)


def check_name(region: str, check: str) -> str:
    return f"replica[{region}].{check}"


def region_view(want: StackOutputs, replica: Replica) -> StackOutputs:
    """The outputs as the region's own: its table ARN, key and alias, for the judges the primary uses.
    Point-in-time recovery and deletion protection are per replica and not in the outputs: not compared."""
    return dataclasses.replace(
        want,
        region=replica.region,
        table_arn=replica.replica_arn,
        key_id=replica.key_id,
        key_arn=replica.key_arn,
        key_alias=replica.key_alias,
        point_in_time_recovery=None,
        deletion_protection=None,
        replicas=(),
    )


# judge_table's names, as a replica's: `table.` is implied by `replica[<region>]` (verify.rules maps them back
# to the primary's rules).
REPLICA_TABLE_CHECKS = {
    "table.exists": "exists",
    "table.active": "active",
    "table.encryption": "encryption",
    "table.key": "sse_key",
    "table.key_accessible": "key_accessible",
}


def _in_region(region: str, finding: Finding, advice: str | None = None) -> Finding:
    name = REPLICA_TABLE_CHECKS.get(finding.check, finding.check)
    keep = finding.advice if advice is None or finding.status is Status.PASS else advice
    return dataclasses.replace(finding, check=check_name(region, name), advice=keep)


def inaccessible_advice(replica: Replica, key_state: str, since: str = "", deletion_date: str = "") -> str:
    """What to do about an inaccessible replica key, before DynamoDB drops the replica (~20 hours): the
    commands are judge.key_fix's, as for the primary's key."""
    fix = key_fix(replica.region, replica.key_arn, key_state)
    if key_state == PENDING_DELETION_KEY_STATE:
        fix = f"cancel the deletion of the key in {replica.region} and enable it ({fix})"
    elif fix:
        fix = f"enable the key in {replica.region} ({fix})"
    else:
        fix = (
            f"make the key in {replica.region} usable by DynamoDB again (enabled, its key policy still "
            "letting DynamoDB use it, DynamoDB's grants not revoked)"
        )
    when = since or "the moment DynamoDB found the key inaccessible (ReplicaInaccessibleDateTime)"
    advice = INACCESSIBLE_ADVICE.format(fix=fix, since=when, region=replica.region)
    if key_state == PENDING_DELETION_KEY_STATE:
        advice += f"; {deletion_deadline(deletion_date)}"
    return advice


def _inaccessible_since(records: RegionRecords) -> str:
    listed = records.listed.inaccessible_since if records.listed is not None else ""
    return listed or records.table.inaccessible_since


def _see_key_accessible(replica: Replica) -> str:
    return (
        f"the {replica.region} replica's key is not usable: see {check_name(replica.region, 'key_accessible')} "
        "(about 20 hours before DynamoDB removes the replica from the replication group)"
    )


def _key_accessible(records: RegionRecords) -> Finding:
    replica, key, listed = records.replica, records.key, records.listed
    seen: list[str] = []
    if not key.exists:
        seen.append(f"key {replica.key_arn} not found")
    elif key.state in UNUSABLE_KEY_STATES:
        seen.append(f"KeyState={key.state}")
    if records.table.inaccessible_since:
        seen.append(f"InaccessibleEncryptionDateTime={records.table.inaccessible_since}")
    if listed is not None and listed.status == INACCESSIBLE_STATUS:
        since = f" since {listed.inaccessible_since}" if listed.inaccessible_since else ""
        seen.append(f"ReplicaStatus={listed.status}{since}")
    if key.exists:
        advice = inaccessible_advice(replica, key.state, _inaccessible_since(records), key.deletion_date)
    else:
        advice = (
            f"if the outputs name the wrong key, {UP}; a deleted key cannot come back: remove the {replica.region} "
            f"replica and add it again encrypted with a new key in {replica.region} (the other replicas hold the data)"
        )
    return expect(
        check_name(replica.region, "key_accessible"),
        not seen,
        f"the {replica.region} replica's key is inaccessible: {', '.join(seen)}" if seen else "key accessible",
        advice,
    )


def _describe_key(arn: str, records: RegionRecords, want: StackOutputs) -> str:
    if arn == want.key_arn:
        return " (the primary region's key)"
    if records.other_key_manager == "AWS" or arn.endswith(AWS_MANAGED_KEY_ALIAS):
        return (
            f" (an AWS managed key, {AWS_MANAGED_KEY_ALIAS}: every principal of the account with DynamoDB rights reads)"
        )
    if arn and f":kms:{records.replica.region}:" not in arn:
        return " (a key in another region)"
    return ""


def _sse_key(records: RegionRecords, want: StackOutputs) -> Finding:
    replica, actual = records.replica, records.table.kms_key_arn
    return expect(
        check_name(replica.region, "sse_key"),
        actual == replica.key_arn,
        f"KMSMasterKeyArn={actual or 'absent'}{_describe_key(actual, records, want)}, "
        f"expected {replica.region}'s key {replica.key_arn}",
        f"encrypt the {replica.region} replica with {replica.region}'s own customer-managed key "
        "(the replica's kms_key_arn); " + UP,
    )


def _listed(records: RegionRecords, want: StackOutputs) -> Finding:
    replica, listed = records.replica, records.listed
    name = check_name(replica.region, "listed")
    if listed is None:
        return Finding.failed(
            name,
            f"the table's Replicas in {want.region} list no replica in {replica.region}",
            f"the table in {replica.region} is not part of the global table: add the replica (replicaRegions) and "
            + UP,
        )
    if listed.status == INACCESSIBLE_STATUS:
        return Finding.failed(
            name,
            f"ReplicaStatus={listed.status} in the primary's Replicas",
            _see_key_accessible(replica),
        )
    if listed.status != ACTIVE:
        detail = f" ({listed.status_description})" if listed.status_description else ""
        return Finding.failed(
            name,
            f"ReplicaStatus={listed.status or 'absent'}{detail}",
            "wait for the replica to become ACTIVE; if it stays otherwise, see ReplicaStatusDescription",
        )
    return expect(
        name,
        listed.kms_key == replica.key_arn,
        f"ACTIVE in the primary's Replicas, KMSMasterKeyId={listed.kms_key or 'absent'}"
        + (
            ""
            if listed.kms_key == replica.key_arn
            else f"{_describe_key(listed.kms_key, records, want)}, expected {replica.key_arn}"
        ),
        f"the global table encrypts the {replica.region} replica with another key; " + UP,
    )


def judge_region(records: RegionRecords, want: StackOutputs) -> list[Finding]:
    """Every check of one replica region, by the primary's judges plus the replica's own."""
    replica = records.replica
    view = region_view(want, replica)
    found = [_listed(records, want)]
    if not records.table.exists:
        found.append(
            Finding.failed(
                check_name(replica.region, "exists"),
                f"table {want.table_name!r} not found in {replica.region}",
                "the replica is missing: add it (replicaRegions) and " + UP,
            )
        )
    else:
        found.append(
            Finding.passed(check_name(replica.region, "exists"), f"table {want.table_name!r} in {replica.region}")
        )
        for finding in judge_table(records.table, view):
            if finding.check == "table.key":
                found.append(_sse_key(records, want))
            elif finding.check != "table.key_accessible":
                found.append(_in_region(replica.region, finding))
    for finding in judge_key(records.key, records.alias, view):
        urgent = finding.check == "key.enabled"
        found.append(_in_region(replica.region, finding, _see_key_accessible(replica) if urgent else None))
    if records.key.exists and records.key.policy_text:
        found += [_in_region(replica.region, f) for f in judge_key_policy(records.key.policy_text, want.account_id)]
    found.append(_key_accessible(records))
    return found


def judge_replication_group(primary: TableRecord, want: StackOutputs) -> list[Finding]:
    """The global table as a whole, from the primary's DescribeTable: its version, and no replica the
    outputs do not declare (a region whose key and access nobody verifies)."""
    if not primary.exists or not (want.replicas or primary.replicas):
        return []
    found: list[Finding] = []
    if want.replicas:
        found.append(
            expect(
                "replicas.global_table_version",
                primary.global_table_version == GLOBAL_TABLE_VERSION,
                f"GlobalTableVersion={primary.global_table_version or 'absent'}",
                f"the stack's replicas are a version {GLOBAL_TABLE_VERSION} global table (replicas on the table "
                "itself); upgrade a 2017.11.29 global table, or " + UP,
            )
        )
    declared = {r.region for r in want.replicas}
    undeclared = sorted(r.region for r in primary.replicas if r.region not in declared)
    found.append(
        expect(
            "replicas.as_declared",
            not undeclared,
            f"the table also replicates to {', '.join(undeclared)}, which the outputs do not declare"
            if undeclared
            else f"replicas in {', '.join(sorted(declared))}, as declared",
            "the data is copied to a region whose key and access are not verified: declare the region "
            "(replicaRegions) and deploy, or remove the replica",
        )
    )
    return found


def replication_finding(replica: Replica, primary_region: str, arrival: Arrival) -> Finding:
    return expect(
        check_name(replica.region, "canary_replicated"),
        arrival.arrived,
        f"{arrival.detail} after {arrival.attempts} attempt(s), {arrival.waited:.0f}s",
        f"replication from {primary_region} to {replica.region} does not work: see the replica's ReplicaStatus, "
        f"its key, and the table's ReplicationLatency / PendingReplicationCount metrics in {primary_region} "
        f"(ReceivingRegion {replica.region})",
    )
