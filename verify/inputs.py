"""The stack outputs the verifier runs on, parsed: a JSON object -> StackOutputs, checked before any AWS call.

Pure: no files, no processes (reading them is outputs_file.py). Every way the input can be
wrong ends in CannotRunError with one line saying what to do (exit code 2): never a
traceback, never a probe with a value that cannot be right.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from access.arns import (
    ALIAS_NAME_PATTERN,
    KEY_ARN_PATTERN,
    KEY_ID_PATTERN,
    PRINCIPAL_ARN_FORMS,
    PRINCIPAL_KINDS,
    REGION_PATTERN,
    TABLE_NAME_PATTERN,
    parse_principal_arn,
    parse_table_arn,
)
from access.arns import table_arn as build_table_arn
from access.errors import ConfigError, one_of
from access.key_protection import ALARM_KINDS
from access.kms_dynamodb import ACCESS_LEVELS, DELETION_WINDOW_DAYS
from access.operations import Path
from stack import outputs
from verify.audit.model import Intent

# What `pulumi stack output --json` prints for a secret without --show-secrets.
MASKED_SECRET = "[secret]"  # noqa: S105 (the mask, not a secret)

_ACCOUNT = re.compile(r"[0-9]{12}", re.ASCII)
_ACCESS_KEY_ID = re.compile(r"[A-Z0-9]{16,128}", re.ASCII)
_SECRET = re.compile(r"[A-Za-z0-9/+=]{16,128}", re.ASCII)
# EventBridge rule names: "Length Constraints: Minimum length of 1. Maximum length of 64. Pattern:
# [\.\-_A-Za-z0-9]+" (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Rule.html, Name).
_RULE_NAME = re.compile(r"[.\-_A-Za-z0-9]{1,64}", re.ASCII)
# SNS topic ARNs: "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers,
# underscores, and hyphens, and must be between 1 and 256 characters long"; a FIFO topic's ends in .fifo
# (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html, Name).
_TOPIC_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):sns:(?P<region>[a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?",
    re.ASCII,
)


class CannotRunError(Exception):
    """The verification could not run at all (exit code 2)."""


@dataclass(frozen=True)
class Replica:
    """One replica of a global table (outputs.REPLICAS): its region, that region's CMK and the replica's ARN."""

    region: str
    key_arn: str
    key_alias: str
    replica_arn: str

    @property
    def key_id(self) -> str:
        return self.key_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ExternalPrincipal:
    """A principal of another account the stack lets read (or write) the table (outputs.EXTERNAL_PRINCIPALS)."""

    principal: str  # a role or user ARN, or an account's root ARN
    account: str
    access: str  # "read" | "read-write" (access.kms_dynamodb.ACCESS_LEVELS)
    key_access: str  # "key-policy" | "grant" (outputs.EXTERNAL_KEY_ACCESS_MODES)
    stream: bool
    expected_access: str  # "read" | "denied" (outputs.EXPECTED_ACCESS)
    consumer_policy: str = ""  # the identity policy its account must attach, as JSON text

    @property
    def kind(self) -> str:
        """ "role", "user" or "root" (a whole account, allowExternalAccounts)."""
        return parse_principal_arn(outputs.EXTERNAL_PRINCIPAL, self.principal).kind


@dataclass(frozen=True)
class KeyAlarms:
    """One key region's alarms (outputs.PROTECTION_ALARMS): the EventBridge rule of each alarm kind, and
    the SNS topic they target."""

    region: str
    key_arn: str
    topic_arn: str
    rules: tuple[tuple[str, str], ...]  # (kind, rule name), in access.key_protection.ALARM_KINDS order


@dataclass(frozen=True)
class KeyProtection:
    """Key-loss protection as the stack declares it (outputs.KEY_PROTECTION)."""

    break_glass: tuple[str, ...]  # role/user ARNs, or the account root's: who may still lose the key
    require_mfa: bool
    deletion_window_days: int
    alarms: tuple[KeyAlarms, ...]  # one per key region, the primary first

    def alarms_in(self, region: str) -> KeyAlarms | None:
        return next((a for a in self.alarms if a.region == region), None)


@dataclass(frozen=True)
class StackOutputs:
    region: str
    account_id: str
    table_name: str
    table_arn: str
    key_id: str
    key_arn: str
    key_alias: str
    principal_kind: str
    point_in_time_recovery: bool | None = None
    deletion_protection: bool | None = None
    principal_arn: str | None = None
    expected_access: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    intent: Intent = field(default_factory=Intent)
    replicas: tuple[Replica, ...] = ()  # the primary region is `region`, with `key_arn`
    external: tuple[ExternalPrincipal, ...] = ()  # readers in other accounts (issue 19)
    key_protection: KeyProtection | None = None  # None: the stack does not protect its keys (issue 20)


def _pattern(pattern: re.Pattern[str], shape: str) -> Callable[[str, object], str]:
    def check(name: str, value: object) -> str:
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise CannotRunError(f"output {name} is {_shown(value)}; expected {shape}")
        return value

    return check


def _via(parse: Callable[[str, object], object], shape: str) -> Callable[[str, object], str]:
    def check(name: str, value: object) -> str:
        try:
            parse(name, value)
        except ConfigError:
            raise CannotRunError(f"output {name} is {_shown(value)}; expected {shape}") from None
        return str(value)

    return check


def _secret(name: str, value: object) -> str:
    if value == MASKED_SECRET:
        raise CannotRunError(
            f"output {name} is masked ({MASKED_SECRET!r}): read the outputs with "
            "`pulumi stack output --json --show-secrets`"
        )
    if not isinstance(value, str) or _SECRET.fullmatch(value) is None:
        # Never echo what might be a secret.
        raise CannotRunError(
            f"output {name} is not a secret access key (a {type(value).__name__}"
            f"{', with whitespace' if isinstance(value, str) and value != value.strip() else ''}): "
            "export the stack outputs again with --show-secrets"
        )
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_CHECKS: dict[str, Callable[[str, object], str]] = {
    outputs.REGION: _pattern(REGION_PATTERN, "an AWS region name such as us-east-1"),
    outputs.ACCOUNT_ID: _pattern(_ACCOUNT, "a 12-digit AWS account id"),
    outputs.TABLE_NAME: _pattern(TABLE_NAME_PATTERN, "a DynamoDB table name"),
    outputs.TABLE_ARN: _via(parse_table_arn, "a DynamoDB table ARN"),
    outputs.KEY_ID: _pattern(KEY_ID_PATTERN, "a KMS key id"),
    outputs.KEY_ARN: _pattern(KEY_ARN_PATTERN, "a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)"),
    outputs.KEY_ALIAS: _pattern(ALIAS_NAME_PATTERN, "a KMS alias name ('alias/...')"),
    outputs.TEST_PRINCIPAL_ARN: _via(parse_principal_arn, "an IAM role or user ARN"),
    outputs.TEST_USER_ACCESS_KEY_ID: _pattern(_ACCESS_KEY_ID, "an access key id"),
    outputs.TEST_USER_SECRET_ACCESS_KEY: _secret,
}


def _flag(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise CannotRunError(f"output {name} is {_shown(value)}; expected true or false")
    return value


def _principal_list(name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise CannotRunError(f"output {name} is {_shown(value)}; expected a list of IAM role or user ARNs")
    return tuple(_CHECKS[outputs.TEST_PRINCIPAL_ARN](f"{name}[{i}]", v) for i, v in enumerate(value))


def _intended_paths(where: str, value: object) -> frozenset[Path]:
    """An entry's declared paths (outputs.INTENDED_PATHS): a list of path names, each allowed."""
    name = f"{where}.{outputs.INTENDED_PATHS}"
    if not isinstance(value, list):
        raise CannotRunError(
            f"output {name} is {_shown(value)}; expected a list of {one_of(outputs.INTENDED_PATH_VALUES)}"
        )
    for index, path in enumerate(value):
        if path not in outputs.INTENDED_PATH_VALUES:
            raise CannotRunError(
                f"output {name}[{index}] is {_shown(path)}; expected {one_of(outputs.INTENDED_PATH_VALUES)}"
            )
    return frozenset(Path(path) for path in value)


