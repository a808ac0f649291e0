"""Who may use a KMS key: the IAM/KMS authorization logic, as plain functions.

`authorize_kms(request, key_policy, identity_policies, grants)` answers as KMS
does for one principal of the key's own account:

1. an explicit Deny in the key policy or an identity policy wins;
2. the key policy allows the principal directly (its ARN, or "*" with conditions);
3. the key policy delegates to the account (root principal) and an identity
   policy of the principal allows;
4. a grant to the principal covers the operation and its encryption-context
   constraint matches the request;
5. otherwise an implicit deny.

The decision names what decided it (a statement, a grant, or nothing), so a
probe that went the wrong way can be explained. Used by the sandbox to
enforce key access and by the verifier to explain it on real AWS.

Conditions: the operators of `access.conditions` (String, Arn, Numeric, Date,
Bool, Binary, IP address, Null; IfExists; ForAllValues/ForAnyValue). Any other
operator is not evaluated: it never makes an Allow apply and always makes a Deny
apply (fail closed). Policy variables (`${key}`, `${key, 'default'}`, `${*}`,
`${?}`, `${$}`) are substituted in Resource/NotResource and in String and Arn
condition values of documents of Version "2012-10-17" (`access.variables`); the
request context gets aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
aws:username (IAM users), aws:CurrentTime and aws:EpochTime derived when the
caller does not give them (`access.context`).
In a Principal only "*" is a wildcard, as in AWS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from access.arns import is_account_principal
from access.conditions import UnsupportedConditionError, conditions_hold
from access.context import Context, derived_context
from access.documents import (
    NamedPolicy,
    action_matches,
    as_list,
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
    """The principal's account; the key is assumed to be in it."""
    context: Context = field(default_factory=dict)
    """Condition keys of the request (kms:ViaService, aws:PrincipalArn, ...)."""
    encryption_context: Mapping[str, str] = field(default_factory=dict)
    caller_arn: str = ""
    """As the caller is shown in errors: the STS session ARN for a role. Defaults to principal_arn."""

    @property
    def shown_caller(self) -> str:
        return self.caller_arn or self.principal_arn


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


