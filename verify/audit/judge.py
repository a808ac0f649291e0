"""Judge: an AccountSnapshot and the stack's Intent -> one AccessRow per principal, and findings.

Pure: the evaluator decides each layer on its own, as AWS would for a real call, on every path to
the data the catalogue of operations knows (access.operations): item reads and writes, the stream,
export, backup, restore, re-keying, a Kinesis destination, the table's resource policy.
- IAM: may the principal call one of the path's operations on its resource (the table, its indexes,
  its stream, its backups)? Identity policies, and the table's resource policy when it has one.
- KMS, where DynamoDB uses the table's key as the caller: may it kms:Decrypt with the table's key
  through DynamoDB, with the table's encryption context? Key policy, grants, and identity policies
  when the key delegates. Where AWS's pages do not settle that (the stream, export, restore), the key
  is not asked: the path is open on IAM alone, labelled as the upper bound it is.
Role sessions named in the key policy, the table policy or a grant are judged as their role; who may
assume a role that reaches the data is followed, transitively. Every reading that could hide a reader
goes the other way: an Allow's condition the audit cannot know is taken as met, a Deny's as not met.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from access.analyzers import external_principals
from access.arns import account_of, account_root_arn, is_account_principal, parse_session_arn
from access.conditions import supported
from access.cross_account import KMS_CROSS_ACCOUNT
from access.documents import (
    NamedPolicy,
    as_list,
    iam_wildcard_match,
    statement_allows_action,
    statement_label,
    statement_principals,
    statements,
)
from access.evaluator import (
    TABLE_POLICY,
    TRUST_POLICY,
    Decision,
    Grant,
    Request,
    authorize_identity,
    authorize_kms,
    authorize_resource,
    dynamodb_decrypt_request,
)
from access.kms_dynamodb import (
    ACCESS_GRANT_OPERATIONS,
    CONTEXT_TABLE_NAME,
    DYNAMODB_KEY_OPERATIONS,
    IDENTITY_POLICY_WRITE_ACTIONS,
    KEY_BOUNDARY_ACTIONS,
    TABLE_BOUNDARY_ACTIONS,
    TABLE_WRITE_ACTIONS,
    dynamodb_service_principal,
)
from access.operations import (
    ACCESS_LEVEL_PATHS,
    FINDING_PATHS,
    PATH_NEEDS_ALL,
    KeyUse,
    Operation,
    Path,
    Resource,
    operations_on,
)
from access.policy_grammar import (
    IDENTITY_POLICY,
    KEY_POLICY,
    document_problems,
)
from access.policy_grammar import (
    TABLE_POLICY as TABLE_POLICY_KIND,
)
from access.policy_grammar import (
    TRUST_POLICY as TRUST_KIND,
)
from verify.audit.model import (
    AccessRow,
    AccountSnapshot,
    ExternalRow,
    Intent,
    KeyGrant,
    PathAccess,
    Principal,
    Role,
    Verdict,
)
from verify.external import canonical_principal
from verify.findings import Finding, statement_text

# IAM unique ids (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes):
# a key policy or grant shows one where the principal it named has been deleted.
UNIQUE_ID_PREFIXES = ("AROA", "AIDA", "AGPA", "AIPA", "ANPA", "ANVA", "ASIA", "AKIA")

UNDECLARED_ADVICE = (
    "if this principal should not reach the data, remove what lets it in (the deciding statement or grant); "
    "if it should, declare it (a KeyUser, key_users, or its paths) and deploy"
)
# A backup's or an export's ARN names an id the audit does not list: any id stands for them all.
ANY_ID = "01234567890123-0123abcd"


def _request(principal: str, action: str, snapshot: AccountSnapshot, resource: str, caller: str = "") -> Request:
    context = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": snapshot.account_id}
    return Request(principal, action, resource, snapshot.account_id, context=context, caller_arn=caller)


def _first_allowed(decisions: Iterable[Decision]) -> Decision | None:
    return next((d for d in decisions if d.allowed), None)


# -- documents as the audit reads them: well-formed, and as an upper bound on who they let in ---------


def _statement_ok(statement: Mapping[str, Any], version: Any, kind: str) -> bool:
    document = {"Statement": [statement]} if version is None else {"Version": version, "Statement": [statement]}
    return not document_problems(document, kind)


def well_formed(document: Any, kind: str) -> tuple[Mapping[str, Any], list[str]]:
    """The document with the statements AWS would refuse left out, and what AWS would refuse.

    AWS refuses such a document when it is written, so one found live means something went around
    that; it is a finding (the run fails), and the rest of the document is still judged.
    """
    problems = document_problems(document, kind)
    if not problems:
        return document, []
    if not isinstance(document, Mapping):
        return {}, problems
    version = document.get("Version")
    raw = document.get("Statement")
    kept = [s for s in as_list(raw) if isinstance(s, Mapping) and _statement_ok(s, version, kind)]
    return {**document, "Statement": kept}, problems


# The condition keys the audit knows for the requests it judges (it supplies them, or the evaluator
# derives them): any other key could hold, or not, for some real request.
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


# A policy variable `${key}` or `${key, 'default'}` (IAM policy variables reference); `${*}`, `${?}` and
# `${$}` are the literal characters, not variables.
_POLICY_VARIABLE = re.compile(r"\$\{\s*([^\s,'{}*?$][^\s,'{}]*)\s*(?:,\s*'(?:[^']|'')*'\s*)?\}", re.DOTALL)


def _unknown_variables(value: Any) -> list[str]:
    """The policy variables in a value whose keys the audit does not supply (principal and resource tags,
    aws:userid, ...): the value they take for a real request could be anything."""
    text = json.dumps(value)
    found = _POLICY_VARIABLE.findall(text) if "${" in text else []
    return [key for key in found if not _known(key)]


def _unknowable(statement: Mapping[str, Any]) -> tuple[list[str], dict[str, Any], Any]:
    """What a statement depends on that the audit cannot know, the condition without it, and its Resource
    with each unknown variable widened to `*`. Unknown: a condition key the audit does not supply, a
    condition value holding such a variable, an operator the evaluator does not implement."""
    reasons: list[str] = []
    kept: dict[str, Any] = {}
    condition = statement.get("Condition")
    for operator, tests in condition.items() if isinstance(condition, Mapping) else []:
        if not isinstance(tests, Mapping):
            continue  # malformed: sanitized() already left such statements out
        if not supported(operator):
            reasons.append(f"{operator} (an operator the audit does not evaluate)")
            continue
        known = {}
        for key, value in tests.items():
            if not _known(key):
                reasons.append(key)
            elif _unknown_variables(value):
                reasons += [f"${{{v}}}" for v in _unknown_variables(value)]
            else:
                known[key] = value
        if known:
            kept[operator] = known
    resource = statement.get("Resource")
    if resource is not None and _unknown_variables(resource):
        reasons += [f"${{{v}}}" for v in _unknown_variables(resource)]
        resource = [_POLICY_VARIABLE.sub("*", str(r)) if _unknown_variables(r) else r for r in as_list(resource)]
    return sorted(set(reasons)), kept, resource


def _bounded(document: Mapping[str, Any], *, deny_applies: bool) -> Mapping[str, Any]:
    """A document with what the audit cannot know for a request (a condition key such as MFA, source IP,
    VPC endpoint, time or tags; a policy variable of such a key; an operator it does not evaluate)
    decided the way that finds more readers, each statement's label saying so: an Allow's conditions on
    them are taken as met and its resources widened ("Sid (if aws:SourceIp)"); a Deny that depends on
    them is set aside, as not applying. With deny_applies, such a Deny's unknown conditions are taken as
    met instead: the lower bound the audit uses only to label a reader a set-aside Deny might stop."""
    changed = dropped = False
    rewritten: list[tuple[int, Mapping[str, Any]]] = []
    for position, statement in enumerate(statements(document)):
        assumed, kept, resource = _unknowable(statement)
        if assumed:
            changed = True
            if statement.get("Effect") == "Deny" and not deny_applies:
                dropped = True
                continue  # may not apply: it must not hide a reader
            label = f"{statement_label(statement, position)} (if {', '.join(assumed)})"
            statement = {**statement, "Sid": label, "Condition": kept}
            if statement.get("Effect") != "Deny" and resource is not None:
                statement["Resource"] = resource
        rewritten.append((position, statement))
    if not changed:
        return document
    # A statement left out shifts the others: each keeps the label of its place in the document as written.
    return {
        **document,
        "Statement": [{**s, "Sid": statement_label(s, p)} if dropped and not s.get("Sid") else s for p, s in rewritten],
    }


def _rewrite(snapshot: AccountSnapshot, rewrite: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> AccountSnapshot:
    """The snapshot with every document rewritten, each shared document once."""
    done: dict[int, NamedPolicy] = {}

    def policy(named: NamedPolicy) -> NamedPolicy:
        if id(named) not in done:
            done[id(named)] = NamedPolicy(named.source, rewrite(named.document))
        return done[id(named)]

    return dataclasses.replace(
        snapshot,
        key_policy=rewrite(snapshot.key_policy),
        table_policy=rewrite(snapshot.table_policy) if snapshot.table_policy is not None else None,
        stream_policy=rewrite(snapshot.stream_policy) if snapshot.stream_policy is not None else None,
        principals=tuple(
            dataclasses.replace(
                p,
                policies=tuple(policy(named) for named in p.policies),
                trust_policy=rewrite(p.trust_policy) if p.trust_policy is not None else None,
            )
            for p in snapshot.principals
        ),
    )


def upper_bound(snapshot: AccountSnapshot) -> AccountSnapshot:
    """Every policy as its upper bound: who COULD reach the data (_bounded)."""
    return _rewrite(snapshot, lambda d: _bounded(d, deny_applies=False))


def _with_denies(snapshot: AccountSnapshot) -> AccountSnapshot:
    return _rewrite(snapshot, lambda d: _bounded(d, deny_applies=True))


@dataclasses.dataclass(frozen=True)
class Malformed:
    source: str
    problems: tuple[str, ...]


def sanitized(snapshot: AccountSnapshot) -> tuple[AccountSnapshot, list[Malformed]]:
    """The snapshot with every statement AWS would refuse left out, and each document that had one."""
    found: list[Malformed] = []
    done: dict[int, NamedPolicy] = {}

    def check(document: Any, kind: str, source: str) -> Mapping[str, Any]:
        kept, problems = well_formed(document, kind)
        if problems:
            found.append(Malformed(source, tuple(problems)))
        return kept

    def policy(named: NamedPolicy) -> NamedPolicy:
        if id(named) not in done:
            done[id(named)] = NamedPolicy(named.source, check(named.document, IDENTITY_POLICY, named.source))
        return done[id(named)]

    clean = dataclasses.replace(
        snapshot,
        key_policy=check(snapshot.key_policy, KEY_POLICY, f"key policy of {snapshot.key_arn}"),
        table_policy=(
            check(snapshot.table_policy, TABLE_POLICY_KIND, f"table resource policy of {snapshot.table_arn}")
            if snapshot.table_policy is not None
            else None
        ),
        stream_policy=(
            check(snapshot.stream_policy, TABLE_POLICY_KIND, f"stream resource policy of {snapshot.stream_arn}")
            if snapshot.stream_policy is not None
            else None
        ),
        principals=tuple(
            dataclasses.replace(
                p,
                policies=tuple(policy(named) for named in p.policies),
                trust_policy=(
                    check(p.trust_policy, TRUST_KIND, f"trust policy of {p.arn}")
                    if p.trust_policy is not None
                    else None
                ),
            )
            for p in snapshot.principals
        ),
    )
    return clean, found


# -- one principal, every path -------------------------------------------------------------------------


def _policy_could_allow(document: Mapping[str, Any], action: str) -> bool:
    return any(statement_allows_action(statement, action) for statement in statements(document))


def _could_allow(
    policies: Sequence[NamedPolicy], action: str, cache: dict[tuple[int, str], bool] | None = None
) -> bool:
    """Might any Allow statement of these policies cover the action (access.documents.statement_allows_action)?
    No: the decision is a denial, no need to evaluate. `cache` remembers the answer per document object for
    one judgement, in which documents are not changed (managed policies are shared by many)."""
    for named in policies:
        if cache is None:
            if _policy_could_allow(named.document, action):
                return True
            continue
        key = (id(named.document), action)
        if key not in cache:
            cache[key] = _policy_could_allow(named.document, action)
        if cache[key]:
            return True
    return False


class _Judge:
    """The decisions for one snapshot: the resources of each path, and the principal's policies."""

    def __init__(self, snapshot: AccountSnapshot, intent: Intent, sessions: Mapping[str, tuple[str, ...]]) -> None:
        self.snapshot = snapshot
        self.intent = intent
        self.sessions = sessions
        self.table_policy = (
            NamedPolicy("table resource policy", snapshot.table_policy) if snapshot.table_policy is not None else None
        )
        self.stream_policy = (
            NamedPolicy("stream resource policy", snapshot.stream_policy)
            if snapshot.stream_policy is not None
            else None
        )
        # A grant lets in only its grantee (a principal or one of its sessions): by grantee, so a decision
        # reads only the grants that can match it, not every grant of the key.
        self.grants_to: dict[str, list[Grant]] = {}
        for key_grant in snapshot.grants:
            self.grants_to.setdefault(key_grant.grant.grantee_principal, []).append(key_grant.grant)
        self.could_allow: dict[tuple[int, str], bool] = {}  # documents live as long as this judge

    def resources(self, operation: Operation) -> list[str]:
        table = self.snapshot.table_arn
        found: list[str] = []
        for kind in operation.resources:
            if kind is Resource.TABLE:
                found.append(table)
            elif kind is Resource.INDEX:
                found += [f"{table}/index/{name}" for name in self.snapshot.index_names]
            elif kind is Resource.STREAM and self.snapshot.stream_arn:
                found.append(self.snapshot.stream_arn)
            elif kind is Resource.BACKUP:
                found.append(f"{table}/backup/{ANY_ID}")
            elif kind is Resource.EXPORT:
                found.append(f"{table}/export/{ANY_ID}")
        return found

    def iam(self, principal: Principal, action: str, resource: str, caller: str = "") -> Decision:
        """IAM on a table (its indexes, backups, exports) or its stream: identity policies, and the
        resource's own policy when it has one (a stream's is its own, not the table's)."""
        policies = list(principal.policies)
        stream = bool(self.snapshot.stream_arn) and resource == self.snapshot.stream_arn
        resource_policy = self.stream_policy if stream else self.table_policy
        if resource_policy is None:
            if not _could_allow(policies, action, self.could_allow):
                return Decision(False, f"denied: no identity policy allows {action} for {principal.arn}")
            return authorize_identity(_request(principal.arn, action, self.snapshot, resource, caller), policies)
        request = _request(principal.arn, action, self.snapshot, resource, caller)
        return authorize_resource(request, resource_policy, policies, kind=TABLE_POLICY)

    def iam_any_caller(self, principal: Principal, action: str, resource: str) -> Decision:
        """IAM as the principal, or as any of its sessions a resource policy names (the first that is allowed)."""
        first = self.iam(principal, action, resource)
        if first.allowed:
            return first
        for caller in self.sessions.get(principal.arn, ()):
            decision = self.iam(principal, action, resource, caller)
            if decision.allowed:
                return dataclasses.replace(decision, reason=f"{decision.reason} (as session {caller})")
        return first

    def grants_of(self, principal: Principal) -> list[Grant]:
        """The key's grants to the principal or to one of its sessions the documents name."""
        names = (principal.arn, *self.sessions.get(principal.arn, ()))
        return [grant for name in names for grant in self.grants_to.get(name, ())]

    def decrypt(self, principal: Principal, policies: Sequence[NamedPolicy]) -> tuple[Decision, str]:
        """kms:Decrypt through DynamoDB, as the principal or any of its sessions the documents name."""
        first: Decision | None = None
        grants = self.grants_of(principal)
        for caller in ("", *self.sessions.get(principal.arn, ())):
            decision = authorize_kms(
                dynamodb_decrypt_request(
                    principal_arn=principal.arn,
                    key_arn=self.snapshot.key_arn,
                    table_name=self.snapshot.table_name,
                    region=self.snapshot.region,
                    account_id=self.snapshot.account_id,
                    caller_arn=caller,
                ),
                self.snapshot.key_policy,
                policies,
                grants,
            )
            if decision.allowed:
                return decision, caller
            first = first or decision
        assert first is not None  # noqa: S101 (the loop runs at least once)
        return first, ""

    def path(self, principal: Principal, path: Path, decrypt: tuple[Decision, str]) -> PathAccess:
        allowed: list[tuple[Operation, Decision]] = []
        denied: Decision | None = None
        needed: set[str] = set()  # the operations with a resource to act on (no stream: no stream path)
        for operation in operations_on(path):
            resources = self.resources(operation)
            if not resources:
                continue
            needed.add(operation.name)
            # Each operation's own action (its first): the catalogue gives a transaction's or a PartiQL
            # call's item actions records of their own, judged there.
            decisions = [self.iam_any_caller(principal, operation.actions[0], resource) for resource in resources]
            decision = _first_allowed(decisions)
            if decision is not None:
                allowed.append((operation, decision))
            elif denied is None:
                denied = decisions[0]
        if path in PATH_NEEDS_ALL and {op.name for op, _ in allowed} != needed:
            allowed = []
        if not allowed:
            why = denied.reason if denied is not None else "no such resource"
            return PathAccess(path, iam=False, kms=None, open=False, reason=f"IAM: {why}")
        operation, iam = next(((op, d) for op, d in allowed if op.key_use is not KeyUse.CALLER), allowed[0])
        iam_reason = f"IAM: {operation.name} {iam.reason}"
        assumed = [_assumed(iam)]
        if operation.key_use is KeyUse.CALLER:
            decision, caller = decrypt
            kms_reason = f"KMS: {decision.reason}" + (f" (as session {caller})" if caller else "")
            assumed.append(_assumed(decision))
            return PathAccess(
                path,
                iam=True,
                kms=decision.allowed,
                open=decision.allowed,
                reason=f"{iam_reason}; {kms_reason}",
                assumed="; ".join(a for a in assumed if a),
                iam_statement=iam.statement,
                kms_statement=decision.statement if decision.allowed else None,
                kms_source=decision.source if decision.allowed else "",
            )
        if operation.key_use is KeyUse.UNSETTLED:
            kms_reason = f"KMS: not asked of the caller ({operation.name}: AWS's pages do not say it is; upper bound)"
            assumed.append(f"{operation.name} needs no key right of the caller")
        else:
            kms_reason = (
                f"KMS: not asked of the caller ({operation.name}: {operation.note or 'DynamoDB uses its own grant'})"
            )
        return PathAccess(
            path,
            iam=True,
            kms=None,
            open=True,
            reason=f"{iam_reason}; {kms_reason}",
            assumed="; ".join(a for a in assumed if a),
            iam_statement=iam.statement,
        )