def parse_intent(data: Mapping[str, Any]) -> Intent:
    """Whom the stack means to read and write, administer and deploy (outputs.FOR_THE_AUDIT); an
    Intent with declared=False when the outputs carry none (a stack older than the audit)."""
    raw = data.get(outputs.INTENDED_KEY_USERS)
    if raw is None:
        return Intent()
    if not isinstance(raw, list):
        raise CannotRunError(f"output {outputs.INTENDED_KEY_USERS} is {_shown(raw)}; expected a list")
    key_users: dict[str, str] = {}
    paths: dict[str, frozenset[Path]] = {}
    for index, entry in enumerate(raw):
        where = f"{outputs.INTENDED_KEY_USERS}[{index}]"
        if not isinstance(entry, Mapping):
            raise CannotRunError(f"output {where} is {_shown(entry)}; expected {{principal, access}}")
        principal = _CHECKS[outputs.TEST_PRINCIPAL_ARN](
            f"{where}.{outputs.INTENDED_PRINCIPAL}", entry.get(outputs.INTENDED_PRINCIPAL)
        )
        access = entry.get(outputs.INTENDED_ACCESS)
        if access not in outputs.INTENDED_ACCESS_LEVELS:
            raise CannotRunError(
                f"output {where}.{outputs.INTENDED_ACCESS} is {_shown(access)}; "
                f"expected {one_of(outputs.INTENDED_ACCESS_LEVELS)}"
            )
        declared = _intended_paths(where, entry.get(outputs.INTENDED_PATHS, []))
        if access == outputs.INTENDED_NO_ACCESS and not declared:
            raise CannotRunError(
                f"output {where}.{outputs.INTENDED_PATHS} is missing or empty, and {outputs.INTENDED_ACCESS} "
                f"{access!r} declares nothing else; expected a list of {one_of(outputs.INTENDED_PATH_VALUES)}"
            )
        # The widest access declared for a principal counts; its paths add up over its entries.
        previous = key_users.get(principal)
        key_users[principal] = outputs.widest_access(str(access), previous) if previous else str(access)
        if declared:
            paths[principal] = paths.get(principal, frozenset()) | declared
    deployer = data.get(outputs.DEPLOYER_ARN)
    return Intent(
        key_users=key_users,
        paths=paths,
        key_admins=_principal_list(outputs.KEY_ADMIN_ARNS, data.get(outputs.KEY_ADMIN_ARNS, [])),
        deployer=_CHECKS[outputs.TEST_PRINCIPAL_ARN](outputs.DEPLOYER_ARN, deployer) if deployer else "",
        declared=True,
    )


