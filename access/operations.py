"""The catalogue of DynamoDB operations: one record per API this project knows, everything else derived.

Each record says, for one API call (DynamoDB or DynamoDB Streams):
- the IAM action(s) DynamoDB authorizes for it (PartiQL by its verb, a transaction item by item);
- the kinds of resource ARN it acts on (table, index, stream, backup, export, import, "*");
- what it does to the data: reads plaintext, writes items, copies the data out of the key's
  boundary, changes the boundary (the key the data sits under, or who may use the table), or none;
- whether DynamoDB uses the table's key AS THE CALLER (then the caller needs kms:Decrypt through
  DynamoDB), does not (its own grant, or no key at all), or AWS's pages do not settle it;
- the access path of the audit it belongs to (item read, stream read, export, restore, ...);
- the KeyUser access level whose table rights include it;
- the request parameter that names its resource (the emulator reads it);
- the AWS page that says so.

Everything else reads this table: the key users' action sets (access.kms_dynamodb), the audit's
paths (verify.audit), the emulator's classification and dispatch (sandbox.emulator), the replicas
layer's writes, and the verifier's `--print-policy` (verify.permissions). Tests pin that they agree
(tests/access/test_operations.py). A new API is one new record.

Where AWS's pages do not settle a fact (KeyUse.UNSETTLED), two readings are taken on purpose:
the audit the one that finds MORE readers (the caller needs no key right: an upper bound, labelled),
the emulator the one AWS's pages describe (see each record's note).

Sources, by short name (each record cites one or more):
- SAR: Service Authorization Reference, Amazon DynamoDB
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
  (actions, their resource types and access levels)
- KMS-DDB: How Amazon DynamoDB uses AWS KMS
  https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html and the DynamoDB
  encryption usage notes https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
  ("DynamoDB calls Decrypt ... on behalf of the caller"; streams "always encrypted with a
  table-level encryption key"; "DynamoDB does not need additional authorization to use the default
  AWS owned key")
- PARTIQL-IAM: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html
- TX-IAM: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
- STREAMS-IAM: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/iam-policy-example-lamda-process-dynamodb-streams.html
  (a stream consumer's policy lists no KMS action; aws-cdk's grantStreamRead adds kms:Decrypt)
- EXPORT: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport_Requesting.html
- BACKUP-IAM: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/backuprestore_IAM.html
- KINESIS: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/kds.html
- RBAC: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html
- AWS-BACKUP: https://docs.aws.amazon.com/aws-backup/latest/devguide/restoring-dynamodb.html (a restored
  table takes a DynamoDB-owned, AWS managed or chosen customer-managed key)
- RETURN-VALUES: the PutItem/UpdateItem/DeleteItem API references (ReturnValues ALL_OLD / ALL_NEW)
  and TransactWriteItems (ReturnValuesOnConditionCheckFailure): a write answers with the item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Effect(StrEnum):
    """What an operation does to the table's data."""

    READS = "reads plaintext"
    WRITES = "writes items"
    COPIES_OUT = "copies the data out of the key's boundary"
    CHANGES_BOUNDARY = "changes the boundary"
    NONE = "none"


class KeyUse(StrEnum):
    """Whether DynamoDB uses the table's key as the caller for this operation."""

    CALLER = "as the caller"  # the caller needs kms:Decrypt through DynamoDB
    NOT_CALLER = "not as the caller"  # DynamoDB's own grant, or no key: IAM alone decides
    UNSETTLED = "not settled by AWS's pages"  # audit: not needed (upper bound); emulator: per the record


class Resource(StrEnum):
    """The resource types of the Service Authorization Reference, as ARN kinds."""

    TABLE = "table"  # arn:...:table/T
    INDEX = "index"  # arn:...:table/T/index/I
    STREAM = "stream"  # arn:...:table/T/stream/LABEL
    BACKUP = "backup"  # arn:...:table/T/backup/ID
    EXPORT = "export"  # arn:...:table/T/export/ID
    IMPORT = "import"  # arn:...:table/T/import/ID
    GLOBAL_TABLE = "global-table"  # arn:...:global-table/T (version 2017)
    ANY = "*"  # the action takes no resource narrower than "*"


