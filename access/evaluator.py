"""Who may use a KMS key (or assume a role, or use a table): the IAM/KMS authorization logic, as plain functions.

`authorize_kms(request, key_policy, identity_policies, grants)` answers as KMS does:

1. an explicit Deny in the key policy or an identity policy wins;
2. for a principal of the key's own account:
   a. the key policy allows the principal directly (its ARN, or "*" with conditions);
   b. the key policy delegates to the account (root principal) and an identity
      policy of the principal allows;
3. for a principal of another account (`Request.resource_account`), only the
   operations KMS performs across accounts (`access.cross_account`) can be
   allowed, whatever the key policy and grants say; for those, the key policy
   must allow the principal (its account or the principal itself) AND an
   identity policy in its own account must allow it;
4. a grant to the principal covers the operation and its encryption-context
   constraint matches the request (constraints are ignored for DescribeKey and
   RetireGrant); a grant needs no identity policy, in any account;
5. otherwise an implicit deny.

`authorize_resource` does the same for any resource policy, of a kind
(`ResourcePolicyKind`): a KMS key policy (statements without Resource or Action
have no effect; the policy must allow even in the same account), a role's trust
policy (no Resource element; the policy must allow even in the same account), or
a DynamoDB table policy (in the same account the table policy or an identity
policy suffices). Across accounts, every kind needs both, and a kind may limit
the actions that work across accounts at all (`ResourcePolicyKind.cross_account_limit`:
KMS's list for key policies).
`authorize_identity` decides from identity policies alone (a resource without a
resource policy): in the same account only; a resource of another account with
no resource policy is never allowed by identity policies alone.

The decision names what decided it (a statement, a grant, or nothing), so a
probe that went the wrong way can be explained. Used by the sandbox to enforce
key access and by the verifier to explain it on real AWS.

Decisions run on compiled documents (`access.compiled`: each document read once
and cached by content, the statements that can match an action found once per
action). `plain_authorize_resource`, `plain_authorize_kms` and
`plain_authorize_identity` read every statement as written on every call: they
are the reference the compiled reading is tested against
(tests/access/test_compiled_equivalence.py), and they decide whatever the
compiled reading leaves to them (a document or a request context with values of
types the policy language does not have, or anything the compiled reading
raises on), so the decision, its reason, its source and its statement are the
same either way.

Policy language modelled: Effect, Action/NotAction, Resource/NotResource,
Principal/NotPrincipal (AWS principals; in a Principal only "*" is a wildcard,
as in AWS; a role ARN matches its STS sessions), Condition with the operators of
`access.conditions` (String, Arn, Numeric, Date, Bool, Binary, IP address,
Null; IfExists; ForAllValues/ForAnyValue), and policy variables (`${key}`,
`${key, 'default'}`, `${*}`, `${?}`, `${$}`) in Resource/NotResource and in
String and Arn condition values, in documents of Version "2012-10-17" only
(`access.variables`). The request context gets aws:PrincipalArn,
aws:PrincipalAccount, aws:PrincipalType, aws:username (IAM users),
aws:CurrentTime and aws:EpochTime derived when the caller does not give them
(`access.context`).

NOT modelled (a decision here can differ from AWS's when they are in play):
service control policies and resource control policies (AWS Organizations),
permissions boundaries, session policies, VPC endpoint policies, S3-style ACLs,
the implicit deny of a NotPrincipal Deny for principals with a permissions
boundary, attribute-based access control beyond the variables and context keys
the caller supplies (principal, resource and request tags are not looked up),
aws:userid and other keys that need IAM's records, Service/Federated/
CanonicalUser principals (they never match an IAM user or role), federated and
anonymous callers, KMS grant tokens, grants with CreateGrant's narrowing rules,
key state (disabled, pending deletion) and key spec/usage checks, the KMS key
policy lockout safety check, and policy validation (a document AWS would refuse
is evaluated as written, not rejected).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from access.arns import is_account_principal
from access.compiled import ACCOUNT, DIRECT, NO_MATCH, CompiledDocument, CompiledStatement, Facts, compiled_all
from access.conditions import UnsupportedConditionError, conditions_hold
from access.context import Context, RequestContext, derived_context
from access.cross_account import KMS_CROSS_ACCOUNT, CrossAccountLimit
from access.documents import (
    NamedPolicy,
    action_matches,
    as_list,
    aws_principals,
    parse_policy,
    statement_label,
    statements,
)
from access.kms_dynamodb import dynamodb_via_service, table_encryption_context
from access.variables import resolve, substitutes


@dataclass(frozen=True)
class Request:
    """One call: who, what, on which resource, in which context."""

    principal_arn: str
    """The IAM identity: a user ARN, or the role ARN (path included) behind an STS session."""
    action: str
    resource: str
    account_id: str
    """The principal's account."""
    context: Context = field(default_factory=dict)
    """Condition keys of the request (kms:ViaService, aws:PrincipalArn, ...)."""
    encryption_context: Mapping[str, str] = field(default_factory=dict)
    caller_arn: str = ""
    """As the caller is shown in errors: the STS session ARN for a role. Defaults to principal_arn."""
    resource_account: str = ""
    """The account that owns the resource (the key, the role, the table). Defaults to account_id."""

    @property
    def shown_caller(self) -> str:
        return self.caller_arn or self.principal_arn

    @property
    def owner_account(self) -> str:
        return self.resource_account or self.account_id

    @property
    def cross_account(self) -> bool:
        return self.owner_account != self.account_id