def _replica(where: str, entry: object, *, region: str, table_name: str, account_id: str, partition: str) -> Replica:
    if not isinstance(entry, Mapping):
        raise CannotRunError(
            f"output {where} is {_shown(entry)}; expected {{{', '.join(_REPLICA_FIELDS)}}} of one replica"
        )
    missing = [name for name in _REPLICA_FIELDS if entry.get(name) in (None, "")]
    if missing:
        raise CannotRunError(f"output {where} is missing {', '.join(missing)}")
    replica_region = _CHECKS[outputs.REGION](f"{where}.{outputs.REPLICA_REGION}", entry[outputs.REPLICA_REGION])
    if replica_region == region:
        raise CannotRunError(
            f"output {where}.{outputs.REPLICA_REGION} is {replica_region!r}, the primary region: "
            "a replica is in another region"
        )
    key = entry[outputs.REPLICA_KEY_ARN]
    in_region = f"arn:{partition}:kms:{replica_region}:"
    if not (isinstance(key, str) and KEY_ARN_PATTERN.fullmatch(key) and key.startswith(in_region)):
        raise CannotRunError(
            f"output {where}.{outputs.REPLICA_KEY_ARN} is {_shown(key)}; expected a KMS key ARN in "
            f"{replica_region} ({in_region}<account>:key/<id>): each replica is encrypted with its own region's key"
        )
    alias = _CHECKS[outputs.KEY_ALIAS](f"{where}.{outputs.REPLICA_KEY_ALIAS}", entry[outputs.REPLICA_KEY_ALIAS])
    arn = entry[outputs.REPLICA_ARN]
    expected = build_table_arn(partition, replica_region, account_id, table_name)
    try:
        parsed = parse_table_arn(where, arn)
    except ConfigError:
        parsed = None
    if parsed is None or (parsed.partition, parsed.region, parsed.account, parsed.name) != (
        partition,
        replica_region,
        account_id,
        table_name,
    ):
        raise CannotRunError(f"output {where}.{outputs.REPLICA_ARN} is {_shown(arn)}; expected {expected}")
    return Replica(replica_region, key, alias, str(arn))