def _assumed(decision: Decision) -> str:
    """The conditions a decision's statement was taken to meet (its label says "(if ...)")."""
    statement = decision.statement or {}
    sid = str(statement.get("Sid") or "")
    return sid[sid.index("(if ") :] if decision.allowed and "(if " in sid else ""


def _boundary_rights(judge: _Judge, principal: Principal, key_users: Sequence[Principal]) -> list[str]:
    snapshot = judge.snapshot
    rights = [
        action
        for action in KEY_BOUNDARY_ACTIONS
        if authorize_kms(
            _request(principal.arn, action, snapshot, snapshot.key_arn),
            snapshot.key_policy,
            principal.policies,
            judge.grants_of(principal),
        ).allowed
    ]
    rights += [action for action in TABLE_BOUNDARY_ACTIONS if judge.iam(principal, action, snapshot.table_arn).allowed]
    # Who may rewrite a key user's identity policies, or its own (then it can grant itself any IAM right,
    # kms:Decrypt included wherever the key policy delegates to the account).
    subjects = [(user, user.arn) for user in key_users if user.arn != principal.arn]
    if principal.kind in IDENTITY_POLICY_WRITE_ACTIONS:
        subjects.append((principal, "itself"))
    for subject, shown in subjects:
        rights += [
            f"{action} on {shown}"
            for action in IDENTITY_POLICY_WRITE_ACTIONS[subject.kind]
            if _could_allow(principal.policies, action, judge.could_allow)
            and authorize_identity(_request(principal.arn, action, snapshot, subject.arn), principal.policies).allowed
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
    if arn in intent.key_users or arn in intent.paths:
        return Role.DECLARED
    if arn in intent.key_admins:
        return Role.KEY_ADMIN
    return Role.OTHER


def _judge_principal(judge: _Judge, principal: Principal, key_users: Sequence[Principal]) -> AccessRow:
    decrypt = judge.decrypt(principal, principal.policies)
    paths = tuple(judge.path(principal, path, decrypt) for path in Path)
    read, write = paths[0], paths[1]
    kms = decrypt[0]
    return AccessRow(
        principal=principal.arn,
        kind=principal.kind,
        role=_role(principal.arn, judge.intent),
        iam_read=read.iam,
        iam_write=write.iam,
        kms_decrypt=kms.allowed,
        verdict=_verdict(read.iam, write.iam, kms.allowed),
        iam_reason=(read if read.iam or not write.iam else write).reason.removeprefix("IAM: ").split("; KMS:")[0],
        kms_reason=kms.reason + (f" (as session {decrypt[1]})" if decrypt[1] else ""),
        boundary=tuple(_boundary_rights(judge, principal, key_users)),
        iam_statement=read.iam_statement if read.iam else write.iam_statement,
        kms_statement=kms.statement if kms.allowed else None,
        paths=paths,
        sessions=judge.sessions.get(principal.arn, ()),
    )


def account_root_row(judge: _Judge) -> AccessRow:
    """The root user: every IAM right; on the key, what the key policy gives the account."""
    snapshot = judge.snapshot
    root = account_root_arn(snapshot.partition, snapshot.account_id)
    decrypt, _caller = judge.decrypt(Principal(root, "root", "root", ""), ())
    every = "IAM: the root user holds every IAM right"
    paths = tuple(
        PathAccess(
            path,
            iam=True,
            kms=decrypt.allowed if path in (Path.READ, Path.WRITE) else None,
            open=decrypt.allowed or path not in (Path.READ, Path.WRITE),
            reason=f"{every}; KMS: {decrypt.reason}" if path in (Path.READ, Path.WRITE) else every,
        )
        for path in Path
    )
    return AccessRow(
        principal=root,
        kind="root",
        role=Role.ACCOUNT_ROOT,
        iam_read=True,
        iam_write=True,
        kms_decrypt=decrypt.allowed,
        verdict=_verdict(True, True, decrypt.allowed),
        iam_reason="the root user holds every IAM right",
        kms_reason=decrypt.reason,
        paths=paths,
    )


# -- principal forms ------------------------------------------------------------------------------------


def resource_policies(snapshot: AccountSnapshot) -> list[tuple[str, Mapping[str, Any]]]:
    """The resource policies that can let a principal in: the key policy, the table's and its stream's."""
    documents: list[tuple[str, Mapping[str, Any]]] = [("key policy", snapshot.key_policy)]
    if snapshot.table_policy is not None:
        documents.append(("table resource policy", snapshot.table_policy))
    if snapshot.stream_policy is not None:
        documents.append(("stream resource policy", snapshot.stream_policy))
    return documents


def named_principals(snapshot: AccountSnapshot) -> list[tuple[str, str]]:
    """Every principal the key policy, the table policy (their Allow statements) and the grants name,
    with where: [(principal, "key policy statement X" | "grant G" | ...)]."""
    found: list[tuple[str, str]] = []
    for source, document in resource_policies(snapshot):
        for position, statement in enumerate(statements(document)):
            if statement.get("Effect") == "Allow":
                where = f"{source} statement {statement_label(statement, position)}"
                found += [(p, where) for p in statement_principals(statement)]
    found += [(g.grant.grantee_principal, _grant_label(g)) for g in snapshot.grants]
    return found


def role_sessions(snapshot: AccountSnapshot) -> dict[str, tuple[str, ...]]:
    """Role ARN -> the sessions of it the key policy, the table policy or a grant names."""
    by_name = {p.name: p.arn for p in snapshot.principals if p.kind == "role"}
    found: dict[str, list[str]] = {}
    for principal, _where in named_principals(snapshot):
        session = parse_session_arn(principal)
        if session and session.account == snapshot.account_id and session.role_name in by_name:
            found.setdefault(by_name[session.role_name], []).append(principal)
    return {role: tuple(dict.fromkeys(names)) for role, names in found.items()}


# -- who can become whom ------------------------------------------------------------------------------


def _trusted_services(trust: Mapping[str, Any]) -> list[str]:
    """The AWS services a trust policy lets assume the role (Allow, Principal Service)."""
    return [
        value
        for statement in statements(trust)
        if statement.get("Effect") == "Allow"
        for kind, value in _principal_entries(statement)
        if kind == "Service"
    ]


def _can_assume(
    snapshot: AccountSnapshot, who: Principal, role: Principal, cache: dict[tuple[int, str], bool] | None = None
) -> Decision | None:
    """May `who` become `role`: assume it (the trust policy, and `who`'s identity policies unless the trust
    policy names it or one of its sessions), or pass it to a service the role trusts (iam:PassRole: the
    service then acts as the role for whoever set it up)."""
    if role.trust_policy is None:
        return None
    trust = NamedPolicy(f"trust policy of {role.arn}", role.trust_policy)
    named = {p for s in statements(role.trust_policy) for p in statement_principals(s)}
    sessions = [p for p in named if who.kind == "role" and _session_of(p, who.name, snapshot.account_id)]
    # A trust policy that names the principal, a session of it, or anyone lets it in without an identity policy.
    if (
        who.arn in named
        or _admits_anyone(role.trust_policy)
        or sessions
        or _could_allow(who.policies, "sts:AssumeRole", cache)
    ):
        for caller in ("", *sessions):
            request = _request(who.arn, "sts:AssumeRole", snapshot, role.arn, caller)
            decision = authorize_resource(request, trust, who.policies, kind=TRUST_POLICY)
            if decision.allowed:
                return decision
    services = _trusted_services(role.trust_policy)
    if services and _could_allow(who.policies, "iam:PassRole", cache):
        decision = authorize_identity(_request(who.arn, "iam:PassRole", snapshot, role.arn), who.policies)
        if decision.allowed:
            return dataclasses.replace(
                decision, reason=f"{decision.reason}, to {', '.join(services)}, which the role trusts"
            )
    return None


def _admits_anyone(trust: Mapping[str, Any]) -> bool:
    """Does a trust policy have an Allow for any principal: "*", or NotPrincipal (everyone but those named)?"""
    return any(
        s.get("Effect") == "Allow" and ("NotPrincipal" in s or "*" in statement_principals(s))
        for s in statements(trust)
    )


def _session_of(principal: str, role_name: str, account_id: str) -> bool:
    session = parse_session_arn(principal)
    return session is not None and session.account == account_id and session.role_name == role_name


class _AssumeIndex:
    """Who could possibly become a role, found without judging every principal against every role.

    In one account a principal assumes a role only if the trust policy names it (or one of its sessions,
    or "*"), or its own identity policies allow sts:AssumeRole on the role (and the trust policy names the
    account); it passes a role to a service only if its identity policies allow iam:PassRole on the role.
    So the candidates for a role are the principals its trust policy names, plus those whose Allow
    statements for these actions have a Resource that can match the role's ARN. Every candidate is then
    judged in full (_can_assume); a principal that is no candidate could not have been allowed.
    """

    ACTIONS = ("sts:AssumeRole", "iam:PassRole")

    def __init__(self, snapshot: AccountSnapshot, cache: dict[tuple[int, str], bool]) -> None:
        self.exact: dict[str, set[str]] = {}  # role ARN -> principals allowed it by name
        self.wild: list[tuple[str, str]] = []  # (Resource pattern, principal)
        self.everything: set[str] = set()  # principals allowed on any resource (no Resource: NotResource)
        for principal in snapshot.principals:
            if not any(_could_allow(principal.policies, action, cache) for action in self.ACTIONS):
                continue
            for named in principal.policies:
                for statement in statements(named.document):
                    if not any(statement_allows_action(statement, action) for action in self.ACTIONS):
                        continue
                    if "Resource" not in statement:
                        self.everything.add(principal.arn)
                        continue
                    for resource in as_list(statement["Resource"]):
                        pattern = str(resource)
                        if "${" in pattern:
                            pattern = _POLICY_VARIABLE.sub("*", pattern)
                        if "*" in pattern or "?" in pattern:
                            self.wild.append((pattern, principal.arn))
                        else:
                            self.exact.setdefault(pattern, set()).add(principal.arn)

    def candidates(self, role: Principal, snapshot: AccountSnapshot, roles_by_name: Mapping[str, str]) -> set[str]:
        named = {p for s in statements(role.trust_policy or {}) for p in statement_principals(s)}
        if _admits_anyone(role.trust_policy or {}):
            return {p.arn for p in snapshot.principals}
        found = set(self.everything) | self.exact.get(role.arn, set()) | named
        found |= {who for pattern, who in self.wild if iam_wildcard_match(pattern, role.arn)}
        for entry in named:  # a session of a role: that role
            session = parse_session_arn(entry)
            if session is not None and session.account == snapshot.account_id and session.role_name in roles_by_name:
                found.add(roles_by_name[session.role_name])
        return found


def assume_chains(snapshot: AccountSnapshot, targets: Iterable[str]) -> dict[str, list[tuple[str, ...]]]:
    """For each target role, every chain of principals that may become it, outermost first, transitively
    (a principal that may assume a role that may assume the target). Each principal appears once per
    target, on its shortest chain."""
    by_arn = {p.arn: p for p in snapshot.principals}
    roles = {p.arn for p in snapshot.principals if p.kind == "role" and p.trust_policy is not None}
    assumers: dict[str, list[str]] = {}  # role -> who may assume it directly
    cache: dict[tuple[int, str], bool] = {}
    index = _AssumeIndex(snapshot, cache)
    order = {p.arn: n for n, p in enumerate(snapshot.principals)}
    roles_by_name = {p.name: p.arn for p in snapshot.principals if p.kind == "role"}

    def direct(role: str) -> list[str]:
        if role not in assumers:
            target = by_arn[role]
            candidates = index.candidates(target, snapshot, roles_by_name)
            assumers[role] = [
                arn
                for arn in sorted(candidates & by_arn.keys(), key=order.__getitem__)
                if arn != role and _can_assume(snapshot, by_arn[arn], target, cache)
            ]
        return assumers[role]

    chains: dict[str, list[tuple[str, ...]]] = {}
    for target in targets:
        if target not in roles:
            continue
        seen = {target}
        frontier: list[tuple[str, ...]] = [(target,)]
        found: list[tuple[str, ...]] = []
        while frontier:
            following: list[tuple[str, ...]] = []
            for chain in frontier:
                for who in direct(chain[0]):
                    if who in seen:
                        continue
                    seen.add(who)
                    longer = (who, *chain)
                    found.append(longer)
                    if who in roles:
                        following.append(longer)
            frontier = following
        if found:
            chains[target] = found
    return chains


# -- the whole account ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Judgement:
    rows: list[AccessRow]
    malformed: list[Malformed]
    chains: dict[str, list[tuple[str, ...]]]  # target role -> chains of who may become it
    clean: AccountSnapshot  # the snapshot as judged: statements AWS refuses left out
    upper: AccountSnapshot  # ... and as its upper bound (what the rows were judged on)


def judge(snapshot: AccountSnapshot, intent: Intent) -> Judgement:
    """Every principal of the account, and the account root, on every path, on the policies' upper bound."""
    clean, malformed = sanitized(snapshot)
    upper = upper_bound(clean)
    sessions = role_sessions(upper)
    the_judge = _Judge(upper, intent, sessions)
    key_users = [p for p in upper.principals if p.arn in intent.key_users]
    rows = {p.arn: _judge_principal(the_judge, p, key_users) for p in upper.principals}
    denies = _SetAsideDenies(clean, intent, sessions)
    clean_principals = {p.arn: p for p in clean.principals}
    rows = {arn: denies.label(row, clean_principals[arn]) for arn, row in rows.items()}
    targets = [arn for arn, row in rows.items() if row.kind == "role" and (_finding_paths(row) or row.boundary)]
    chains = assume_chains(upper, targets)
    for target, found in chains.items():
        rows[target] = dataclasses.replace(rows[target], assumable_by=tuple(found))
    ordered = [account_root_row(the_judge), *sorted(rows.values(), key=lambda r: r.principal)]
    return Judgement(ordered, malformed, chains, clean, upper)


def judge_access(snapshot: AccountSnapshot, intent: Intent) -> list[AccessRow]:
    return judge(snapshot, intent).rows


class _SetAsideDenies:
    """Labels an open path that a Deny set aside for its unknown condition would have closed. The lower
    bound (such Denies taken as applying) is built once, and only when some document has such a Deny."""

    def __init__(self, clean: AccountSnapshot, intent: Intent, sessions: Mapping[str, tuple[str, ...]]) -> None:
        self.clean, self.intent, self.sessions = clean, intent, sessions
        self.conditional: dict[int, bool] = {}  # document id -> has a Deny the audit cannot decide
        self.shared = any(self._conditional(d) for d in (clean.key_policy, clean.table_policy, clean.stream_policy))
        self.lower: _Judge | None = None
        self.principals: dict[str, Principal] = {}

    def _conditional(self, document: Mapping[str, Any] | None) -> bool:
        if document is None:
            return False
        if id(document) not in self.conditional:
            self.conditional[id(document)] = any(
                s.get("Effect") == "Deny" and _unknowable(s)[0] for s in statements(document)
            )
        return self.conditional[id(document)]

    def label(self, row: AccessRow, principal: Principal) -> AccessRow:
        if not any(p.open for p in row.paths):
            return row
        if not self.shared and not any(self._conditional(n.document) for n in principal.policies):
            return row
        if self.lower is None:
            strict = _with_denies(self.clean)
            self.lower = _Judge(strict, self.intent, self.sessions)
            self.principals = {p.arn: p for p in strict.principals}
        lower, strict_principal = self.lower, self.principals[row.principal]
        decrypt = lower.decrypt(strict_principal, strict_principal.policies)
        labelled = []
        for access in row.paths:
            if access.open:
                closed = lower.path(strict_principal, access.path, decrypt)
                if not closed.open:
                    note = f"unless {closed.reason.split('denied explicitly by ', 1)[-1]} applies"
                    access = dataclasses.replace(access, assumed="; ".join(a for a in (access.assumed, note) if a))
            labelled.append(access)
        return dataclasses.replace(row, paths=tuple(labelled))


def _finding_paths(row: AccessRow) -> list[PathAccess]:
    return [p for p in row.paths if p.open and p.path in FINDING_PATHS]


def declared_paths(intent: Intent, arn: str) -> frozenset[Path]:
    """The paths a principal is declared for: its access level's, and those it is declared for by name."""
    level = intent.key_users.get(arn)
    base = ACCESS_LEVEL_PATHS.get(level, frozenset()) if level else frozenset()
    boundary = frozenset({Path.REKEY, Path.POLICY}) if arn in intent.key_admins else frozenset()
    return base | boundary | intent.paths.get(arn, frozenset())


# -- findings ---------------------------------------------------------------------------------------


def _deciding(row: AccessRow) -> str:
    return f"IAM: {row.iam_reason}; KMS: {row.kms_reason}"


def deciding_statement(access: PathAccess | None) -> str:
    """The statement that opened a path, for a finding: the key side's when DynamoDB asked the caller's key
    (its statement, or the grant), else the IAM statement."""
    if access is None:
        return ""
    return statement_text(access.kms_statement) or access.kms_source or statement_text(access.iam_statement)


# What each path lets a principal do, for the findings' sentences.
PATH_DOING: dict[Path, str] = {
    Path.READ: "read the items",
    Path.WRITE: "write the items (and read them back: ReturnValues)",
    Path.STREAM: "read the table's stream (every new and old image)",
    Path.EXPORT: "export the table to S3, out of the key's boundary",
    Path.BACKUP: "back the table up",
    Path.RESTORE: "restore the table's data into a new table under a key it chooses, or none",
    Path.REKEY: "move the table (or a new replica) to another key, or to the AWS-owned key",
    Path.KINESIS: "send every change to a Kinesis data stream",
    Path.POLICY: "rewrite the table's resource policy",
}


def _exempt(row: AccessRow, access: PathAccess | None, intent: Intent) -> bool:
    """The root and the deployer are reported as what they are; the verifier only for the rights its own
    policy for this stack, and nothing else, gives it (the canary)."""
    if row.role in (Role.ACCOUNT_ROOT, Role.DEPLOYER):
        return True
    if row.role is not Role.VERIFIER:
        return False
    if access is None:
        return row.iam_statement in intent.verifier_statements and row.kms_statement in intent.verifier_statements
    return access.iam_statement in intent.verifier_statements and access.kms_statement in (
        None,
        *intent.verifier_statements,
    )


def _shown(access: PathAccess) -> str:
    return access.reason + (f" [upper bound: {access.assumed}]" if access.assumed else "")


def _undeclared(intent: Intent) -> str:
    return "undeclared" if intent.declared else "not declared (the outputs carry no intent)"


def access_findings(rows: Sequence[AccessRow], intent: Intent) -> list[Finding]:
    found: list[Finding] = []
    for row in rows:
        declared = declared_paths(intent, row.principal)
        by_path = {p.path: p for p in row.paths}
        read, write = by_path.get(Path.READ), by_path.get(Path.WRITE)
        items = [a for a in (read, write) if a is not None and a.open and a.path not in declared]
        items = [a for a in items if (row.principal, a.path) not in intent.refused]
        if items and not _exempt(row, None, intent):
            what = "reader" if items[0].path is Path.READ else "writer"
            verdict = Verdict.PLAINTEXT_READER if what == "reader" else Verdict.WRITER
            level = intent.key_users.get(row.principal)
            if level and what == "writer" and read is not None and Path.READ in declared:
                found.append(
                    Finding.failed(
                        "audit.writer_declared_as_reader",
                        f"{row.principal} is declared a reader but may write: {_shown(items[0])}",
                        "narrow its DynamoDB rights to reads, or declare it read-write",
                    ).about(principal=row.principal, statement=statement_text(items[0].iam_statement))
                )
            else:
                found.append(
                    Finding.failed(
                        f"audit.undeclared_{what}",
                        f"{row.principal} is a {verdict.value}, {_undeclared(intent)}: {_shown(items[0])}",
                        UNDECLARED_ADVICE,
                    ).about(principal=row.principal, statement=deciding_statement(items[0]))
                )
        elif (
            write is not None
            and write.iam
            and intent.key_users.get(row.principal) == "read"
            and not _exempt(row, None, intent)
        ):
            found.append(
                Finding.failed(
                    "audit.writer_declared_as_reader",
                    f"{row.principal} is declared a reader but may write: {_deciding(row)}",
                    "narrow its DynamoDB rights to reads, or declare it read-write",
                ).about(principal=row.principal, statement=statement_text(write.iam_statement))
            )
        if row.boundary and row.principal not in intent.key_admins and not _exempt(row, None, intent):
            found.append(
                Finding.failed(
                    "audit.undeclared_boundary",
                    f"{row.principal} may change the boundary ({', '.join(row.boundary)}), "
                    f"{_undeclared(intent)} as a key administrator: it can let itself or anyone in",
                    "take these rights away, or make it a key administrator (key_admins) and deploy",
                ).about(principal=row.principal)
            )
        for access in row.paths:
            if access.path in (Path.READ, Path.WRITE) or access.path not in FINDING_PATHS or not access.open:
                continue
            if access.path in declared or _exempt(row, access, intent):
                continue
            if (row.principal, access.path) in intent.refused:
                continue
            found.append(
                Finding.failed(
                    f"audit.undeclared_{access.path.name.lower()}",
                    f"{row.principal} may {PATH_DOING[access.path]} (path {access.path.value}), "
                    f"{_undeclared(intent)}: {_shown(access)}",
                    UNDECLARED_ADVICE,
                ).about(principal=row.principal, statement=deciding_statement(access))
            )
    return found


def session_findings(snapshot: AccountSnapshot, intent: Intent) -> list[Finding]:
    """A key policy, table policy or grant that names a role SESSION: AWS honours it for that session
    alone. Judged as its role (the row says so); named here when the role is not declared to use the key."""
    found: list[Finding] = []
    by_name = {p.name: p.arn for p in snapshot.principals if p.kind == "role"}
    for principal, where in named_principals(snapshot):
        session = parse_session_arn(principal)
        if not session or session.account != snapshot.account_id:
            continue
        role = by_name.get(session.role_name)
        if role is None:
            found.append(
                Finding.failed(
                    "audit.session_of_missing_role",
                    f"{where} names session {principal} of role {session.role_name}, which does not exist",
                    "remove it: a role created later under that name would inherit it",
                ).about(principal=principal, statement=where)
            )
        elif not declared_paths(intent, role) & set(FINDING_PATHS):
            found.append(
                Finding.failed(
                    "audit.undeclared_session",
                    f"{where} names session {principal} of role {role}, which is {_undeclared(intent)} as a "
                    "key user: that session may use the key",
                    "remove the session from the key policy (or revoke the grant), or declare the role",
                ).about(principal=principal, statement=where)
            )
    return found


def _principal_entries(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(type, principal) for every principal a statement names: AWS, Service, Federated, CanonicalUser."""
    raw = statement.get("Principal")
    if isinstance(raw, str):
        return [("AWS", raw)]
    if isinstance(raw, Mapping):
        return [(str(kind), str(value)) for kind, values in raw.items() for value in as_list(values)]
    return []


_IAM_IDENTITY = re.compile(r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:(?:user|role)/.+", re.ASCII | re.DOTALL)


def unresolved_findings(snapshot: AccountSnapshot) -> list[Finding]:
    """Principals named in an Allow that the audit cannot resolve to a principal it judges: reported,
    never dropped. (Other accounts, missing principals and sessions have findings of their own.)"""
    found: list[Finding] = []
    for source, document in resource_policies(snapshot):
        for position, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            for kind, principal in _principal_entries(statement):
                resolvable = kind == "AWS" and (
                    principal == "*"
                    or is_account_principal(principal)
                    or _IAM_IDENTITY.fullmatch(principal) is not None
                    or parse_session_arn(principal) is not None
                    or principal.startswith(UNIQUE_ID_PREFIXES)
                )
                if resolvable:
                    continue
                found.append(
                    Finding.failed(
                        "audit.unresolved_principal",
                        f"{source} statement {statement_label(statement, position)} lets in {kind} principal "
                        f"{principal}, which the audit cannot resolve to a principal of the account: whoever "
                        "acts as it is not judged",
                        "remove it, or constrain it (aws:SourceArn, aws:SourceAccount) and review who can act "
                        "through it",
                    ).about(
                        principal=principal,
                        statement=statement_text(statement),
                        resource=_resource_of(source, snapshot),
                    )
                )
    service = dynamodb_service_principal(snapshot.region)
    for key_grant in snapshot.grants:
        grantee = key_grant.grant.grantee_principal
        if grantee == service or grantee.startswith(UNIQUE_ID_PREFIXES) or is_account_principal(grantee):
            continue
        if _IAM_IDENTITY.fullmatch(grantee) is None and parse_session_arn(grantee) is None:
            found.append(
                Finding.failed(
                    "audit.unresolved_principal",
                    f"{_grant_label(key_grant)}: the audit cannot resolve the grantee to a principal of the account",
                    "revoke the grant unless you know who acts as that principal",
                ).about(principal=grantee, statement=_grant_id(key_grant), resource=snapshot.key_arn)
            )
    return found


def assume_findings(snapshot: AccountSnapshot, intent: Intent, judged: Judgement) -> list[Finding]:
    """Who may become a role that reaches the data (or moves the boundary) without being declared for it,
    and a trust policy on such a role that admits anyone or another account."""
    found: list[Finding] = []
    rows = {row.principal: row for row in judged.rows}
    by_arn = {p.arn: p for p in snapshot.principals}
    for target, chains in judged.chains.items():
        row = rows[target]
        reaches = {a.path for a in _finding_paths(row)}
        for chain in chains:
            who = chain[0]
            who_row = rows.get(who)
            if who_row is not None and who_row.role in (Role.ACCOUNT_ROOT, Role.DEPLOYER):
                continue
            if who == intent.verifier and _verifier_assumes(snapshot, intent, by_arn, chain):
                continue
            missing = sorted(p.value for p in reaches - declared_paths(intent, who))
            boundary = bool(row.boundary) and who not in intent.key_admins
            if not missing and not boundary:
                continue
            reach = ", ".join(missing) if missing else "the boundary: " + ", ".join(row.boundary)
            found.append(
                Finding.failed(
                    "audit.can_become",
                    f"{who} may become {target} ({' -> '.join(chain)}) and so reach {reach}, {_undeclared(intent)}",
                    "narrow the role's trust policy (or the principal's sts:AssumeRole rights), or declare it",
                ).about(principal=who, resource=target)
            )
    for target in judged.chains.keys() | {r.principal for r in judged.rows if _finding_paths(r) and r.kind == "role"}:
        principal = by_arn.get(target)
        if principal is None or principal.trust_policy is None:
            continue
        for position, statement in enumerate(statements(principal.trust_policy)):
            if statement.get("Effect") != "Allow":
                continue
            if "NotPrincipal" in statement:
                found.append(
                    Finding.failed(
                        "audit.reader_role_trust",
                        f"the trust policy of {target}, which reaches the data, lets anyone but those it names "
                        f"assume it (statement {statement_label(statement, position)}, NotPrincipal)",
                        "trust named principals of this account only",
                    ).about(resource=target, statement=statement_text(statement))
                )
            for kind, entry in _principal_entries(statement):
                other = _foreign_account(entry, snapshot.account_id) if kind == "AWS" else None
                # A service or an identity provider with no condition at all: whoever can make that service
                # act (in any account) or hold any token of that provider becomes the role.
                unconditioned = kind in ("Service", "Federated") and not statement.get("Condition")
                if (kind == "AWS" and entry == "*") or other or unconditioned:
                    who = (
                        "anyone (*)"
                        if entry == "*"
                        else f"account {other}"
                        if other
                        else f"{kind.lower()} principal {entry} with no condition"
                    )
                    found.append(
                        Finding.failed(
                            "audit.reader_role_trust",
                            f"the trust policy of {target}, which reaches the data, lets {who} assume it "
                            f"(statement {statement_label(statement, position)})",
                            "trust named principals of this account only",
                        ).about(resource=target, principal=entry, statement=statement_text(statement))
                    )
    return found


def _verifier_assumes(
    snapshot: AccountSnapshot, intent: Intent, by_arn: Mapping[str, Principal], chain: tuple[str, ...]
) -> bool:
    """Does the verifier reach the first role of the chain by its own policy's statements alone?"""
    decision = _can_assume(snapshot, by_arn[chain[0]], by_arn[chain[1]])
    return decision is not None and decision.statement in intent.verifier_statements


def malformed_findings(malformed: Sequence[Malformed]) -> list[Finding]:
    return [
        Finding.failed(
            "audit.malformed_document",
            f"{m.source} is a document AWS refuses: {'; '.join(m.problems)}",
            "rewrite it as AWS's policy grammar allows; the audit judged the rest of it",
        )
        for m in malformed
    ]


def _grant_label(grant: KeyGrant) -> str:
    return f"grant {grant.grant.grant_id} to {grant.grant.grantee_principal}"


def _grant_id(grant: KeyGrant) -> str:
    """A grant as a finding's deciding statement."""
    return f"grant {grant.grant.grant_id}"


def _resource_of(source: str, snapshot: AccountSnapshot) -> str:
    """The resource whose policy `source` (resource_policies' name) is."""
    if source == "key policy":
        return snapshot.key_arn
    if source.startswith("stream") and snapshot.stream_arn:
        return snapshot.stream_arn
    return snapshot.table_arn


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
                ).about(resource=snapshot.key_arn, statement=_grant_id(key_grant))
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
                ).about(resource=snapshot.key_arn, principal=grant.grantee_principal, statement=_grant_id(key_grant))
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
                ).about(resource=snapshot.key_arn, principal=grantee, statement=_grant_id(key_grant))
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
                    ).about(resource=snapshot.key_arn, principal=principal, statement=statement_text(statement))
                )
    return found


