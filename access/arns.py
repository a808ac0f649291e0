"""ARNs and names this project reads and writes: IAM principals, DynamoDB tables, KMS keys and aliases.

Formats from the IAM identifiers reference
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html) and the
service authorization reference for DynamoDB and KMS. Patterns match the whole value
(`fullmatch`) with ASCII-only classes: `$` would accept a trailing newline, `\\d` and
`\\w` non-ASCII digits and letters, none of which AWS accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from access.errors import ConfigError

_PARTITION = r"aws(?:-[a-z]+)*"
_TABLE_NAME = r"[A-Za-z0-9_.-]{3,255}"  # DynamoDB naming rules: tables and indexes
# Whole-value patterns of the identifiers this project reads (use fullmatch).
TABLE_NAME_PATTERN = re.compile(_TABLE_NAME, re.ASCII)
KEY_ARN_PATTERN = re.compile(rf"arn:{_PARTITION}:kms:[a-z0-9-]+:[0-9]{{12}}:key/[A-Za-z0-9-]+", re.ASCII)
# The regions of each partition (the AWS General Reference's region list, as of 2026): replicas of a
# global table live in one partition, and a name not here is refused before anything is created.
REGIONS_BY_PARTITION: dict[str, tuple[str, ...]] = {
    "aws": (
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "aws-iso": ("us-iso-east-1", "us-iso-west-1"),
    "aws-iso-b": ("us-isob-east-1",),
}
PARTITION_OF_REGION = {region: partition for partition, regions in REGIONS_BY_PARTITION.items() for region in regions}
# Region names as AWS spells them (us-east-1, ap-southeast-2, us-gov-west-1, cn-north-1, us-isob-east-1).
REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+", re.ASCII)
# terraform-provider-aws internal/service/kms/alias.go: `^alias/[0-9A-Za-z_/-]+$`
ALIAS_NAME_PATTERN = re.compile(r"alias/[A-Za-z0-9/_-]+", re.ASCII)
# IAM principals a key policy or grant may name: the account root, a user or a
# role (with optional path). STS session ARNs are not valid principals.
_PRINCIPAL_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):iam::(?P<account>[0-9]{{12}}):"
    r"(?P<resource>root|(?P<kind>user|role)(?P<path>/(?:[\x21-\x7e]+/)*)(?P<name>[\w+=,.@-]{1,128}))",
    re.ASCII,
)
_SESSION_ARN = re.compile(rf"arn:{_PARTITION}:sts::[0-9]{{12}}:assumed-role/.+", re.ASCII | re.DOTALL)
_TABLE_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):dynamodb:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{{12}}):"
    rf"table/(?P<name>{_TABLE_NAME})",
    re.ASCII,
)
_ACCOUNT_PRINCIPAL = re.compile(rf"[0-9]{{12}}|arn:{_PARTITION}:iam::[0-9]{{12}}:root", re.ASCII)

# The IAM identities a key user can be (and the walkthrough's test principal).
PRINCIPAL_KINDS = ("role", "user")
PRINCIPAL_ARN_FORMS = "arn:<partition>:iam::<12-digit account>:root, ...:user/<path/name> or ...:role/<path/name>"
TABLE_ARN_FORM = "arn:<partition>:dynamodb:<region>:<account>:table/<name>"


@dataclass(frozen=True)
class PrincipalArn:
    """A parsed IAM principal ARN."""

    arn: str
    partition: str
    account: str
    kind: str  # "root", "user" or "role"
    name: str  # the user or role name, without path; "" for root


@dataclass(frozen=True)
class TableArn:
    partition: str
    region: str
    account: str
    name: str


def account_root_arn(partition: str, account_id: str) -> str:
    """The account principal: naming it in a resource policy delegates to the account's IAM policies."""
    return f"arn:{partition}:iam::{account_id}:root"


def is_account_principal(entry: str, account_id: str | None = None) -> bool:
    """An account id or account root ARN (of this account, when one is given)."""
    if _ACCOUNT_PRINCIPAL.fullmatch(entry) is None:
        return False
    return account_id is None or entry == account_id or entry.endswith(f"::{account_id}:root")


def session_role_name(arn: str) -> str | None:
    """The role name of an STS assumed-role session ARN (arn:...:sts::<acct>:assumed-role/<name>/<session>)."""
    if _SESSION_ARN.fullmatch(arn) is None:
        return None
    return arn.split(":assumed-role/", 1)[1].split("/", 1)[0]


def parse_principal_arn(field_name: str, value: object) -> PrincipalArn:
    if isinstance(value, str) and _SESSION_ARN.fullmatch(value):
        raise ConfigError(
            field_name,
            f"{value!r} is an STS session, which a key policy cannot name; use the role's ARN",
            PRINCIPAL_ARN_FORMS,
        )
    match = _PRINCIPAL_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(field_name, f"{value!r} is not an IAM principal ARN", PRINCIPAL_ARN_FORMS)
    return PrincipalArn(str(value), match["partition"], match["account"], match["kind"] or "root", match["name"] or "")