_REPLICA_FIELDS = (outputs.REPLICA_REGION, outputs.REPLICA_KEY_ARN, outputs.REPLICA_KEY_ALIAS, outputs.REPLICA_ARN)


def parse_replicas(
    data: Mapping[str, Any], *, region: str, table_name: str, table_arn: str, account_id: str
) -> tuple[Replica, ...]:
    """The global table's replicas (outputs.REPLICAS), one per region other than the primary; () when the
    outputs carry none (a single-region stack, or one older than replicas)."""
    raw = data.get(outputs.REPLICAS)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CannotRunError(
            f"output {outputs.REPLICAS} is {_shown(raw)}; expected a list of {{{', '.join(_REPLICA_FIELDS)}}}"
        )
    partition = parse_table_arn(outputs.TABLE_ARN, table_arn).partition
    found: list[Replica] = []
    for index, entry in enumerate(raw):
        replica = _replica(
            f"{outputs.REPLICAS}[{index}]",
            entry,
            region=region,
            table_name=table_name,
            account_id=account_id,
            partition=partition,
        )
        if any(r.region == replica.region for r in found):
            raise CannotRunError(
                f"output {outputs.REPLICAS}[{index}].{outputs.REPLICA_REGION} is {replica.region!r} again: "
                "a global table has one replica per region"
            )
        found.append(replica)
    return tuple(found)


_EXTERNAL_FIELDS = (
    outputs.EXTERNAL_PRINCIPAL,
    outputs.EXTERNAL_ACCOUNT,
    outputs.EXTERNAL_ACCESS,
    outputs.EXTERNAL_KEY_ACCESS,
    outputs.EXTERNAL_STREAM,
    outputs.EXTERNAL_EXPECTED_ACCESS,
)


def _external(where: str, entry: object, owner_account: str) -> ExternalPrincipal:
    if not isinstance(entry, Mapping):
        raise CannotRunError(f"output {where} is {_shown(entry)}; expected {{{', '.join(_EXTERNAL_FIELDS)}}}")
    missing = [name for name in _EXTERNAL_FIELDS if entry.get(name) in (None, "")]
    if missing:
        raise CannotRunError(f"output {where} is missing {', '.join(missing)}")
    name = f"{where}.{outputs.EXTERNAL_PRINCIPAL}"
    try:
        principal = parse_principal_arn(name, entry[outputs.EXTERNAL_PRINCIPAL])
    except ConfigError:
        raise CannotRunError(
            f"output {name} is {_shown(entry[outputs.EXTERNAL_PRINCIPAL])}; expected {PRINCIPAL_ARN_FORMS}"
        ) from None
    account = entry[outputs.EXTERNAL_ACCOUNT]
    if account != principal.account:
        raise CannotRunError(
            f"output {where}.{outputs.EXTERNAL_ACCOUNT} is {_shown(account)}; expected {principal.account!r}, "
            f"the account of {principal.arn}"
        )
    if account == owner_account:
        raise CannotRunError(
            f"output {name} is {principal.arn!r}, of the stack's own account {owner_account}; "
            "expected a principal of another account"
        )
    allowed: tuple[tuple[str, tuple[object, ...]], ...] = (
        (outputs.EXTERNAL_ACCESS, ACCESS_LEVELS),
        (outputs.EXTERNAL_KEY_ACCESS, outputs.EXTERNAL_KEY_ACCESS_MODES),
        (outputs.EXTERNAL_STREAM, (True, False)),
        (outputs.EXTERNAL_EXPECTED_ACCESS, outputs.EXPECTED_ACCESS),
    )
    for field_name, values in allowed:
        value = entry[field_name]
        # `True in (True, False)` holds for 1 too: compare types for the flag.
        if value not in values or (isinstance(values[0], bool) and not isinstance(value, bool)):
            shown = "true or false" if isinstance(values[0], bool) else one_of(values)
            raise CannotRunError(f"output {where}.{field_name} is {_shown(value)}; expected {shown}")
    policy = entry.get(outputs.EXTERNAL_CONSUMER_POLICY, "")
    if not isinstance(policy, str):
        raise CannotRunError(
            f"output {where}.{outputs.EXTERNAL_CONSUMER_POLICY} is {_shown(policy)}; expected an IAM policy "
            "document as JSON text"
        )
    return ExternalPrincipal(
        principal=principal.arn,
        account=str(account),
        access=str(entry[outputs.EXTERNAL_ACCESS]),
        key_access=str(entry[outputs.EXTERNAL_KEY_ACCESS]),
        stream=bool(entry[outputs.EXTERNAL_STREAM]),
        expected_access=str(entry[outputs.EXTERNAL_EXPECTED_ACCESS]),
        consumer_policy=policy,
    )


