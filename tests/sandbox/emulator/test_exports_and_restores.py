"""Issue 20: ExportTableToPointInTime without S3Prefix and RestoreTableToPointInTime by SourceTableArn, as
DynamoDB takes them (moto answered HTTP 500 and "not found"); the export named by the ARN DynamoDB gives it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import boto3
import pytest

from sandbox.emulator.server import CLIENT_CONFIG, Emulator
from tests.sandbox.emulator.test_bypasses import scoped_user
from tests.sandbox.emulator.test_holes import encrypted_table_in, table_arn
from tests.sandbox.emulator.test_key_ids import AWS_CLI

pytestmark = pytest.mark.emulator

EXPORT_ID = re.compile(r"[0-9]{14}-[0-9a-f]{8}")


def recoverable_table(emulator: Emulator) -> tuple[str, str]:
    """A table under a customer-managed key with point-in-time recovery on: its ARN, and its key's."""
    key = encrypted_table_in(emulator, emulator.region, "orders")
    emulator.client("dynamodb").update_continuous_backups(
        TableName="orders", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return table_arn(emulator, "orders"), key


def test_an_export_without_a_prefix_is_taken_and_named_as_dynamodb_names_it(emulator: Emulator) -> None:
    source, _key = recoverable_table(emulator)
    dynamodb = emulator.client("dynamodb")
    described = dynamodb.export_table_to_point_in_time(TableArn=source, S3Bucket="exports")["ExportDescription"]
    assert "S3Prefix" not in described
    arn = described["ExportArn"]
    assert arn.startswith(f"{source}/export/")
    assert EXPORT_ID.fullmatch(arn.rsplit("/", 1)[1]), arn
    assert dynamodb.describe_export(ExportArn=arn)["ExportDescription"]["TableArn"] == source
    with_prefix = dynamodb.export_table_to_point_in_time(TableArn=source, S3Bucket="exports", S3Prefix="nightly")
    assert with_prefix["ExportDescription"]["S3Prefix"] == "nightly"
    assert sorted(e["ExportArn"] for e in dynamodb.list_exports(TableArn=source)["ExportSummaries"]) == sorted(
        [arn, with_prefix["ExportDescription"]["ExportArn"]]
    )

    # A policy naming the table's exports as the Service Authorization Reference does reads them.
    user = scoped_user(
        emulator, [{"Effect": "Allow", "Action": "dynamodb:DescribeExport", "Resource": f"{source}/export/*"}]
    )
    session = boto3.session.Session(user.access_key, user.secret_key, region_name=emulator.region)
    reader = session.client("dynamodb", endpoint_url=emulator.endpoint_url, config=CLIENT_CONFIG)
    assert reader.describe_export(ExportArn=arn)["ExportDescription"]["ExportArn"] == arn


def test_a_restore_by_source_table_arn_keeps_the_sources_key(emulator: Emulator) -> None:
    source, key = recoverable_table(emulator)
    dynamodb = emulator.client("dynamodb")
    restored = dynamodb.restore_table_to_point_in_time(SourceTableArn=source, TargetTableName="restored")
    assert restored["TableDescription"]["TableName"] == "restored"
    assert dynamodb.describe_table(TableName="restored")["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key
    assert dynamodb.scan(TableName="restored")["Count"] == 1


def cli(emulator: Emulator, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | emulator.environment()
    done = subprocess.run([AWS_CLI, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_aws_cli_exports_and_restores_with_the_arguments_aws_takes(emulator: Emulator) -> None:
    source, _key = recoverable_table(emulator)
    exported = cli(emulator, "dynamodb", "export-table-to-point-in-time", "--table-arn", source, "--s3-bucket", "b")
    assert exported["ExportDescription"]["TableArn"] == source
    restored = cli(
        emulator,
        "dynamodb",
        "restore-table-to-point-in-time",
        "--source-table-arn",
        source,
        "--target-table-name",
        "restored-by-cli",
    )
    assert restored["TableDescription"]["TableName"] == "restored-by-cli"
