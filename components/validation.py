"""Pure validation of component arguments: plain data in, normalised specs out.

Nothing here touches Pulumi, so every rule is testable on its own and runs before
any resource is registered. Values that are Pulumi Outputs (unknown until deploy)
are checked later, inside the apply that first sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from access.arns import (
    ALIAS_NAME_PATTERN,
    KEY_ARN_PATTERN,
    KEY_ID_PATTERN,
    PARTITION_OF_REGION,
    PRINCIPAL_KINDS,
    TABLE_NAME_PATTERN,
    account_of,
    is_account_principal,
    parse_principal_arn,
    parse_table_arn,
)
from access.errors import ConfigError, one_of
from access.kms_dynamodb import (
    ACCESS_LEVELS,
    ALIAS_MAX_LENGTH,
    ALIAS_NAME_CHARACTERS,
    ALIAS_PREFIX,
    AUTOSCALING_CAPACITY_UNITS,
    AWS_MANAGED_KEY_ALIAS,
    CAPACITY_KINDS,
    CAPACITY_UNITS,
    DELETION_WINDOW_DAYS,
    EXTERNAL_KEY_ACCESS_MODES,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    KEY_ATTRIBUTE_NAME_BYTES,
    KEY_DESCRIPTION_MAX_LENGTH,
    MAX_DELETION_WINDOW_DAYS,
    MAX_PROJECTED_ATTRIBUTES,
    RESERVED_ALIAS_PREFIX,
    ROTATION_PERIOD_DAYS,
    TABLE_NAME_CHARACTERS,
    TABLE_NAME_LENGTH,
    TARGET_UTILIZATION_PERCENT,
)
from access.operations import DECLARABLE_PATHS, NO_ITEM_ACCESS, Path

ATTRIBUTE_TYPES = ("S", "N", "B")
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
STREAM_VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
PROJECTION_TYPES = ("ALL", "KEYS_ONLY", "INCLUDE")
KEY_USER_MODES = ("grant", "iam-policy")
# A KeyUser's access: an item level, or "none" (no key use: only its declared paths).
KEY_USER_ACCESS = (*ACCESS_LEVELS, NO_ITEM_ACCESS)
KEY_USER_PATHS: tuple[str, ...] = tuple(path.value for path in DECLARABLE_PATHS)

# The components' defaults, in one place: validation applies them and the
# generated component reference (docs/components.md) shows them.
ENCRYPTED_TABLE_DEFAULTS: dict[str, object] = {
    "partition_key_type": "S",
    "sort_key_type": "S",
    "billing_mode": "PAY_PER_REQUEST",
    "point_in_time_recovery": True,
    "deletion_protection": True,
    "key_description": "Customer-managed key for an encrypted DynamoDB table",
    "enable_key_rotation": True,
    "deletion_window_days": MAX_DELETION_WINDOW_DAYS,
    "allow_iam_policies": True,
    "multi_region_key": False,
    "allow_external_accounts": False,
    "key_loss_protection": False,
    "break_glass_require_mfa": False,
}
# An external_principals entry's defaults (EncryptedTable: readers in other accounts).
EXTERNAL_PRINCIPAL_DEFAULTS: dict[str, object] = {"access": "read", "key_access": "key-policy", "stream": False}
REPLICA_DEFAULTS: dict[str, object] = {"propagate_tags": True}
INDEX_DEFAULTS: dict[str, object] = {"partition_key_type": "S", "sort_key_type": "S", "projection_type": "ALL"}
# An autoscaling.write / autoscaling.read entry's defaults: AWS CDK's target utilization
# (aws_dynamodb.AutoscaledCapacityOptions targetUtilizationPercent, "Default: 70").
AUTOSCALING_DEFAULTS: dict[str, object] = {"target_utilization": 70}
KEY_USER_DEFAULTS: dict[str, object] = {
    "mode": "grant",
    "access": "read",
    "include_table_access": False,
    "key_allows_iam_policies": True,
}


def require_choice(field_name: str, value: object, allowed: Sequence[object]) -> Any:
    if value not in allowed:
        raise ConfigError(field_name, f"{value!r} is not supported", one_of(allowed))
    return value


def is_deferred(value: object) -> bool:
    """A Pulumi Output (anything with .apply): known only at deploy, checked then."""
    return callable(getattr(value, "apply", None))


def require_bool(field_name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(field_name, f"{value!r} is not a boolean", "True or False")
    return value


def require_text(field_name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(field_name, f"{value!r} is not a string", "a string")
    return value


def require_sequence(field_name: str, value: object) -> Sequence[Any]:
    """A list (or tuple) of items; a string is not a list of its characters."""
    if not isinstance(value, list | tuple):
        raise ConfigError(field_name, f"{value!r} is not a list", "a list")
    return value


def require_plain_or_output(field_name: str, value: object, kind: type | tuple[type, ...], allowed: str) -> None:
    """A value that may be an Output must otherwise already be of the right kind."""
    if not is_deferred(value) and not isinstance(value, kind):
        raise ConfigError(field_name, f"{value!r} is not {allowed}", allowed)


def _whole(value: object) -> int | None:
    """An int, or a float with no fractional part (other Pulumi languages send numbers as floats)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def require_int_in_range(field_name: str, value: object, bounds: tuple[int, int]) -> int:
    low, high = bounds
    whole = _whole(value)
    if whole is None or not low <= whole <= high:
        raise ConfigError(field_name, f"{value!r} is out of range", f"whole number of days from {low} to {high}")
    return whole


def require_capacity(field_name: str, value: object) -> int:
    low, high = CAPACITY_UNITS
    whole = _whole(value)
    if whole is None or not low <= whole <= high:
        raise ConfigError(
            field_name, f"{value!r} is not a capacity DynamoDB accepts", f"a whole number from {low} to {high}"
        )
    return whole


def validate_table_name(field_name: str, value: object) -> str:
    if not isinstance(value, str) or not TABLE_NAME_PATTERN.fullmatch(value):
        raise ConfigError(
            field_name,
            f"{value!r} is not a valid DynamoDB table name",
            f"{TABLE_NAME_LENGTH[0]} to {TABLE_NAME_LENGTH[1]} characters from {TABLE_NAME_CHARACTERS}",
        )
    return value