def parse_external(data: Mapping[str, Any], owner_account: str) -> tuple[ExternalPrincipal, ...]:
    """The principals of other accounts the stack declares (outputs.EXTERNAL_PRINCIPALS); () when the
    outputs carry none (no external readers, or a stack older than issue 19)."""
    raw = data.get(outputs.EXTERNAL_PRINCIPALS)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CannotRunError(
            f"output {outputs.EXTERNAL_PRINCIPALS} is {_shown(raw)}; expected a list of "
            f"{{{', '.join(_EXTERNAL_FIELDS)}}}"
        )
    found: list[ExternalPrincipal] = []
    for index, entry in enumerate(raw):
        where = f"{outputs.EXTERNAL_PRINCIPALS}[{index}]"
        external = _external(where, entry, owner_account)
        if any(e.principal == external.principal for e in found):
            raise CannotRunError(
                f"output {where}.{outputs.EXTERNAL_PRINCIPAL} is {external.principal!r} again: "
                "each external principal is declared once"
            )
        found.append(external)
    return tuple(found)


_PROTECTION_FIELDS = (
    outputs.PROTECTION_BREAK_GLASS,
    outputs.PROTECTION_REQUIRE_MFA,
    outputs.PROTECTION_DELETION_WINDOW,
    outputs.PROTECTION_ALARMS,
)
_ALARM_FIELDS = (outputs.ALARM_REGION, outputs.ALARM_KEY_ARN, outputs.ALARM_TOPIC_ARN, outputs.ALARM_RULES)


def _key_alarms(where: str, entry: object, key_arns: Mapping[str, str], partition: str) -> KeyAlarms:
    """One outputs.PROTECTION_ALARMS entry: a key region of the stack, that region's key, a topic there,
    a rule name per alarm kind."""
    if not isinstance(entry, Mapping):
        raise CannotRunError(f"output {where} is {_shown(entry)}; expected {{{', '.join(_ALARM_FIELDS)}}}")
    missing = [name for name in _ALARM_FIELDS if entry.get(name) in (None, "")]
    if missing:
        raise CannotRunError(f"output {where} is missing {', '.join(missing)}")
    region = entry[outputs.ALARM_REGION]
    if region not in key_arns:
        raise CannotRunError(
            f"output {where}.{outputs.ALARM_REGION} is {_shown(region)}; expected a key region of the stack "
            f"({one_of(key_arns)})"
        )
    key = entry[outputs.ALARM_KEY_ARN]
    if key != key_arns[region]:
        raise CannotRunError(
            f"output {where}.{outputs.ALARM_KEY_ARN} is {_shown(key)}; expected {region}'s key {key_arns[region]}"
        )
    topic = entry[outputs.ALARM_TOPIC_ARN]
    parsed = _TOPIC_ARN.fullmatch(topic) if isinstance(topic, str) else None
    if parsed is None or (parsed["partition"], parsed["region"]) != (partition, region):
        raise CannotRunError(
            f"output {where}.{outputs.ALARM_TOPIC_ARN} is {_shown(topic)}; expected an SNS topic ARN in {region} "
            f"(arn:{partition}:sns:{region}:<account>:<name>): EventBridge targets a topic of the rule's region"
        )
    rules = entry[outputs.ALARM_RULES]
    if not isinstance(rules, Mapping) or set(rules) != set(ALARM_KINDS):
        raise CannotRunError(
            f"output {where}.{outputs.ALARM_RULES} is {_shown(rules)}; expected a rule name for each of "
            f"{one_of(ALARM_KINDS)}"
        )
    for kind in ALARM_KINDS:
        name = rules[kind]
        if not isinstance(name, str) or _RULE_NAME.fullmatch(name) is None:
            raise CannotRunError(
                f"output {where}.{outputs.ALARM_RULES}.{kind} is {_shown(name)}; expected an EventBridge rule name "
                "(1 to 64 of A-Z a-z 0-9 . - _)"
            )
    return KeyAlarms(str(region), str(key), str(topic), tuple((kind, str(rules[kind])) for kind in ALARM_KINDS))


