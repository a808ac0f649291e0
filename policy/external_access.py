"""The pack's rules for principals of other accounts (issue 19, readers in other accounts).

Who of another account a document lets in is read one way only: `access.analyzers.external_principals`,
the reading the components, the verifier and the audit use too. A DynamoDB resource policy
(`aws:dynamodb/resourcePolicy:ResourcePolicy`: `resourceArn`, `policy`) belongs to the account in its
`resourceArn` (a table's ARN, or its stream's); a key's policy to the account in the key's ARN. The
pulumi-aws `aws:dynamodb/table:Table` has no resource-policy input of its own (pulumi-aws 7.51: the
table's policy is the separate ResourcePolicy resource), so the ResourcePolicy is the only one judged.

Three rules:

- `dynamodb-resource-policy-names-its-principals` (per resource): no Allow statement open to any
  principal without a condition.
- `dynamodb-external-principals-need-customer-managed-key` (over the stack): a table (or replica) whose
  resource policy lets a principal of another account in is encrypted with a customer-managed key. The
  AWS managed key cannot be shared: cross-account access through a resource policy "doesn't support
  encrypted tables with AWS managed keys because you can't grant cross-account access to the AWS
  managed KMS policy" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html,
  "Cross-account considerations"); the AWS owned key is not the account's at all.
- `dynamodb-table-and-key-agree-on-external-principals` (over the stack): per key, the principals of
  other accounts that the resource policies of the tables (and streams) it encrypts let in are the ones
  its key policy or its grants (`aws:kms/grant:Grant`, `granteePrincipal`) let use it. Across accounts
  a reader needs both: the table's policy for DynamoDB and the key for the data (DynamoDB decrypts as the
  caller); a principal on one side only is a reader who cannot read, or key use nobody asked for.

During `pulumi preview` an ARN or a document not known yet (a resource not created yet) cannot be
judged: what depends on it is skipped, never guessed, and the rule runs again with the real values
at `pulumi up`. A stack rule judges a key only when everything that could change its answer is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from access.analyzers import external_principals, unconditioned_wildcard_statements
from access.arns import KEY_ARN_PATTERN, account_of, is_account_principal, table_arn
from access.documents import Document
from access.provider_types import (
    DYNAMODB_RESOURCE_POLICY,
    DYNAMODB_TABLE,
    KMS_GRANT,
    KMS_KEY,
    KMS_KEY_POLICY,
    KMS_REPLICA_KEY,
)
from policy.resources import document_or_none
from policy.resources import known as _known

Props = Mapping[str, Any]

CROSS_ACCOUNT_CONSIDERATIONS = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html, "
    "Cross-account considerations"
)
_STREAM_MARK = "/stream/"


def _table_of(resource_arn: Any) -> str | None:
    """The table ARN a DynamoDB resource ARN belongs to (a table's, or its stream's); None for anything else."""
    if not isinstance(resource_arn, str) or ":dynamodb:" not in resource_arn or ":table/" not in resource_arn:
        return None
    table = resource_arn.split(_STREAM_MARK, 1)[0]
    return table if "/" not in table.split(":table/", 1)[1] else None


def _same_principal(principal: str) -> str:
    """How two sides compare a principal: an account id and its root ARN are one principal (IAM stores a
    bare account id as the root ARN), every other ARN as written."""
    account = account_of(principal)
    return f"account {account}" if account is not None and is_account_principal(principal) else principal


# -- a resource policy: no unconditioned wildcard principal ---------------------------------------------------


def resource_policy_wildcard_violations(props: Props) -> list[str]:
    known, document = _known(lambda: document_or_none(props.get("policy")))
    if not known or document is None:
        return []
    labels = unconditioned_wildcard_statements(document)
    if not labels:
        return []
    known_arn, resource_arn = _known(lambda: props.get("resourceArn"))
    where = f"of {resource_arn}" if known_arn and resource_arn else "(resource not known yet)"
    return [
        f"the resource policy {where} lets any principal ('*') in with no condition, statements {labels}: "
        "name the principals (a role or user ARN of each reader)"
    ]


# -- the stack: tables, their resource policies, their keys --------------------------------------------------


@dataclass
class _TablePolicy:
    name: str
    urn: str
    table: str  # the regional table ARN the policy is on (its stream's too)
    owner: str
    external: dict[str, list[str]]


@dataclass
class _KeySide:
    name: str
    urn: str
    arn: str
    known: bool = True
    external: dict[str, list[str]] = field(default_factory=dict)  # principal -> where ("key policy statements [...]")


@dataclass
class _Stack:
    """What the stack rules read from the stack's resources, and what they could not read."""

    policies: list[_TablePolicy] = field(default_factory=list)
    table_keys: dict[str, str | None] = field(default_factory=dict)  # regional table ARN -> key ARN (None: not a CMK)
    keys: dict[str, _KeySide] = field(default_factory=dict)  # key ARN -> its key-side principals
    key_ids: dict[str, str] = field(default_factory=dict)  # key id -> key ARN
    grants: list[tuple[PolicyResource, Any, Any]] = field(default_factory=list)  # (resource, keyId, grantee)
    key_policies: list[tuple[Any, Any]] = field(default_factory=list)  # (keyId, policy) of aws:kms/keyPolicy
    unplaced_policy: bool = False  # a resource policy whose table is not known yet
    unplaced_table: bool = False  # a table whose ARN or keys are not known yet
    unplaced_key_side: bool = False  # a grant or key policy whose key (or grantee, or document) is not known yet
    unknown_tables: set[str] = field(default_factory=set)  # regional tables whose policy is not known yet