def validate_attribute_name(field_name: str, value: object) -> str:
    low, high = KEY_ATTRIBUTE_NAME_BYTES
    if not isinstance(value, str) or not low <= len(value.encode("utf-8", "surrogatepass")) <= high:
        raise ConfigError(field_name, f"{value!r} is not a valid attribute name", f"{low} to {high} bytes of UTF-8")
    return value


def validate_alias(field_name: str, value: object) -> str:
    allowed = (
        f"'{ALIAS_PREFIX}' followed by {ALIAS_NAME_CHARACTERS}, "
        f"at most {ALIAS_MAX_LENGTH} characters, not starting with '{RESERVED_ALIAS_PREFIX}'"
    )
    if not isinstance(value, str) or not value.startswith(ALIAS_PREFIX):
        raise ConfigError(field_name, f"{value!r} must start with '{ALIAS_PREFIX}'", allowed)
    if value == ALIAS_PREFIX:
        raise ConfigError(field_name, f"{value!r} has no name after '{ALIAS_PREFIX}'", allowed)
    if value.startswith(RESERVED_ALIAS_PREFIX):
        raise ConfigError(field_name, f"{value!r} uses the prefix reserved for AWS managed keys", allowed)
    if not ALIAS_NAME_PATTERN.fullmatch(value):
        raise ConfigError(field_name, f"{value!r} contains characters KMS does not accept", allowed)
    if len(value) > ALIAS_MAX_LENGTH:
        raise ConfigError(field_name, f"alias is {len(value)} characters long", allowed)
    return value


def validate_key_description(value: object) -> str:
    text = require_text("key_description", value)
    if len(text) > KEY_DESCRIPTION_MAX_LENGTH:
        raise ConfigError(
            "key_description", f"is {len(text)} characters long", f"at most {KEY_DESCRIPTION_MAX_LENGTH} characters"
        )
    return text


def default_alias(project: str, stack: str, name: str) -> str:
    """An alias unique per project, stack and component, so stacks do not collide."""
    raw = f"alias/{project}/{stack}/{name}"
    return re.sub(r"[^A-Za-z0-9/_-]", "-", raw)[:ALIAS_MAX_LENGTH]


def validate_principal_arns(field_name: str, values: Iterable[object], *, named_only: bool = False) -> list[str]:
    """Check each ARN; return them de-duplicated, in their first order.

    named_only: roles and users only, never an account root (a key user named as the root would let
    every identity of the account with KMS rights in IAM use the key, whatever allow_iam_policies says).
    """
    seen: dict[str, None] = {}
    for index, value in enumerate(values):
        parsed = parse_principal_arn(f"{field_name}[{index}]", value)
        if named_only and parsed.kind == "root":
            raise ConfigError(
                f"{field_name}[{index}]", f"{parsed.arn!r} is an account, not a named principal", "a user or role ARN"
            )
        seen[parsed.arn] = None
    return list(seen)


@dataclass(frozen=True)
class KeySpec:
    multi_region: bool
    description: str
    alias: str
    enable_rotation: bool
    rotation_period_days: int | None
    deletion_window_days: int
    allow_iam_policies: bool
    # Key-loss protection of every region's key (validate_key_protection); None: off, today's key policy.
    protection: KeyProtectionSpec | None = None


def validate_key_args(args: Mapping[str, Any], default_alias_name: str) -> KeySpec:
    enable_rotation = require_bool(
        "enable_key_rotation", args.get("enable_key_rotation", ENCRYPTED_TABLE_DEFAULTS["enable_key_rotation"])
    )
    period = args.get("rotation_period_days")
    if period is not None:
        period = require_int_in_range("rotation_period_days", period, ROTATION_PERIOD_DAYS)
        if not enable_rotation:
            raise ConfigError(
                "rotation_period_days",
                "a rotation period needs rotation on",
                "leave it unset, or set enable_key_rotation to True",
            )
    window = require_int_in_range(
        "deletion_window_days",
        args.get("deletion_window_days", ENCRYPTED_TABLE_DEFAULTS["deletion_window_days"]),
        DELETION_WINDOW_DAYS,
    )
    alias = validate_alias("alias", args.get("alias") or default_alias_name)
    for field_name in ("key_admins", "key_users"):
        principals = args.get(field_name)
        if principals is not None:
            require_plain_or_output(field_name, principals, (list, tuple), "a list of IAM role or user ARNs")
    return KeySpec(
        multi_region=require_bool(
            "multi_region_key", args.get("multi_region_key", ENCRYPTED_TABLE_DEFAULTS["multi_region_key"])
        ),
        description=validate_key_description(
            args.get("key_description") or ENCRYPTED_TABLE_DEFAULTS["key_description"]
        ),
        alias=alias,
        enable_rotation=enable_rotation,
        rotation_period_days=period,
        deletion_window_days=window,
        allow_iam_policies=require_bool(
            "allow_iam_policies", args.get("allow_iam_policies", ENCRYPTED_TABLE_DEFAULTS["allow_iam_policies"])
        ),
    )


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str | None
    projection_type: str
    non_key_attributes: tuple[str, ...]
    read_capacity: int | None
    write_capacity: int | None


@dataclass(frozen=True)
class TableSpec:
    name: str | None  # None: let Pulumi auto-name the table
    partition_key: str
    sort_key: str | None
    attributes: dict[str, str]  # every key attribute -> S/N/B
    billing_mode: str
    read_capacity: int | None
    write_capacity: int | None
    point_in_time_recovery: bool
    deletion_protection: bool
    ttl_attribute: str | None
    stream_view_type: str | None
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    replicas: tuple[ReplicaSpec, ...] = field(default_factory=tuple)
    autoscaling: AutoScalingSpec | None = None  # None: capacities fixed (PROVISIONED), or on-demand


@dataclass(frozen=True)
class ReplicaSpec:
    region: str
    point_in_time_recovery: bool
    deletion_protection: bool
    propagate_tags: bool


GLOBAL_TABLE_STREAM_VIEW = "NEW_AND_OLD_IMAGES"


def validate_region(field_name: str, value: object) -> str:
    if not isinstance(value, str) or value not in PARTITION_OF_REGION:
        raise ConfigError(field_name, f"{value!r} is not an AWS region", "a region name such as 'eu-west-1'")
    return value


