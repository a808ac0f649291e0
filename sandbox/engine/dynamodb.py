"""The DynamoDB table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from access import provider_types
from access.arns import table_arn
from sandbox.engine.model import Cloud, Deployed, Handler, Inputs, Where, as_int, physical_name, tag_list

PROVISIONED = "PROVISIONED"


@dataclass(frozen=True)
class TableFacts:
    name: str
    arn: str
    stream_arn: str = ""


class TableHandler(Handler[TableFacts]):
    typ = provider_types.DYNAMODB_TABLE
    # The sandbox replaces the table on an index change, where AWS would update it in place.
    replace_on = frozenset(
        {"name", "hashKey", "rangeKey", "attributes", "globalSecondaryIndexes", "localSecondaryIndexes"}
    )
    # Not serverSideEncryption: moto's UpdateTable ignores SSESpecification, so a new
    # key on an existing table would be recorded but not applied. Nor tags.
    updates = frozenset(
        {
            "deletionProtectionEnabled",
            "billingMode",
            "readCapacity",
            "writeCapacity",
            "streamEnabled",
            "streamViewType",
            "pointInTimeRecovery",
            "ttl",
        }
    )

    def invent(self, name: str, inputs: Inputs, where: Where) -> TableFacts:
        table = physical_name(name, inputs, where)
        return TableFacts(table, table_arn(where.partition, where.region, where.account_id, table))

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
        sse = inputs.get("serverSideEncryption") or {}
        if sse.get("enabled"):
            args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
            if sse.get("kmsKeyArn"):
                args["SSESpecification"]["KMSMasterKeyId"] = sse["kmsKeyArn"]
        if inputs.get("streamEnabled"):
            args["StreamSpecification"] = self._streams(inputs)
        if inputs.get("globalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [self._index(i, billing) for i in inputs["globalSecondaryIndexes"]]
        if inputs.get("tags"):
            args["Tags"] = tag_list(inputs)
        described = cloud.dynamodb.create_table(**args)["TableDescription"]
        self._backups(table, inputs, cloud)
        self._ttl(table, inputs, cloud)
        return TableFacts(table, described["TableArn"], described.get("LatestStreamArn", ""))

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
        args: dict[str, Any] = {}
        if "deletionProtectionEnabled" in changed:
            args["DeletionProtectionEnabled"] = bool(inputs.get("deletionProtectionEnabled"))
        if {"billingMode", "readCapacity", "writeCapacity"} & changed:
            args["BillingMode"] = inputs.get("billingMode", PROVISIONED)
            if args["BillingMode"] == PROVISIONED:
                args["ProvisionedThroughput"] = self._throughput(inputs)
        if {"streamEnabled", "streamViewType"} & changed:
            args["StreamSpecification"] = self._streams(inputs)
        facts: TableFacts = old.facts
        if args:
            described = cloud.dynamodb.update_table(TableName=old.id, **args)["TableDescription"]
            if "StreamSpecification" in args:
                facts = replace(facts, stream_arn=described.get("LatestStreamArn", ""))
        if "pointInTimeRecovery" in changed:
            self._backups(old.id, inputs, cloud)
        if "ttl" in changed:
            self._ttl(old.id, inputs, cloud)
        return facts

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        # Deletion protection stops this, as it stops the provider.
        cloud.dynamodb.delete_table(TableName=old.id)

    def state(self, facts: TableFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        computed = {"name": facts.name, "arn": facts.arn}
        if facts.stream_arn:
            computed["streamArn"] = facts.stream_arn
        return facts.name, computed
