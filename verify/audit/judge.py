"""Judge: an AccountSnapshot and the stack's Intent -> one AccessRow per principal, and findings.

Pure: the evaluator decides each layer on its own, as AWS would for a real call:
- IAM: may the principal call DynamoDB's item reads (GetItem, Query, Scan, BatchGetItem,
  PartiQL SELECT) or writes on the table? Identity policies, and the table's resource
  policy when it has one.
- KMS: may it kms:Decrypt with the table's key through DynamoDB, with the table's
  encryption context? Key policy, grants, and identity policies when the key delegates.
Only a principal both layers allow reads plaintext.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from access.arns import account_root_arn, is_account_principal
from access.documents import NamedPolicy, statement_label, statement_principals, statements
from access.evaluator import (
    TABLE_POLICY,
    Decision,
    Request,
    authorize_identity,
    authorize_kms,
    authorize_resource,
    dynamodb_decrypt_request,
)
from access.kms_dynamodb import (
    CONTEXT_TABLE_NAME,
    IDENTITY_POLICY_WRITE_ACTIONS,
    ITEM_READ_ACTIONS,
    ITEM_WRITE_ACTIONS,
    KEY_BOUNDARY_ACTIONS,
    TABLE_BOUNDARY_ACTIONS,
    dynamodb_service_principal,
)
from verify.audit.model import AccessRow, AccountSnapshot, Intent, KeyGrant, Principal, Role, Verdict
from verify.findings import Finding

# IAM unique ids (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes):
# a key policy or grant shows one where the principal it named has been deleted.
UNIQUE_ID_PREFIXES = ("AROA", "AIDA", "AGPA", "AIPA", "ANPA", "ANVA", "ASIA", "AKIA")

UNDECLARED_ADVICE = (
    "if this principal should not see the data, remove what lets it in (the deciding statement or grant); "
    "if it should, declare it (a KeyUser or key_users) and deploy"
)


def _request(principal: str, action: str, snapshot: AccountSnapshot, resource: str) -> Request:
    context = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": snapshot.account_id}
    return Request(principal, action, resource, snapshot.account_id, context=context)


def _iam_decision(principal: Principal, action: str, snapshot: AccountSnapshot) -> Decision:
    request = _request(principal.arn, action, snapshot, snapshot.table_arn)
    if snapshot.table_policy is None:
        return authorize_identity(request, principal.policies)
    table_policy = NamedPolicy("table resource policy", snapshot.table_policy)
    return authorize_resource(request, table_policy, principal.policies, kind=TABLE_POLICY)


def _first_allowed(decisions: Iterable[Decision]) -> Decision | None:
    return next((d for d in decisions if d.allowed), None)


def _boundary_rights(principal: Principal, snapshot: AccountSnapshot, key_users: Sequence[Principal]) -> list[str]:
    grants = [g.grant for g in snapshot.grants]
    rights = [
        action
        for action in KEY_BOUNDARY_ACTIONS
        if authorize_kms(
            _request(principal.arn, action, snapshot, snapshot.key_arn), snapshot.key_policy, principal.policies, grants
        ).allowed
    ]
    rights += [action for action in TABLE_BOUNDARY_ACTIONS if _iam_decision(principal, action, snapshot).allowed]
    for user in key_users:
        if user.arn == principal.arn:
            continue
        rights += [
            f"{action} on {user.arn}"
            for action in IDENTITY_POLICY_WRITE_ACTIONS[user.kind]
            if authorize_identity(_request(principal.arn, action, snapshot, user.arn), principal.policies).allowed
        ]
    return rights


def _verdict(read: bool, write: bool, decrypt: bool) -> Verdict:
    if decrypt and read:
        return Verdict.PLAINTEXT_READER
    if decrypt and write:
        return Verdict.WRITER
    if read or write:
        return Verdict.BLOCKED_BY_KMS
    if decrypt:
        return Verdict.BLOCKED_BY_IAM
    return Verdict.NO_ACCESS


def _role(arn: str, intent: Intent) -> Role:
    if arn == intent.deployer:
        return Role.DEPLOYER
    if arn == intent.verifier:
        return Role.VERIFIER
    if arn in intent.key_users:
        return Role.DECLARED
    if arn in intent.key_admins:
        return Role.KEY_ADMIN
    return Role.OTHER


def judge_principal(
    principal: Principal, snapshot: AccountSnapshot, intent: Intent, key_users: Sequence[Principal]
) -> AccessRow:
    reads = [_iam_decision(principal, action, snapshot) for action in ITEM_READ_ACTIONS]
    writes = [_iam_decision(principal, action, snapshot) for action in ITEM_WRITE_ACTIONS]
    decrypt = authorize_kms(
        dynamodb_decrypt_request(
            principal_arn=principal.arn,
            key_arn=snapshot.key_arn,
            table_name=snapshot.table_name,
            region=snapshot.region,
            account_id=snapshot.account_id,
        ),
        snapshot.key_policy,
        principal.policies,
        [g.grant for g in snapshot.grants],
    )
    read, write = _first_allowed(reads), _first_allowed(writes)
    iam = read or write or reads[0]
    return AccessRow(
        principal=principal.arn,
        kind=principal.kind,
        role=_role(principal.arn, intent),
        iam_read=read is not None,
        iam_write=write is not None,
        kms_decrypt=decrypt.allowed,
        verdict=_verdict(read is not None, write is not None, decrypt.allowed),
        iam_reason=iam.reason,
        kms_reason=decrypt.reason,
        boundary=tuple(_boundary_rights(principal, snapshot, key_users)),
        iam_statement=next((d.statement for d in (read, write) if d is not None), None),
        kms_statement=decrypt.statement if decrypt.allowed else None,
    )


def account_root_row(snapshot: AccountSnapshot) -> AccessRow:
    """The root user: every IAM right; on the key, what the key policy gives the account."""
    root = account_root_arn(snapshot.partition, snapshot.account_id)
    principal = Principal(root, "root", "root", "")
    decrypt = authorize_kms(
        dynamodb_decrypt_request(
            principal_arn=root,
            key_arn=snapshot.key_arn,
            table_name=snapshot.table_name,
            region=snapshot.region,
            account_id=snapshot.account_id,
        ),
        snapshot.key_policy,
        (),
        [g.grant for g in snapshot.grants],
    )
    return AccessRow(
        principal=principal.arn,
        kind="root",
        role=Role.ACCOUNT_ROOT,
        iam_read=True,
        iam_write=True,
        kms_decrypt=decrypt.allowed,
        verdict=_verdict(True, True, decrypt.allowed),
        iam_reason="the root user holds every IAM right",
        kms_reason=decrypt.reason,
    )


# The condition keys the audit knows for the requests it judges (it supplies them, or the evaluator
# derives them): any other key in an Allow's condition could hold for some real request.
KNOWN_CONDITION_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        "kms:viaservice",
        "kms:calleraccount",
        "kms:encryptioncontextkeys",
    }
)


def _known(key: str) -> bool:
    return key.lower() in KNOWN_CONDITION_KEYS or key.lower().startswith("kms:encryptioncontext:")


def _may_allow(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document as an upper bound on who it lets in: an Allow's conditions on keys the audit cannot
    know (MFA, source IP, time, tags, ...) are taken as met, and the statement's label says so
    ("Sid (if aws:SourceIp ...)"). Deny statements stay as written: one that may not apply does not
    narrow who may read."""
    changed = False
    rewritten = []
    for position, statement in enumerate(statements(document)):
        condition = statement.get("Condition")
        if statement.get("Effect") == "Allow" and isinstance(condition, Mapping):
            kept = {op: {k: v for k, v in tests.items() if _known(k)} for op, tests in condition.items()}
            assumed = sorted({k for tests in condition.values() for k in tests if not _known(k)})
            if assumed:
                changed = True
                label = f"{statement_label(statement, position)} (if {', '.join(assumed)})"
                statement = {**statement, "Sid": label, "Condition": {op: t for op, t in kept.items() if t}}
        rewritten.append(statement)
    return {**document, "Statement": rewritten} if changed else document