def _foreign_account(principal: str, account_id: str) -> str | None:
    """The other account a principal belongs to (an account id, its root, or one of its IAM ARNs)."""
    account = account_of(principal)
    return account if account and account != account_id else None


# Conditions that keep a "*" (or NotPrincipal) statement to one account's principals: a single value.
_ACCOUNT_PINS = ("aws:principalaccount", "kms:calleraccount", "aws:sourceaccount")
_PINNING_OPERATORS = ("StringEquals", "StringEqualsIgnoreCase")


def _pinned_account(statement: Mapping[str, Any]) -> str | None:
    """The one account a statement's conditions keep its callers to, if they do (ANDed: any pin binds)."""
    condition = statement.get("Condition")
    for operator, tests in condition.items() if isinstance(condition, Mapping) else []:
        if operator not in _PINNING_OPERATORS or not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            values = as_list(value)
            if key.lower() in _ACCOUNT_PINS and len(values) == 1:
                return str(values[0])
    return None


# What a declared reader of another account may not be let do: write the items (the catalogue's write
# actions, in a table or stream policy), or have DynamoDB encrypt with the key for it (the key operations
# beyond a reader's, in a key policy statement or a grant).
_EXTERNAL_READ_OPERATIONS = frozenset(ACCESS_GRANT_OPERATIONS["read"])
EXTERNAL_WRITE_KEY_ACTIONS = tuple(f"kms:{op}" for op in DYNAMODB_KEY_OPERATIONS if op not in _EXTERNAL_READ_OPERATIONS)


