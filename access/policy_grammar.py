"""Which policy documents AWS refuses: the IAM JSON policy grammar, per kind of policy, conservatively.

`document_problems(document, kind)` gives, for a parsed JSON document (whatever `json.loads`
returns), the reasons AWS would refuse it as a policy of that kind, one line each naming the
JSON path (`Statement[1].Action: must be a string or a list of strings`), and [] when AWS takes
it. Only what AWS documents it refuses is flagged; a document this module passes may still be
refused by AWS for what it does not check (an ARN's format, an unknown action or condition
operator, a principal that does not exist, the lockout check, a size limit), never the
reverse: an audit that read a refused document as a policy would see access that cannot exist,
and one that dropped an accepted document would miss access that does.

Sources:
- the grammar, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html:
  `policy = {version_block? id_block? statement_block}`; Version "2008-10-17" or "2012-10-17";
  Statement one statement or a list of them; a statement of Sid?, Principal|NotPrincipal?,
  Effect ("Allow" | "Deny"), Action|NotAction, Resource|NotResource, Condition?; an element that
  takes a list takes one value alone; Principal "*" or a map of AWS, Federated, Service or
  CanonicalUser to principal strings; Condition a map of operators, each a map of condition
  keys to a value or a list of string, number or Boolean values; "the principal_block element
  is required in resource-based policies ... and in trust policies for IAM roles. It must not be
  included in identity-based policies"; Sid, for IAM policies, only A-Z, a-z and 0-9;
- the element reference pages (reference_policies_elements_*.html): Action and NotAction,
  Resource and NotResource, Principal and NotPrincipal are alternatives, not both in one
  statement; a role trust policy names no Resource (and needs none);
- KMS, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html and the
  PutKeyPolicy API reference (MalformedPolicyDocumentException): a key policy statement needs a
  Principal; KMS accepts a statement without Action or Resource (it has no effect), so those
  are not flagged for key policies.

Not flagged although the grammar page says so, because AWS is not known to refuse it: an `Id`
in an identity policy (IAM stores such policies). Not detectable here: a key given twice in one
object (json.loads keeps the last).

Standard library only, like the rest of the access core.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from access.documents import aws_principals

KEY_POLICY = "key policy"
TABLE_POLICY = "table resource policy"
IDENTITY_POLICY = "identity policy"
TRUST_POLICY = "trust policy"
KINDS = (KEY_POLICY, TABLE_POLICY, IDENTITY_POLICY, TRUST_POLICY)
# Resource-based policies: a statement names who it is about (the grammar notes).
RESOURCE_BASED = frozenset({KEY_POLICY, TABLE_POLICY, TRUST_POLICY})
# Kinds whose statements must say which actions, and on which resources (the grammar's
# action_block and resource_block); KMS takes statements without either, a trust policy has no
# Resource (it is about the role it is attached to).
NEEDS_ACTION = frozenset({TABLE_POLICY, IDENTITY_POLICY, TRUST_POLICY})
NEEDS_RESOURCE = frozenset({TABLE_POLICY, IDENTITY_POLICY})

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
EFFECTS = ("Allow", "Deny")
PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")
# "For IAM policies, basic alphanumeric characters (A-Z,a-z,0-9) are the only allowed characters
# in the Sid value" (grammar notes, sid_string); other services allow more (KMS: spaces).
_IAM_SID = re.compile(r"[A-Za-z0-9]*", re.ASCII)
_ALTERNATIVES = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))


def document_problems(document: object, kind: str) -> list[str]:
    """Why AWS would refuse this parsed JSON document as a policy of `kind` (one line each); [] if it accepts it."""
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}: one of {', '.join(KINDS)}")
    if not isinstance(document, Mapping):
        return ["(document): must be a JSON object"]
    problems = [
        f"{name}: is not a policy element ({', '.join(TOP_ELEMENTS)})" for name in _unknown(document, TOP_ELEMENTS)
    ]
    if "Version" in document and document["Version"] not in VERSIONS:
        problems.append(f'Version: must be "{VERSIONS[0]}" or "{VERSIONS[1]}"')
    if "Id" in document and not isinstance(document["Id"], str):
        problems.append("Id: must be a string")
    statements = document.get("Statement")
    if "Statement" not in document:
        problems.append("Statement: is required")
    elif isinstance(statements, Mapping):
        problems += _statement_problems(statements, "Statement", kind)
    elif isinstance(statements, list):
        for position, statement in enumerate(statements):
            path = f"Statement[{position}]"
            if isinstance(statement, Mapping):
                problems += _statement_problems(statement, path, kind)
            else:
                problems.append(f"{path}: must be an object")
    else:
        problems.append("Statement: must be an object or a list of objects")
    return problems


# DynamoDB's Block Public Access (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html):
# "You must ensure that the principal doesn't include a * entry or that one of the specified condition keys
# restricts the principal's access to the resource. If the resource-based policy grants public access ...
# DynamoDB will prevent you from creating or modifying the policy"; the trusted condition keys are these, and
# "the values of ARN and string keys can't contain wildcards or variables"; aws:PrincipalIsAWSService must be
# true. Always on for tables, indexes and streams. Read conservatively: an Allow naming "*" is refused only
# when no trusted key is tested by an operator that can keep callers to named values (not a Not... operator,
# not Null) with values free of "*" and "${"; AWS's automated reasoning may refuse more.
PUBLIC_ACCESS_TRUSTED_KEYS = (
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:UserId",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalIsAWSService",
    "aws:Ec2InstanceSourceVpc",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
)
_TRUSTED = frozenset(key.lower() for key in PUBLIC_ACCESS_TRUSTED_KEYS)


def public_access_problems(document: object) -> list[str]:
    """Why DynamoDB's block public access refuses this parsed table or stream resource policy (one line per
    public statement); [] when it takes it. Apart from document_problems: the grammar is what every reader of a
    policy shares, this is a check DynamoDB makes when the policy is put."""
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    listed = [statements] if isinstance(statements, Mapping) else statements if isinstance(statements, list) else []
    return [
        f"{'Statement' if isinstance(statements, Mapping) else f'Statement[{position}]'}: grants public access "
        f'(Principal "*" with no trusted condition key restricting it: {", ".join(PUBLIC_ACCESS_TRUSTED_KEYS)}): '
        "DynamoDB's block public access refuses the policy"
        for position, statement in enumerate(listed)
        if isinstance(statement, Mapping) and _public(statement)
    ]


def _public(statement: Mapping[str, Any]) -> bool:
    """Does this statement grant public access as DynamoDB's block public access reads it (conservatively)?"""
    if statement.get("Effect") != "Allow":
        return False
    # An Allow to "*", or with NotPrincipal (everyone but the named: access.analyzers reads it as open too).
    if "NotPrincipal" not in statement and "*" not in aws_principals(statement.get("Principal")):
        return False
    condition = statement.get("Condition")
    for operator, tests in condition.items() if isinstance(condition, Mapping) else ():
        bare = str(operator).split(":")[-1]
        if "Not" in bare or bare.startswith("Null") or not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            values = value if isinstance(value, list) else [value]
            if str(key).lower() not in _TRUSTED or not values:
                continue
            if str(key).lower() == "aws:principalisawsservice":
                if all(str(v).lower() == "true" for v in values):
                    return False
            elif all(isinstance(v, str) and "*" not in v and "${" not in v for v in values):
                return False
    return True