class Path(StrEnum):
    """The ways to the data the access audit judges, one column each."""

    READ = "read"  # item reads: GetItem, Query, Scan, batches, transactions, PartiQL SELECT
    WRITE = "write"  # item writes (each can answer with the item: RETURN-VALUES)
    STREAM = "stream"  # the table's stream: every new and old image
    EXPORT = "export"  # a copy in S3, under a key the caller picks
    BACKUP = "backup"  # an on-demand backup (under the table's key; restorable)
    RESTORE = "restore"  # a new table from a backup or point in time, under a key the caller picks (or none)
    REKEY = "re-key"  # the table (or a new replica) moved to another key, or to the AWS-owned key
    KINESIS = "kinesis"  # every change sent to a Kinesis data stream
    POLICY = "table policy"  # rewrite the table's resource policy: who passes the IAM layer


# Paths that hand plaintext to someone, or move the data to a key the caller chooses: an undeclared
# principal on one of them is a finding. BACKUP (stays under the table's key) and POLICY (the key
# still decides) are shown, not findings on their own.
PLAINTEXT_PATHS = (Path.READ, Path.WRITE, Path.STREAM, Path.EXPORT, Path.RESTORE, Path.KINESIS)
KEY_CHANGING_PATHS = (Path.REKEY,)
FINDING_PATHS = (*PLAINTEXT_PATHS, *KEY_CHANGING_PATHS)

READ, READ_WRITE = "read", "read-write"  # KeyUser access levels (access.kms_dynamodb.ACCESS_LEVELS)
NO_ITEM_ACCESS = "none"  # declared for other paths only (an exporter, a stream consumer)
# What a declared access level covers: a reader of the items may read them on the stream too (the same
# plaintext, through the same key); every other path is declared by name.
ACCESS_LEVEL_PATHS: dict[str, frozenset[Path]] = {
    READ: frozenset({Path.READ, Path.STREAM}),
    READ_WRITE: frozenset({Path.READ, Path.WRITE, Path.STREAM}),
    NO_ITEM_ACCESS: frozenset(),
}
DECLARABLE_PATHS: tuple[Path, ...] = tuple(p for p in Path if p not in (Path.READ, Path.WRITE))


@dataclass(frozen=True)
class Operation:
    """One API call, as DynamoDB authorizes and serves it."""

    name: str  # the API operation, e.g. "GetItem"
    actions: tuple[str, ...]  # the IAM actions DynamoDB may authorize for it
    resources: tuple[Resource, ...]
    effects: frozenset[Effect]
    key_use: KeyUse
    source: str  # the short names of the pages above
    path: Path | None = None
    parameter: str | None = None  # the request parameter that names its resource; None: "*" or per item
    level: str | None = None  # the KeyUser access level whose table rights include this action
    service: str = "dynamodb"  # the endpoint: "dynamodb" or "dynamodbstreams"
    api: bool = True  # False for an IAM action that is no API call (PartiQL's verbs, ConditionCheckItem)
    note: str = ""

    @property
    def reads(self) -> bool:
        return Effect.READS in self.effects

    @property
    def writes(self) -> bool:
        return Effect.WRITES in self.effects


_R, _W, _OUT, _BOUNDARY, _NONE = Effect.READS, Effect.WRITES, Effect.COPIES_OUT, Effect.CHANGES_BOUNDARY, Effect.NONE
_T, _I = Resource.TABLE, Resource.INDEX


def _op(
    name: str,
    effects: Iterable[Effect],
    key_use: KeyUse,
    source: str,
    *,
    actions: tuple[str, ...] | None = None,
    resources: tuple[Resource, ...] = (_T,),
    path: Path | None = None,
    parameter: str | None = "TableName",
    level: str | None = None,
    service: str = "dynamodb",
    api: bool = True,
    note: str = "",
) -> Operation:
    return Operation(
        name=name,
        actions=actions if actions is not None else (f"dynamodb:{name}",),
        resources=resources,
        effects=frozenset(effects),
        key_use=key_use,
        source=source,
        path=path,
        parameter=parameter,
        level=level,
        service=service,
        api=api,
        note=note,
    )


_CALLER, _NOT_CALLER, _UNSETTLED = KeyUse.CALLER, KeyUse.NOT_CALLER, KeyUse.UNSETTLED
_PARTIQL = ("dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete")
_TX_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")