# What no declared access lets a principal of another account do: move the boundary. Only what AWS performs
# for another account counts. DynamoDB serves UpdateTable across accounts through the table's resource policy
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-iam-actions.html, "Control plane API
# operations": UpdateTable, cross-account support Yes; PutResourcePolicy and DeleteResourcePolicy No), and
# UpdateTable moves the table to another key or to the AWS-owned key; KMS performs CreateGrant for another
# account (KMS_CROSS_ACCOUNT, the permissions reference's "Cross-account use"), and a grant lets in whoever it
# names. Streams have no boundary action of their own.
EXTERNAL_TABLE_BOUNDARY_ACTIONS = tuple(a for a in TABLE_BOUNDARY_ACTIONS if a == "dynamodb:UpdateTable")
EXTERNAL_KEY_BOUNDARY_ACTIONS = tuple(a for a in KEY_BOUNDARY_ACTIONS if KMS_CROSS_ACCOUNT.allows(a))


def _writes(source: str, statement: Mapping[str, Any]) -> list[str]:
    """The write actions an Allow statement of `source` (a resource policy) gives."""
    actions = EXTERNAL_WRITE_KEY_ACTIONS if source == "key policy" else TABLE_WRITE_ACTIONS
    return [action for action in actions if statement_allows_action(statement, action)]