def _unknown(element: Mapping[Any, Any], known: tuple[str, ...]) -> list[str]:
    return [str(name) for name in element if name not in known]


def _is_strings(value: object) -> bool:
    """One string, or a list of strings (the grammar's `[<string>, ...]`, brackets optional for one)."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _statement_problems(statement: Mapping[str, Any], path: str, kind: str) -> list[str]:
    problems = [
        f"{path}.{name}: is not a statement element ({', '.join(STATEMENT_ELEMENTS)})"
        for name in _unknown(statement, STATEMENT_ELEMENTS)
    ]
    for one, other in _ALTERNATIVES:
        if one in statement and other in statement:
            problems.append(f"{path}: cannot have both {one} and {other}")
    if "Sid" in statement:
        sid = statement["Sid"]
        if not isinstance(sid, str):
            problems.append(f"{path}.Sid: must be a string")
        elif kind == IDENTITY_POLICY and _IAM_SID.fullmatch(sid) is None:
            problems.append(f"{path}.Sid: an IAM policy's Sid holds only the letters A-Z, a-z and the digits 0-9")
    if "Effect" not in statement:
        problems.append(f"{path}.Effect: is required")
    elif statement["Effect"] not in EFFECTS:
        problems.append(f'{path}.Effect: must be "Allow" or "Deny"')
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        if name in statement and not _is_strings(statement[name]):
            problems.append(f"{path}.{name}: must be a string or a list of strings")
    if kind in NEEDS_ACTION and "Action" not in statement and "NotAction" not in statement:
        problems.append(f"{path}: must have an Action or a NotAction")
    if kind in NEEDS_RESOURCE and "Resource" not in statement and "NotResource" not in statement:
        problems.append(f"{path}: must have a Resource or a NotResource")
    problems += _principal_problems(statement, path, kind)
    if "Condition" in statement:
        problems += _condition_problems(statement["Condition"], f"{path}.Condition")
    return problems


def _principal_problems(statement: Mapping[str, Any], path: str, kind: str) -> list[str]:
    named = [name for name in ("Principal", "NotPrincipal") if name in statement]
    if kind == IDENTITY_POLICY:
        return [f"{path}.{name}: an identity policy names no principal" for name in named]
    if kind in RESOURCE_BASED and not named:
        return [f"{path}: a {kind} statement must have a Principal or a NotPrincipal"]
    problems = []
    for name in named:
        value = statement[name]
        if value == "*":
            continue
        if not isinstance(value, Mapping):
            problems.append(f'{path}.{name}: must be "*" or an object mapping principal types to principals')
            continue
        for principal_type, principals in value.items():
            if principal_type not in PRINCIPAL_TYPES:
                problems.append(
                    f"{path}.{name}.{principal_type}: is not a principal type ({', '.join(PRINCIPAL_TYPES)})"
                )
            elif not _is_strings(principals):
                problems.append(f"{path}.{name}.{principal_type}: must be a string or a list of strings")
    return problems


def _is_condition_value(value: object) -> bool:
    # bool is an int in Python: both are JSON values the grammar allows.
    return isinstance(value, str | int | float)


def _condition_problems(condition: object, path: str) -> list[str]:
    if not isinstance(condition, Mapping):
        return [f"{path}: must be an object mapping condition operators to condition keys"]
    problems = []
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            problems.append(f"{path}.{operator}: must map condition keys to values")
            continue
        for key, value in block.items():
            values = value if isinstance(value, list) else [value]
            if not all(_is_condition_value(v) for v in values):
                problems.append(f"{path}.{operator}.{key}: must be a string, a number, a Boolean or a list of them")
    return problems