def upper_bound(snapshot: AccountSnapshot) -> AccountSnapshot:
    """The snapshot with every policy as its upper bound (_may_allow), each document rewritten once."""
    rewritten: dict[int, NamedPolicy] = {}

    def policy(named: NamedPolicy) -> NamedPolicy:
        if id(named) not in rewritten:
            rewritten[id(named)] = NamedPolicy(named.source, _may_allow(named.document))
        return rewritten[id(named)]

    return dataclasses.replace(
        snapshot,
        key_policy=_may_allow(snapshot.key_policy),
        table_policy=_may_allow(snapshot.table_policy) if snapshot.table_policy is not None else None,
        principals=tuple(
            dataclasses.replace(p, policies=tuple(policy(named) for named in p.policies)) for p in snapshot.principals
        ),
    )


def judge_access(snapshot: AccountSnapshot, intent: Intent) -> list[AccessRow]:
    """Every principal of the account, and the account root, each layer judged on its own, on the
    policies' upper bound: who COULD read, conditions the audit cannot know taken as met."""
    snapshot = upper_bound(snapshot)
    key_users = [p for p in snapshot.principals if p.arn in intent.key_users]
    rows = [judge_principal(p, snapshot, intent, key_users) for p in snapshot.principals]
    return [account_root_row(snapshot), *sorted(rows, key=lambda r: r.principal)]