@dataclass(frozen=True)
class Grant:
    grant_id: str
    grantee_principal: str
    operations: tuple[str, ...]
    constraints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """{"EncryptionContextSubset": {...}} or {"EncryptionContextEquals": {...}}, or empty."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    """One sentence: what decided, e.g. 'allowed by grant g-1' or 'denied: no statement allows ...'."""
    source: str = ""
    """The policy or grant that decided ('' for an implicit deny)."""
    statement: Mapping[str, Any] | None = None
    """The deciding statement, when a statement decided."""


@dataclass(frozen=True)
class ResourcePolicyKind:
    """How a kind of resource policy takes part in a decision."""

    name: str
    statements_need_action_and_resource: bool
    """A statement without an Action or a Resource element has no effect (KMS key policies)."""
    must_allow_in_own_account: bool
    """In the resource's own account the policy must allow (directly, or by naming the account so that
    identity policies decide): KMS key policies and role trust policies. Otherwise (most resource
    policies, DynamoDB's included) an identity policy alone suffices there."""
    cross_account_limit: CrossAccountLimit | None = None
    """The only actions a principal of another account can be allowed (None: any the policies allow)."""


KEY_POLICY = "key policy"

# PutKeyPolicy API reference (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html):
# "If either of the required Resource or Action elements are missing from a key policy statement, the
# policy statement has no effect." The KMS guide (key-policy-overview.html) adds that CreateKey and
# PutKeyPolicy accept such a statement all the same.
KMS_KEY_POLICY = ResourcePolicyKind(
    KEY_POLICY,
    statements_need_action_and_resource=True,
    must_allow_in_own_account=True,
    cross_account_limit=KMS_CROSS_ACCOUNT,
)
# A role trust policy has no Resource element: the statement applies to the role it is attached to.
TRUST_POLICY = ResourcePolicyKind(
    "trust policy", statements_need_action_and_resource=False, must_allow_in_own_account=True
)
# "If the IAM principal is from the same account as the resource owner, a resource-based policy is
# sufficient ... For cross-account access, you must explicitly allow access in both the identity and
# resource policies." (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-auth-iam-id-based-policies-DDB.html)
TABLE_POLICY = ResourcePolicyKind(
    "table resource policy", statements_need_action_and_resource=False, must_allow_in_own_account=False
)


# -- matching ----------------------------------------------------------------


@dataclass(frozen=True)
class _Evaluation:
    """What every statement of one decision is matched against."""

    request: Request
    context: Context


def _resource_matches(entry: Any, evaluation: _Evaluation, variables: bool) -> bool:
    pattern = resolve(str(entry), evaluation.context, variables=variables)
    # "the resource that includes a policy variable with no value will not match any resource"
    return pattern is not None and pattern.matches(evaluation.request.resource)


def _statement_covers(
    statement: Mapping[str, Any], evaluation: _Evaluation, *, variables: bool, need_action_and_resource: bool
) -> bool:
    """Action/NotAction and Resource/NotResource; a missing Resource means the resource the policy is on."""
    action = evaluation.request.action
    if "Action" in statement:
        if not any(action_matches(p, action) for p in as_list(statement["Action"])):
            return False
    elif "NotAction" in statement and not need_action_and_resource:
        if any(action_matches(p, action) for p in as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        return any(_resource_matches(p, evaluation, variables) for p in as_list(statement["Resource"]))
    if need_action_and_resource:
        return False
    if "NotResource" in statement:
        return not any(_resource_matches(p, evaluation, variables) for p in as_list(statement["NotResource"]))
    return True


class _Match:
    """How a statement's principal element matches the request's principal."""

    NONE, DIRECT, ACCOUNT = NO_MATCH, DIRECT, ACCOUNT


def _is_root(request: Request) -> bool:
    return is_account_principal(request.principal_arn, request.account_id)


def _principal_match(statement: Mapping[str, Any], request: Request) -> int:
    names = {request.principal_arn, request.shown_caller}
    if "Principal" in statement:
        raw = statement["Principal"]
        entries = aws_principals(raw)
        if raw == "*" or "*" in entries:
            return _Match.DIRECT
        if names & set(entries):
            return _Match.DIRECT
        if any(is_account_principal(e, request.account_id) for e in entries):
            return _Match.ACCOUNT
        return _Match.NONE
    if "NotPrincipal" in statement:
        return _Match.DIRECT if _not_principal_applies(statement, request) else _Match.NONE
    return _Match.NONE


def _not_principal_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Does a NotPrincipal statement apply to the request's principal?

    IAM NotPrincipal (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
    an account in NotPrincipal stands for the account principal only, not for its
    users and roles. In a Deny, "you must also specify the account ARN of the
    not-denied principal. Otherwise, the policy might deny access to the entire
    account containing the principal": AWS may check the account, then the role,
    then the session, so a principal is spared only when every one of them is
    named. In an Allow, the statement applies to every principal but those named.
    """
    entries = set(aws_principals(statement["NotPrincipal"]))
    if "*" in entries:
        return False
    account_named = any(is_account_principal(e, request.account_id) for e in entries)
    identity_named = account_named if _is_root(request) else request.principal_arn in entries
    session = request.caller_arn if request.caller_arn not in ("", request.principal_arn) else ""
    if statement.get("Effect") == "Deny":
        spared = account_named and identity_named and (not session or session in entries)
        return not spared
    return not (identity_named or (session and session in entries))


# -- decisions ---------------------------------------------------------------


class _Deciding(Protocol):
    """A statement that applies to the request: what a decision names."""

    @property
    def source(self) -> str: ...
    @property
    def statement(self) -> Mapping[str, Any]: ...
    def describe(self) -> str: ...


@dataclass(frozen=True)
class _Hit:
    source: str
    position: int
    statement: Mapping[str, Any]

    def describe(self) -> str:
        return f"{self.source} statement {statement_label(self.statement, self.position)}"


def _first(hits: list[_Hit]) -> _Hit | None:
    return hits[0] if hits else None


def _hits(
    policy: NamedPolicy,
    evaluation: _Evaluation,
    effect: str,
    *,
    kind: ResourcePolicyKind | None = None,
    principal: int | None = None,
) -> list[_Hit]:
    """The statements of a policy with this effect that apply to the request.

    kind is None for an identity policy (no Principal element), else the kind of resource policy.
    """
    variables = substitutes(policy.document.get("Version"))
    need_both = kind is not None and kind.statements_need_action_and_resource
    found = []
    for position, statement in enumerate(statements(policy.document)):
        if statement.get("Effect") != effect:
            continue
        if not _statement_covers(statement, evaluation, variables=variables, need_action_and_resource=need_both):
            continue
        if kind is not None:
            match = _principal_match(statement, evaluation.request)
            if match == _Match.NONE or (principal is not None and match != principal):
                continue
        condition = statement.get("Condition")
        if conditions_hold(condition, evaluation.context, for_deny=effect == "Deny", variables=variables):
            found.append(_Hit(policy.source, position, statement))
    return found


# Grant constraints "are not applied to operations that do not support an encryption context, such as
# ... management operations, such as DescribeKey or RetireGrant"
# (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html).
UNCONSTRAINED_GRANT_OPERATIONS = frozenset({"DescribeKey", "RetireGrant"})


def _grant_allows(grant: Grant, request: Request) -> bool:
    if grant.grantee_principal not in (request.principal_arn, request.shown_caller):
        return False
    operation = request.action.split(":", 1)[-1]
    if operation not in grant.operations:
        return False
    if operation in UNCONSTRAINED_GRANT_OPERATIONS:
        return True
    # "in a grant constraint, the key in each key-value pair is not case sensitive, but the value is
    # case sensitive" (GrantConstraints API reference).
    given = {k.lower(): v for k, v in request.encryption_context.items()}
    subset = grant.constraints.get("EncryptionContextSubset")
    if subset is not None and any(given.get(k.lower()) != v for k, v in subset.items()):
        return False
    equals = grant.constraints.get("EncryptionContextEquals")
    return equals is None or given == {k.lower(): v for k, v in equals.items()}


def _evaluation(request: Request) -> _Evaluation:
    context = derived_context(
        request.context,
        principal_arn=request.principal_arn,
        account_id=request.account_id,
        caller_arn=request.caller_arn,
    )
    return _Evaluation(request, context)


def _kind_of(resource_policy: NamedPolicy, kind: ResourcePolicyKind | None) -> ResourcePolicyKind:
    if kind is not None:
        return kind
    return KMS_KEY_POLICY if resource_policy.source == KEY_POLICY else TRUST_POLICY


def authorize_resource(
    request: Request,
    resource_policy: NamedPolicy,
    identity_policies: Sequence[NamedPolicy] = (),
    grants: Sequence[Grant] = (),
    *,
    kind: ResourcePolicyKind | None = None,
) -> Decision:
    """Access to a resource with a resource policy (a KMS key, a role's trust, a table).

    An explicit Deny in either policy wins. In the resource's account, the
    resource policy allows the principal directly, or names the account and lets
    an identity policy decide (or, for kinds that need not allow, an identity
    policy alone suffices). For a principal of another account, both the resource
    policy (naming the principal or its account) and an identity policy must
    allow. Grants (KMS only) are the last way in. kind defaults to the KMS key
    policy kind for a policy named KEY_POLICY and to the trust policy kind otherwise.

    Decided on the compiled documents (`access.compiled`); the plain reading
    (`plain_authorize_resource`) decides what they leave to it, with the same result.
    """
    kind = _kind_of(resource_policy, kind)
    try:
        decision = _compiled_resource_decision(request, resource_policy, identity_policies, grants, kind)
    except Exception:  # what the compiled reading trips on, the plain one decides (or raises on) as it always did
        decision = None
    if decision is None:
        return plain_authorize_resource(request, resource_policy, identity_policies, grants, kind=kind)
    return decision


def authorize_kms(
    request: Request,
    key_policy: Mapping[str, Any],
    identity_policies: Sequence[NamedPolicy] = (),
    grants: Sequence[Grant] = (),
) -> Decision:
    """May request.principal_arn perform request.action on the key? See the module docstring."""
    return authorize_resource(
        request, NamedPolicy(KEY_POLICY, key_policy), identity_policies, grants, kind=KMS_KEY_POLICY
    )


def authorize_identity(request: Request, identity_policies: Sequence[NamedPolicy]) -> Decision:
    """Access to a resource without a resource policy: identity policies alone decide, in the resource's
    own account. A resource of another account (request.cross_account) is refused: across accounts the
    resource's policy must allow too, and there is none."""
    try:
        decision = _compiled_identity_decision(request, identity_policies)
    except Exception:  # see authorize_resource
        decision = None
    if decision is None:
        return plain_authorize_identity(request, identity_policies)
    return decision


# -- the decisions, from the statements that apply ---------------------------------------------------


def _resource_decision(
    request: Request,
    label: str,
    kind: ResourcePolicyKind,
    grants: Sequence[Grant],
    deny: _Deciding | None,
    allows: Callable[[], tuple[_Deciding | None, _Deciding | None, _Deciding | None]],
) -> Decision:
    """The decision from the first Deny that applies, else from the first of each kind of Allow:
    allows() -> (the resource policy's to the principal directly, its to the principal's account,
    an identity policy's)."""
    if deny is not None:
        return Decision(False, f"denied explicitly by {deny.describe()}", deny.source, deny.statement)
    limit = kind.cross_account_limit
    if request.cross_account and limit is not None and not limit.allows(request.action):
        return Decision(
            False,
            f"denied: {request.shown_caller} of account {request.account_id} cannot perform {request.action} "
            f"on a resource of account {request.owner_account}: {limit.rule}",
        )

    direct, delegation, identity_allow = allows()

    if not request.cross_account:
        if direct is not None:
            return Decision(True, f"allowed by {direct.describe()}", direct.source, direct.statement)
        if identity_allow is not None and delegation is not None:
            return Decision(
                True,
                f"allowed by {identity_allow.describe()}, which counts because the {label} "
                f"delegates to the account ({delegation.describe()})",
                identity_allow.source,
                identity_allow.statement,
            )
        if identity_allow is not None and not kind.must_allow_in_own_account:
            return Decision(
                True, f"allowed by {identity_allow.describe()}", identity_allow.source, identity_allow.statement
            )
    elif (resource_hit := direct or delegation) is not None and identity_allow is not None:
        return Decision(
            True,
            f"allowed by {identity_allow.describe()} and {resource_hit.describe()}: a principal of account "
            f"{request.account_id} needs both to use a resource of account {request.owner_account}",
            identity_allow.source,
            identity_allow.statement,
        )

    for grant in grants:
        if _grant_allows(grant, request):
            return Decision(True, f"allowed by grant {grant.grant_id}", f"grant {grant.grant_id}")

    ways_in = "statement or grant" if grants or kind is KMS_KEY_POLICY else "statement"
    why = f"no {ways_in} allows {request.action} for {request.shown_caller}"
    if request.cross_account:
        if (resource_hit := direct or delegation) is not None:
            why += (
                f" ({resource_hit.describe()} allows it, but no identity policy of the principal's "
                f"account {request.account_id} does, and a principal of another account needs both)"
            )
        elif identity_allow is not None:
            why += (
                f" ({identity_allow.describe()} allows it, but the {label} of account {request.owner_account} "
                f"allows neither the principal nor its account {request.account_id})"
            )
    elif identity_allow is not None and delegation is None:
        why += f" ({identity_allow.describe()} allows it, but the {label} does not delegate to the account)"
    return Decision(False, f"denied: {why}")


# "For cross-account access, you must explicitly allow access in both the identity and resource
# policies" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
# a resource without a resource policy is out of reach of every other account.
NO_RESOURCE_POLICY_ACROSS_ACCOUNTS = (
    "a principal of another account needs the resource's own policy to allow it too, and this resource has none "
    "(IAM cross-account policy evaluation logic)"
)


def _identity_decision(request: Request, deny: _Deciding | None, allow: Callable[[], _Deciding | None]) -> Decision:
    if deny is not None:
        return Decision(False, f"denied explicitly by {deny.describe()}", deny.source, deny.statement)
    if request.cross_account:
        return Decision(
            False,
            f"denied: {request.shown_caller} of account {request.account_id} cannot perform {request.action} "
            f"on {request.resource} of account {request.owner_account}: {NO_RESOURCE_POLICY_ACROSS_ACCOUNTS}",
        )
    hit = allow()
    if hit is not None:
        return Decision(True, f"allowed by {hit.describe()}", hit.source, hit.statement)
    return Decision(False, f"denied: no identity policy allows {request.action} for {request.shown_caller}")


# -- the plain reading: every statement of every policy, read as written ---------------------------------


def plain_authorize_resource(
    request: Request,
    resource_policy: NamedPolicy,
    identity_policies: Sequence[NamedPolicy] = (),
    grants: Sequence[Grant] = (),
    *,
    kind: ResourcePolicyKind | None = None,
) -> Decision:
    """`authorize_resource` without compiled documents: the reference the compiled reading must agree with."""
    kind = _kind_of(resource_policy, kind)
    evaluation = _evaluation(request)
    denies = _hits(resource_policy, evaluation, "Deny", kind=kind)
    for policy in identity_policies:
        denies += _hits(policy, evaluation, "Deny")

    def allows() -> tuple[_Hit | None, _Hit | None, _Hit | None]:
        direct = _hits(resource_policy, evaluation, "Allow", kind=kind, principal=_Match.DIRECT)
        delegation = _hits(resource_policy, evaluation, "Allow", kind=kind, principal=_Match.ACCOUNT)
        identity_allows = [hit for p in identity_policies for hit in _hits(p, evaluation, "Allow")]
        return _first(direct), _first(delegation), _first(identity_allows)

    return _resource_decision(request, resource_policy.source, kind, grants, _first(denies), allows)


def plain_authorize_kms(
    request: Request,
    key_policy: Mapping[str, Any],
    identity_policies: Sequence[NamedPolicy] = (),
    grants: Sequence[Grant] = (),
) -> Decision:
    """`authorize_kms` without compiled documents."""
    return plain_authorize_resource(
        request, NamedPolicy(KEY_POLICY, key_policy), identity_policies, grants, kind=KMS_KEY_POLICY
    )


def plain_authorize_identity(request: Request, identity_policies: Sequence[NamedPolicy]) -> Decision:
    """`authorize_identity` without compiled documents."""
    evaluation = _evaluation(request)
    denies = [hit for p in identity_policies for hit in _hits(p, evaluation, "Deny")]
    return _identity_decision(
        request,
        _first(denies),
        lambda: _first([hit for p in identity_policies for hit in _hits(p, evaluation, "Allow")]),
    )


# -- the compiled reading: the statements that can match the action, read once ------------------------


class _CompiledHit:
    """A compiled statement that applies; the statement itself is the caller's (found by its position)."""

    __slots__ = ("_compiled", "_document", "_policy")

    def __init__(self, policy: NamedPolicy, document: CompiledDocument, statement: CompiledStatement) -> None:
        self._policy = policy
        self._document = document
        self._compiled = statement

    @property
    def source(self) -> str:
        return self._policy.source

    @property
    def statement(self) -> Mapping[str, Any]:
        return self._document.statement_in(self._policy.document, self._compiled.position)

    def describe(self) -> str:
        return f"{self._policy.source} statement {self._compiled.label}"


def _facts(request: Request) -> Facts | None:
    """The request as compiled statements read it; None for what only the plain reading reads as it should."""
    principal_arn, caller_arn, account_id = request.principal_arn, request.caller_arn, request.account_id
    if not (
        type(principal_arn) is str
        and type(caller_arn) is str
        and type(account_id) is str
        and type(request.action) is str
        and type(request.resource) is str
    ):
        return None
    context = RequestContext.of(request.context, principal_arn, account_id, caller_arn)
    if context is None:
        return None
    return Facts(principal_arn, caller_arn, request.resource, account_id, context)


def _applying(
    policy: NamedPolicy,
    document: CompiledDocument,
    candidates: tuple[CompiledStatement, ...],
    facts: Facts,
    found: _CompiledHit | None,
    *,
    principal: bool,
) -> _CompiledHit | None:
    """The first candidate that applies (found, if one did before).

    After the first, a candidate is read only if its condition may raise: the plain reading reads
    every statement, so where it would raise, this one must too.
    """
    for statement in candidates:
        if found is not None and not statement.may_raise:
            continue
        if principal and statement.principal_match(facts) == NO_MATCH:
            continue
        if statement.covers_resource(facts) and statement.conditions_hold(facts) and found is None:
            found = _CompiledHit(policy, document, statement)
    return found


def _compiled_resource_decision(
    request: Request,
    resource_policy: NamedPolicy,
    identity_policies: Sequence[NamedPolicy],
    grants: Sequence[Grant],
    kind: ResourcePolicyKind,
) -> Decision | None:
    """authorize_resource on compiled documents; None when a document or the request is left to the plain reading."""
    facts = _facts(request)
    if facts is None:
        return None
    if identity_policies:
        documents = compiled_all((resource_policy.document, *[p.document for p in identity_policies]))
    else:
        documents = compiled_all((resource_policy.document,))
    if documents is None:
        return None
    resource_document = documents[0]
    identity = list(zip(identity_policies, documents[1:], strict=True)) if identity_policies else ()
    action = request.action
    resource_denies, resource_allows = resource_document.candidates(action, kind.statements_need_action_and_resource)
    deny = None
    if resource_denies:
        deny = _applying(resource_policy, resource_document, resource_denies, facts, None, principal=True)
    for policy, document in identity:
        denies = document.candidates(action, False)[0]
        if denies:
            deny = _applying(policy, document, denies, facts, deny, principal=False)

    def allows() -> tuple[_CompiledHit | None, _CompiledHit | None, _CompiledHit | None]:
        direct: _CompiledHit | None = None
        delegation: _CompiledHit | None = None
        for statement in resource_allows:
            match = statement.principal_match(facts)
            if match == NO_MATCH:
                continue
            before = direct if match == DIRECT else delegation
            if before is not None and not statement.may_raise:
                continue
            if statement.covers_resource(facts) and statement.conditions_hold(facts) and before is None:
                if match == DIRECT:
                    direct = _CompiledHit(resource_policy, resource_document, statement)
                else:
                    delegation = _CompiledHit(resource_policy, resource_document, statement)
        identity_allow = None
        for policy, document in identity:
            allows = document.candidates(action, False)[1]
            if allows:
                identity_allow = _applying(policy, document, allows, facts, identity_allow, principal=False)
        return direct, delegation, identity_allow

    return _resource_decision(request, resource_policy.source, kind, grants, deny, allows)


def _compiled_identity_decision(request: Request, identity_policies: Sequence[NamedPolicy]) -> Decision | None:
    """authorize_identity on compiled documents; None when something is left to the plain reading."""
    facts = _facts(request)
    documents = compiled_all(tuple([p.document for p in identity_policies]))
    if facts is None or documents is None:
        return None
    identity = list(zip(identity_policies, documents, strict=True))
    action = request.action
    deny = None
    for policy, document in identity:
        denies = document.candidates(action, False)[0]
        if denies:
            deny = _applying(policy, document, denies, facts, deny, principal=False)

    def allow() -> _CompiledHit | None:
        found = None
        for policy, document in identity:
            allows = document.candidates(action, False)[1]
            if allows:
                found = _applying(policy, document, allows, facts, found, principal=False)
        return found

    return _identity_decision(request, deny, allow)


def dynamodb_decrypt_request(
    *,
    principal_arn: str,
    key_arn: str,
    table_name: str,
    region: str,
    account_id: str,
    caller_arn: str = "",
    via_service: str | None = None,
    resource_account: str = "",
) -> Request:
    """The kms:Decrypt request DynamoDB makes, as the caller, to read or write a table's items.

    via_service=None means through DynamoDB; pass "" for a direct call to KMS.
    account_id is the caller's account; resource_account the account of the table
    and its key (the encryption context's subscriber id), by default the caller's.
    """
    owner = resource_account or account_id
    encryption_context = table_encryption_context(table_name, owner)
    context: dict[str, str | bool | Sequence[str]] = {
        "kms:CallerAccount": account_id,
        "aws:PrincipalArn": principal_arn,
        "aws:PrincipalAccount": account_id,
        "kms:EncryptionContextKeys": sorted(encryption_context),
        **{f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items()},
    }
    service = dynamodb_via_service(region) if via_service is None else via_service
    if service:
        context["kms:ViaService"] = service
    return Request(
        principal_arn=principal_arn,
        action="kms:Decrypt",
        resource=key_arn,
        account_id=account_id,
        context=context,
        encryption_context=encryption_context,
        caller_arn=caller_arn,
        resource_account=resource_account,
    )


__all__ = [
    "KEY_POLICY",
    "KMS_KEY_POLICY",
    "NO_RESOURCE_POLICY_ACROSS_ACCOUNTS",
    "TABLE_POLICY",
    "TRUST_POLICY",
    "UNCONSTRAINED_GRANT_OPERATIONS",
    "Context",
    "Decision",
    "Grant",
    "NamedPolicy",
    "Request",
    "ResourcePolicyKind",
    "UnsupportedConditionError",
    "authorize_identity",
    "authorize_kms",
    "authorize_resource",
    "conditions_hold",
    "dynamodb_decrypt_request",
    "parse_policy",
    "plain_authorize_identity",
    "plain_authorize_kms",
    "plain_authorize_resource",
]