def _replica(field_name: str, raw: object, table_pitr: bool, table_protection: bool) -> ReplicaSpec:
    if isinstance(raw, str):
        raw = {"region": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            field_name, f"{raw!r} is not a replica", "a region name, or {region, point_in_time_recovery, ...}"
        )
    return ReplicaSpec(
        region=validate_region(f"{field_name}.region", raw.get("region")),
        point_in_time_recovery=require_bool(
            f"{field_name}.point_in_time_recovery", raw.get("point_in_time_recovery", table_pitr)
        ),
        deletion_protection=require_bool(
            f"{field_name}.deletion_protection", raw.get("deletion_protection", table_protection)
        ),
        propagate_tags=require_bool(
            f"{field_name}.propagate_tags", raw.get("propagate_tags", REPLICA_DEFAULTS["propagate_tags"])
        ),
    )


def validate_replicas(args: Mapping[str, Any], table_pitr: bool, table_protection: bool) -> tuple[ReplicaSpec, ...]:
    """replica_regions (names) and replicas (with options), as one list: each region once, one partition,
    never the primary region (when it is known before deploy: primary_region, or the stack's aws:region)."""
    replicas = [
        _replica(f"replica_regions[{i}]", raw, table_pitr, table_protection)
        for i, raw in enumerate(require_sequence("replica_regions", args.get("replica_regions") or ()))
    ]
    replicas += [
        _replica(f"replicas[{i}]", raw, table_pitr, table_protection)
        for i, raw in enumerate(require_sequence("replicas", args.get("replicas") or ()))
    ]
    regions = [r.region for r in replicas]
    twice = sorted({r for r in regions if regions.count(r) > 1})
    if twice:
        raise ConfigError("replica_regions", f"{twice} given twice", "each replica region once")
    primary = args.get("primary_region")
    if primary is not None:
        validate_region("primary_region", primary)
        if primary in regions:
            raise ConfigError(
                "replica_regions", f"{primary!r} is the table's own region", "other regions than the primary"
            )
    partitions = {PARTITION_OF_REGION[r] for r in [*regions, *([primary] if primary else [])]}
    if len(partitions) > 1:
        raise ConfigError(
            "replica_regions", f"regions of several partitions ({sorted(partitions)})", "regions of one partition"
        )
    # With PROVISIONED billing every replica takes the table's (and its indexes') capacities: the
    # capacity checks of validate_table_args refuse a table without them, replicas or not.
    return tuple(replicas)


def _add_attribute(attributes: dict[str, str], field_name: str, name: str, kind: object) -> None:
    checked: str = require_choice(field_name, kind, ATTRIBUTE_TYPES)
    if attributes.setdefault(name, checked) != checked:
        raise ConfigError(
            field_name,
            f"attribute {name!r} is already declared with type {attributes[name]!r}, not {checked!r}",
            "one type per attribute name",
        )


def _validate_capacities(prefix: str, billing_mode: str, item: Mapping[str, Any]) -> tuple[int | None, int | None]:
    read, write = item.get("read_capacity"), item.get("write_capacity")
    if billing_mode == "PROVISIONED":
        if read is None or write is None:
            raise ConfigError(
                f"{prefix}read_capacity/{prefix}write_capacity",
                "billing_mode PROVISIONED needs both capacities",
                "positive whole numbers, or billing_mode PAY_PER_REQUEST",
            )
        return require_capacity(f"{prefix}read_capacity", read), require_capacity(f"{prefix}write_capacity", write)
    if read is not None or write is not None:
        raise ConfigError(
            f"{prefix}read_capacity/{prefix}write_capacity",
            "capacities apply only to billing_mode PROVISIONED",
            "leave them unset with PAY_PER_REQUEST",
        )
    return None, None


def _validate_index(position: int, raw: object, billing_mode: str, attributes: dict[str, str]) -> IndexSpec:
    prefix = f"global_secondary_indexes[{position}]."
    if not isinstance(raw, Mapping):
        raise ConfigError(prefix.rstrip("."), f"{raw!r} is not an index", "a mapping with name, partition_key, ...")
    name = validate_table_name(f"{prefix}name", raw.get("name"))
    partition_key = validate_attribute_name(f"{prefix}partition_key", raw.get("partition_key"))
    _add_attribute(
        attributes,
        f"{prefix}partition_key_type",
        partition_key,
        raw.get("partition_key_type", INDEX_DEFAULTS["partition_key_type"]),
    )
    sort_key = raw.get("sort_key")
    if sort_key is not None:
        validate_attribute_name(f"{prefix}sort_key", sort_key)
        if sort_key == partition_key:
            raise ConfigError(
                f"{prefix}sort_key", f"{sort_key!r} equals the index partition key", "a different attribute"
            )
        _add_attribute(
            attributes, f"{prefix}sort_key_type", sort_key, raw.get("sort_key_type", INDEX_DEFAULTS["sort_key_type"])
        )
    projection = require_choice(
        f"{prefix}projection_type", raw.get("projection_type", INDEX_DEFAULTS["projection_type"]), PROJECTION_TYPES
    )
    non_key = tuple(
        validate_attribute_name(f"{prefix}non_key_attributes[{i}]", attribute)
        for i, attribute in enumerate(
            require_sequence(f"{prefix}non_key_attributes", raw.get("non_key_attributes") or ())
        )
    )
    if (projection == "INCLUDE") != bool(non_key):
        raise ConfigError(
            f"{prefix}non_key_attributes",
            "non_key_attributes go with projection_type INCLUDE, and only with it",
            "a non-empty list with INCLUDE; nothing otherwise",
        )
    read, write = _validate_capacities(prefix, billing_mode, raw)
    return IndexSpec(name, partition_key, sort_key, projection, non_key, read, write)


