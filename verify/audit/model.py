"""The audit's records: what it reads of the account, and what it concludes. Plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from access.documents import NamedPolicy
from access.evaluator import Grant
from access.operations import Path


@dataclass(frozen=True)
class Principal:
    """An IAM identity of the account, with every identity policy that applies to it."""

    arn: str
    kind: str  # "role" or "user"
    name: str
    unique_id: str
    policies: tuple[NamedPolicy, ...] = ()
    groups: tuple[str, ...] = ()
    trust_policy: Mapping[str, Any] | None = None  # a role's: who may assume it


@dataclass(frozen=True)
class KeyGrant:
    grant: Grant
    retiring_principal: str = ""
    name: str = ""


@dataclass(frozen=True)
class AccountSnapshot:
    """Everything the two layers depend on, read once from the live account."""

    account_id: str
    partition: str
    region: str
    table_name: str
    table_arn: str
    key_arn: str
    key_policy: Mapping[str, Any]
    grants: tuple[KeyGrant, ...]
    principals: tuple[Principal, ...]
    table_policy: Mapping[str, Any] | None = None
    stream_arn: str | None = None  # the table's latest stream, if it has one (readable 24 h after it is off)
    stream_policy: Mapping[str, Any] | None = None  # the stream's own resource policy, if any
    index_names: tuple[str, ...] = ()  # its secondary indexes: IAM authorizes their reads on their own ARNs


@dataclass(frozen=True)
class Intent:
    """What the stack declares (its outputs): who should read or write, who administers, who deploys."""

    key_users: Mapping[str, str] = field(default_factory=dict)  # principal ARN -> "read" | "read-write" | "none"
    # Other ways to the data a principal is declared for (a stream consumer, an exporter, ...).
    paths: Mapping[str, frozenset[Path]] = field(default_factory=dict)
    # What the verifier saw when it tried a path as a principal: (principal ARN, path) -> what happened.
    # A path the audit can only bound (KMS use unsettled) is settled for that principal by a refusal seen.
    refused: Mapping[tuple[str, Path], str] = field(default_factory=dict)
    key_admins: tuple[str, ...] = ()
    deployer: str = ""
    verifier: str = ""  # the identity running this audit: its canary needs read and write through DynamoDB
    # The statements of the verifier's own policy for this stack (verify/permissions.py): the verifier
    # is not flagged for the data access those, and only those, give it.
    verifier_statements: tuple[Mapping[str, Any], ...] = ()
    declared: bool = False  # False: the outputs carry no intent, so every reader is unexplained
    # Principals of other accounts the stack lets in (outputs externalPrincipals): ARN -> "read" | "read-write".
    external: Mapping[str, str] = field(default_factory=dict)


class Verdict(StrEnum):
    PLAINTEXT_READER = "plaintext reader"
    WRITER = "writer"
    BLOCKED_BY_KMS = "blocked by KMS"
    BLOCKED_BY_IAM = "blocked by IAM"
    NO_ACCESS = "no access"


class Role(StrEnum):
    """What a principal is to this stack."""

    DEPLOYER = "deployer"
    VERIFIER = "verifier (this run)"
    KEY_ADMIN = "key administrator"
    DECLARED = "declared key user"
    ACCOUNT_ROOT = "account root"
    OTHER = "-"


@dataclass(frozen=True)
class PathAccess:
    """One way to the data for one principal: each layer, and whether it is open."""

    path: Path
    iam: bool
    kms: bool | None  # None: DynamoDB does not ask the caller's key rights on this path (or AWS does not say)
    open: bool
    reason: str  # what decided, both layers
    assumed: str = ""  # the upper-bound readings that opened it (a condition taken as met, a Deny set aside, ...)
    iam_statement: Mapping[str, Any] | None = None
    kms_statement: Mapping[str, Any] | None = None
    kms_source: str = ""  # what let KMS allow it: "key policy", "grant <id>", an identity policy's name


@dataclass(frozen=True)
class AccessRow:
    """One principal, both layers judged separately, and what follows."""

    principal: str
    kind: str
    role: Role
    iam_read: bool
    iam_write: bool
    kms_decrypt: bool
    verdict: Verdict
    iam_reason: str
    kms_reason: str
    boundary: tuple[str, ...] = ()  # the rights it holds to move the boundary
    # The statements that let it read and decrypt (None when a grant, the root or nothing decided).
    iam_statement: Mapping[str, Any] | None = None
    kms_statement: Mapping[str, Any] | None = None
    paths: tuple[PathAccess, ...] = ()  # every path judged, in catalogue order
    sessions: tuple[str, ...] = ()  # role sessions named in the key policy, table policy or grants: judged as this role
    # Who may become this principal (assume it, directly or through other roles): each chain, outermost first.
    assumable_by: tuple[tuple[str, ...], ...] = ()

    @property
    def open_paths(self) -> tuple[PathAccess, ...]:
        return tuple(p for p in self.paths if p.open)

    @property
    def touches_data(self) -> bool:
        return self.verdict is not Verdict.NO_ACCESS or bool(self.boundary) or bool(self.open_paths)


@dataclass(frozen=True)
class ExternalRow:
    """A principal of another account that the key, table or stream policy or a grant names, in one region.
    Its own account's IAM decides the rest; the audit lists who is let in, by what, and whether declared."""

    principal: str
    account: str
    region: str
    declared_access: str  # "read" | "read-write" as declared; "" when the stack does not declare it
    let_in_by: tuple[str, ...]  # "table resource policy statement X", "key policy statement Y", "grant G"