def _boundary(source: str, statement: Mapping[str, Any]) -> list[str]:
    """The boundary actions an Allow statement of `source` gives a principal of another account."""
    actions = EXTERNAL_KEY_BOUNDARY_ACTIONS if source == "key policy" else EXTERNAL_TABLE_BOUNDARY_ACTIONS
    return [action for action in actions if statement_allows_action(statement, action)]


def _declared_external(principal: str, snapshot: AccountSnapshot, intent: Intent) -> str | None:
    """The access the stack declares for a principal of another account (outputs externalPrincipals), if any."""
    return intent.external.get(canonical_principal(principal, snapshot.partition)) if intent.external else None


def _beyond_declared(who: str, where: str, writes: Sequence[str]) -> Finding:
    return Finding.failed(
        "audit.other_account",
        f"{where} lets {who}, a declared external reader, write: {', '.join(writes)}",
        "give a reader of another account the read actions only (EncryptedTable external_principals access "
        "'read'), or declare it read-write",
    )


def _moves_boundary(who: str, where: str, actions: Sequence[str]) -> Finding:
    return Finding.failed(
        "audit.other_account",
        f"{where} lets {who}, a declared external principal, change the boundary: {', '.join(actions)}",
        "give a principal of another account the item actions of its declared access only (EncryptedTable "
        "external_principals writes no more): neither 'read' nor 'read-write' declares moving the table's key "
        "or granting the key to others",
    )