def validate_table_args(args: Mapping[str, Any]) -> TableSpec:
    table_name = args.get("table_name")
    if table_name is not None:
        validate_table_name("table_name", table_name)

    attributes: dict[str, str] = {}
    partition_key = validate_attribute_name("partition_key", args.get("partition_key"))
    _add_attribute(
        attributes,
        "partition_key_type",
        partition_key,
        args.get("partition_key_type", ENCRYPTED_TABLE_DEFAULTS["partition_key_type"]),
    )
    sort_key = args.get("sort_key")
    if sort_key is not None:
        validate_attribute_name("sort_key", sort_key)
        if sort_key == partition_key:
            raise ConfigError(
                "sort_key", f"{sort_key!r} equals the partition key", "a different attribute, or no sort key"
            )
        _add_attribute(
            attributes, "sort_key_type", sort_key, args.get("sort_key_type", ENCRYPTED_TABLE_DEFAULTS["sort_key_type"])
        )

    billing_mode = require_choice(
        "billing_mode", args.get("billing_mode", ENCRYPTED_TABLE_DEFAULTS["billing_mode"]), BILLING_MODES
    )
    read, write = _validate_capacities("", billing_mode, args)

    indexes = tuple(
        _validate_index(position, raw, billing_mode, attributes)
        for position, raw in enumerate(
            require_sequence("global_secondary_indexes", args.get("global_secondary_indexes") or ())
        )
    )
    names = [index.name for index in indexes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError("global_secondary_indexes", f"duplicate index names {duplicates}", "a unique name per index")
    projected = sum(len(index.non_key_attributes) for index in indexes)
    if projected > MAX_PROJECTED_ATTRIBUTES:
        raise ConfigError(
            "global_secondary_indexes",
            f"{projected} non_key_attributes in all, over DynamoDB's limit",
            f"at most {MAX_PROJECTED_ATTRIBUTES} summed over every index",
        )

    ttl = args.get("ttl_attribute")
    if ttl is not None:
        validate_attribute_name("ttl_attribute", ttl)
    stream = args.get("stream_view_type")
    if stream is not None:
        require_choice("stream_view_type", stream, STREAM_VIEW_TYPES)
    point_in_time_recovery = require_bool(
        "point_in_time_recovery",
        args.get("point_in_time_recovery", ENCRYPTED_TABLE_DEFAULTS["point_in_time_recovery"]),
    )
    deletion_protection = require_bool(
        "deletion_protection", args.get("deletion_protection", ENCRYPTED_TABLE_DEFAULTS["deletion_protection"])
    )
    replicas = validate_replicas(args, point_in_time_recovery, deletion_protection)
    if replicas:
        # Global tables (version 2019.11.21) replicate through the table's stream, with both images:
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables_reqs_bestpractices.html
        if stream not in (None, GLOBAL_TABLE_STREAM_VIEW):
            raise ConfigError(
                "stream_view_type",
                f"{stream!r} cannot carry a global table's replication",
                f"{GLOBAL_TABLE_STREAM_VIEW!r} (the default with replicas)",
            )
        stream = GLOBAL_TABLE_STREAM_VIEW
    autoscaling = validate_autoscaling(args, billing_mode, (read, write), indexes, replicas)

    return TableSpec(
        name=table_name,
        partition_key=partition_key,
        sort_key=sort_key,
        attributes=attributes,
        billing_mode=billing_mode,
        read_capacity=read,
        write_capacity=write,
        point_in_time_recovery=point_in_time_recovery,
        deletion_protection=deletion_protection,
        ttl_attribute=ttl,
        stream_view_type=stream,
        indexes=indexes,
        replicas=replicas,
        autoscaling=autoscaling,
    )


# -- provisioned capacity under auto scaling (EncryptedTable.autoscaling) -------------------------

AUTOSCALING_FIELDS = ("min_capacity", "max_capacity", "target_utilization")


@dataclass(frozen=True)
class CapacityScalingSpec:
    """Target tracking of one capacity (read or write) of the table and of each of its indexes."""

    min_capacity: int
    max_capacity: int
    target_utilization: float  # percent of the provisioned capacity consumed


@dataclass(frozen=True)
class AutoScalingSpec:
    write: CapacityScalingSpec | None
    read: CapacityScalingSpec | None

    def of(self, kind: str) -> CapacityScalingSpec | None:
        """The scaling of capacity `kind`, 'write' or 'read' (None: that capacity stays as configured)."""
        return {"write": self.write, "read": self.read}[kind]


def _autoscaling_capacity(field_name: str, value: object) -> int:
    low, high = AUTOSCALING_CAPACITY_UNITS
    whole = _whole(value)
    if whole is None or not low <= whole <= high:
        raise ConfigError(
            field_name,
            f"{value!r} is not a capacity Application Auto Scaling accepts for DynamoDB",
            f"a whole number from {low} to {high}",
        )
    return whole


def _capacity_scaling(field_name: str, raw: object) -> CapacityScalingSpec:
    if not isinstance(raw, Mapping):
        raise ConfigError(field_name, f"{raw!r} is not a capacity's auto scaling", "{min_capacity, max_capacity, ...}")
    unknown = sorted(set(raw) - set(AUTOSCALING_FIELDS))
    if unknown:
        raise ConfigError(field_name, f"unknown fields {unknown}", one_of(AUTOSCALING_FIELDS))
    for required in ("min_capacity", "max_capacity"):
        if raw.get(required) is None:
            raise ConfigError(f"{field_name}.{required}", "is required", "a whole number of capacity units")
    low = _autoscaling_capacity(f"{field_name}.min_capacity", raw["min_capacity"])
    high = _autoscaling_capacity(f"{field_name}.max_capacity", raw["max_capacity"])
    if low > high:
        raise ConfigError(
            f"{field_name}.max_capacity", f"{high} is below min_capacity {low}", f"at least min_capacity ({low})"
        )
    target = raw.get("target_utilization", AUTOSCALING_DEFAULTS["target_utilization"])
    least, most = TARGET_UTILIZATION_PERCENT
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html: "You can set the auto
    # scaling target utilization values between 20% and 90% for your read and write capacity."
    if isinstance(target, bool) or not isinstance(target, int | float) or not least <= target <= most:
        raise ConfigError(
            f"{field_name}.target_utilization",
            f"{target!r} is outside the target utilization DynamoDB auto scaling takes",
            f"a percentage from {least} to {most}",
        )
    return CapacityScalingSpec(low, high, float(target))


def _check_within(field_name: str, capacity: int | None, scaling: CapacityScalingSpec | None, kind: str) -> None:
    """A capacity the table is created with lies in its auto scaling range: Application Auto Scaling would move
    it there at once, so any other value is a setting the stack never keeps."""
    if capacity is None or scaling is None:
        return
    if not scaling.min_capacity <= capacity <= scaling.max_capacity:
        raise ConfigError(
            field_name,
            f"{capacity} is outside autoscaling.{kind}'s range",
            f"a whole number from {scaling.min_capacity} to {scaling.max_capacity} (min_capacity to max_capacity)",
        )


def validate_autoscaling(
    args: Mapping[str, Any],
    billing_mode: str,
    capacities: tuple[int | None, int | None],
    indexes: Sequence[IndexSpec],
    replicas: Sequence[ReplicaSpec],
) -> AutoScalingSpec | None:
    """`autoscaling`, checked against the table's billing mode, capacities (read, write), indexes and replicas.

    The same scaling applies to the table and to each of its global secondary indexes, as the DynamoDB
    console's default "Apply same settings to global secondary indexes" does
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.Console.html). A PROVISIONED
    table with replicas needs write auto scaling: "A global table must have throughput capacity configured
    one of two ways: On-demand capacity mode ... Provisioned capacity mode with auto scaling"
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html),
    and DynamoDB refuses the replica otherwise, for the table's write capacity and for each index's.
    """
    raw = args.get("autoscaling")
    if raw is None:
        if billing_mode == "PROVISIONED" and replicas:
            raise ConfigError(
                "autoscaling",
                f"a PROVISIONED table with replicas needs write auto scaling; AWS refuses its replicas "
                f"({GLOBAL_TABLE_WRITE_CAPACITY_ERROR!r})",
                "autoscaling.write {min_capacity, max_capacity, target_utilization}, or billing_mode PAY_PER_REQUEST",
            )
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError("autoscaling", f"{raw!r} is not an auto scaling setting", "{write: {...}, read: {...}}")
    unknown = sorted(set(raw) - set(CAPACITY_KINDS))
    if unknown:
        raise ConfigError("autoscaling", f"unknown fields {unknown}", one_of(CAPACITY_KINDS))
    if billing_mode != "PROVISIONED":
        raise ConfigError(
            "autoscaling",
            f"auto scaling adjusts provisioned capacity; billing_mode {billing_mode} has none",
            "billing_mode PROVISIONED with read_capacity and write_capacity, or no autoscaling",
        )
    spec = AutoScalingSpec(
        *(
            None if raw.get(kind) is None else _capacity_scaling(f"autoscaling.{kind}", raw[kind])
            for kind in ("write", "read")
        )
    )
    if spec.write is None and spec.read is None:
        raise ConfigError("autoscaling", "names neither capacity", "autoscaling.write, autoscaling.read, or both")
    if spec.write is None and replicas:
        raise ConfigError(
            "autoscaling.write",
            f"a PROVISIONED table with replicas needs write auto scaling; AWS refuses its replicas "
            f"({GLOBAL_TABLE_WRITE_CAPACITY_ERROR!r})",
            "{min_capacity, max_capacity, target_utilization}, or billing_mode PAY_PER_REQUEST",
        )
    read, write = capacities
    _check_within("read_capacity", read, spec.read, "read")
    _check_within("write_capacity", write, spec.write, "write")
    for position, index in enumerate(indexes):
        prefix = f"global_secondary_indexes[{position}]."
        _check_within(f"{prefix}read_capacity", index.read_capacity, spec.read, "read")
        _check_within(f"{prefix}write_capacity", index.write_capacity, spec.write, "write")
    return spec


@dataclass(frozen=True)
class KeyUserSpec:
    regions: tuple[str, ...]  # replica regions granted (the primary always is)
    mode: str
    access: str  # "read", "read-write", or "none" (no key use)
    include_table_access: bool
    # "role" or "user" when an identity policy must be attached; None otherwise.
    principal_kind: str | None
    paths: tuple[Path, ...] = ()  # declared ways to the data beyond the items, sorted

    @property
    def uses_key(self) -> bool:
        return self.access != NO_ITEM_ACCESS


def validate_key_user_paths(value: object) -> tuple[Path, ...]:
    """The paths a KeyUser declares (and, with include_table_access, is given): each one allowed, once."""
    paths = [
        Path(require_choice(f"paths[{i}]", path, KEY_USER_PATHS))
        for i, path in enumerate(require_sequence("paths", value))
    ]
    twice = sorted({p.value for p in paths if paths.count(p) > 1})
    if twice:
        raise ConfigError("paths", f"{twice} given twice", "each path once")
    return tuple(sorted(paths))


def validate_key_user_args(args: Mapping[str, Any]) -> KeyUserSpec:
    mode = require_choice("mode", args.get("mode", KEY_USER_DEFAULTS["mode"]), KEY_USER_MODES)
    access = require_choice("access", args.get("access", KEY_USER_DEFAULTS["access"]), KEY_USER_ACCESS)
    paths = validate_key_user_paths(() if args.get("paths") is None else args["paths"])
    if access == NO_ITEM_ACCESS and not paths:
        raise ConfigError(
            "access",
            f"{NO_ITEM_ACCESS!r} without paths declares and grants nothing",
            f"{one_of(ACCESS_LEVELS)}, or {NO_ITEM_ACCESS!r} with paths from {one_of(KEY_USER_PATHS)}",
        )
    uses_key = access != NO_ITEM_ACCESS
    include_table_access = require_bool(
        "include_table_access", args.get("include_table_access", KEY_USER_DEFAULTS["include_table_access"])
    )
    key_allows_iam_policies = require_bool(
        "key_allows_iam_policies", args.get("key_allows_iam_policies", KEY_USER_DEFAULTS["key_allows_iam_policies"])
    )
    for field_name in ("key_arn", "table_name", "table_arn", "principal_arn"):
        require_plain_or_output(field_name, args.get(field_name), str, "a string (or an Output of one)")
    validate_key_reference("key_arn", args.get("key_arn"))
    if mode == "iam-policy" and uses_key and not key_allows_iam_policies:
        raise ConfigError(
            "mode",
            "'iam-policy' grants nothing on a key whose policy does not delegate to IAM (allow_iam_policies is off)",
            "'grant', or turn allow_iam_policies on for the table's key",
        )
    kind = args.get("principal_kind")
    if kind is not None:
        require_choice("principal_kind", kind, PRINCIPAL_KINDS)
    principal = args.get("principal_arn")
    if isinstance(principal, str):
        parsed = parse_principal_arn("principal_arn", principal)
        if parsed.kind == "root":
            raise ConfigError(
                "principal_arn", "a KeyUser names one IAM user or role, not an account", "a user or role ARN"
            )
        if kind is not None and kind != parsed.kind:
            raise ConfigError(
                "principal_kind", f"{kind!r} does not match the ARN, which is a {parsed.kind}", one_of(PRINCIPAL_KINDS)
            )
        kind = parsed.kind
    # Without key use there is no key statement: only the table rights need an identity policy.
    needs_identity_policy = (mode == "iam-policy" and uses_key) or include_table_access
    table = args.get("table_arn")
    if isinstance(principal, str) and isinstance(table, str):
        check_key_user_account(
            mode, include_table_access, parse_principal_arn("principal_arn", principal).account, table
        )
    if needs_identity_policy and kind is None:
        raise ConfigError(
            "principal_kind",
            "needed to attach an identity policy when principal_arn is not known before deploy",
            one_of(PRINCIPAL_KINDS),
        )
    return KeyUserSpec(
        validate_key_user_regions(args),
        mode,
        access,
        include_table_access,
        kind if needs_identity_policy else None,
        paths,
    )


def check_key_user_account(mode: str, include_table_access: bool, principal_account: str, table: str) -> None:
    """A KeyUser of another account than the table's: a grant works across accounts (CreateGrant's
    GranteePrincipal may be of another account: https://docs.aws.amazon.com/kms/latest/developerguide/
    key-policy-modifying-external-accounts.html), an identity policy cannot be attached from here (it
    lives in the principal's account: ConsumerAccess attaches it there). Called when both ARNs are known."""
    table_account = parse_table_arn("table_arn", table).account
    if principal_account == table_account:
        return
    if mode == "iam-policy":
        raise ConfigError(
            "mode",
            f"'iam-policy' attaches a policy to the principal, which is of account {principal_account}, "
            f"not the table's ({table_account}); this stack cannot attach policies there",
            "'grant' (declare the principal in the table's external_principals with key_access 'grant', "
            "and attach its consumer policy with ConsumerAccess)",
        )
    if include_table_access:
        raise ConfigError(
            "include_table_access",
            f"the principal is of account {principal_account}, not the table's ({table_account}): its table "
            "rights come from the table's resource policy (external_principals) and its own account's policy",
            "False for a principal of another account",
        )


def require_customer_managed_key(field_name: str, key: str) -> str:
    """Refuse the AWS managed key (by its alias, or an alias ARN of it) where another account is to use the
    key: its key policy cannot be changed, so no other account can ever use it
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html,
    "Cross-account considerations")."""
    alias = key.split(":", 5)[-1] if key.startswith("arn:") else key
    if alias == AWS_MANAGED_KEY_ALIAS or alias.startswith(RESERVED_ALIAS_PREFIX):
        raise ConfigError(
            field_name,
            f"{key!r} is an AWS managed key, which no other account can be allowed to use",
            "the ARN of a customer-managed key (EncryptedTable.key_arn)",
        )
    return key


def validate_key_reference(field_name: str, value: object) -> None:
    """A key ARN or a bare key id, known now (an Output is checked by the provider): never an alias,
    which a grant refuses at deploy and an identity policy's Resource would silently never match."""
    if not isinstance(value, str):
        return
    if KEY_ARN_PATTERN.fullmatch(value) is None and KEY_ID_PATTERN.fullmatch(value) is None:
        raise ConfigError(
            field_name,
            f"{value!r} is not a KMS key ARN or key id",
            "arn:<partition>:kms:<region>:<account>:key/<id> (EncryptedTable.key_arn), not an alias",
        )


def validate_key_user_regions(args: Mapping[str, Any]) -> tuple[str, ...]:
    """The replica regions a KeyUser covers: a subset of the table's replica regions, each once."""
    replica_keys = args.get("replica_key_arns") or {}
    if not isinstance(replica_keys, Mapping):
        raise ConfigError(
            "replica_key_arns", f"{replica_keys!r} is not a mapping", "region -> key ARN, known before deploy"
        )
    for region in replica_keys:
        validate_region(f"replica_key_arns[{region!r}]", region)
    wanted = args.get("regions")
    if wanted is None:
        return tuple(replica_keys)
    regions = [validate_region(f"regions[{i}]", r) for i, r in enumerate(require_sequence("regions", wanted))]
    unknown = sorted(set(regions) - set(replica_keys))
    if unknown:
        raise ConfigError("regions", f"{unknown} have no replica key", one_of(replica_keys) or "no replica region")
    if len(set(regions)) != len(regions):
        raise ConfigError(
            "regions", f"{sorted(r for r in set(regions) if regions.count(r) > 1)} given twice", "each region once"
        )
    return tuple(regions)


# -- readers in other accounts (EncryptedTable.external_principals) -------------------------------

EXTERNAL_PRINCIPAL_FORMS = (
    "a role or user ARN of another account (arn:<partition>:iam::<account>:role/<path/name> or ...:user/...), "
    "or with allow_external_accounts a 12-digit account id or arn:<partition>:iam::<account>:root"
)


@dataclass(frozen=True)
class ExternalPrincipalSpec:
    """One principal of another account that may read (or write) the table, and how its key use is allowed."""

    principal: str  # as given: a role or user ARN, an account root ARN or a bare account id
    account: str
    kind: str  # "role", "user" or "root" (a whole account)
    access: str  # "read" or "read-write"
    key_access: str  # "key-policy" (a statement of each region's key policy) or "grant" (a KeyUser's grant)
    stream: bool  # also the table's stream (its own resource policy)

    @property
    def is_account(self) -> bool:
        return self.kind == "root"


def _external_principal(field_name: str, value: object, allow_accounts: bool) -> tuple[str, str, str]:
    """(principal, account, kind) of one external principal, or ConfigError naming the field."""
    if isinstance(value, str) and "*" in value:
        raise ConfigError(
            field_name, f"{value!r} is a wildcard: it would let in anyone it matches", EXTERNAL_PRINCIPAL_FORMS
        )
    if isinstance(value, str) and is_account_principal(value):
        account = account_of(value) or value  # an account id is its own account
        if not allow_accounts:
            raise ConfigError(
                field_name,
                f"{value!r} names a whole account: every identity its administrators allow could read the table",
                "a role or user ARN, or set allow_external_accounts to True to delegate to that account",
            )
        return value, account, "root"
    # parse_principal_arn refuses an STS session (not a principal a policy can name) and a malformed ARN.
    parsed = parse_principal_arn(field_name, value)
    return parsed.arn, parsed.account, parsed.kind


def validate_external_principals(
    args: Mapping[str, Any], *, stream_enabled: bool, owner_account: str | None = None
) -> tuple[ExternalPrincipalSpec, ...]:
    """external_principals, each checked, with its defaults (EXTERNAL_PRINCIPAL_DEFAULTS).

    owner_account: the table's account when known (at deploy, in the apply that learns it); a principal of
    that account is not external (name it in key_users or with a KeyUser instead).
    """
    allow_accounts = require_bool(
        "allow_external_accounts",
        args.get("allow_external_accounts", ENCRYPTED_TABLE_DEFAULTS["allow_external_accounts"]),
    )
    raw_entries = require_sequence("external_principals", args.get("external_principals") or ())
    specs: list[ExternalPrincipalSpec] = []
    seen: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(raw_entries):
        prefix = f"external_principals[{index}]"
        if not isinstance(raw, Mapping):
            raise ConfigError(
                prefix, f"{raw!r} is not an external principal", "{principal, access, key_access, stream}"
            )
        unknown = sorted(set(raw) - {"principal", *EXTERNAL_PRINCIPAL_DEFAULTS})
        if unknown:
            raise ConfigError(prefix, f"unknown fields {unknown}", one_of(("principal", *EXTERNAL_PRINCIPAL_DEFAULTS)))
        principal, account, kind = _external_principal(f"{prefix}.principal", raw.get("principal"), allow_accounts)
        if owner_account is not None and account == owner_account:
            raise ConfigError(
                f"{prefix}.principal",
                f"{principal!r} is of the table's own account {owner_account}, not another account",
                "a principal of another account; name this account's principals in key_users or with a KeyUser",
            )
        access = require_choice(
            f"{prefix}.access", raw.get("access", EXTERNAL_PRINCIPAL_DEFAULTS["access"]), ACCESS_LEVELS
        )
        key_access = require_choice(
            f"{prefix}.key_access",
            raw.get("key_access", EXTERNAL_PRINCIPAL_DEFAULTS["key_access"]),
            EXTERNAL_KEY_ACCESS_MODES,
        )
        if key_access == "grant" and kind == "root":
            raise ConfigError(
                f"{prefix}.key_access",
                "a KeyUser's grant names one IAM user or role, not a whole account",
                "'key-policy' for an account",
            )
        stream = require_bool(f"{prefix}.stream", raw.get("stream", EXTERNAL_PRINCIPAL_DEFAULTS["stream"]))
        if stream and not stream_enabled:
            raise ConfigError(
                f"{prefix}.stream",
                "the table has no stream to share",
                "False, or enable the table's stream (stream_view_type, or replicas)",
            )
        # An account id and its root ARN are one principal.
        identity = (account, "") if kind == "root" else (account, principal)
        if identity in seen:
            raise ConfigError(
                f"{prefix}.principal",
                f"{principal!r} is already external_principals[{seen[identity]}]",
                "each external principal once",
            )
        seen[identity] = index
        specs.append(ExternalPrincipalSpec(principal, account, kind, access, key_access, stream))
    return tuple(specs)


# -- key-loss protection (EncryptedTable.key_loss_protection, issue 20) ----------------------------

BREAK_GLASS_FORMS = (
    "an IAM role or user ARN of the table's own account (arn:<partition>:iam::<account>:role/<path/name> or "
    "...:user/...), or the account's root ARN (arn:<partition>:iam::<account>:root), with no wildcard"
)
# SNS CreateTopic (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html): "Topic names must be made up
# of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256
# characters long"; a FIFO topic's name ends in ".fifo", and the alarm targets carry no message group id for one.
SNS_TOPIC_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}", re.ASCII)
ALARM_TOPIC_FORM = "arn:<partition>:sns:<region>:<account>:<name>, a standard topic of the table's account"


