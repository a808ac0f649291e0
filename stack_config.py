"""The stack program's configuration: keys, defaults, and their checks.

The defaults here are the same as the `config:` schema in Pulumi.yaml (a test
holds the two equal): the CLI applies the schema's, the SDK under mocks does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import ConfigError, EncryptedTableArgs
from components.encrypted_table import validate_encrypted_table_args
from components.errors import one_of

TABLE_COMPONENT_NAME = "encrypted"
TEST_PRINCIPAL_KINDS = ("role", "user", "none")
GRANT_MODES = ("key-policy", "grant", "iam-policy")

DEFAULTS: dict[str, Any] = {
    "tableName": "",
    "partitionKey": "id",
    "partitionKeyType": "S",
    "sortKey": "",
    "sortKeyType": "S",
    "billingMode": "PAY_PER_REQUEST",
    "readCapacity": 0,
    "writeCapacity": 0,
    "pointInTimeRecovery": True,
    "deletionProtection": True,
    "keyAlias": "",
    "keyAdmins": [],
    "keyRotationPeriodDays": 365,
    "keyDeletionWindowDays": 30,
    "allowIamPolicies": True,
    "testPrincipal": "role",
    "grantTestPrincipal": False,
    "grantMode": "grant",
}


@dataclass(frozen=True)
class StackConfig:
    table: EncryptedTableArgs
    test_principal: str
    grant_test_principal: bool
    grant_mode: str


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(key, f"{value!r} is not supported", one_of(allowed))
    return value


def load_stack_config(config: pulumi.Config) -> StackConfig:
    def text(key: str) -> str:
        value = config.get(key)
        return DEFAULTS[key] if value is None else value

    def flag(key: str) -> bool:
        try:
            value = config.get_bool(key)
        except pulumi.ConfigTypeError:
            raise ConfigError(key, f"{config.get(key)!r} is not a boolean", "true or false") from None
        return DEFAULTS[key] if value is None else value

    def number(key: str) -> int:
        try:
            value = config.get_int(key)
        except pulumi.ConfigTypeError:
            raise ConfigError(key, f"{config.get(key)!r} is not a whole number", "an integer, e.g. 30") from None
        return DEFAULTS[key] if value is None else value

    def strings(key: str) -> list[str]:
        try:
            value = config.get_object(key)
        except pulumi.ConfigTypeError:
            value = config.get(key)
        if value is None:
            return list(DEFAULTS[key])
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
        test_principal=_choice("testPrincipal", text("testPrincipal"), TEST_PRINCIPAL_KINDS),
        grant_test_principal=flag("grantTestPrincipal"),
        grant_mode=_choice("grantMode", text("grantMode"), GRANT_MODES),
    )
