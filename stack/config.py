"""The stack program's configuration: stack config -> validated component arguments.

Every key, its type and its default are declared once, in Pulumi.yaml's `config:`
block; the Pulumi CLI (and the sandbox's mock runner) applies those defaults, so every
key has a value here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pulumi

from access.arns import parse_principal_arn
from access.errors import ConfigError
from components import EncryptedTableArgs
from components.encrypted_table import validate_encrypted_table_args
from components.validation import parse_alarm_topic_arn, require_choice
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
_FLAGS_OF_EXTERNAL = (("allowExternalAccounts", "allow_external_accounts"),)
# Key-loss protection (issue 20): the flag, and its options when it is on.
_PROTECTION_FLAG = ("keyLossProtection", "key_loss_protection")
_PROTECTION_FLAGS = (("breakGlassRequireMfa", "break_glass_require_mfa"),)
_PROTECTION_LISTS = (("breakGlassPrincipals", "break_glass_principals"),)
# alarmTopicArns: a list of topic ARNs (a config schema has no maps), each the topic of the region its ARN names.
_ALARM_TOPICS = ("alarmTopicArns", "alarm_topic_arns")
_ALARM_TOPIC_ENTRY = re.compile(r"alarm_topic_arns\['(?P<region>[a-z0-9-]+)'\]")
# Readers in other accounts: each config list becomes external_principals entries of one access level, with
# their key use in each region's key policy (the stack's way, as key-policy is the walkthrough's).
_EXTERNAL_LISTS = (("externalReaders", "read"), ("externalWriters", "read-write"))
EXTERNAL_KEY_ACCESS_OF_STACK = "key-policy"
_CONFIG_KEY_OF = {
    argument: key
    for key, argument in (
        *_TEXT,
        *_FLAGS,
        *_NUMBERS,
        *_LISTS,
        *_FLAGS_OF_EXTERNAL,
        _PROTECTION_FLAG,
        *_PROTECTION_FLAGS,
        *_PROTECTION_LISTS,
        _ALARM_TOPICS,
    )
}
# Auto scaling, flat in config (a config schema has no objects): each capacity's range, one target for both.
_AUTOSCALING_KEYS = (("write", "writeCapacityMin", "writeCapacityMax"), ("read", "readCapacityMin", "readCapacityMax"))
_TARGET_UTILIZATION_KEY = "targetUtilization"
_AUTOSCALING_CONFIG_KEY = {
    "autoscaling": "writeCapacityMin/writeCapacityMax",
    **{
        field: key
        for kind, low, high in _AUTOSCALING_KEYS
        for field, key in (
            (f"autoscaling.{kind}", f"{low}/{high}"),
            (f"autoscaling.{kind}.min_capacity", low),
            (f"autoscaling.{kind}.max_capacity", high),
            (f"autoscaling.{kind}.target_utilization", _TARGET_UTILIZATION_KEY),
        )
    },
}
_ARGUMENT = re.compile(r"[a-z_]+")
_EXTERNAL_ENTRY = re.compile(r"external_principals\[(?P<index>[0-9]+)\](?:\.[a-z_]+)?")
_CONSUMER_PROFILE = re.compile(r"(?P<account>[0-9]{12})=(?P<profile>[A-Za-z0-9_.+@-]+)", re.ASCII)


def _as_config_keys(field: str, external_keys: list[str] | None = None) -> str:
    """A component field as the user wrote it in stack config ('read_capacity/write_capacity' ->
    'readCapacity/writeCapacity', 'key_admins[2]' -> 'keyAdmins[2]', 'external_principals[3].principal' ->
    the config entry it came from, e.g. 'externalWriters[1]')."""
    if field in _AUTOSCALING_CONFIG_KEY:
        return _AUTOSCALING_CONFIG_KEY[field]
    if external_keys is not None:
        entry = _EXTERNAL_ENTRY.fullmatch(field)
        if entry is not None and int(entry["index"]) < len(external_keys):
            return external_keys[int(entry["index"])]
        if field == "external_principals":
            return "externalReaders/externalWriters"
    return _ARGUMENT.sub(lambda found: _CONFIG_KEY_OF.get(found[0], found[0]), field)


@dataclass(frozen=True)
class ConsumerAccount:
    """A consumer account the program attaches its external principals' identity policies in."""

    account: str
    profile: str
    principals: tuple[str, ...]  # its roles and users among the external principals