def parse_key_protection(
    data: Mapping[str, Any], *, key_arns: Mapping[str, str], account_id: str, partition: str
) -> KeyProtection | None:
    """Key-loss protection (outputs.KEY_PROTECTION); None when the outputs carry none (protection off, or a
    stack older than issue 20). key_arns: the stack's key of each region, the primary first: the alarms
    must cover every one."""
    raw = data.get(outputs.KEY_PROTECTION)
    if raw is None:
        return None
    name = outputs.KEY_PROTECTION
    if not isinstance(raw, Mapping):
        raise CannotRunError(f"output {name} is {_shown(raw)}; expected {{{', '.join(_PROTECTION_FIELDS)}}}")
    missing = [field_name for field_name in _PROTECTION_FIELDS if raw.get(field_name) is None]
    if missing:
        raise CannotRunError(f"output {name} is missing {', '.join(missing)}")
    break_glass = _principal_list(f"{name}.{outputs.PROTECTION_BREAK_GLASS}", raw[outputs.PROTECTION_BREAK_GLASS])
    for index, principal in enumerate(break_glass):
        if parse_principal_arn(name, principal).account != account_id:
            raise CannotRunError(
                f"output {name}.{outputs.PROTECTION_BREAK_GLASS}[{index}] is {principal!r}, not of the stack's "
                f"account {account_id}: a key's deletion is never performed across accounts"
            )
    mfa = raw[outputs.PROTECTION_REQUIRE_MFA]
    if not isinstance(mfa, bool):
        raise CannotRunError(f"output {name}.{outputs.PROTECTION_REQUIRE_MFA} is {_shown(mfa)}; expected true or false")
    window = raw[outputs.PROTECTION_DELETION_WINDOW]
    low, high = DELETION_WINDOW_DAYS
    if isinstance(window, bool) or not isinstance(window, int) or not low <= window <= high:
        raise CannotRunError(
            f"output {name}.{outputs.PROTECTION_DELETION_WINDOW} is {_shown(window)}; expected a whole number of "
            f"days from {low} to {high} (ScheduleKeyDeletion PendingWindowInDays)"
        )
    entries = raw[outputs.PROTECTION_ALARMS]
    if not isinstance(entries, list):
        raise CannotRunError(
            f"output {name}.{outputs.PROTECTION_ALARMS} is {_shown(entries)}; expected a list of "
            f"{{{', '.join(_ALARM_FIELDS)}}}, one per key region"
        )
    alarms: list[KeyAlarms] = []
    for index, entry in enumerate(entries):
        where = f"{name}.{outputs.PROTECTION_ALARMS}[{index}]"
        found = _key_alarms(where, entry, key_arns, partition)
        if any(a.region == found.region for a in alarms):
            raise CannotRunError(
                f"output {where}.{outputs.ALARM_REGION} is {found.region!r} again: one entry per key region"
            )
        alarms.append(found)
    uncovered = [region for region in key_arns if not any(a.region == region for a in alarms)]
    if uncovered:
        raise CannotRunError(
            f"output {name}.{outputs.PROTECTION_ALARMS} has no entry for {', '.join(uncovered)}: the alarms "
            "cover every key region, the primary's and each replica's"
        )
    return KeyProtection(break_glass, mfa, window, tuple(alarms))