def parse_table_arn(field_name: str, value: object) -> TableArn:
    match = _TABLE_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(field_name, f"{value!r} is not a DynamoDB table ARN", TABLE_ARN_FORM)
    return TableArn(match["partition"], match["region"], match["account"], match["name"])


def table_arn(partition: str, region: str, account_id: str, table_name: str) -> str:
    return f"arn:{partition}:dynamodb:{region}:{account_id}:table/{table_name}"


def table_name_of(name_or_arn: str) -> str:
    """A table name from a name or a table (or index, stream) ARN, as DynamoDB accepts either."""
    if ":table/" not in name_or_arn:
        return name_or_arn
    return name_or_arn.split(":table/", 1)[1].split("/", 1)[0]


def key_arn(partition: str, region: str, account_id: str, key_id: str) -> str:
    return f"arn:{partition}:kms:{region}:{account_id}:key/{key_id}"


def key_arn_for(key: str, table: str) -> str:
    """A key ARN from a key ARN or bare key id; the id is placed in the table's account and region."""
    if key.startswith("arn:"):
        return key
    parts = parse_table_arn("table_arn", table)
    return key_arn(parts.partition, parts.region, parts.account, key)


# An STS assumed-role session: arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>.
# The role's path is never part of it. Role names are 1-64 characters, session names (RoleSessionName)
# 2-64, both of [\w+=,.@-] (IAM and STS API references).
_SESSION_PARTS = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):sts::(?P<account>[0-9]{{12}}):"
    r"assumed-role/(?P<role>[\w+=,.@-]{1,64})/(?P<session>[\w+=,.@-]{2,64})",
    re.ASCII,
)


@dataclass(frozen=True)
class SessionArn:
    arn: str
    partition: str
    account: str
    role_name: str
    session_name: str


def parse_session_arn(value: str) -> SessionArn | None:
    """The parts of an assumed-role session ARN; None for anything else (a role, a user, a malformed ARN)."""
    match = _SESSION_PARTS.fullmatch(value)
    if match is None:
        return None
    return SessionArn(value, match["partition"], match["account"], match["role"], match["session"])


_IDENTITY_ACCOUNT = re.compile(rf"arn:{_PARTITION}:(?:iam|sts)::(?P<account>[0-9]{{12}}):", re.ASCII)


def account_of(entry: str) -> str | None:
    """The account a principal entry belongs to: an account id, an account root ARN, or any IAM or STS
    ARN of the account (user, role, session); None for anything else ("*", a service, a malformed name)."""
    if re.fullmatch(r"[0-9]{12}", entry, re.ASCII):
        return entry
    match = _IDENTITY_ACCOUNT.match(entry)
    return match["account"] if match else None


# A KMS key id, as KMS makes them: a UUID for a single-Region key (1234abcd-12ab-34cd-56ef-1234567890ab),
# `mrk-` and 32 hex digits for a multi-Region key (mrk-1234abcd12ab34cd56ef1234567890ab), lowercase: the
# KMS API reference's key id examples (e.g. ReplicateKey KeyId,
# https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html). KeyMetadata.KeyId itself
# only promises 1-2048 characters, and terraform-provider-aws checks no more than that
# (internal/verify/validate.go, ValidKMSKeyID); Terraform's S3 backend checks these two shapes
# (hashicorp/terraform internal/backend/remote-state/s3/validate.go: uuidRegexPattern, multiRegionKeyIdPattern),
# and so does this project, to tell a key id from an alias or a name. Also `mrk-` and a UUID: the
# multi-Region key ids of moto (moto/kms/utils.py, generate_key_id), which the sandbox runs on.
KEY_ID_PATTERN = re.compile(
    r"(?:mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}", re.ASCII
)


@dataclass(frozen=True)
class Location:
    """Where resources live: a partition, one of its regions and an account; the ARNs of this project's
    resources there. The one (partition, region, account) record of plain strings: the emulator judges
    each request at one (sandbox.emulator.rules.Place). docs/layout.md says which layers keep their own."""

    partition: str
    region: str
    account_id: str

    def table(self, name_or_arn: str) -> str:
        """The ARN of a table here, from its name or any ARN of it (an index's, a stream's: the table's)."""
        return table_arn(self.partition, self.region, self.account_id, table_name_of(name_or_arn))

    def alias(self, name: str) -> str:
        """The ARN of an alias here, from its name ('alias/...'); an ARN as it is."""
        return name if name.startswith("arn:") else f"arn:{self.partition}:kms:{self.region}:{self.account_id}:{name}"