def _statement_covers(statement: Mapping[str, Any], evaluation: _Evaluation, *, variables: bool) -> bool:
    """Action/NotAction and Resource/NotResource (a missing Resource means the key itself, as in key policies)."""
    action = evaluation.request.action
    if "Action" in statement:
        if not any(action_matches(p, action) for p in as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(p, action) for p in as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        return any(_resource_matches(p, evaluation, variables) for p in as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(_resource_matches(p, evaluation, variables) for p in as_list(statement["NotResource"]))
    return True


def _principal_entries(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        # Only AWS principals can be IAM users and roles; Service/Federated never match them.
        return [str(v) for v in as_list(value.get("AWS"))]
    return []


class _Match:
    """How a statement's principal element matches the request's principal."""

    NONE, DIRECT, ACCOUNT = 0, 1, 2


def _principal_match(statement: Mapping[str, Any], request: Request) -> int:
    names = {request.principal_arn, request.shown_caller}
    if "Principal" in statement:
        raw = statement["Principal"]
        entries = _principal_entries(raw)
        if raw == "*" or "*" in entries:
            return _Match.DIRECT
        if names & set(entries):
            return _Match.DIRECT
        if any(is_account_principal(e, request.account_id) for e in entries):
            return _Match.ACCOUNT
        return _Match.NONE
    if "NotPrincipal" in statement:
        entries = _principal_entries(statement["NotPrincipal"])
        excluded = bool(names & set(entries)) or any(is_account_principal(e, request.account_id) for e in entries)
        return _Match.NONE if excluded or "*" in entries else _Match.DIRECT
    return _Match.NONE


# -- decisions ---------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    source: str
    position: int
    statement: Mapping[str, Any]

    def describe(self) -> str:
        return f"{self.source} statement {statement_label(self.statement, self.position)}"


def _hits(
    policy: NamedPolicy, evaluation: _Evaluation, effect: str, *, resource_policy: bool, principal: int | None = None
) -> list[_Hit]:
    variables = substitutes(policy.document.get("Version"))
    found = []
    for position, statement in enumerate(statements(policy.document)):
        if statement.get("Effect") != effect or not _statement_covers(statement, evaluation, variables=variables):
            continue
        if resource_policy:
            match = _principal_match(statement, evaluation.request)
            if match == _Match.NONE or (principal is not None and match != principal):
                continue
        condition = statement.get("Condition")
        if conditions_hold(condition, evaluation.context, for_deny=effect == "Deny", variables=variables):
            found.append(_Hit(policy.source, position, statement))
    return found


def _evaluation(request: Request) -> _Evaluation:
    context = derived_context(
        request.context,
        principal_arn=request.principal_arn,
        account_id=request.account_id,
        caller_arn=request.caller_arn,
    )
    return _Evaluation(request, context)


def _grant_allows(grant: Grant, request: Request) -> bool:
    if grant.grantee_principal not in (request.principal_arn, request.shown_caller):
        return False
    operation = request.action.split(":", 1)[-1]
    if operation not in grant.operations:
        return False
    subset = grant.constraints.get("EncryptionContextSubset")
    if subset is not None and any(request.encryption_context.get(k) != v for k, v in subset.items()):
        return False
    equals = grant.constraints.get("EncryptionContextEquals")
    return equals is None or dict(request.encryption_context) == dict(equals)


KEY_POLICY = "key policy"


def authorize_resource(
    request: Request,
    resource_policy: NamedPolicy,
    identity_policies: Sequence[NamedPolicy] = (),
    grants: Sequence[Grant] = (),
) -> Decision:
    """Same-account access to a resource whose own policy must allow (a KMS key, a role's trust).

    The resource policy allows the principal directly, or names the account and
    lets an identity policy decide; an explicit Deny in either wins. Grants (KMS
    only) are the last way in.
    """
    evaluation = _evaluation(request)
    label = resource_policy.source
    denies = _hits(resource_policy, evaluation, "Deny", resource_policy=True)
    for policy in identity_policies:
        denies += _hits(policy, evaluation, "Deny", resource_policy=False)
    if denies:
        hit = denies[0]
        return Decision(False, f"denied explicitly by {hit.describe()}", hit.source, hit.statement)

    direct = _hits(resource_policy, evaluation, "Allow", resource_policy=True, principal=_Match.DIRECT)
    if direct:
        hit = direct[0]
        return Decision(True, f"allowed by {hit.describe()}", hit.source, hit.statement)

    delegation = _hits(resource_policy, evaluation, "Allow", resource_policy=True, principal=_Match.ACCOUNT)
    identity_allows = [hit for p in identity_policies for hit in _hits(p, evaluation, "Allow", resource_policy=False)]
    if delegation and identity_allows:
        hit = identity_allows[0]
        return Decision(
            True,
            f"allowed by {hit.describe()}, which counts because the {label} "
            f"delegates to the account ({delegation[0].describe()})",
            hit.source,
            hit.statement,
        )

    for grant in grants:
        if _grant_allows(grant, request):
            return Decision(True, f"allowed by grant {grant.grant_id}", f"grant {grant.grant_id}")

    ways_in = "statement or grant" if grants or label == KEY_POLICY else "statement"
    why = f"no {ways_in} allows {request.action} for {request.shown_caller}"
    if identity_allows and not delegation:
        why += f" ({identity_allows[0].describe()} allows it, but the {label} does not delegate to the account)"
    return Decision(False, f"denied: {why}")


def authorize_kms(
    request: Request,
    key_policy: Mapping[str, Any],
    identity_policies: Sequence[NamedPolicy] = (),
    grants: Sequence[Grant] = (),
) -> Decision:
    """May request.principal_arn perform request.action on the key? See the module docstring."""
    return authorize_resource(request, NamedPolicy(KEY_POLICY, key_policy), identity_policies, grants)


def authorize_identity(request: Request, identity_policies: Sequence[NamedPolicy]) -> Decision:
    """Same-account access to a resource without a resource policy: identity policies alone decide."""
    evaluation = _evaluation(request)
    denies = [hit for p in identity_policies for hit in _hits(p, evaluation, "Deny", resource_policy=False)]
    if denies:
        return Decision(False, f"denied explicitly by {denies[0].describe()}", denies[0].source, denies[0].statement)
    allows = [hit for p in identity_policies for hit in _hits(p, evaluation, "Allow", resource_policy=False)]
    if allows:
        return Decision(True, f"allowed by {allows[0].describe()}", allows[0].source, allows[0].statement)
    return Decision(False, f"denied: no identity policy allows {request.action} for {request.shown_caller}")


def dynamodb_decrypt_request(
    *,
    principal_arn: str,
    key_arn: str,
    table_name: str,
    region: str,
    account_id: str,
    caller_arn: str = "",
    via_service: str | None = None,
) -> Request:
    """The kms:Decrypt request DynamoDB makes, as the caller, to read or write a table's items.

    via_service=None means through DynamoDB; pass "" for a direct call to KMS.
    """
    encryption_context = table_encryption_context(table_name, account_id)
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
    )


__all__ = [
    "KEY_POLICY",
    "Context",
    "Decision",
    "Grant",
    "NamedPolicy",
    "Request",
    "UnsupportedConditionError",
    "authorize_identity",
    "authorize_kms",
    "authorize_resource",
    "conditions_hold",
    "dynamodb_decrypt_request",
    "parse_policy",
]