def _check_same_stack(checked: Mapping[str, str]) -> None:
    """The table ARN names the output table in the output region and account, and the key is there too:
    outputs that mix two stacks would have the checks judge one table and the audit another."""
    region, account = checked[outputs.REGION], checked[outputs.ACCOUNT_ID]
    table = parse_table_arn(outputs.TABLE_ARN, checked[outputs.TABLE_ARN])
    if (table.name, table.region, table.account) != (checked[outputs.TABLE_NAME], region, account):
        raise CannotRunError(
            f"output {outputs.TABLE_ARN} names table {table.name!r} in {table.region}, account {table.account}, "
            f"not {checked[outputs.TABLE_NAME]!r} in {region}, account {account}: do the outputs mix two stacks?"
        )
    key_region, key_account = checked[outputs.KEY_ARN].split(":")[3:5]
    if (key_region, key_account) != (region, account):
        raise CannotRunError(
            f"output {outputs.KEY_ARN} is a key of {key_region}, account {key_account}, not of the table's "
            f"{region}, account {account}: do the outputs mix two stacks?"
        )


def parse_outputs(data: Mapping[str, Any]) -> StackOutputs:
    required = list(outputs.ALWAYS)
    kind = data.get(outputs.TEST_PRINCIPAL_KIND)
    if kind in PRINCIPAL_KINDS:
        required += list(outputs.WITH_PRINCIPAL)
    if kind == "user":
        required += list(outputs.WITH_USER)
    missing = [key for key in required if data.get(key) in (None, "")]
    if missing:
        raise CannotRunError(f"stack outputs are missing: {', '.join(missing)}")
    if kind not in outputs.TEST_PRINCIPAL_KINDS:
        raise CannotRunError(
            f"output {outputs.TEST_PRINCIPAL_KIND} is {_shown(kind)}; expected {one_of(outputs.TEST_PRINCIPAL_KINDS)}"
        )
    expected = data.get(outputs.TEST_PRINCIPAL_EXPECTED_ACCESS)
    if expected is not None and expected not in outputs.EXPECTED_ACCESS:
        raise CannotRunError(
            f"output {outputs.TEST_PRINCIPAL_EXPECTED_ACCESS} is {_shown(expected)}; "
            f"expected {one_of(outputs.EXPECTED_ACCESS)}"
        )
    checked = {name: check(name, data[name]) for name, check in _CHECKS.items() if data.get(name) is not None}
    _check_same_stack(checked)
    external = parse_external(data, checked[outputs.ACCOUNT_ID])
    # The audit lets a declared external principal in as declared (its access), and no one else of its account.
    intent = dataclasses.replace(parse_intent(data), external={e.principal: e.access for e in external})
    replicas = parse_replicas(
        data,
        region=checked[outputs.REGION],
        table_name=checked[outputs.TABLE_NAME],
        table_arn=checked[outputs.TABLE_ARN],
        account_id=checked[outputs.ACCOUNT_ID],
    )
    key_arns = {checked[outputs.REGION]: checked[outputs.KEY_ARN], **{r.region: r.key_arn for r in replicas}}
    return StackOutputs(
        region=checked[outputs.REGION],
        account_id=checked[outputs.ACCOUNT_ID],
        table_name=checked[outputs.TABLE_NAME],
        table_arn=checked[outputs.TABLE_ARN],
        key_id=checked[outputs.KEY_ID],
        key_arn=checked[outputs.KEY_ARN],
        key_alias=checked[outputs.KEY_ALIAS],
        principal_kind=str(kind),
        point_in_time_recovery=_flag(data, outputs.POINT_IN_TIME_RECOVERY),
        deletion_protection=_flag(data, outputs.DELETION_PROTECTION),
        principal_arn=checked.get(outputs.TEST_PRINCIPAL_ARN),
        expected_access=expected,
        access_key_id=checked.get(outputs.TEST_USER_ACCESS_KEY_ID),
        secret_access_key=checked.get(outputs.TEST_USER_SECRET_ACCESS_KEY),
        intent=intent,
        replicas=replicas,
        external=external,
        key_protection=parse_key_protection(
            data,
            key_arns=key_arns,
            account_id=checked[outputs.ACCOUNT_ID],
            partition=parse_table_arn(outputs.TABLE_ARN, checked[outputs.TABLE_ARN]).partition,
        ),
    )