@dataclass(frozen=True)
class KeyProtectionSpec:
    """Key-loss protection of every region's key: who alone may still make it unusable, and where its alarms go."""

    break_glass: tuple[str, ...]  # as named; empty: the deploying identity (known at deploy)
    require_mfa: bool
    # region -> the SNS topic the user passes, for every key region; empty: the component creates one per region.
    alarm_topic_arns: Mapping[str, str] = field(default_factory=dict)


def validate_break_glass_principals(value: object) -> tuple[str, ...]:
    """break_glass_principals: IAM roles or users, or the account root, of one account; each once, in order.

    The key policy excepts them by aws:PrincipalArn with ArnNotEquals, an operator that takes wildcards: a
    "*" or "?" would except whoever it matches, so none is allowed. An STS session cannot be named (the key
    policy matches a role's sessions by the role's ARN: IAM's aws:PrincipalArn is "the ARN of the role, not
    the ARN of the user that assumed the role", reference_policies_condition-keys.html#condition-keys-principalarn).
    """
    seen: dict[str, None] = {}
    accounts: set[str] = set()
    for index, raw in enumerate(require_sequence("break_glass_principals", value)):
        field_name = f"break_glass_principals[{index}]"
        if isinstance(raw, str) and ("*" in raw or "?" in raw):
            raise ConfigError(
                field_name, f"{raw!r} is a wildcard: every principal it matches could lose the key", BREAK_GLASS_FORMS
            )
        parsed = parse_principal_arn(field_name, raw)
        accounts.add(parsed.account)
        if len(accounts) > 1:
            raise ConfigError(
                field_name,
                f"{parsed.arn!r} is of account {parsed.account}, break_glass_principals[0] of another",
                BREAK_GLASS_FORMS,
            )
        seen[parsed.arn] = None
    return tuple(seen)


