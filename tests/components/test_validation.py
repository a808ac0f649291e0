"""Bad input: one clear error naming the field and the allowed values, before anything is registered."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from access.arns import parse_principal_arn
from components import ConfigError, EncryptedTable, KeyUser
from components.validation import default_alias
from sandbox.harness import RecordingMocks

ACCOUNT = "123456789012"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/reader"

TABLE_CASES: list[tuple[str, dict[str, Any], str]] = [
    # Limits of the provider (terraform-provider-aws internal/service/kms/key.go, alias.go) and of
    # DynamoDB (naming rules, CreateTable API reference, service quotas): refused here, before
    # `pulumi preview` would fail with the provider's error or `pulumi up` with AWS's half-way.
    (
        "table name with a trailing newline",
        {"table_name": "orders\n"},
        r"table_name: 'orders\\n' is not a valid DynamoDB table name",
    ),
    ("table name not ASCII", {"table_name": "ordérs"}, r"table_name: 'ordérs' is not a valid DynamoDB table name"),
    (
        "alias with a colon",
        {"alias": "alias/team:orders"},
        r"alias: 'alias/team:orders' contains characters KMS does not accept \(allowed: 'alias/' followed by a-z, "
        r"A-Z, 0-9, '/', '_', '-'",
    ),
    ("alias with a trailing newline", {"alias": "alias/orders\n"}, r"contains characters KMS does not accept"),
    ("alias prefix only", {"alias": "alias/"}, r"alias: 'alias/' has no name after 'alias/'"),
    (
        "key description too long",
        {"key_description": "d" * 8193},
        r"key_description: is 8193 characters long \(allowed: at most 8192 characters\)",
    ),
    (
        "attribute name over 255 bytes of UTF-8",
        {"partition_key": "é" * 128},
        r"partition_key: .* is not a valid attribute name \(allowed: 1 to 255 bytes of UTF-8\)",
    ),
    (
        "capacity beyond DynamoDB's Long",
        {"billing_mode": "PROVISIONED", "read_capacity": 10**40, "write_capacity": 1},
        r"read_capacity: 1{1}0{40} is not a capacity DynamoDB accepts",
    ),
    (
        "too many projected attributes",
        {
            "global_secondary_indexes": [
                {
                    "name": f"by-{n}",
                    "partition_key": f"k{n}",
                    "projection_type": "INCLUDE",
                    "non_key_attributes": [f"a{n}-{i}" for i in range(51)],
                }
                for n in range(2)
            ]
        },
        r"global_secondary_indexes: 102 non_key_attributes in all, over DynamoDB's limit \(allowed: at most 100",
    ),
    ("empty table name", {"table_name": ""}, r"table_name: '' is not a valid DynamoDB table name \(allowed: 3 to 255"),
    ("bad table name", {"table_name": "my table!"}, r"table_name: 'my table!' is not a valid DynamoDB table name"),
    (
        "bad attribute type",
        {"partition_key_type": "X"},
        r"partition_key_type: 'X' is not supported \(allowed: 'S', 'N', 'B'\)",
    ),
    (
        "bad sort key type",
        {"sort_key": "at", "sort_key_type": "string"},
        r"sort_key_type: 'string' is not supported \(allowed: 'S', 'N', 'B'\)",
    ),
    ("sort key equals partition key", {"sort_key": "id"}, r"sort_key: 'id' equals the partition key"),
    (
        "deletion window too short",
        {"deletion_window_days": 6},
        r"deletion_window_days: 6 is out of range \(allowed: whole number of days from 7 to 30\)",
    ),
    ("deletion window too long", {"deletion_window_days": 31}, r"deletion_window_days: 31 is out of range"),
    (
        "rotation period too short",
        {"rotation_period_days": 89},
        r"rotation_period_days: 89 is out of range \(allowed: whole number of days from 90 to 2560\)",
    ),
    ("rotation period too long", {"rotation_period_days": 2561}, r"rotation_period_days: 2561 is out of range"),
    (
        "rotation period without rotation",
        {"rotation_period_days": 365, "enable_key_rotation": False},
        r"rotation_period_days: a rotation period needs rotation on",
    ),
    (
        "alias reserved prefix",
        {"alias": "alias/aws/dynamodb"},
        r"alias: 'alias/aws/dynamodb' uses the prefix reserved for AWS managed keys \(allowed: 'alias/'",
    ),
    ("alias without prefix", {"alias": "orders-key"}, r"alias: 'orders-key' must start with 'alias/'"),
    (
        "alias bad characters",
        {"alias": "alias/orders key"},
        r"alias: 'alias/orders key' contains characters KMS does not accept",
    ),
    (
        "alias too long",
        {"alias": "alias/" + "a" * 251},
        r"alias: alias is 257 characters long \(allowed: .*at most 256",
    ),
    (
        "malformed admin ARN",
        {"key_admins": ["arn:aws:iam::123:role/x"]},
        r"key_admins\[0\]: 'arn:aws:iam::123:role/x' is not an IAM principal ARN \(allowed: arn:<partition>:iam::",
    ),
    ("wildcard key user", {"key_users": ["*"]}, r"key_users\[0\]: '\*' is not an IAM principal ARN"),
    (
        "account root as key user",
        {"key_users": [f"arn:aws:iam::{ACCOUNT}:root"], "allow_iam_policies": False},
        r"key_users\[0\]: 'arn:aws:iam::\d{12}:root' is an account, not a named principal",
    ),
    (
        "session ARN as admin",
        {"key_admins": [f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/me"]},
        r"key_admins\[0\]: .* is an STS session, which a key policy cannot name; use the role's ARN",
    ),
    (
        "unknown billing mode",
        {"billing_mode": "ON_DEMAND"},
        r"billing_mode: 'ON_DEMAND' is not supported \(allowed: 'PAY_PER_REQUEST', 'PROVISIONED'\)",
    ),
    (
        "provisioned without capacities",
        {"billing_mode": "PROVISIONED", "read_capacity": 5},
        r"read_capacity/write_capacity: billing_mode PROVISIONED needs both capacities",
    ),
    (
        "capacities on demand",
        {"read_capacity": 5, "write_capacity": 5},
        r"read_capacity/write_capacity: capacities apply only to billing_mode PROVISIONED",
    ),
    (
        "zero capacity",
        {"billing_mode": "PROVISIONED", "read_capacity": 0, "write_capacity": 1},
        r"read_capacity: 0 is not a capacity DynamoDB accepts "
        r"\(allowed: a whole number from 1 to 9223372036854775807\)",
    ),
    (
        "duplicate index names",
        {
            "global_secondary_indexes": [
                {"name": "by-day", "partition_key": "day"},
                {"name": "by-day", "partition_key": "hour"},
            ]
        },
        r"global_secondary_indexes: duplicate index names \['by-day'\] \(allowed: a unique name per index\)",
    ),
    (
        "index on provisioned table without capacities",
        {
            "billing_mode": "PROVISIONED",
            "read_capacity": 1,
            "write_capacity": 1,
            "global_secondary_indexes": [{"name": "by-day", "partition_key": "day"}],
        },
        r"global_secondary_indexes\[0\]\.read_capacity/global_secondary_indexes\[0\]\.write_capacity: "
        r"billing_mode PROVISIONED",
    ),
    (
        "attribute declared with two types",
        {"global_secondary_indexes": [{"name": "by-id", "partition_key": "id", "partition_key_type": "N"}]},
        r"global_secondary_indexes\[0\]\.partition_key_type: attribute 'id' is already declared with type 'S', not 'N'",
    ),
    (
        "INCLUDE without attributes",
        {"global_secondary_indexes": [{"name": "by-day", "partition_key": "day", "projection_type": "INCLUDE"}]},
        r"global_secondary_indexes\[0\]\.non_key_attributes: non_key_attributes go with projection_type INCLUDE",
    ),
    (
        "bad stream view type",
        {"stream_view_type": "ALL"},
        r"stream_view_type: 'ALL' is not supported \(allowed: 'KEYS_ONLY'",
    ),
    (
        "key policy too large",
        {"key_users": [f"arn:aws:iam::{ACCOUNT}:role/reader-{i:04d}-{'x' * 60}" for i in range(500)]},
        r"key_users: the key policy would be \d+ bytes, over the KMS limit of 32768 \(allowed: .*KeyUser",
    ),
    (
        "key policy too large for its administrators",
        {"key_admins": [f"arn:aws:iam::{ACCOUNT}:role/admin-{i:04d}-{'x' * 60}" for i in range(1000)]},
        r"key_admins: the key policy would be \d+ bytes, over the KMS limit of 32768 \(allowed: fewer key_admins",
    ),
    # Found by the property tests: wrong types used to raise TypeError/AttributeError, or pass as truthy.
    ("indexes not a list", {"global_secondary_indexes": True}, r"global_secondary_indexes: True is not a list"),
    (
        "index not a mapping",
        {"global_secondary_indexes": [None]},
        r"global_secondary_indexes\[0\]: None is not an index",
    ),
    ("a boolean as text", {"point_in_time_recovery": "false"}, r"point_in_time_recovery: 'false' is not a boolean"),
    ("key users not a list", {"key_users": 5}, r"key_users: 5 is not a list of IAM role or user ARNs"),
    (
        "fractional capacity",  # 5.0 is fine: other Pulumi languages send every number as a float
        {"billing_mode": "PROVISIONED", "read_capacity": 5.5, "write_capacity": 1.0},
        r"read_capacity: 5.5 is not a capacity DynamoDB accepts",
    ),
    (
        "non-key attribute not a name",
        {
            "global_secondary_indexes": [
                {"name": "by-day", "partition_key": "day", "projection_type": "INCLUDE", "non_key_attributes": [7]}
            ]
        },
        r"global_secondary_indexes\[0\]\.non_key_attributes\[0\]: 7 is not a valid attribute name",
    ),
]


@pytest.mark.parametrize(("case", "args", "message"), TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_encrypted_table_refuses_bad_input_before_registering_anything(
    mocks: RecordingMocks, resolve: Any, case: str, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(lambda: EncryptedTable("orders", {"partition_key": "id", **args}))
    assert mocks.resources == [], f"{case}: resources registered before the error"


KEY_USER_BASE: dict[str, Any] = {
    "key_arn": KEY_ARN,
    "table_name": "orders",
    "table_arn": TABLE_ARN,
    "principal_arn": ROLE,
}
KEY_USER_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "an alias for the key",
        {"key_arn": "arn:aws:kms:us-east-1:111122223333:alias/orders"},
        r"key_arn: 'arn:aws:kms:us-east-1:111122223333:alias/orders' is not a KMS key ARN or key id",
    ),
    (
        "a bare alias for the key",
        {"key_arn": "alias/orders"},
        r"key_arn: 'alias/orders' is not a KMS key ARN or key id",
    ),
    ("unknown mode", {"mode": "key-policy"}, r"mode: 'key-policy' is not supported \(allowed: 'grant', 'iam-policy'\)"),
    (
        "unknown access",
        {"access": "write"},
        r"access: 'write' is not supported \(allowed: 'read', 'read-write', 'none'\)",
    ),
    (
        "access none without paths",
        {"access": "none"},
        r"access: 'none' without paths declares and grants nothing \(allowed: 'read', 'read-write', or 'none' "
        r"with paths from 'stream', 'export', 'backup', 'restore', 're-key', 'kinesis', 'table policy'\)",
    ),
    ("access none with no path", {"access": "none", "paths": []}, r"access: 'none' without paths"),
    (
        "an item path as a declared path",
        {"paths": ["stream", "read"]},
        r"paths\[1\]: 'read' is not supported \(allowed: 'stream', 'export', 'backup', 'restore', 're-key', "
        r"'kinesis', 'table policy'\)",
    ),
    ("an unknown path", {"access": "none", "paths": ["s3"]}, r"paths\[0\]: 's3' is not supported"),
    ("a path of another case", {"paths": ["Stream"]}, r"paths\[0\]: 'Stream' is not supported"),
    ("paths as one string", {"paths": "stream"}, r"paths: 'stream' is not a list \(allowed: a list\)"),
    ("paths as a number", {"paths": 0}, r"paths: 0 is not a list"),
    (
        "a path given twice",
        {"paths": ["export", "stream", "export"]},
        r"paths: \['export'\] given twice \(allowed: each path once\)",
    ),
    ("malformed principal", {"principal_arn": "reader"}, r"principal_arn: 'reader' is not an IAM principal ARN"),
    (
        "account root as principal",
        {"principal_arn": f"arn:aws:iam::{ACCOUNT}:root"},
        r"principal_arn: a KeyUser names one IAM user or role, not an account",
    ),
    (
        "kind contradicts ARN",
        {"principal_kind": "user"},
        r"principal_kind: 'user' does not match the ARN, which is a role",
    ),
    ("principal not a string", {"principal_arn": 5}, r"principal_arn: 5 is not a string \(or an Output of one\)"),
    ("missing table name", {"table_name": None}, r"table_name: None is not a string"),
    ("flag as text", {"include_table_access": "yes"}, r"include_table_access: 'yes' is not a boolean"),
    (
        "iam-policy without delegation",
        {"mode": "iam-policy", "key_allows_iam_policies": False},
        r"mode: 'iam-policy' grants nothing on a key whose policy does not delegate to IAM "
        r".*\(allowed: 'grant', or turn allow_iam_policies on",
    ),
]


@pytest.mark.parametrize(("case", "args", "message"), KEY_USER_CASES, ids=[c[0] for c in KEY_USER_CASES])
def test_key_user_refuses_bad_input_before_registering_anything(
    mocks: RecordingMocks, resolve: Any, case: str, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(lambda: KeyUser("reader", {**KEY_USER_BASE, **args}))
    assert mocks.resources == [], f"{case}: resources registered before the error"


def test_identity_policy_for_an_output_arn_needs_the_principal_kind(resolve: Any) -> None:
    with pytest.raises(
        ConfigError, match=r"principal_kind: needed to attach an identity policy .*\(allowed: 'role', 'user'\)"
    ):
        resolve(
            lambda: KeyUser(
                "reader", {**KEY_USER_BASE, "principal_arn": pulumi.Output.from_input(ROLE), "mode": "iam-policy"}
            )
        )


def test_malformed_output_arn_fails_the_deployment(resolve: Any) -> None:
    """An ARN known only at deploy time is checked when it resolves (Pulumi wraps the error)."""
    with pytest.raises(ValueError, match=r"key_users\[0\]: 'arn:aws:iam::1:user/x' is not an IAM principal ARN"):
        resolve(
            lambda: EncryptedTable(
                "orders", {"partition_key": "id", "key_users": [pulumi.Output.from_input("arn:aws:iam::1:user/x")]}
            )
        )


def test_principal_arns_with_paths_parse() -> None:
    parsed = parse_principal_arn("f", f"arn:aws-us-gov:iam::{ACCOUNT}:role/team/app/Reader")
    assert (parsed.partition, parsed.kind, parsed.name) == ("aws-us-gov", "role", "Reader")


def test_default_alias_is_unique_per_stack_and_valid() -> None:
    assert default_alias("proj", "dev", "orders") == "alias/proj/dev/orders"
    assert default_alias("proj", "dev", "my table") == "alias/proj/dev/my-table"