OPERATIONS: tuple[Operation, ...] = (
    # -- items: DynamoDB decrypts with the table's key as the caller (KMS-DDB) -----------------------
    _op("GetItem", {_R}, _CALLER, "SAR, KMS-DDB", path=Path.READ, level=READ),
    _op("BatchGetItem", {_R}, _CALLER, "SAR, KMS-DDB", path=Path.READ, level=READ, parameter=None),
    _op("Query", {_R}, _CALLER, "SAR, KMS-DDB", path=Path.READ, level=READ, resources=(_T, _I)),
    _op("Scan", {_R}, _CALLER, "SAR, KMS-DDB", path=Path.READ, level=READ, resources=(_T, _I)),
    _op(
        "TransactGetItems",
        {_R},
        _CALLER,
        "TX-IAM, KMS-DDB",
        actions=("dynamodb:GetItem",),
        path=Path.READ,
        parameter=None,
        note="authorized item by item as dynamodb:GetItem",
    ),
    # ConditionCheckItem answers with the item when its condition fails (ReturnValuesOnConditionCheckFailure).
    _op(
        "ConditionCheckItem",
        {_R},
        _CALLER,
        "SAR, TX-IAM, RETURN-VALUES",
        path=Path.READ,
        level=READ,
        parameter=None,
        api=False,
        note="an action of TransactWriteItems' ConditionCheck items, no API call of its own",
    ),
    _op("PutItem", {_W, _R}, _CALLER, "SAR, KMS-DDB, RETURN-VALUES", path=Path.WRITE, level=READ_WRITE),
    _op("UpdateItem", {_W, _R}, _CALLER, "SAR, KMS-DDB, RETURN-VALUES", path=Path.WRITE, level=READ_WRITE),
    _op("DeleteItem", {_W, _R}, _CALLER, "SAR, KMS-DDB, RETURN-VALUES", path=Path.WRITE, level=READ_WRITE),
    _op("BatchWriteItem", {_W}, _CALLER, "SAR, KMS-DDB", path=Path.WRITE, level=READ_WRITE, parameter=None),
    _op(
        "TransactWriteItems",
        {_W, _R},
        _CALLER,
        "TX-IAM, KMS-DDB, RETURN-VALUES",
        actions=_TX_WRITE,
        path=Path.WRITE,
        parameter=None,
        note="authorized item by item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem)",
    ),
    _op(
        "ExecuteStatement",
        {_R, _W},
        _CALLER,
        "PARTIQL-IAM, KMS-DDB",
        actions=_PARTIQL,
        resources=(_T, _I),
        parameter=None,
        note="authorized by the statement's verb on the table (or index) it names",
    ),
    _op(
        "BatchExecuteStatement",
        {_R, _W},
        _CALLER,
        "PARTIQL-IAM, KMS-DDB",
        actions=_PARTIQL,
        resources=(_T, _I),
        parameter=None,
    ),
    _op(
        "ExecuteTransaction",
        {_R, _W},
        _CALLER,
        "PARTIQL-IAM, KMS-DDB",
        actions=_PARTIQL,
        resources=(_T, _I),
        parameter=None,
    ),
    # PartiQL's IAM actions, by verb (PARTIQL-IAM): not API calls, but actions the audit and key users use.
    _op("PartiQLSelect", {_R}, _CALLER, "PARTIQL-IAM", path=Path.READ, resources=(_T, _I), parameter=None, api=False),
    _op("PartiQLInsert", {_W}, _CALLER, "PARTIQL-IAM", path=Path.WRITE, parameter=None, api=False),
    _op("PartiQLUpdate", {_W, _R}, _CALLER, "PARTIQL-IAM, RETURN-VALUES", path=Path.WRITE, parameter=None, api=False),
    _op("PartiQLDelete", {_W, _R}, _CALLER, "PARTIQL-IAM, RETURN-VALUES", path=Path.WRITE, parameter=None, api=False),
    # Newer APIs (botocore's DynamoDB model) no page of ours settles the key use of: an upper bound.
    _op(
        "SearchVectors",
        {_R},
        _UNSETTLED,
        "botocore's DynamoDB model (returns the most similar items)",
        path=Path.READ,
        resources=(_T, _I),
        note="returns items of a vector index; whether DynamoDB decrypts as the caller is not documented",
    ),
    _op(
        "StartBulkPutItems",
        {_W},
        _UNSETTLED,
        "botocore's DynamoDB model (reads items from S3 and writes them to an existing table)",
        path=Path.WRITE,
        note="writes items from S3 asynchronously; whether DynamoDB uses the key as the caller is not documented",
    ),
    _op("DescribeBulkOperation", {_NONE}, _NOT_CALLER, "botocore's DynamoDB model", parameter="BulkOperationArn"),
    _op("CancelBulkOperation", {_NONE}, _NOT_CALLER, "botocore's DynamoDB model", parameter="BulkOperationArn"),
    _op(
        "ListBulkOperations",
        {_NONE},
        _NOT_CALLER,
        "botocore's DynamoDB model",
        resources=(Resource.ANY,),
        parameter=None,
    ),
    # -- the stream: every new and old image ------------------------------------------------------
    _op(
        "GetRecords",
        {_R},
        _UNSETTLED,
        "SAR, KMS-DDB, STREAMS-IAM",
        resources=(Resource.STREAM,),
        path=Path.STREAM,
        parameter="ShardIterator",
        service="dynamodbstreams",
        note=(
            "streams are 'always encrypted with a table-level encryption key' (KMS-DDB), but AWS's consumer "
            "policy lists no KMS action (STREAMS-IAM): the audit counts a consumer without kms:Decrypt as a "
            "possible reader; the emulator asks kms:Decrypt of the caller, as aws-cdk's grantStreamRead grants"
        ),
    ),
    _op(
        "GetShardIterator",
        {_NONE},
        _NOT_CALLER,
        "SAR, STREAMS-IAM",
        resources=(Resource.STREAM,),
        path=Path.STREAM,
        parameter="StreamArn",
        service="dynamodbstreams",
        note="no item data, but a stream reader needs it before GetRecords",
    ),
    _op(
        "DescribeStream",
        {_NONE},
        _NOT_CALLER,
        "SAR",
        resources=(Resource.STREAM,),
        parameter="StreamArn",
        service="dynamodbstreams",
    ),
    _op(
        "ListStreams", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None, service="dynamodbstreams"
    ),
    # -- copies: exports, backups, restores, imports ------------------------------------------------
    _op(
        "ExportTableToPointInTime",
        {_OUT},
        _UNSETTLED,
        "SAR, EXPORT",
        path=Path.EXPORT,
        parameter="TableArn",
        note="EXPORT lists dynamodb:ExportTableToPointInTime and S3 writes, no key right: the emulator asks none",
    ),
    _op("DescribeExport", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.EXPORT,), parameter="ExportArn"),
    _op("ListExports", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    _op(
        "CreateBackup",
        {_NONE},
        _NOT_CALLER,
        "SAR, BACKUP-IAM",
        path=Path.BACKUP,
        note="the backup stays under the table's key; RESTORE is what takes it out",
    ),
    _op("DescribeBackup", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.BACKUP,), parameter="BackupArn"),
    _op("DeleteBackup", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.BACKUP,), parameter="BackupArn"),
    _op("ListBackups", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    _op(
        "RestoreTableFromBackup",
        {_OUT},
        _UNSETTLED,
        "SAR, BACKUP-IAM, KMS-DDB",
        resources=(Resource.BACKUP,),
        path=Path.RESTORE,
        parameter="BackupArn",
        note=(
            "BACKUP-IAM lists the restore action on the backup and item actions on the target, no right on the "
            "source's key; the target's key is the caller's choice (its rights needed for a customer-managed "
            "key, none for the AWS-owned key): the emulator asks exactly that"
        ),
    ),
    _op(
        "RestoreTableToPointInTime",
        {_OUT},
        _UNSETTLED,
        "SAR, BACKUP-IAM, KMS-DDB",
        path=Path.RESTORE,
        parameter="SourceTableName",
        note="as RestoreTableFromBackup, on the source table",
    ),
    # AWS Backup's DynamoDB actions (SAR): IAM actions of no DynamoDB API call of their own.
    _op(
        "StartAwsBackupJob",
        {_NONE},
        _NOT_CALLER,
        "SAR, AWS-BACKUP",
        path=Path.BACKUP,
        api=False,
        note="an AWS Backup job of the table (advanced backup): a copy AWS Backup manages",
    ),
    _op(
        "RestoreTableFromAwsBackup",
        {_OUT},
        _UNSETTLED,
        "SAR, AWS-BACKUP",
        path=Path.RESTORE,
        api=False,
        note="AWS Backup restores into a new table under a key the caller picks; no right on the source's key listed",
    ),
    _op(
        "ImportTable",
        {_NONE},
        _NOT_CALLER,
        "SAR",
        resources=(Resource.IMPORT, _T),
        parameter=None,
        note="creates a new table from S3: nothing of an existing table's data",
    ),
    _op("DescribeImport", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.IMPORT,), parameter="ImportArn"),
    _op("ListImports", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    # -- the boundary: the table's key, its replicas, its resource policy --------------------------
    _op(
        "UpdateTable",
        {_BOUNDARY, _OUT},
        _NOT_CALLER,
        "SAR, KMS-DDB",
        path=Path.REKEY,
        note=(
            "SSESpecification moves the table to another key (its rights needed) or to the AWS-owned key "
            "(none: IAM alone decides afterwards); ReplicaUpdates adds a replica under a key of the caller's choice"
        ),
    ),
    _op(
        "PutResourcePolicy",
        {_BOUNDARY},
        _NOT_CALLER,
        "SAR, RBAC",
        resources=(_T, Resource.STREAM),
        path=Path.POLICY,
        parameter="ResourceArn",
    ),
    _op(
        "DeleteResourcePolicy",
        {_BOUNDARY},
        _NOT_CALLER,
        "SAR, RBAC",
        resources=(_T, Resource.STREAM),
        path=Path.POLICY,
        parameter="ResourceArn",
    ),
    _op(
        "GetResourcePolicy", {_NONE}, _NOT_CALLER, "SAR, RBAC", resources=(_T, Resource.STREAM), parameter="ResourceArn"
    ),
    _op(
        "EnableKinesisStreamingDestination",
        {_OUT},
        _NOT_CALLER,
        "SAR, KINESIS",
        path=Path.KINESIS,
        note="every change goes to a Kinesis data stream, under that stream's own encryption",
    ),
    _op("UpdateKinesisStreamingDestination", {_NONE}, _NOT_CALLER, "SAR, KINESIS"),
    _op("DisableKinesisStreamingDestination", {_NONE}, _NOT_CALLER, "SAR, KINESIS"),
    _op("DescribeKinesisStreamingDestination", {_NONE}, _NOT_CALLER, "SAR, KINESIS"),
    # -- the table's life and settings: no item data --------------------------------------------------
    _op("CreateTable", {_NONE}, _NOT_CALLER, "SAR, KMS-DDB", note="the creator needs kms:CreateGrant on a CMK"),
    _op("DeleteTable", {_NONE}, _NOT_CALLER, "SAR"),
    _op("DescribeTable", {_NONE}, _NOT_CALLER, "SAR", level=READ),
    _op("DescribeContinuousBackups", {_NONE}, _NOT_CALLER, "SAR"),
    _op("UpdateContinuousBackups", {_NONE}, _NOT_CALLER, "SAR"),
    _op("DescribeContributorInsights", {_NONE}, _NOT_CALLER, "SAR"),
    _op("UpdateContributorInsights", {_NONE}, _NOT_CALLER, "SAR"),
    _op("DescribeTimeToLive", {_NONE}, _NOT_CALLER, "SAR"),
    _op("UpdateTimeToLive", {_NONE}, _NOT_CALLER, "SAR"),
    _op("DescribeTableReplicaAutoScaling", {_NONE}, _NOT_CALLER, "SAR"),
    _op("UpdateTableReplicaAutoScaling", {_NONE}, _NOT_CALLER, "SAR"),
    _op("ListTagsOfResource", {_NONE}, _NOT_CALLER, "SAR", parameter="ResourceArn"),
    _op("TagResource", {_NONE}, _NOT_CALLER, "SAR", parameter="ResourceArn"),
    _op("UntagResource", {_NONE}, _NOT_CALLER, "SAR", parameter="ResourceArn"),
    _op("DescribeEndpoints", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    _op("DescribeLimits", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    _op("ListTables", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    _op("ListContributorInsights", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    # Global tables version 2017.11.29: no customer-managed keys (KMS-DDB), so no way to this table's data.
    _op("ListGlobalTables", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.ANY,), parameter=None),
    _op(
        "CreateGlobalTable", {_NONE}, _NOT_CALLER, "SAR, KMS-DDB", resources=(Resource.GLOBAL_TABLE, _T), parameter=None
    ),
    _op(
        "UpdateGlobalTable", {_NONE}, _NOT_CALLER, "SAR, KMS-DDB", resources=(Resource.GLOBAL_TABLE, _T), parameter=None
    ),
    _op("DescribeGlobalTable", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.GLOBAL_TABLE,), parameter=None),
    _op("DescribeGlobalTableSettings", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.GLOBAL_TABLE,), parameter=None),
    _op("UpdateGlobalTableSettings", {_NONE}, _NOT_CALLER, "SAR", resources=(Resource.GLOBAL_TABLE,), parameter=None),
)

BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
# The API calls (PartiQL's verbs and ConditionCheckItem are IAM actions only): the emulator serves these.
API_OPERATIONS: tuple[Operation, ...] = tuple(op for op in OPERATIONS if op.api)


def _actions(ops: Iterable[Operation]) -> tuple[str, ...]:
    """Each operation's own IAM action (its first), once each, in catalogue order."""
    return tuple(dict.fromkeys(op.actions[0] for op in ops if op.actions[0] == f"dynamodb:{op.name}"))


def operations_on(path: Path) -> tuple[Operation, ...]:
    return tuple(op for op in OPERATIONS if op.path is path)


def path_actions(path: Path) -> tuple[str, ...]:
    """The IAM actions that open a path (any one of them, except where PATH_NEEDS_ALL says all)."""
    return _actions(operations_on(path))


# A stream reader needs a shard iterator before it can call GetRecords: both, on the stream.
PATH_NEEDS_ALL: frozenset[Path] = frozenset({Path.STREAM})

# The IAM actions that read or write a table's items (PartiQL by its verb): the audit's item paths.
ITEM_READ_ACTIONS: tuple[str, ...] = path_actions(Path.READ)
ITEM_WRITE_ACTIONS: tuple[str, ...] = path_actions(Path.WRITE)
# A KeyUser's DynamoDB rights, by access level (the PartiQL verbs are not granted: KeyUser's rights
# are the API actions, as aws-cdk's perms.ts lists them).
TABLE_READ_ACTIONS: tuple[str, ...] = tuple(sorted(_actions(op for op in OPERATIONS if op.level == READ)))
TABLE_WRITE_ACTIONS: tuple[str, ...] = tuple(sorted(_actions(op for op in OPERATIONS if op.level == READ_WRITE)))
# The API calls DynamoDB serves by decrypting with the table's key as the caller: the emulator asks
# kms:Decrypt through DynamoDB of the caller on each table they touch.
DATA_PLANE_OPERATIONS: frozenset[str] = frozenset(
    op.name for op in API_OPERATIONS if op.key_use is KeyUse.CALLER and op.effects & {_R, _W}
)
# The API calls that change items (replicated to a global table's replicas before the answer).
ITEM_WRITE_OPERATIONS: frozenset[str] = frozenset(op.name for op in API_OPERATIONS if op.writes)
# The PartiQL API calls: their tables are read off the statements.
PARTIQL_OPERATIONS: frozenset[str] = frozenset(op.name for op in API_OPERATIONS if op.actions == _PARTIQL)
# Transactions of writes: each item's kind, as the IAM action it is authorized as (TX-IAM).
TRANSACT_WRITE_ACTIONS: dict[str, str] = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Who holds one of these can move the boundary: the key the data sits under, or who passes the IAM layer.
TABLE_BOUNDARY_ACTIONS: tuple[str, ...] = _actions(op for op in OPERATIONS if Effect.CHANGES_BOUNDARY in op.effects)


def operations_by_parameter(service: str = "dynamodb") -> dict[str, frozenset[str]]:
    """The API operations of a service by the request parameter that names their resource."""
    found: dict[str, set[str]] = {}
    for op in API_OPERATIONS:
        if op.service == service and op.parameter is not None:
            found.setdefault(op.parameter, set()).add(op.name)
    return {parameter: frozenset(names) for parameter, names in found.items()}


def account_wide_operations(service: str = "dynamodb") -> frozenset[str]:
    """The API operations whose only resource is "*"."""
    return frozenset(op.name for op in API_OPERATIONS if op.service == service and op.resources == (Resource.ANY,))