def parse_alarm_topic_arn(field_name: str, value: object) -> tuple[str, str, str]:
    """(partition, region, account) of an SNS topic ARN; ConfigError naming the field otherwise."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
        raise ConfigError(field_name, f"{value!r} is not an SNS topic ARN", ALARM_TOPIC_FORM)
    partition, region, account, name = parts[1], parts[3], parts[4], parts[5]
    if PARTITION_OF_REGION.get(region) != partition:
        raise ConfigError(field_name, f"{value!r} names no region of partition {partition!r}", ALARM_TOPIC_FORM)
    if not (len(account) == 12 and account.isascii() and account.isdigit()):
        raise ConfigError(field_name, f"{value!r} has no 12-digit account id", ALARM_TOPIC_FORM)
    if name.endswith(".fifo"):
        raise ConfigError(
            field_name, f"{value!r} is a FIFO topic, which the alarm targets cannot feed", ALARM_TOPIC_FORM
        )
    if SNS_TOPIC_NAME_PATTERN.fullmatch(name) is None:
        raise ConfigError(field_name, f"{value!r} has a topic name SNS does not accept", ALARM_TOPIC_FORM)
    return partition, region, account


def validate_alarm_topic_arns(
    value: object, *, replica_regions: Sequence[str], primary_region: str | None
) -> dict[str, str]:
    """alarm_topic_arns (region -> topic ARN): a topic of its region for every key region, the table's own
    (primary_region, when known before deploy; else exactly one region besides the replicas', checked against
    the stack's at deploy) and each replica's, and no other region. Empty: the component creates the topics."""
    if not isinstance(value, Mapping):
        raise ConfigError("alarm_topic_arns", f"{value!r} is not a mapping", "region -> SNS topic ARN")
    topics: dict[str, str] = {}
    for region, arn in value.items():
        field_name = f"alarm_topic_arns[{region!r}]"
        validate_region(field_name, region)
        _partition, topic_region, _account = parse_alarm_topic_arn(field_name, arn)
        if topic_region != region:
            raise ConfigError(
                field_name,
                f"{arn!r} is a topic of {topic_region}",
                f"a topic of {region} (EventBridge rules target topics of their own region)",
            )
        topics[region] = arn
    if not topics:
        return topics
    key_regions = [*([primary_region] if primary_region else []), *replica_regions]
    missing = [r for r in key_regions if r not in topics]
    if missing:
        raise ConfigError(
            "alarm_topic_arns", f"no topic for the key region(s) {missing}", f"a topic for each of {key_regions}"
        )
    others = [r for r in topics if r not in key_regions]
    if len(others) > (0 if primary_region else 1):
        raise ConfigError(
            "alarm_topic_arns",
            f"{others} {'are not key regions' if primary_region else 'cannot all be the table region'}",
            f"a topic for the table's region and each replica region {list(replica_regions)}, and no other",
        )
    return topics


def validate_key_protection(
    args: Mapping[str, Any], *, replica_regions: Sequence[str], primary_region: str | None, allow_iam_policies: bool
) -> KeyProtectionSpec | None:
    """key_loss_protection and its options; None when off (then none of its options may be given)."""
    enabled = require_bool(
        "key_loss_protection", args.get("key_loss_protection", ENCRYPTED_TABLE_DEFAULTS["key_loss_protection"])
    )
    if not enabled:
        # An option that would change something (False for the MFA flag changes nothing).
        given = [
            name
            for name in ("break_glass_principals", "break_glass_require_mfa", "alarm_topic_arns")
            if args.get(name) not in (None, False, [], (), {})
        ]
        if given:
            raise ConfigError(given[0], "is set, but key-loss protection is off", "turn key-loss protection on")
        return None
    break_glass = validate_break_glass_principals(args.get("break_glass_principals") or ())
    for index, arn in enumerate(break_glass):
        if not allow_iam_policies and parse_principal_arn("break_glass_principals", arn).kind == "root":
            # The account principal lets its root user act on the key only through the key policy's root delegation.
            raise ConfigError(
                f"break_glass_principals[{index}]",
                f"{arn!r} (the root user) can act on the key only through the root delegation, "
                "and allow_iam_policies is off",
                "a role or user ARN, or allow_iam_policies True",
            )
    return KeyProtectionSpec(
        break_glass=break_glass,
        require_mfa=require_bool(
            "break_glass_require_mfa",
            args.get("break_glass_require_mfa", ENCRYPTED_TABLE_DEFAULTS["break_glass_require_mfa"]),
        ),
        alarm_topic_arns=validate_alarm_topic_arns(
            args.get("alarm_topic_arns") or {}, replica_regions=replica_regions, primary_region=primary_region
        ),
    )


def check_key_protection_at_deploy(spec: KeyProtectionSpec, *, account_id: str, region: str) -> None:
    """What validate_key_protection cannot know before deploy: the table's account and region. Every
    break-glass principal and alarm topic is of the table's account (EventBridge delivers to a topic of
    another account only through an execution role, eb-service-cross-account.html, which this component does
    not create), and the topics cover the table's own region."""
    for index, arn in enumerate(spec.break_glass):
        account = parse_principal_arn("break_glass_principals", arn).account
        if account != account_id:
            raise ConfigError(
                f"break_glass_principals[{index}]",
                f"{arn!r} is of account {account}, not the table's ({account_id})",
                BREAK_GLASS_FORMS,
            )
    if not spec.alarm_topic_arns:
        return
    for topic_region, arn in spec.alarm_topic_arns.items():
        account = parse_alarm_topic_arn(f"alarm_topic_arns[{topic_region!r}]", arn)[2]
        if account != account_id:
            raise ConfigError(
                f"alarm_topic_arns[{topic_region!r}]",
                f"{arn!r} is a topic of account {account}, not the table's ({account_id})",
                ALARM_TOPIC_FORM,
            )
    if region not in spec.alarm_topic_arns:
        raise ConfigError(
            "alarm_topic_arns",
            f"no topic for the table's region {region!r}",
            f"a topic for each key region: {region} and {sorted(r for r in spec.alarm_topic_arns if r != region)}",
        )