def _read_policy(stack: _Stack, resource: PolicyResource) -> None:
    known, table = _known(lambda: _table_of(resource.props.get("resourceArn")))
    if not known:
        stack.unplaced_policy = True
        return
    if table is None:
        return
    owner = table.split(":")[4]
    known, document = _known(lambda: document_or_none(resource.props.get("policy")))
    if not known:
        stack.unknown_tables.add(table)
        return
    found = external_principals(document, owner) if document is not None else {}
    stack.policies.append(_TablePolicy(resource.name, resource.urn, table, owner, found))


def _cmk(sse: Any) -> str | None:
    """The customer-managed key of a table's serverSideEncryption, or None (AWS owned or AWS managed key)."""
    if not sse or sse.get("enabled") is not True:
        return None
    key = sse.get("kmsKeyArn")
    return key if isinstance(key, str) and KEY_ARN_PATTERN.fullmatch(key) else None


def _read_table(stack: _Stack, resource: PolicyResource) -> None:
    def regional_keys() -> dict[str, str | None] | None:
        """Each region's table ARN (the primary's and each replica's) and its customer-managed key."""
        arn = resource.props.get("arn")
        if not isinstance(arn, str) or _table_of(arn) != arn:
            return None
        partition, account = arn.split(":")[1], arn.split(":")[4]
        name = arn.split(":table/", 1)[1]
        keys: dict[str, str | None] = {arn: _cmk(resource.props.get("serverSideEncryption"))}
        for replica in resource.props.get("replicas") or []:
            key = replica.get("kmsKeyArn")
            keys[table_arn(partition, str(replica.get("regionName")), account, name)] = (
                key if isinstance(key, str) and KEY_ARN_PATTERN.fullmatch(key) else None
            )
        return keys

    known, keys = _known(regional_keys)
    if not known or keys is None:
        stack.unplaced_table = True  # which keys it uses is not known yet
        return
    stack.table_keys.update(keys)


def _read_key(stack: _Stack, resource: PolicyResource) -> None:
    known, arn = _known(lambda: resource.props.get("arn"))
    if not known or not isinstance(arn, str) or not KEY_ARN_PATTERN.fullmatch(arn):
        return  # a key not created yet: no table's known kmsKeyArn can name it either
    side = _KeySide(resource.name, resource.urn, arn)
    known_id, key_id = _known(lambda: resource.props.get("keyId"))
    stack.key_ids[str(key_id) if known_id and key_id else arn.rsplit("/", 1)[1]] = arn
    known, document = _known(lambda: document_or_none(resource.props.get("policy")))
    if not known:
        side.known = False
    elif document is not None:
        _add_key_policy(side, document)
    stack.keys[arn] = side


def _add_key_policy(side: _KeySide, document: Document) -> None:
    owner = side.arn.split(":")[4]
    side.external = {}  # a key policy replaces the one before it (aws:kms/keyPolicy over the key's own)
    for principal, labels in external_principals(document, owner).items():
        side.external.setdefault(principal, []).append(f"key policy statements {labels}")


def _key_arn(stack: _Stack, key_id: Any) -> str | None:
    if not isinstance(key_id, str):
        return None
    return key_id if key_id in stack.keys else stack.key_ids.get(key_id)


def _place_key_sides(stack: _Stack) -> None:
    """Key policies (aws:kms/keyPolicy) and grants onto the keys they are for, once every key is read."""
    for key_id, policy in stack.key_policies:
        arn = _key_arn(stack, key_id)
        if arn is None:
            continue  # a key outside the stack
        document = document_or_none(policy)
        if document is not None:
            _add_key_policy(stack.keys[arn], document)
    for resource, key_id, grantee in stack.grants:
        arn = _key_arn(stack, key_id)
        if arn is None or not isinstance(grantee, str):
            continue
        account = account_of(grantee)
        if account is not None and account != arn.split(":")[4]:
            stack.keys[arn].external.setdefault(grantee, []).append(f"grant {resource.name}")