# -- findings ---------------------------------------------------------------------------------------


def _deciding(row: AccessRow) -> str:
    return f"IAM: {row.iam_reason}; KMS: {row.kms_reason}"


def access_findings(rows: Sequence[AccessRow], intent: Intent) -> list[Finding]:
    found: list[Finding] = []
    for row in rows:
        if row.verdict not in (Verdict.PLAINTEXT_READER, Verdict.WRITER):
            continue
        if row.role in (Role.ACCOUNT_ROOT, Role.DEPLOYER):
            continue  # reported as what they are, in the matrix
        if (
            row.role is Role.VERIFIER
            and row.iam_statement in intent.verifier_statements
            and row.kms_statement in intent.verifier_statements
        ):
            continue  # the verifier's own policy for this stack, and nothing else, lets it in (the canary)
        declared = intent.key_users.get(row.principal)
        if declared is None:
            undeclared = "undeclared" if intent.declared else "not declared (the outputs carry no intent)"
            found.append(
                Finding.failed(
                    f"audit.undeclared_{'reader' if row.verdict is Verdict.PLAINTEXT_READER else 'writer'}",
                    f"{row.principal} is a {row.verdict.value}, {undeclared}: {_deciding(row)}",
                    UNDECLARED_ADVICE,
                )
            )
        elif (row.verdict is Verdict.WRITER and declared == "read") or (row.iam_write and declared == "read"):
            found.append(
                Finding.failed(
                    "audit.writer_declared_as_reader",
                    f"{row.principal} is declared a reader but may write: {_deciding(row)}",
                    "narrow its DynamoDB rights to reads, or declare it read-write",
                )
            )
    return found


def _grant_label(grant: KeyGrant) -> str:
    return f"grant {grant.grant.grant_id} to {grant.grant.grantee_principal}"


def grant_findings(snapshot: AccountSnapshot, known: set[str]) -> list[Finding]:
    found: list[Finding] = []
    service = dynamodb_service_principal(snapshot.region)
    for key_grant in snapshot.grants:
        grant = key_grant.grant
        context = {
            k.lower(): v for constraint in grant.constraints.values() for k, v in constraint.items()
        }  # constraint keys ignore case
        table = context.get(CONTEXT_TABLE_NAME.lower())
        if grant.grantee_principal == service and table == snapshot.table_name:
            found.append(
                Finding.passed(
                    "audit.dynamodb_grant", f"{_grant_label(key_grant)}: DynamoDB's own grant for this table"
                )
            )
            continue
        if table != snapshot.table_name:
            scope = "no encryption-context constraint" if not grant.constraints else f"the context of table {table!r}"
            found.append(
                Finding.failed(
                    "audit.unconstrained_grant",
                    f"{_grant_label(key_grant)} ({', '.join(grant.operations)}) has {scope}, not this table's: "
                    "it opens the key beyond this table",
                    "revoke it (aws kms revoke-grant) and grant again constrained to the table's encryption "
                    "context (KeyUser does)",
                )
            )
        grantee = grant.grantee_principal
        if grantee.startswith(UNIQUE_ID_PREFIXES) or (
            f":iam::{snapshot.account_id}:" in grantee and grantee not in known
        ):
            found.append(
                Finding.failed(
                    "audit.grant_to_missing_principal",
                    f"{_grant_label(key_grant)}: the grantee does not exist "
                    "(a deleted principal shows as its unique id)",
                    "revoke the grant: a new principal of the same name would not inherit it",
                )
            )
    return found


