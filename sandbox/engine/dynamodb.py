"""The DynamoDB table, and its replicas in other regions (a global table, version 2019.11.21).

A replica is made as the provider makes one (table.go createReplicas, updateReplica,
deleteReplicas, updateReplicaTags): UpdateTable ReplicaUpdates in the table's region, then
point-in-time recovery, deletion protection and, with propagateTags, the table's tags set in
the replica's region.

A table's (or a stream's) resource policy is a resource of its own (resource_policy.go): Put on
create and on update, Delete on delete, its id the resource's ARN. So is a replica added to an
existing table after it (table_replica.go, TableReplicaHandler).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from access import provider_types
from access.arns import table_arn, table_name_of
from sandbox.engine.errors import ProviderRefusalError
from sandbox.engine.model import (
    Cloud,
    Deployed,
    Handler,
    Inputs,
    Where,
    as_int,
    digest,
    physical_name,
    tag_change,
    tag_list,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import CreateReplicationGroupMemberActionTypeDef, SSESpecificationTypeDef

PROVISIONED = "PROVISIONED"
TABLE_NOT_FOUND = "ResourceNotFoundException"
INVENTED_STREAM_LABEL = "2026-01-01T00:00:00.000"


@dataclass(frozen=True)
class ReplicaFacts:
    region: str
    arn: str
    stream_arn: str = ""


@dataclass(frozen=True)
class TableFacts:
    name: str
    arn: str
    stream_arn: str = ""
    replicas: tuple[ReplicaFacts, ...] = ()  # in the order of the `replicas` input


def _replicas(inputs: Inputs) -> list[Mapping[str, Any]]:
    return list(inputs.get("replicas") or [])


class TableHandler(Handler[TableFacts]):
    typ = provider_types.DYNAMODB_TABLE
    not_modelled = MappingProxyType({"tableClass": "moto 5.2.5 has no table classes"})

    def invent(self, name: str, inputs: Inputs, where: Where) -> TableFacts:
        table = physical_name(name, inputs, where)

        def stream_of(arn: str) -> str:
            # A stream's label is its creation time (DescribeStream StreamLabel); a fixed one, invented.
            return f"{arn}/stream/{INVENTED_STREAM_LABEL}" if inputs.get("streamEnabled") else ""

        replicas = tuple(
            ReplicaFacts(r["regionName"], arn, stream_of(arn))
            for r in _replicas(inputs)
            for arn in [table_arn(where.partition, r["regionName"], where.account_id, table)]
        )
        arn = table_arn(where.partition, where.region, where.account_id, table)
        return TableFacts(table, arn, stream_of(arn), replicas)

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> TableFacts:
        table = physical_name(name, inputs, cloud)
        schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
        if inputs.get("rangeKey"):
            schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
        billing = inputs.get("billingMode", PROVISIONED)
        args: dict[str, Any] = {
            "TableName": table,
            "KeySchema": schema,
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
            ],
            "BillingMode": billing,
            "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled", False)),
        }
        if billing == PROVISIONED:
            args["ProvisionedThroughput"] = self._throughput(inputs)
        if (inputs.get("serverSideEncryption") or {}).get("enabled"):
            args["SSESpecification"] = self._encryption(inputs)
        if inputs.get("streamEnabled"):
            args["StreamSpecification"] = self._streams(inputs)
        if inputs.get("globalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [self._index(i, billing) for i in inputs["globalSecondaryIndexes"]]
        if inputs.get("tags"):
            args["Tags"] = tag_list(inputs)
        described = cloud.dynamodb.create_table(**args)["TableDescription"]
        self._backups(table, inputs, cloud)
        self._ttl(table, inputs, cloud)
        replicas = tuple(self._create_replica(table, replica, inputs, cloud) for replica in _replicas(inputs))
        return TableFacts(table, described["TableArn"], described.get("LatestStreamArn", ""), replicas)

    @staticmethod
    def _create_replica(table: str, replica: Mapping[str, Any], inputs: Inputs, cloud: Cloud) -> ReplicaFacts:
        """createReplicas: the replica made from the table's region with that region's key, then its
        point-in-time recovery and deletion protection set there; with propagateTags, the table's tags."""
        region = str(replica["regionName"])
        create: CreateReplicationGroupMemberActionTypeDef = {"RegionName": region}
        if replica.get("kmsKeyArn"):
            create["KMSMasterKeyId"] = replica["kmsKeyArn"]
        cloud.dynamodb.update_table(TableName=table, ReplicaUpdates=[{"Create": create}])
        there = cloud.in_region(region)
        there.dynamodb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": bool(replica.get("pointInTimeRecovery"))},
        )
        there.dynamodb.update_table(
            TableName=table, DeletionProtectionEnabled=bool(replica.get("deletionProtectionEnabled"))
        )
        described = there.dynamodb.describe_table(TableName=table)["Table"]
        if replica.get("propagateTags") and inputs.get("tags"):
            there.dynamodb.tag_resource(ResourceArn=described["TableArn"], Tags=tag_change({}, inputs).tags())
        return ReplicaFacts(region, described["TableArn"], described.get("LatestStreamArn", ""))

    @staticmethod
    def _delete_replica(table: str, region: str, cloud: Cloud) -> None:
        cloud.dynamodb.update_table(TableName=table, ReplicaUpdates=[{"Delete": {"RegionName": region}}])

    def _update_replicas(self, old: Deployed, inputs: Inputs, facts: TableFacts, cloud: Cloud) -> TableFacts:
        """updateReplica: a region gone is deleted, a new one created; for one in both, a new kmsKeyArn
        recreates the replica (PR 29102), else a new pointInTimeRecovery is set, else a new
        deletionProtectionEnabled (the provider makes one of those changes per replica and deploy),
        else (propagateTags) nothing is called. Deletions first, then creations."""
        before = {str(r["regionName"]): r for r in _replicas(old.inputs)}
        after = {str(r["regionName"]): r for r in _replicas(inputs)}
        kept = {f.region: f for f in facts.replicas}
        removed = [region for region in before if region not in after]
        added = [region for region in after if region not in before]
        for region in (r for r in before if r in after and before[r] != after[r]):
            was, now = before[region], after[region]
            there = cloud.in_region(region)
            if was.get("kmsKeyArn") != now.get("kmsKeyArn"):
                removed.append(region)
                added.append(region)
            elif bool(was.get("pointInTimeRecovery")) != bool(now.get("pointInTimeRecovery")):
                there.dynamodb.update_continuous_backups(
                    TableName=old.id,
                    PointInTimeRecoverySpecification={
                        "PointInTimeRecoveryEnabled": bool(now.get("pointInTimeRecovery"))
                    },
                )
            elif bool(was.get("deletionProtectionEnabled")) != bool(now.get("deletionProtectionEnabled")):
                there.dynamodb.update_table(
                    TableName=old.id, DeletionProtectionEnabled=bool(now.get("deletionProtectionEnabled"))
                )
        for region in removed:
            self._delete_replica(old.id, region, cloud)
            kept.pop(region, None)
        for region in added:
            kept[region] = self._create_replica(old.id, after[region], inputs, cloud)
        return replace(facts, replicas=tuple(kept[region] for region in after if region in kept))

    @staticmethod
    def _retag_replicas(old: Deployed, inputs: Inputs, facts: TableFacts, cloud: Cloud) -> None:
        """updateReplicaTags: the table's new tags on each replica that propagates them, in its region."""
        tags = tag_change(old.inputs, inputs)
        arns = {f.region: f.arn for f in facts.replicas}
        for replica in _replicas(inputs):
            region = str(replica["regionName"])
            if not replica.get("propagateTags") or region not in arns:
                continue
            there = cloud.in_region(region)
            tags.apply(there.dynamodb.untag_resource, there.dynamodb.tag_resource, ResourceArn=arns[region])

    @staticmethod
    def _throughput(inputs: Inputs) -> dict[str, int]:
        return {
            "ReadCapacityUnits": as_int(inputs.get("readCapacity") or 0),
            "WriteCapacityUnits": as_int(inputs.get("writeCapacity") or 0),
        }

    @staticmethod
    def _streams(inputs: Inputs) -> dict[str, Any]:
        if not inputs.get("streamEnabled"):
            return {"StreamEnabled": False}
        return {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}

    def _index(self, index: Inputs, billing: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "IndexName": index["name"],
            "KeySchema": [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]],
            "Projection": {"ProjectionType": index.get("projectionType", "ALL")},
        }
        if index.get("nonKeyAttributes"):
            spec["Projection"]["NonKeyAttributes"] = list(index["nonKeyAttributes"])
        if billing == PROVISIONED:
            spec["ProvisionedThroughput"] = self._throughput(index)
        return spec

    @staticmethod
    def _backups(table: str, inputs: Inputs, cloud: Cloud) -> None:
        enabled = bool((inputs.get("pointInTimeRecovery") or {}).get("enabled"))
        cloud.dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled}
        )

    @staticmethod
    def _ttl(table: str, inputs: Inputs, cloud: Cloud) -> None:
        ttl = inputs.get("ttl") or {}
        if ttl.get("attributeName"):
            cloud.dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"AttributeName": ttl["attributeName"], "Enabled": bool(ttl.get("enabled"))},
            )

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> TableFacts:
        """As the provider's Update: one UpdateTable for the table's own settings, one per index change,
        then encryption, backups, TTL and tags, each by its own call."""
        args: dict[str, Any] = {}
        billing = inputs.get("billingMode", PROVISIONED)
        if "deletionProtectionEnabled" in changed:
            args["DeletionProtectionEnabled"] = bool(inputs.get("deletionProtectionEnabled"))
        if {"billingMode", "readCapacity", "writeCapacity"} & changed:
            args["BillingMode"] = billing
            if billing == PROVISIONED:
                args["ProvisionedThroughput"] = self._throughput(inputs)
        if {"streamEnabled", "streamViewType"} & changed:
            args["StreamSpecification"] = self._streams(inputs)
        facts: TableFacts = old.facts
        if args:
            described = cloud.dynamodb.update_table(TableName=old.id, **args)["TableDescription"]
            if "StreamSpecification" in args:
                facts = replace(facts, stream_arn=described.get("LatestStreamArn", ""))
        if "globalSecondaryIndexes" in changed:
            for index_update in self._index_updates(old.inputs, inputs, billing):
                self._update_index(old.id, index_update, inputs, cloud)
        if "serverSideEncryption" in changed:
            cloud.dynamodb.update_table(TableName=old.id, SSESpecification=self._encryption(inputs))
        if "pointInTimeRecovery" in changed:
            self._backups(old.id, inputs, cloud)
        if "ttl" in changed:
            self._ttl(old.id, inputs, cloud)
        if "replicas" in changed:
            facts = self._update_replicas(old, inputs, facts, cloud)
        if "tags" in changed:
            tag_change(old.inputs, inputs).apply(
                cloud.dynamodb.untag_resource, cloud.dynamodb.tag_resource, ResourceArn=facts.arn
            )
            self._retag_replicas(old, inputs, facts, cloud)
        return facts

    @staticmethod
    def _encryption(inputs: Inputs) -> SSESpecificationTypeDef:
        """SSESpecification: the customer-managed key if one is given, else the AWS managed key;
        disabled means the AWS owned key."""
        sse = inputs.get("serverSideEncryption") or {}
        if not sse.get("enabled"):
            return {"Enabled": False}
        spec: SSESpecificationTypeDef = {"Enabled": True, "SSEType": "KMS"}
        if sse.get("kmsKeyArn"):
            spec["KMSMasterKeyId"] = sse["kmsKeyArn"]
        return spec

    def _index_updates(self, old: Inputs, new: Inputs, billing: str) -> list[dict[str, Any]]:
        """GlobalSecondaryIndexUpdates as the provider computes them (updateDiffGSI): new indexes created,
        gone ones deleted, one whose keys or projection changed deleted and created again, a
        provisioned index whose capacity alone changed updated."""
        before = {index["name"]: index for index in old.get("globalSecondaryIndexes") or []}
        after = {index["name"]: index for index in new.get("globalSecondaryIndexes") or []}
        updates: list[dict[str, Any]] = [
            {"Create": self._index(index, billing)} for name, index in after.items() if name not in before
        ]
        for name, was in before.items():
            now = after.get(name)
            if now is None:
                updates.append({"Delete": {"IndexName": name}})
            elif _index_shape(was) != _index_shape(now):
                updates += [{"Delete": {"IndexName": name}}, {"Create": self._index(now, billing)}]
            elif billing == PROVISIONED and self._throughput(was) != self._throughput(now):
                updates.append({"Update": {"IndexName": name, "ProvisionedThroughput": self._throughput(now)}})
        return updates

    @staticmethod
    def _update_index(table: str, index_update: dict[str, Any], inputs: Inputs, cloud: Cloud) -> None:
        """One index change, one UpdateTable (DynamoDB creates or deletes one index per call).

        A new index brings the definitions of its key attributes; those the table has keep
        their deployed type (the provider never changes an attribute's type).
        """
        args: dict[str, Any] = {"TableName": table, "GlobalSecondaryIndexUpdates": [index_update]}
        if "Create" in index_update:
            defined = cloud.dynamodb.describe_table(TableName=table)["Table"]["AttributeDefinitions"]
            known = {a["AttributeName"] for a in defined}
            keys = {k["AttributeName"] for k in index_update["Create"]["KeySchema"]}
            added = [
                {"AttributeName": a["name"], "AttributeType": a["type"]}
                for a in inputs.get("attributes") or []
                if a["name"] in keys and a["name"] not in known
            ]
            args["AttributeDefinitions"] = [*defined, *added]
        cloud.dynamodb.update_table(**args)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        # As the provider: the replicas first, then the table. Deletion protection stops either.
        for replica in _replicas(old.inputs):
            self._delete_replica(old.id, str(replica["regionName"]), cloud)
        cloud.dynamodb.delete_table(TableName=old.id)

    def state(self, facts: TableFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        computed: dict[str, Any] = {"name": facts.name, "arn": facts.arn}
        if facts.stream_arn:
            computed["streamArn"] = facts.stream_arn
        if facts.replicas:
            # Each replica as the provider reads it back: its ARN and stream in its region.
            made = {f.region: f for f in facts.replicas}
            computed["replicas"] = [
                {**r, "arn": made[r["regionName"]].arn}
                | ({"streamArn": made[r["regionName"]].stream_arn} if made[r["regionName"]].stream_arn else {})
                for r in _replicas(inputs)
                if r["regionName"] in made
            ]
        return facts.name, computed


def _index_shape(index: Mapping[str, Any]) -> tuple[list[tuple[str, str]], str, list[str]]:
    """What recreates an index when it changes: its keys and projection (not its capacity)."""
    return (
        [(k["attributeName"], k["keyType"]) for k in index.get("keySchemas") or []],
        index.get("projectionType", "ALL"),
        sorted(index.get("nonKeyAttributes") or []),
    )


@dataclass(frozen=True)
class ResourcePolicyFacts:
    resource_arn: str
    revision_id: str


class ResourcePolicyHandler(Handler[ResourcePolicyFacts]):
    """A table's or a stream's resource policy, as terraform-provider-aws internal/service/dynamodb/
    resource_policy.go makes it (@ 00e6a0d42fadee5e51fb6c47ff31dd7045b4a06f): PutResourcePolicy on create
    and update (policy, confirmRemoveSelfResourceAccess), DeleteResourcePolicy on delete (a policy or
    resource already gone is no error), the id is the resource's ARN, revisionId computed."""

    typ = provider_types.DYNAMODB_RESOURCE_POLICY
    fixed_name_input = ""  # no name of its own: a replacement is on another resource's ARN

    def invent(self, name: str, inputs: Inputs, where: Where) -> ResourcePolicyFacts:
        arn = str(inputs["resourceArn"])
        return ResourcePolicyFacts(arn, digest(arn, str(inputs.get("policy", "")), length=13))

    def _put(self, inputs: Inputs, cloud: Cloud) -> ResourcePolicyFacts:
        arn = str(inputs["resourceArn"])
        answer = cloud.dynamodb.put_resource_policy(
            ResourceArn=arn,
            Policy=str(inputs["policy"]),
            ConfirmRemoveSelfResourceAccess=bool(inputs.get("confirmRemoveSelfResourceAccess", False)),
        )
        return ResourcePolicyFacts(arn, str(answer.get("RevisionId", "")))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> ResourcePolicyFacts:
        return self._put(inputs, cloud)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> ResourcePolicyFacts:
        return self._put(inputs, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        errors = cloud.dynamodb.exceptions
        with contextlib.suppress(errors.PolicyNotFoundException, errors.ResourceNotFoundException):
            cloud.dynamodb.delete_resource_policy(ResourceArn=old.id)

    def state(self, facts: ResourcePolicyFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.resource_arn, {
            "revisionId": facts.revision_id,
            "confirmRemoveSelfResourceAccess": bool(inputs.get("confirmRemoveSelfResourceAccess", False)),
        }


@dataclass(frozen=True)
class TableReplicaFacts:
    table: str
    main_region: str  # the region of the table it replicates (of globalTableArn)
    arn: str  # the replica's own table ARN, in its region
    kms_key_arn: str = ""


def _table_and_region(global_table_arn: str) -> tuple[str, str]:
    """The table's name and region, from its ARN (table_replica.go tableNameFromARN, regionFromARN)."""
    parts = global_table_arn.split(":")
    if len(parts) < 6 or not parts[3]:
        raise ProviderRefusalError(f"globalTableArn {global_table_arn!r} is not a table ARN")
    return table_name_of(global_table_arn), parts[3]


class TableReplicaHandler(Handler[TableReplicaFacts]):
    """A replica added to an existing table, in the resource's region, as terraform-provider-aws
    internal/service/dynamodb/table_replica.go (@ 93bd0baa44a9822dae00fafd00312cd6b6c8ccd3) makes it:
    UpdateTable ReplicaUpdates Create (its region, its kmsKeyArn, its table class) called in the main
    table's region, then in the replica's region point-in-time recovery, deletion protection and tags
    when given; Delete: UpdateTable ReplicaUpdates Delete in the main table's region. Its id is
    `<table>:<main region>`. A replica in the main table's own region is refused before any call.

    DynamoDB's own refusals (a PROVISIONED table whose write capacity is not auto scaled, a key of
    another region) come back as the create's error (engine.errors.ResourceOperationError).
    """

    typ = provider_types.DYNAMODB_TABLE_REPLICA
    # A replica's place (its table, its region) is taken until the old one goes, as a fixed name is.
    fixed_name_input = "globalTableArn"

    def invent(self, name: str, inputs: Inputs, where: Where) -> TableReplicaFacts:
        table, main = _table_and_region(str(inputs["globalTableArn"]))
        arn = table_arn(where.partition, where.region, where.account_id, table)
        return TableReplicaFacts(table, main, arn, str(inputs.get("kmsKeyArn") or ""))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> TableReplicaFacts:
        table, main = _table_and_region(str(inputs["globalTableArn"]))
        if main == cloud.region:
            raise ProviderRefusalError(
                f"replica cannot be in same region as main table ({main}): give the TableReplica another region"
            )
        create: CreateReplicationGroupMemberActionTypeDef = {"RegionName": cloud.region}
        if inputs.get("kmsKeyArn"):
            create["KMSMasterKeyId"] = str(inputs["kmsKeyArn"])
        if inputs.get("tableClassOverride"):
            create["TableClassOverride"] = inputs["tableClassOverride"]
        cloud.in_region(main).dynamodb.update_table(TableName=table, ReplicaUpdates=[{"Create": create}])
        described = cloud.dynamodb.describe_table(TableName=table)["Table"]
        facts = TableReplicaFacts(
            table, main, described["TableArn"], str((described.get("SSEDescription") or {}).get("KMSMasterKeyArn", ""))
        )
        # resourceTableReplicaCreate ends with resourceTableReplicaUpdate: what differs from the defaults.
        if inputs.get("pointInTimeRecovery"):
            self._backups(table, inputs, cloud)
        if inputs.get("deletionProtectionEnabled"):
            cloud.dynamodb.update_table(TableName=table, DeletionProtectionEnabled=True)
        if inputs.get("tags"):
            cloud.dynamodb.tag_resource(ResourceArn=facts.arn, Tags=tag_change({}, inputs).tags())
        return facts

    @staticmethod
    def _backups(table: str, inputs: Inputs, cloud: Cloud) -> None:
        cloud.dynamodb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": bool(inputs.get("pointInTimeRecovery"))},
        )

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> TableReplicaFacts:
        facts: TableReplicaFacts = old.facts
        if "pointInTimeRecovery" in changed:
            self._backups(facts.table, inputs, cloud)
        if "deletionProtectionEnabled" in changed:
            cloud.dynamodb.update_table(
                TableName=facts.table, DeletionProtectionEnabled=bool(inputs.get("deletionProtectionEnabled"))
            )
        if "tags" in changed:
            tag_change(old.inputs, inputs).apply(
                cloud.dynamodb.untag_resource, cloud.dynamodb.tag_resource, ResourceArn=facts.arn
            )
        return facts

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        facts: TableReplicaFacts = old.facts
        main = cloud.in_region(facts.main_region).dynamodb
        try:
            main.update_table(TableName=facts.table, ReplicaUpdates=[{"Delete": {"RegionName": cloud.region}}])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != TABLE_NOT_FOUND:
                raise

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """resourceTableReplicaRead: gone when the main table is, or lists no replica in this region; then
        the replica's key, point-in-time recovery, deletion protection and tags read in its region."""
        facts: TableReplicaFacts = old.facts
        main = cloud.in_region(facts.main_region).dynamodb
        try:
            table = main.describe_table(TableName=facts.table)["Table"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == TABLE_NOT_FOUND:
                return None
            raise
        replica = next((r for r in table.get("Replicas") or [] if r.get("RegionName") == cloud.region), None)
        if replica is None:
            return None
        inputs = dict(old.inputs)
        if inputs.get("kmsKeyArn") and replica.get("KMSMasterKeyId"):
            inputs["kmsKeyArn"] = replica["KMSMasterKeyId"]
        backups = cloud.dynamodb.describe_continuous_backups(TableName=facts.table)["ContinuousBackupsDescription"]
        recovery = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus") == "ENABLED"
        if recovery or "pointInTimeRecovery" in inputs:
            inputs["pointInTimeRecovery"] = recovery
        protected = bool(cloud.dynamodb.describe_table(TableName=facts.table)["Table"].get("DeletionProtectionEnabled"))
        if protected or "deletionProtectionEnabled" in inputs:
            inputs["deletionProtectionEnabled"] = protected
        listed = cloud.dynamodb.list_tags_of_resource(ResourceArn=facts.arn).get("Tags") or []
        if listed or "tags" in inputs:
            inputs["tags"] = {t["Key"]: t["Value"] for t in listed}
        return inputs

    def state(self, facts: TableReplicaFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return f"{facts.table}:{facts.main_region}", {
            "arn": facts.arn,
            "kmsKeyArn": inputs.get("kmsKeyArn") or facts.kms_key_arn or None,
        }