def _consumer_accounts(entries: list[str], external: list[str]) -> tuple[ConsumerAccount, ...]:
    """consumerProfiles ("ACCOUNT=PROFILE"), each with the external roles and users of its account."""
    profiles: dict[str, str] = {}
    for index, entry in enumerate(entries):
        found = _CONSUMER_PROFILE.fullmatch(entry)
        if found is None:
            raise ConfigError(
                f"consumerProfiles[{index}]",
                f"{entry!r} is not ACCOUNT=PROFILE",
                "a 12-digit account id, '=', and an AWS CLI profile name, e.g. 444455556666=consumer",
            )
        if found["account"] in profiles:
            raise ConfigError(f"consumerProfiles[{index}]", f"account {found['account']} given twice", "each once")
        profiles[found["account"]] = found["profile"]
    named = [parse_principal_arn("external", p) for p in external if p.startswith("arn:") and not p.endswith(":root")]
    return tuple(
        ConsumerAccount(account, profile, tuple(p.arn for p in named if p.account == account))
        for account, profile in profiles.items()
    )


def _key_protection(
    table: dict[str, Any], flag: Callable[[str], bool], strings: Callable[[str], list[str]]
) -> dict[str, int]:
    """The key-loss protection options into `table` (all of them when keyLossProtection is on; the others only
    when set, so that the component refuses them naming the key); the index of each alarm topic by region."""
    key, argument = _PROTECTION_FLAG
    table[argument] = flag(key)
    for key, argument in _PROTECTION_LISTS:
        if strings(key) or table[_PROTECTION_FLAG[1]]:
            table[argument] = strings(key)
    for key, argument in _PROTECTION_FLAGS:
        if flag(key) or table[_PROTECTION_FLAG[1]]:
            table[argument] = flag(key)
    key, argument = _ALARM_TOPICS
    topics: dict[str, str] = {}
    index_of: dict[str, int] = {}
    for index, arn in enumerate(strings(key)):
        region = parse_alarm_topic_arn(f"{key}[{index}]", arn)[1]
        if region in topics:
            raise ConfigError(
                f"{key}[{index}]", f"a second topic of {region} ({key}[{index_of[region]}] is one)", "one per region"
            )
        topics[region], index_of[region] = arn, index
    if topics:
        table[argument] = topics
    return index_of


@dataclass(frozen=True)
class StackConfig:
    table: EncryptedTableArgs
    point_in_time_recovery: bool
    deletion_protection: bool
    test_principal: str
    grant_test_principal: bool
    grant_mode: str
    consumer_accounts: tuple[ConsumerAccount, ...] = ()


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
    scaling = {
        kind: {
            "min_capacity": number(low) or None,
            "max_capacity": number(high) or None,
            "target_utilization": number(_TARGET_UTILIZATION_KEY),
        }
        for kind, low, high in _AUTOSCALING_KEYS
        if number(low) or number(high)
    }
    if scaling:
        table["autoscaling"] = scaling
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
    external_keys: list[str] = []
    external: list[dict[str, Any]] = []
    for key, access in _EXTERNAL_LISTS:
        for index, principal in enumerate(strings(key)):
            external_keys.append(f"{key}[{index}]")
            external.append({"principal": principal, "access": access, "key_access": EXTERNAL_KEY_ACCESS_OF_STACK})
    if external:
        table["external_principals"] = external
        table["allow_external_accounts"] = flag("allowExternalAccounts")
    topic_index = _key_protection(table, flag, strings)
    # Refuse a bad table before the program creates anything (the test principal comes first),
    # naming the config key the user typed rather than the component's argument.
    try:
        validate_encrypted_table_args(TABLE_COMPONENT_NAME, cast(EncryptedTableArgs, table))
    except ConfigError as error:
        topic = _ALARM_TOPIC_ENTRY.fullmatch(error.field)
        field = f"alarmTopicArns[{topic_index[topic['region']]}]" if topic and topic["region"] in topic_index else None
        raise ConfigError(field or _as_config_keys(error.field, external_keys), error.problem, error.allowed) from None
    consumer_accounts = _consumer_accounts(strings("consumerProfiles"), [e["principal"] for e in external])
    return StackConfig(
        table=cast(EncryptedTableArgs, table),
        point_in_time_recovery=flag("pointInTimeRecovery"),
        deletion_protection=flag("deletionProtection"),
        test_principal=test_principal,
        grant_test_principal=flag("grantTestPrincipal"),
        grant_mode=require_choice("grantMode", text("grantMode"), GRANT_MODES),
        consumer_accounts=consumer_accounts,
    )