def foreign_access_findings(snapshot: AccountSnapshot, intent: Intent | None = None) -> list[Finding]:
    """Another account named where it can reach the data: the key, table or stream policy (an Allow), or a
    grant; or any account, through "*" or NotPrincipal, unless a condition keeps the statement to this
    account. The audit judges this account's principals; another account's IAM decides who of its
    principals comes in, so letting the account in is already the finding; unless the stack declares that
    principal (outputs externalPrincipals, `intent.external`): then only write access beyond a declared
    reader's is."""
    intent = intent or Intent()
    found: list[Finding] = []
    for source, document in resource_policies(snapshot):
        for position, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            label = statement_label(statement, position)
            placed = {"resource": _resource_of(source, snapshot), "statement": statement_text(statement)}
            accounts = [(p, _foreign_account(p, snapshot.account_id)) for p in statement_principals(statement)]
            wide = "NotPrincipal" in statement or any(p == "*" for p, _ in accounts)
            pinned = _pinned_account(statement)
            if wide and pinned != snapshot.account_id:
                kept = f"only account {pinned}" if pinned else "any account"
                found.append(
                    Finding.failed(
                        "audit.other_account",
                        f"{source} statement {label} lets {kept} in ('*' or NotPrincipal, no condition keeping "
                        "it to this account): their own IAM decides which of their principals read this table",
                        "name the principals, or add a condition on aws:PrincipalAccount / kms:CallerAccount "
                        "equal to this account",
                    ).about(**placed)
                )
            for principal, account in accounts:
                declared = _declared_external(principal, snapshot, intent) if account else None
                if declared is not None:
                    writes = _writes(source, statement) if declared == "read" else []
                    if writes:
                        found.append(
                            _beyond_declared(principal, f"{source} statement {label}", writes).about(
                                principal=principal, **placed
                            )
                        )
                    boundary = _boundary(source, statement)
                    if boundary:
                        found.append(
                            _moves_boundary(principal, f"{source} statement {label}", boundary).about(
                                principal=principal, **placed
                            )
                        )
                    continue
                if account:
                    found.append(
                        Finding.failed(
                            "audit.other_account",
                            f"{source} statement {label} lets account {account} "
                            f"in ({principal}): its own IAM decides which of its principals read this table",
                            "remove the other account, or declare cross-account readers on purpose and audit "
                            "that account too",
                        ).about(principal=principal, **placed)
                    )
    for key_grant in snapshot.grants:
        account = _foreign_account(key_grant.grant.grantee_principal, snapshot.account_id)
        declared = _declared_external(key_grant.grant.grantee_principal, snapshot, intent) if account else None
        if declared is not None:
            grantee = key_grant.grant.grantee_principal
            boundary = [op for op in key_grant.grant.operations if f"kms:{op}" in EXTERNAL_KEY_BOUNDARY_ACTIONS]
            writes = [
                op for op in key_grant.grant.operations if op not in _EXTERNAL_READ_OPERATIONS and op not in boundary
            ]
            placed = {"resource": snapshot.key_arn, "principal": grantee, "statement": _grant_id(key_grant)}
            if declared == "read" and writes:
                found.append(_beyond_declared(grantee, _grant_label(key_grant), writes).about(**placed))
            if boundary:
                found.append(_moves_boundary(grantee, _grant_label(key_grant), boundary).about(**placed))
            continue
        if account:
            found.append(
                Finding.failed(
                    "audit.other_account",
                    f"{_grant_label(key_grant)}: the grantee is of account {account}",
                    "revoke the grant unless that account's principal should read this table",
                ).about(
                    resource=snapshot.key_arn,
                    principal=key_grant.grant.grantee_principal,
                    statement=_grant_id(key_grant),
                )
            )
    return found


