"""UpdateTable's SSESpecification, which moto 5.2.5 ignores, applied as DynamoDB applies it.

moto's UpdateTable reads attribute definitions, index updates, throughput, billing mode,
streams, deletion protection and warm throughput, and silently drops SSESpecification: a
table moved to another KMS key would keep the old one, and the KMS enforcement, which
reads the table's key from moto, would go on judging access by the old key.
`with_encryption_updates` wraps moto's handler (DynamoHandler.update_table): moto's own
update first, then the request's SSESpecification set on the table, and the table
described as it now is:
- enabled with KMSMasterKeyId: that customer-managed key, stored as given (as moto's
  CreateTable stores it);
- enabled without one: the AWS managed key aws/dynamodb (moto makes it on first use);
- disabled: the AWS owned key, and no SSEDescription.

One of the modules that touch moto (5.2.x, pinned); sandbox.emulator.patches installs it
on start and removes it on stop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler, DynamoResult

UpdateTable = Callable[[DynamoHandler], ActionResult]


def apply_encryption(table: Any, spec: Mapping[str, Any]) -> None:
    """Set a moto table's encryption from an SSESpecification."""
    if not spec.get("Enabled"):
        table.sse_specification = {"Enabled": False}
        return
    key = spec.get("KMSMasterKeyId") or table._get_default_encryption_key(table.account_id, table.region_name)
    table.sse_specification = {"Enabled": True, "SSEType": spec.get("SSEType") or "KMS", "KMSMasterKeyId": key}


def with_encryption_updates(original: UpdateTable) -> UpdateTable:
    """moto's UpdateTable handler, with the request's SSESpecification applied."""

    def update_table(handler: DynamoHandler) -> ActionResult:
        result = original(handler)
        spec = handler.body.get("SSESpecification")
        if spec is None:
            return result
        table = handler.dynamodb_backend.get_table(handler.body["TableName"])
        apply_encryption(table, spec)
        return DynamoResult(table.describe())

    return update_table
