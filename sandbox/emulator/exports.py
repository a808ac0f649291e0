"""ExportTableToPointInTime as DynamoDB takes and answers it: S3Prefix optional, the export's ARN the table's.

moto 5.2.5's handler reads `self.body["S3Prefix"]`: without the prefix, which the API reference marks "Required:
No" (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html), it
raised KeyError and answered HTTP 500. And it named the export
`arn:...:table/<the table's whole ARN>/import/<id>` in the S3 bucket owner's account, where DynamoDB names
it `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/export/${ExportName}` in the table's
account (the Service Authorization Reference for DynamoDB, resource type `export`; the API reference's
example `.../table/ProductCatalog/export/01234567890123-a1b2c3d4`): a policy naming exports by that
pattern never matched what DescribeExport was judged on. `with_optional_prefix` wraps moto's handler: an
absent prefix is passed on as absent (and left out of the answer), and the export is filed under the ARN
DynamoDB gives it.

One of the modules that touch moto (5.2.x, pinned); sandbox.emulator.patches installs it on start and
removes it on stop.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler

Export = Callable[[DynamoHandler], ActionResult]
PREFIX = "S3Prefix"


def export_arn(table_arn: str) -> str:
    """The ARN DynamoDB gives an export of this table: `<table ARN>/export/<ms since the epoch>-<8 hex>`."""
    return f"{table_arn}/export/{int(time.time() * 1000):014d}-{uuid.uuid4().hex[:8]}"


def with_optional_prefix(original: Export) -> Export:
    """moto's ExportTableToPointInTime handler, taking a request without S3Prefix, filing the export by its ARN."""

    def export(handler: DynamoHandler) -> ActionResult:
        given = PREFIX in handler.body
        if not given:
            handler.body[PREFIX] = None
        answer = original(handler)  # raises moto's own errors (no table, point-in-time recovery off)
        made = answer.result["ExportDescription"]["ExportArn"]  # type: ignore[index]
        exports = handler.dynamodb_backend.table_exports
        table_export = exports.pop(made)
        table_export.arn = export_arn(table_export.table.table_arn)
        exports[table_export.arn] = table_export
        described = table_export.response()
        if not given:
            described.pop(PREFIX, None)
        return ActionResult({"ExportDescription": described})

    return export