def audit_findings(snapshot: AccountSnapshot, intent: Intent, judged: Judgement) -> list[Finding]:
    rows = judged.rows
    clean = judged.clean
    known = {p.arn for p in snapshot.principals}
    findings = malformed_findings(judged.malformed)
    findings += access_findings(rows, intent)
    findings += grant_findings(clean, known)
    findings += key_policy_findings(clean, known)
    findings += foreign_access_findings(clean, intent)
    findings += session_findings(clean, intent)
    findings += unresolved_findings(clean)
    findings += assume_findings(judged.upper, intent, judged)
    for arn in intent.key_users:
        if arn not in known:
            findings.append(
                Finding.failed(
                    "audit.declared_principal_missing",
                    f"the stack declares {arn} a key user, but it does not exist in the account",
                    "create the principal, or remove it from the stack and deploy",
                ).about(principal=arn)
            )
    if not any(f.status.value == "FAIL" for f in findings):
        readers = [
            r.principal for r in rows if r.verdict is Verdict.PLAINTEXT_READER and r.role is not Role.ACCOUNT_ROOT
        ]
        findings.append(
            Finding.passed(
                "audit.readers_as_declared",
                f"{len(rows)} principals judged on {len(Path)} paths; "
                f"plaintext readers: {', '.join(readers) or 'none'}",
            )
        )
    return findings


def external_rows(snapshot: AccountSnapshot, intent: Intent) -> list[ExternalRow]:
    """Every principal of another account the key, table or stream policy or a grant names, with the
    statements and grants that let it in and what the stack declares for it; in the order first named.
    One pass over the documents (access.analyzers.external_principals, the reading every side shares)."""
    let_in: dict[str, list[str]] = {}
    for source, document in resource_policies(snapshot):
        for principal, labels in external_principals(document, snapshot.account_id).items():
            let_in.setdefault(canonical_principal(principal, snapshot.partition), []).extend(
                f"{source} statement {label}" for label in labels
            )
    for key_grant in snapshot.grants:
        if _foreign_account(key_grant.grant.grantee_principal, snapshot.account_id):
            grantee = canonical_principal(key_grant.grant.grantee_principal, snapshot.partition)
            let_in.setdefault(grantee, []).append(f"grant {key_grant.grant.grant_id}")
    return [
        ExternalRow(
            principal=principal,
            account=str(account_of(principal)),
            region=snapshot.region,
            declared_access=intent.external.get(principal, ""),
            let_in_by=tuple(labels),
        )
        for principal, labels in let_in.items()
    ]