def key_policy_findings(snapshot: AccountSnapshot, known: set[str]) -> list[Finding]:
    found: list[Finding] = []
    for position, statement in enumerate(statements(snapshot.key_policy)):
        for principal in statement_principals(statement):
            if principal == "*" or is_account_principal(principal):
                continue
            missing = principal.startswith(UNIQUE_ID_PREFIXES) or (
                f":iam::{snapshot.account_id}:" in principal and principal not in known
            )
            if missing:
                found.append(
                    Finding.failed(
                        "audit.key_policy_missing_principal",
                        f"key policy statement {statement_label(statement, position)} names {principal}, which "
                        "does not exist (a deleted principal shows as its unique id)",
                        "remove it from the key policy (EncryptedTable key_users / key_admins) and deploy",
                    )
                )
    return found


_IAM_ACCOUNT = re.compile(r"arn:aws(?:-[a-z]+)*:(?:iam|sts)::([0-9]{12}):", re.ASCII)


def _foreign_account(principal: str, account_id: str) -> str | None:
    """The other account a principal belongs to (an account id, its root, or one of its IAM ARNs)."""
    if is_account_principal(principal):
        account = principal if principal.isdigit() else principal.split(":")[4]
    else:
        match = _IAM_ACCOUNT.match(principal)
        account = match.group(1) if match else ""
    return account if account and account != account_id else None


def foreign_access_findings(snapshot: AccountSnapshot) -> list[Finding]:
    """Another account named where it can reach the data: the key policy or the table policy (an Allow),
    or a grant. The audit judges this account's principals; another account's IAM decides who of its
    principals comes in, so naming the account is already the finding."""
    found: list[Finding] = []
    documents = [("key policy", snapshot.key_policy)]
    if snapshot.table_policy is not None:
        documents.append(("table resource policy", snapshot.table_policy))
    for source, document in documents:
        for position, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            for principal in statement_principals(statement):
                account = _foreign_account(principal, snapshot.account_id)
                if account:
                    found.append(
                        Finding.failed(
                            "audit.other_account",
                            f"{source} statement {statement_label(statement, position)} lets account {account} "
                            f"in ({principal}): its own IAM decides which of its principals read this table",
                            "remove the other account, or declare cross-account readers on purpose and audit "
                            "that account too",
                        )
                    )
    for key_grant in snapshot.grants:
        account = _foreign_account(key_grant.grant.grantee_principal, snapshot.account_id)
        if account:
            found.append(
                Finding.failed(
                    "audit.other_account",
                    f"{_grant_label(key_grant)}: the grantee is of account {account}",
                    "revoke the grant unless that account's principal should read this table",
                )
            )
    return found


def audit_findings(snapshot: AccountSnapshot, intent: Intent, rows: Sequence[AccessRow]) -> list[Finding]:
    known = {p.arn for p in snapshot.principals}
    findings = access_findings(rows, intent)
    findings += grant_findings(snapshot, known)
    findings += key_policy_findings(snapshot, known)
    findings += foreign_access_findings(snapshot)
    for arn in intent.key_users:
        if arn not in known:
            findings.append(
                Finding.failed(
                    "audit.declared_principal_missing",
                    f"the stack declares {arn} a key user, but it does not exist in the account",
                    "create the principal, or remove it from the stack and deploy",
                )
            )
    if not any(f.status.value == "FAIL" for f in findings):
        readers = [
            r.principal for r in rows if r.verdict is Verdict.PLAINTEXT_READER and r.role is not Role.ACCOUNT_ROOT
        ]
        findings.append(
            Finding.passed(
                "audit.readers_as_declared",
                f"{len(rows)} principals judged; plaintext readers: {', '.join(readers) or 'none'}",
            )
        )
    return findings
