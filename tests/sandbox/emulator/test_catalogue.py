"""The emulator classifies and dispatches DynamoDB calls by the catalogue of operations (access.operations)."""

from __future__ import annotations

from access.operations import API_OPERATIONS, DATA_PLANE_OPERATIONS, ITEM_WRITE_OPERATIONS, PARTIQL_OPERATIONS
from sandbox.emulator import middleware, replicas, rules

# Left to moto's own check: version 2017 global tables (no customer-managed keys), ImportTable (a new
# table from S3), the bulk and vector calls moto does not serve; and the restores and the export, which
# rules.py judges by hand (source, target, override key).
BY_HAND = {"RestoreTableFromBackup", "RestoreTableToPointInTime", "ExportTableToPointInTime", "GetRecords"}
MOTO_DECIDES = {
    "CreateGlobalTable",
    "UpdateGlobalTable",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "UpdateGlobalTableSettings",
    "ImportTable",
    "SearchVectors",
    "StartBulkPutItems",
    "DescribeBulkOperation",
    "CancelBulkOperation",
}


def test_every_api_is_judged_by_the_data_plane_a_catalogue_rule_or_by_hand_or_left_to_moto_on_purpose() -> None:
    mapped = (
        set(rules._BY_TABLE_NAME)
        | set(rules._BY_RESOURCE_ARN)
        | set(rules._BY_OWN_ARN)
        | set(rules._ACCOUNT_WIDE)
        | set(rules._STREAM_ACCOUNT_WIDE)
        | set(rules._BY_STREAM_ARN)
    )
    everything = {op.name for op in API_OPERATIONS}
    assert mapped | DATA_PLANE_OPERATIONS | BY_HAND | MOTO_DECIDES == everything
    assert not mapped & DATA_PLANE_OPERATIONS  # an item call is never judged on IAM alone


def test_the_replicas_layer_replicates_the_catalogues_writes() -> None:
    assert replicas.WRITES is ITEM_WRITE_OPERATIONS
    assert replicas.PARTIQL is PARTIQL_OPERATIONS
    assert middleware.DATA_PLANE_OPERATIONS is DATA_PLANE_OPERATIONS