def _key_and(resource: PolicyResource, field_name: str) -> tuple[Any, Any]:
    """A key policy's or a grant's keyId (a key id or ARN) and one other input."""
    return resource.props.get("keyId"), resource.props.get(field_name)


def _read_stack(resources: Iterable[PolicyResource]) -> _Stack:
    stack = _Stack()
    for resource in resources:
        kind = resource.resource_type
        if kind == DYNAMODB_RESOURCE_POLICY:
            _read_policy(stack, resource)
        elif kind == DYNAMODB_TABLE:
            _read_table(stack, resource)
        elif kind in (KMS_KEY, KMS_REPLICA_KEY):
            _read_key(stack, resource)
        elif kind == KMS_KEY_POLICY:
            known, read = _known(partial(_key_and, resource, "policy"))
            if known and read is not None:
                stack.key_policies.append(read)
            else:
                stack.unplaced_key_side = True
        elif kind == KMS_GRANT:
            known, read = _known(partial(_key_and, resource, "granteePrincipal"))
            if known and read is not None:
                stack.grants.append((resource, *read))
            else:
                stack.unplaced_key_side = True
    _place_key_sides(stack)
    return stack


# -- the stack rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackViolation:
    message: str
    urn: str


def external_principal_key_violations(resources: Iterable[PolicyResource]) -> list[StackViolation]:
    """Each principal of another account a resource policy lets into a table (or replica, or stream) that
    is not encrypted with a customer-managed key."""
    stack = _read_stack(resources)
    found = []
    for policy in stack.policies:
        if policy.table not in stack.table_keys or stack.table_keys[policy.table] is not None:
            continue  # a table outside the stack (or not known yet), or one with a customer-managed key
        for principal, labels in policy.external.items():
            found.append(
                StackViolation(
                    f"the resource policy {policy.name} lets {principal} (account {account_of(principal)}) into "
                    f"{policy.table} (statements {labels}), but the table is not encrypted with a customer-managed "
                    "key: the AWS managed key cannot be used across accounts "
                    f"({CROSS_ACCOUNT_CONSIDERATIONS}); set serverSideEncryption.kmsKeyArn (and each replica's "
                    "kmsKeyArn) to a customer-managed key",
                    policy.urn,
                )
            )
    return found


def table_key_agreement_violations(resources: Iterable[PolicyResource]) -> list[StackViolation]:
    """Per key of the stack, each principal of another account named by the resource policies of the tables
    it encrypts and not by the key (its policy or grants), or the other way round."""
    stack = _read_stack(resources)
    found: list[StackViolation] = []
    for arn, key in stack.keys.items():
        tables = [table for table, key_arn in stack.table_keys.items() if key_arn == arn]
        if not tables:
            continue  # a key no table of the stack is known to use
        table_side: dict[str, tuple[str, _TablePolicy]] = {}
        for policy in stack.policies:
            if policy.table in tables:
                for principal in policy.external:
                    table_side.setdefault(_same_principal(principal), (principal, policy))
        key_side = {_same_principal(principal): (principal, where) for principal, where in key.external.items()}
        key_side_known = key.known and not stack.unplaced_key_side
        table_side_known = not (stack.unplaced_policy or stack.unplaced_table or stack.unknown_tables & set(tables))
        if key_side_known:
            for same, (principal, policy) in table_side.items():
                if same not in key_side:
                    found.append(
                        StackViolation(
                            f"the resource policy {policy.name} lets {principal} (account {account_of(principal)}) "
                            f"into {policy.table}, but the table's key {arn} ({key.name}) lets it use the key neither "
                            "in its key policy nor by a grant: DynamoDB decrypts as the caller, so it can read "
                            "nothing; add it to the key (external principal key_access) or remove it from the table",
                            policy.urn,
                        )
                    )
        if table_side_known:
            for same, (principal, where) in key_side.items():
                if same not in table_side:
                    found.append(
                        StackViolation(
                            f"the key {arn} ({key.name}) lets {principal} (account {account_of(principal)}) use it "
                            f"({'; '.join(where)}), but no resource policy of the tables it encrypts "
                            f"({', '.join(sorted(tables))}) lets that principal in: remove it from the key, or "
                            "declare it an external principal of the table",
                            key.urn,
                        )
                    )
    return found


def stack_rule(rule: Callable[[Iterable[PolicyResource]], list[StackViolation]]) -> Callable[..., None]:
    """A stack validation that reports each violation on the resource it names."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule(args.resources):
            report_violation(violation.message, violation.urn)

    return validate


__all__ = [
    "StackViolation",
    "external_principal_key_violations",
    "resource_policy_wildcard_violations",
    "stack_rule",
    "table_key_agreement_violations",
]
