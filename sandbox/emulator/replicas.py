"""Global tables (version 2019.11.21) and multi-Region KMS keys in the emulator, which moto 5.2.5 lacks.

moto serves every region (it picks the backend from the credential scope), but knows nothing
of replicas: UpdateTable ignores ReplicaUpdates, DescribeTable shows no `Replicas`, a write
stays in its region; and its ReplicateKey makes a shallow copy of the primary key, so that the
replica shares the primary's grants, aliases and multi-Region configuration and ignores the
policy, description and tags it is given. `Replication` is a WSGI layer around moto's app,
inside the KMS enforcement (so it sees only requests already authenticated, classified and
authorized, each decided on the state of its own region), that adds them:

- UpdateTable `ReplicaUpdates`: Create is refused, as DynamoDB refuses it, for a PROVISIONED table whose
  write capacity (or a global secondary index's) Application Auto Scaling does not scale in the table's
  region (a scalable target and a target-tracking policy: "Table write capacity should either be
  Pay-Per-Request or AutoScaled.", "GSI write capacity ..."; access.kms_dynamodb cites the requirement);
  otherwise Create makes the table in that region (same name, key schema,
  attributes, billing, indexes, stream and TTL), encrypted with the KMSMasterKeyId given (a key of
  THAT region, resolved to its ARN; required when the table uses a customer-managed key), and
  copies the items; Delete deletes it; Update is refused (not modelled). A DeleteTable in one
  region removes that replica only;
- after a successful write (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems,
  and PartiQL other than SELECT), the state of each written item is copied to the table in the
  other regions of its global table, synchronously, before the writer gets its answer (PartiQL:
  each global table of the region is copied whole). Every region accepts writes; the last copy
  wins (AWS: the last writer, by timestamp);
- DescribeTable (and the UpdateTable answer) show `GlobalTableVersion` and `Replicas`: every
  OTHER region of the global table, as AWS lists them, with its `KMSMasterKeyId` (that region's
  key ARN) and `ReplicaStatus` ACTIVE, or INACCESSIBLE_ENCRYPTION_CREDENTIALS (with
  `ReplicaInaccessibleDateTime`) while that region's key is not usable as the Authority of that
  region sees it (propagation delay included);
- ReplicateKey: the replica gets its own grants, aliases, state and MultiRegionConfiguration
  (type REPLICA), and the policy (AWS's default policy if none), description and tags of the request.

`check_region` is the other half: a request is decided, and served, in the region of its credential
scope, one of the regions of the emulator's partition; a Host header or User-Agent that would make
moto serve another region is refused.

One of the modules that touch moto (5.2.x, pinned); server.py installs the layer.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.kms.models import kms_backends

from access.arns import table_name_of
from access.kms_dynamodb import (
    AWS_MANAGED_KEY_ALIAS,
    GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR,
    GLOBAL_TABLE_VERSION,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    INACCESSIBLE_STATUS,
    KEY_SPEC,
    SCALABLE_DIMENSIONS,
    USABLE_KEY_STATE,
    autoscaling_resource_id,
)
from access.operations import ITEM_WRITE_OPERATIONS, PARTIQL_OPERATIONS
from sandbox.emulator.account import MOTO_ACCOUNT_HEADER
from sandbox.emulator.answers import Answer, call, send
from sandbox.emulator.decisions import Authority
from sandbox.emulator.errors import (
    DYNAMODB_ERROR_PREFIX,
    AwsError,
    InvalidSignatureError,
    ValidationError,
    write_error,
)
from sandbox.emulator.signatures import header, read_authorization
from sandbox.emulator.state import auto_scaled

ACTIVE = "ACTIVE"
DYNAMODB_TARGET = "DynamoDB_20120810"
KMS_TARGET = "TrentService"
PROVISIONED = "PROVISIONED"
# The writes replicated before the writer's answer, and the PartiQL calls: the catalogue's.
WRITES = ITEM_WRITE_OPERATIONS
PARTIQL = PARTIQL_OPERATIONS
REPLICA_NOT_FOUND = "Replica specified in the Replica Update or Replica Delete action of the request was not found."
# moto picks a request's region from these before the credential scope (BaseResponse.get_region_from_url).
_HOST_REGION = re.compile(r"\.(?P<region>[^.]+)\.amazonaws\.com")
_AGENT_REGION = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AlreadyExistsError(AwsError):
    code = "AlreadyExistsException"


class UnsupportedOperationError(AwsError):
    code = "UnsupportedOperationException"


# -- regions -----------------------------------------------------------------------------------------


@functools.cache
def regions_served(home: str) -> frozenset[str]:
    """The emulator's regions: every region of its own region's partition with DynamoDB and KMS (botocore's list)."""
    session = botocore.session.get_session()
    partition = session.get_partition_for_region(home)
    regions = set(session.get_available_regions("dynamodb", partition)) & set(
        session.get_available_regions("kms", partition)
    )
    return frozenset(regions | {home})


def check_region(environ: Mapping[str, Any], signed_region: str, home: str) -> None:
    """Refuse a request whose credential scope is not a region the emulator serves, or which would make moto
    serve another region than its scope (moto reads a region from the Host header and the User-Agent first)."""
    refused = InvalidSignatureError(f"Credential should be scoped to a valid region, not {signed_region!r}")
    if signed_region not in regions_served(home):
        raise refused
    for found in (
        _HOST_REGION.search(header(environ, "host") or ""),
        _AGENT_REGION.search(header(environ, "user-agent") or ""),
    ):
        if found is not None and found["region"] != signed_region:
            raise refused


# -- the layer ---------------------------------------------------------------------------------------


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


@dataclass
class Replication:
    """WSGI app: moto's, with global tables and multi-Region key replicas (see the module)."""

    app: WsgiApp
    authority: Authority
    # Each global table's regions, by table name (the emulator is one account).
    groups: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def account_id(self) -> str:
        return self.authority.account_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        prefix, _, operation = (header(environ, "x-amz-target") or "").partition(".")
        signed = read_authorization(environ) if prefix in (DYNAMODB_TARGET, KMS_TARGET) else None
        # Global tables and key replicas are the deployer's account's: a request the enforcement serves in
        # another account (its x-moto-account-id, which only the enforcement sets) is moto's alone.
        served_elsewhere = header(environ, MOTO_ACCOUNT_HEADER) not in (None, self.account_id)
        if signed is None or served_elsewhere:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params, region = _json(body), signed.region
        if prefix == KMS_TARGET:
            if operation == "ReplicateKey":
                return self._replicate_key(environ, start_response, params, region)
            return self.app(environ, start_response)
        if operation == "UpdateTable" and params.get("ReplicaUpdates"):
            return self._replica_updates(environ, start_response, params, region)
        if operation in ("DescribeTable", "DeleteTable") or operation in WRITES:
            answer = call(self.app, environ)
            if answer.ok:
                answer = self._after(operation, params, region, answer)
            return send(start_response, answer)
        return self.app(environ, start_response)

    # -- plumbing --------------------------------------------------------------------------------

    @staticmethod
    def _refuse(
        start_response: Callable[..., Any], error: AwsError, prefix: str = DYNAMODB_ERROR_PREFIX
    ) -> list[bytes]:
        return write_error(start_response, error, prefix=prefix)

    def _tables(self, region: str) -> dict[str, Table]:
        tables: dict[str, Table] = dynamodb_backends[self.account_id][region].tables
        return tables

    def _peers(self, name: str, region: str) -> list[str]:
        """The other regions of the table's global table, where the replica exists."""
        group = self.groups.get(name, set())
        if region not in group:
            return []
        return sorted(r for r in group - {region} if name in self._tables(r))

    def _leave(self, name: str, region: str) -> None:
        group = self.groups.get(name)
        if group is not None:
            group.discard(region)
            if len(group) < 2:
                del self.groups[name]

    # -- after moto answered ---------------------------------------------------------------------

    def _after(self, operation: str, params: Mapping[str, Any], region: str, answer: Answer) -> Answer:
        name = table_name_of(str(params.get("TableName", "")))
        if operation == "DescribeTable":
            with self.lock:
                if not self._peers(name, region):
                    return answer  # not a global table: moto's answer as it is
                described = _json(answer.body)
                if "Table" in described:
                    self._describe_replicas(name, region, described["Table"])
            return Answer(answer.status, answer.headers, json.dumps(described).encode())
        with self.lock:
            if operation == "DeleteTable":
                self._leave(name, region)
            elif operation in PARTIQL:
                if _writes_partiql(operation, params):
                    for table in sorted(self.groups):
                        self._copy_table(table, region)
            else:
                for table, keys in _written(operation, params).items():
                    self._copy_items(table_name_of(table), region, keys)
        return answer

    def _describe_replicas(self, name: str, region: str, table: dict[str, Any]) -> None:
        """The table's `Replicas` as AWS lists them: every other region of its global table."""
        peers = self._peers(name, region)
        if not peers:
            return
        table["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
        table["Replicas"] = [self._replica_description(name, peer) for peer in peers]

    def _replica_description(self, name: str, region: str) -> dict[str, Any]:
        replica = self._tables(region)[name]
        entry: dict[str, Any] = {"RegionName": region, "ReplicaStatus": ACTIVE}
        sse = replica.sse_specification or {}
        if sse.get("Enabled") and sse.get("KMSMasterKeyId"):
            entry["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
        authority = self.authority.in_region(region)
        key_id = authority.table_key_id(name)
        if key_id is not None:
            key = authority.key_access(key_id)
            if key is None or key.state != USABLE_KEY_STATE:
                entry["ReplicaStatus"] = INACCESSIBLE_STATUS
                entry["ReplicaInaccessibleDateTime"] = authority.inaccessible_since.setdefault(key_id, time.time())
        return entry

    # -- replication -----------------------------------------------------------------------------

    def _copy_items(self, name: str, region: str, keys: Sequence[Mapping[str, Any]]) -> None:
        """Each written item's state (present or gone) copied to the other replicas."""
        peers = self._peers(name, region)
        if not peers:
            return
        source = self._tables(region)[name]
        for attributes in keys:
            key = _key_of(source, attributes)
            if key is None:
                continue
            item = source.get_item(*key)
            for peer in peers:
                _store(self._tables(peer)[name], key, item)

    def _copy_table(self, name: str, region: str) -> None:
        """The table copied whole to the other replicas: what differs put, what is missing deleted."""
        peers = self._peers(name, region)
        if not peers:
            return
        source = self._tables(region)[name]
        items = {(i.hash_key, i.range_key): i for i in source.all_items()}
        for peer in peers:
            target = self._tables(peer)[name]
            for item in target.all_items():
                if (item.hash_key, item.range_key) not in items:
                    _store(target, (item.hash_key, item.range_key), None)
            for key, item in items.items():
                current = target.get_item(*key)
                if current is None or current != item:  # moto's Item compares only with an Item
                    _store(target, key, item)

    # -- ReplicaUpdates --------------------------------------------------------------------------

    def _replica_updates(
        self, environ: dict[str, Any], start_response: Callable[..., Any], params: Mapping[str, Any], region: str
    ) -> Iterable[bytes]:
        name = table_name_of(str(params.get("TableName", "")))
        if name not in self._tables(region):
            return self.app(environ, start_response)  # moto answers ResourceNotFoundException
        try:
            with self.lock:
                updates = self._checked_updates(name, region, params["ReplicaUpdates"])
        except AwsError as refused:
            return self._refuse(start_response, refused)
        answer = call(self.app, environ)  # moto's own UpdateTable (and its IAM check) first
        if not answer.ok:
            return send(start_response, answer)
        with self.lock:
            for kind, peer, key_arn in updates:
                if kind == "Create":
                    self._create_replica(name, region, peer, key_arn)
                else:
                    self._tables(peer).pop(name, None)
                    self._leave(name, peer)
            described = _json(answer.body)
            if "TableDescription" in described:
                self._describe_replicas(name, region, described["TableDescription"])
        return send(start_response, Answer(answer.status, answer.headers, json.dumps(described).encode()))

    def _checked_updates(self, name: str, region: str, updates: Any) -> list[tuple[str, str, str | None]]:
        """(Create or Delete, region, the replica's key ARN) for each update; the error AWS answers otherwise."""
        if not isinstance(updates, list) or not updates:
            raise ValidationError("ReplicaUpdates must be a non-empty list")
        checked: list[tuple[str, str, str | None]] = []
        source = self._tables(region)[name]
        for update in updates:
            if not isinstance(update, Mapping) or len(update) != 1:
                raise ValidationError("Each ReplicaUpdate must have exactly one of Create, Update or Delete")
            ((kind, action),) = update.items()
            peer = str((action or {}).get("RegionName", "")) if isinstance(action, Mapping) else ""
            if kind == "Update":
                raise ValidationError("ReplicaUpdates Update is not modelled by the sandbox emulator")
            if kind not in ("Create", "Delete") or not peer:
                raise ValidationError(f"ReplicaUpdates {kind}: a RegionName is required")
            if peer == region or peer not in regions_served(self.authority.region):
                raise ValidationError(f"One or more parameter values were invalid: invalid replica region {peer!r}")
            if kind == "Delete":
                if peer not in self._peers(name, region):
                    raise ValidationError(REPLICA_NOT_FOUND)
                if self._tables(peer)[name].deletion_protection_enabled:
                    raise ValidationError(
                        f"1 validation error detected: Table '{name}' can't be deleted while "
                        "DeletionProtectionEnabled is set to True"
                    )
                checked.append((kind, peer, None))
                continue
            if name in self._tables(peer):
                raise ValidationError(
                    f"Failed to create a replica in {peer}: a table named {name} already exists there"
                )
            self._check_capacity(source, region)
            checked.append((kind, peer, self._replica_key(source, peer, action.get("KMSMasterKeyId"))))
        return checked

    def _check_capacity(self, source: Table, region: str) -> None:
        """A replica of a PROVISIONED table only with its write capacity, and each global secondary index's,
        auto scaled in the table's region (access.kms_dynamodb: AWS's requirement and its refusals)."""
        if (source.billing_mode or PROVISIONED) != PROVISIONED:
            return
        name = source.name
        table_write = SCALABLE_DIMENSIONS[("table", "write")]
        if not auto_scaled(self.account_id, region, autoscaling_resource_id(name), table_write):
            raise ValidationError(GLOBAL_TABLE_WRITE_CAPACITY_ERROR)
        index_write = SCALABLE_DIMENSIONS[("index", "write")]
        for index in source.global_indexes:
            if not auto_scaled(self.account_id, region, autoscaling_resource_id(name, index.name), index_write):
                raise ValidationError(GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR)

    def _replica_key(self, source: Table, region: str, given: Any) -> str | None:
        """The replica's key ARN: the KMSMasterKeyId given, a usable symmetric key of the replica's own region."""
        sse = source.sse_specification or {}
        customer_managed = (
            sse.get("Enabled")
            and sse.get("KMSMasterKeyId")
            and not _aws_managed(self.account_id, source.region_name, str(sse["KMSMasterKeyId"]))
        )
        if not given:
            if customer_managed:
                raise ValidationError(
                    "One or more parameter values were invalid: KMSMasterKeyId must be specified for each replica."
                )
            return None
        given = str(given)
        if given.startswith("arn:") and given.split(":")[3] != region:
            raise ValidationError(f"The KMS key {given} is not in the replica's region {region}")
        try:
            key = kms_backends[self.account_id][region].describe_key(given)
        except Exception:  # moto's NotFoundException, or a KeyError for an unknown id
            raise ValidationError(f"KMS key {given} does not exist in {region}") from None
        if key.key_state != "Enabled" or key.key_spec != KEY_SPEC:
            raise ValidationError(f"KMS key {key.arn} is not an enabled symmetric key (KeyState={key.key_state})")
        return str(key.arn)

    def _create_replica(self, name: str, region: str, peer: str, key_arn: str | None) -> None:
        """The table made in `peer` as a replica of `name` in `region`, with its items."""
        source = self._tables(region)[name]
        provisioned = source.billing_mode == PROVISIONED

        def throughput(of: Any) -> dict[str, int] | None:
            t = of.throughput
            return (
                {"ReadCapacityUnits": t["ReadCapacityUnits"], "WriteCapacityUnits": t["WriteCapacityUnits"]}
                if provisioned
                else None
            )

        sse: dict[str, Any] | None = None
        if key_arn:
            sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}
        elif (source.sse_specification or {}).get("Enabled"):
            sse = {"Enabled": True, "SSEType": "KMS"}  # the AWS managed key of the replica's region
        streams = source.stream_specification or {}
        replica = dynamodb_backends[self.account_id][peer].create_table(
            name,
            schema=copy.deepcopy(source.schema),
            throughput=throughput(source),
            attr=copy.deepcopy(source.attr),
            global_indexes=[
                {
                    "IndexName": index.name,
                    "KeySchema": copy.deepcopy(index.schema),
                    "Projection": copy.deepcopy(index.projection),
                    **({"ProvisionedThroughput": throughput(index)} if provisioned else {}),
                }
                for index in source.global_indexes
            ],
            indexes=[
                {"IndexName": i.name, "KeySchema": copy.deepcopy(i.schema), "Projection": copy.deepcopy(i.projection)}
                for i in source.indexes
            ],
            streams=(
                {"StreamEnabled": True, "StreamViewType": streams["StreamViewType"]}
                if streams.get("StreamEnabled")
                else None
            ),
            billing_mode=source.billing_mode or PROVISIONED,
            sse_specification=sse,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
        replica.ttl = dict(source.ttl)
        for item in source.all_items():
            copied = Item(item.hash_key, item.range_key, copy.deepcopy(item.to_json()["Attributes"]))
            if item.range_key is not None:
                replica.items[item.hash_key][item.range_key] = copied
            else:
                replica.items[item.hash_key] = copied  # type: ignore[assignment]  # moto's own typing of items
        group = self.groups.setdefault(name, {region})
        group.update({region, peer})

    # -- ReplicateKey ----------------------------------------------------------------------------

    def _replicate_key(
        self, environ: dict[str, Any], start_response: Callable[..., Any], params: Mapping[str, Any], region: str
    ) -> Iterable[bytes]:
        backend = kms_backends[self.account_id][region]
        key_id, peer = str(params.get("KeyId", "")), str(params.get("ReplicaRegion", ""))
        try:
            primary = backend.keys.get(backend.any_id_to_key_id(key_id))
        except Exception:
            primary = None
        if primary is None:
            return self.app(environ, start_response)  # moto answers NotFoundException
        error: AwsError | None = None
        if peer == region or peer not in regions_served(self.authority.region):
            error = ValidationError(f"{peer!r} is not a region a replica key can be created in")
        elif not primary.multi_region:
            error = UnsupportedOperationError(f"{primary.arn} is not a multi-Region key")
        elif primary.multi_region_configuration.get("MultiRegionKeyType") != "PRIMARY":
            error = UnsupportedOperationError(f"{primary.arn} is not a primary key")
        elif primary.id in kms_backends[self.account_id][peer].keys:
            error = AlreadyExistsError(f"The key {primary.id} already has a replica in {peer}")
        if error is not None:
            return self._refuse(start_response, error, prefix="")
        answer = call(self.app, environ)
        if not answer.ok:
            return send(start_response, answer)
        with self.lock:
            replica = kms_backends[self.account_id][peer].keys[primary.id]
            config = primary.multi_region_configuration
            config["MultiRegionKeyType"] = "PRIMARY"
            replica.multi_region_configuration = {
                "MultiRegionKeyType": "REPLICA",
                "PrimaryKey": dict(config["PrimaryKey"]),
                "ReplicaKeys": [dict(r) for r in config["ReplicaKeys"]],
            }
            replica.grants, replica.aliases, replica.rotations = {}, {}, list(primary.rotations)
            replica.policy = str(params.get("Policy") or replica.generate_default_policy())
            replica.description = str(params.get("Description") or "")
            replica.key_state, replica.enabled, replica.deletion_date = "Enabled", True, None
            replica.creation_date = time.time()
            tags = [t for t in params.get("Tags") or [] if isinstance(t, Mapping)]
            if tags:
                kms_backends[self.account_id][peer].tag_resource(
                    primary.id, {str(t["TagKey"]): str(t.get("TagValue", "")) for t in tags}
                )
            body = {
                "ReplicaKeyMetadata": replica.to_dict()["KeyMetadata"],
                "ReplicaPolicy": replica.policy,
                "ReplicaTags": tags,
            }
        return send(start_response, Answer(answer.status, answer.headers, json.dumps(body).encode()))


# -- items -------------------------------------------------------------------------------------------


Key = tuple[DynamoType, DynamoType | None]


def _key_of(table: Table, attributes: Mapping[str, Any]) -> Key | None:
    if not isinstance(attributes, Mapping) or table.hash_key_attr not in attributes:
        return None
    range_key = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attributes:
            return None
        range_key = DynamoType(attributes[table.range_key_attr])
    return DynamoType(attributes[table.hash_key_attr]), range_key


def _store(table: Table, key: Key, item: Item | None) -> None:
    """Make the table hold this item under this key, or nothing (a delete); stream records as a write makes."""
    if item is None:
        table.delete_item(*key)
    else:
        table.put_item(copy.deepcopy(item.to_json()["Attributes"]), overwrite=True)


def _written(operation: str, params: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Each table a (non-PartiQL) write touched, with the attributes that name each written item's key."""
    written: dict[str, list[Mapping[str, Any]]] = {}

    def add(table: Any, attributes: Any) -> None:
        if isinstance(table, str) and isinstance(attributes, Mapping):
            written.setdefault(table, []).append(attributes)

    if operation == "PutItem":
        add(params.get("TableName"), params.get("Item"))
    elif operation in ("UpdateItem", "DeleteItem"):
        add(params.get("TableName"), params.get("Key"))
    elif operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests if isinstance(requests, list) else []:
                add(table, (request.get("PutRequest") or {}).get("Item"))
                add(table, (request.get("DeleteRequest") or {}).get("Key"))
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems") or []:
            for kind, action in entry.items() if isinstance(entry, Mapping) else []:
                if kind in ("Put", "Update", "Delete") and isinstance(action, Mapping):
                    add(action.get("TableName"), action.get("Item" if kind == "Put" else "Key"))
    return written


def _writes_partiql(operation: str, params: Mapping[str, Any]) -> bool:
    """Does a PartiQL request hold a statement other than a SELECT?"""
    if operation == "ExecuteStatement":
        statements = [params.get("Statement")]
    else:
        entries = params.get("Statements" if operation == "BatchExecuteStatement" else "TransactStatements") or []
        statements = [e.get("Statement") for e in entries if isinstance(e, Mapping)]
    return any(not str(s or "").lstrip().upper().startswith("SELECT") for s in statements)


def _aws_managed(account_id: str, region: str, key: str) -> bool:
    """Is this the AWS managed key aws/dynamodb (which moto makes as a customer key)?"""
    backend = kms_backends[account_id][region]
    try:
        found = backend.describe_key(key)
    except Exception:  # a key that does not exist
        return False
    return AWS_MANAGED_KEY_ALIAS in found.aliases
