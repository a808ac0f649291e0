"""A restored table keeps its source's encryption, or takes SSESpecificationOverride, as on DynamoDB.

moto 5.2.5 builds a restored table (RestoreTableFromBackup, RestoreTableToPointInTime)
from the source's key schema, attributes, throughput, indexes and items only: it comes back
with no SSESpecification at all, so a table restored from a customer-managed-key table
would be readable by anyone with DynamoDB rights, past the key. On DynamoDB a restored
table is encrypted with the source's key unless the request's SSESpecificationOverride
names another encryption. `with_encryption` wraps moto's handler: moto's restore first,
then the encryption set (table_updates.apply_encryption) and the table described as it now
is.

RestoreTableToPointInTime names its source by SourceTableName or SourceTableArn ("You must specify either
the SourceTableArn or the SourceTableName", the API reference); moto 5.2.5's handler read SourceTableName
only and answered a restore by ARN SourceTableNotFoundException. The wrapper hands moto the ARN as the name
(its backend finds a table by either). A source in another region (a cross-Region restore) is not modelled:
moto finds no such table in the request's region.

One of the modules that touch moto (5.2.x, pinned); sandbox.emulator.patches installs it
on start and removes it on stop.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from sandbox.emulator.table_updates import apply_encryption

Restore = Callable[[DynamoHandler], ActionResult]


def _source_encryption(handler: DynamoHandler) -> dict[str, Any]:
    """The SSE of the restore's source: the backed-up copy of the table, or the table itself."""
    backend, body = handler.dynamodb_backend, handler.body
    if body.get("BackupArn"):
        source = backend.get_backup(body["BackupArn"]).table
    else:
        source = backend.get_table(body.get("SourceTableName") or body.get("SourceTableArn"))
    return copy.deepcopy(getattr(source, "sse_specification", None) or {"Enabled": False})


def with_encryption(original: Restore) -> Restore:
    """moto's restore handler, with the restored table encrypted as DynamoDB encrypts it."""

    def restore(handler: DynamoHandler) -> ActionResult:
        body = handler.body
        if not body.get("BackupArn") and not body.get("SourceTableName") and body.get("SourceTableArn"):
            # moto's handler reads SourceTableName only; its backend finds a table by name or by ARN.
            body["SourceTableName"] = body["SourceTableArn"]
        source = _source_encryption(handler)
        original(handler)  # raises moto's own errors (no backup, the target exists)
        table = handler.dynamodb_backend.get_table(handler.body["TargetTableName"])
        override = handler.body.get("SSESpecificationOverride")
        if isinstance(override, Mapping):
            apply_encryption(table, override)
        else:
            table.sse_specification = source
        return DynamoResult(table.describe())

    return restore
