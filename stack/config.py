"""The stack program's configuration: stack config -> validated component arguments.

Every key, its type and its default are declared once, in Pulumi.yaml's `config:`
block; the Pulumi CLI (and the sandbox's mock runner) applies those defaults, so every
key has a value here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi

from access.errors import ConfigError
from components import EncryptedTableArgs
from components.encrypted_table import validate_encrypted_table_args
from components.validation import require_choice
from stack.outputs import TEST_PRINCIPAL_KINDS

TABLE_COMPONENT_NAME = "encrypted"
GRANT_MODES = ("key-policy", "grant", "iam-policy")


@dataclass(frozen=True)
class StackConfig:
    table: EncryptedTableArgs
    point_in_time_recovery: bool
    deletion_protection: bool
    test_principal: str
    grant_test_principal: bool
    grant_mode: str


def load_stack_config(config: pulumi.Config) -> StackConfig:
    def text(key: str) -> str:
        return config.require(key)

    def flag(key: str) -> bool:
        try:
            return config.require_bool(key)
        except pulumi.ConfigTypeError:
            raise ConfigError(key, f"{config.get(key)!r} is not a boolean", "true or false") from None

    def number(key: str) -> int:
        try:
            return config.require_int(key)
        except pulumi.ConfigTypeError:
            raise ConfigError(key, f"{config.get(key)!r} is not a whole number", "an integer, e.g. 30") from None

    def strings(key: str) -> list[str]:
        raw = config.require(key)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, f"{value!r} is not a list of strings", "a YAML or JSON list of ARNs")
        return value

    table: EncryptedTableArgs = {
        "partition_key": text("partitionKey"),
        "partition_key_type": text("partitionKeyType"),
        "billing_mode": text("billingMode"),
        "point_in_time_recovery": flag("pointInTimeRecovery"),
        "deletion_protection": flag("deletionProtection"),
        "rotation_period_days": number("keyRotationPeriodDays"),
        "deletion_window_days": number("keyDeletionWindowDays"),
        "allow_iam_policies": flag("allowIamPolicies"),
        "key_admins": strings("keyAdmins"),
    }
    # Empty string / zero mean "not set" (a config schema cannot express "absent").
    if text("tableName"):
        table["table_name"] = text("tableName")
    if text("sortKey"):
        table["sort_key"] = text("sortKey")
        table["sort_key_type"] = text("sortKeyType")
    if text("keyAlias"):
        table["alias"] = text("keyAlias")
    if number("readCapacity"):
        table["read_capacity"] = number("readCapacity")
    if number("writeCapacity"):
        table["write_capacity"] = number("writeCapacity")

    # Refuse a bad table before the program creates anything (the test principal comes first).
    validate_encrypted_table_args(TABLE_COMPONENT_NAME, table)
    return StackConfig(
        table=table,
        point_in_time_recovery=flag("pointInTimeRecovery"),
        deletion_protection=flag("deletionProtection"),
        test_principal=require_choice("testPrincipal", text("testPrincipal"), TEST_PRINCIPAL_KINDS),
        grant_test_principal=flag("grantTestPrincipal"),
        grant_mode=require_choice("grantMode", text("grantMode"), GRANT_MODES),
    )
