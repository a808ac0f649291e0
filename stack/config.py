"""The stack program's configuration: stack config -> validated component arguments.

Every key, its type and its default are declared once, in Pulumi.yaml's `config:`
block; the Pulumi CLI (and the sandbox's mock runner) applies those defaults, so every
key has a value here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

import pulumi

from access.errors import ConfigError
from components import EncryptedTableArgs
from components.encrypted_table import validate_encrypted_table_args
from components.validation import require_choice
from stack.outputs import NO_TEST_PRINCIPAL, TEST_PRINCIPAL_KINDS

TABLE_COMPONENT_NAME = "encrypted"
GRANT_MODES = ("key-policy", "grant", "iam-policy")

# Stack config key -> EncryptedTable argument, by how the key is read.
_TEXT = (
    ("tableName", "table_name"),
    ("partitionKey", "partition_key"),
    ("partitionKeyType", "partition_key_type"),
    ("sortKey", "sort_key"),
    ("sortKeyType", "sort_key_type"),
    ("billingMode", "billing_mode"),
    ("keyAlias", "alias"),
)
_FLAGS = (
    ("multiRegionKey", "multi_region_key"),
    ("pointInTimeRecovery", "point_in_time_recovery"),
    ("deletionProtection", "deletion_protection"),
    ("allowIamPolicies", "allow_iam_policies"),
)
_NUMBERS = (
    ("readCapacity", "read_capacity"),
    ("writeCapacity", "write_capacity"),
    ("keyRotationPeriodDays", "rotation_period_days"),
    ("keyDeletionWindowDays", "deletion_window_days"),
)
_LISTS = (("keyAdmins", "key_admins"), ("replicaRegions", "replica_regions"))
_CONFIG_KEY_OF = {argument: key for key, argument in (*_TEXT, *_FLAGS, *_NUMBERS, *_LISTS)}
_ARGUMENT = re.compile(r"[a-z_]+")


def _as_config_keys(field: str) -> str:
    """A component field as the user wrote it in stack config ('read_capacity/write_capacity' ->
    'readCapacity/writeCapacity', 'key_admins[2]' -> 'keyAdmins[2]')."""
    return _ARGUMENT.sub(lambda found: _CONFIG_KEY_OF.get(found[0], found[0]), field)


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
            raise ConfigError(key, f"{value!r} is not a list of strings", "a YAML or JSON list of strings")
        return value

    # Empty string / zero / [] mean "not set" (a config schema cannot express "absent"); flags are always set.
    read = [
        *((a, text(k)) for k, a in _TEXT),
        *((a, number(k)) for k, a in _NUMBERS),
        *((a, strings(k)) for k, a in _LISTS),
    ]
    table: dict[str, Any] = {
        **{argument: value for argument, value in read if value},
        **{argument: flag(key) for key, argument in _FLAGS},
    }
    if text("sortKeyType") and not text("sortKey"):
        raise ConfigError(
            "sortKeyType",
            f"is {text('sortKeyType')!r} but sortKey is not set",
            "set sortKey too, or leave sortKeyType empty",
        )
    test_principal = require_choice("testPrincipal", text("testPrincipal"), TEST_PRINCIPAL_KINDS)
    if flag("grantTestPrincipal") and test_principal == NO_TEST_PRINCIPAL:
        raise ConfigError(
            "grantTestPrincipal",
            f"true needs a test principal, but testPrincipal is {NO_TEST_PRINCIPAL!r}",
            "false, or testPrincipal 'role' or 'user'",
        )
    # Refuse a bad table before the program creates anything (the test principal comes first),
    # naming the config key the user typed rather than the component's argument.
    try:
        validate_encrypted_table_args(TABLE_COMPONENT_NAME, cast(EncryptedTableArgs, table))
    except ConfigError as error:
        raise ConfigError(_as_config_keys(error.field), error.problem, error.allowed) from None
    return StackConfig(
        table=cast(EncryptedTableArgs, table),
        point_in_time_recovery=flag("pointInTimeRecovery"),
        deletion_protection=flag("deletionProtection"),
        test_principal=test_principal,
        grant_test_principal=flag("grantTestPrincipal"),
        grant_mode=require_choice("grantMode", text("grantMode"), GRANT_MODES),
    )
