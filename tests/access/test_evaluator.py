"""The KMS/IAM evaluator against worked examples from the AWS IAM and KMS documentation.

Each case is one row: a key policy, identity policies, grants, the request, and
the expected decision with the source that decided it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from access.documents import NamedPolicy
from access.evaluator import (
    KEY_POLICY,
    Grant,
    Request,
    authorize_identity,
    authorize_kms,
    conditions_hold,
    dynamodb_decrypt_request,
)
from access.kms_dynamodb import table_encryption_context
from components.policy_builders import build_key_policy, key_user_identity_policy

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-west-2"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
READER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/data/Reader"
READER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/probe-1"
TABLE = "orders"
VIA_DYNAMODB = {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any = None, action: Any = "kms:Decrypt", sid: str = "", **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": "*", **extra}
    if principal is not None:
        statement["Principal"] = principal
    if sid:
        statement["Sid"] = sid
    return statement


def deny(principal: Any = None, action: Any = "kms:Decrypt", sid: str = "", **extra: Any) -> dict[str, Any]:
    return {**allow(principal, action, sid, **extra), "Effect": "Deny"}


# The AWS default key policy statement: "Enable IAM User Permissions".
DELEGATE = allow({"AWS": ROOT}, "kms:*", sid="Enable IAM User Permissions")
IAM_DECRYPT = NamedPolicy("inline policy Alice/kms", doc(allow(action="kms:Decrypt", Resource=KEY)))


def alice_via_dynamodb(**changes: Any) -> Request:
    return replace(
        dynamodb_decrypt_request(principal_arn=ALICE, key_arn=KEY, table_name=TABLE, region=REGION, account_id=ACCOUNT),
        **changes,
    )


@dataclass(frozen=True)
class Case:
    name: str
    key_policy: dict[str, Any]
    allowed: bool
    decided_by: str  # the Decision's source ("" for an implicit deny)
    identity: tuple[NamedPolicy, ...] = ()
    grants: tuple[Grant, ...] = ()
    request: Request = field(default_factory=alice_via_dynamodb)


def table_grant(grantee: str = ALICE, context: dict[str, str] | None = None, kind: str = "EncryptionContextSubset"):
    return Grant(
        "grant-1",
        grantee,
        ("Decrypt", "DescribeKey"),
        {kind: context if context is not None else table_encryption_context(TABLE, ACCOUNT)},
    )


CASES = [
    # KMS "Default key policy": the root statement alone lets nobody in; it only makes IAM policies count.
    Case("root delegation only, no IAM allow -> deny", doc(DELEGATE), False, ""),
    Case("root delegation + IAM allow -> allow", doc(DELEGATE), True, IAM_DECRYPT.source, identity=(IAM_DECRYPT,)),
    Case("key policy names the principal -> allow", doc(allow({"AWS": ALICE}, sid="Alice")), True, KEY_POLICY),
    Case("no delegation + IAM allow -> deny", doc(allow({"AWS": READER_ROLE})), False, "", identity=(IAM_DECRYPT,)),
    Case(
        "explicit deny in the key policy beats a key policy allow",
        doc(allow({"AWS": ALICE}), deny({"AWS": ALICE}, sid="NoDecrypt")),
        False,
        KEY_POLICY,
    ),
    Case(
        "explicit deny to the account root applies to its principals",
        doc(allow({"AWS": ALICE}), deny({"AWS": ROOT}, "kms:*")),
        False,
        KEY_POLICY,
    ),
    Case(
        "explicit deny in an identity policy beats the key policy and a grant",
        doc(allow({"AWS": ALICE})),
        False,
        "inline policy Alice/deny",
        identity=(NamedPolicy("inline policy Alice/deny", doc(deny(action="kms:*"))),),
        grants=(table_grant(),),
    ),
    Case(
        "ViaService mismatch -> deny",
        doc(allow({"AWS": ALICE}, Condition={"StringEquals": {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}})),
        False,
        "",
    ),
    Case(
        "ViaService match -> allow",
        doc(allow({"AWS": ALICE}, Condition={"StringEquals": VIA_DYNAMODB})),
        True,
        KEY_POLICY,
    ),
    Case(
        "ViaService condition, direct call to KMS -> deny",
        doc(allow({"AWS": ALICE}, Condition={"StringEquals": VIA_DYNAMODB})),
        False,
        "",
        request=alice_via_dynamodb(context={"kms:CallerAccount": ACCOUNT}),
    ),
    Case(
        "AWS-managed key shape: {AWS: *} + CallerAccount, same account -> allow",
        doc(allow({"AWS": "*"}, Condition={"StringEquals": VIA_DYNAMODB})),
        True,
        KEY_POLICY,
    ),
    Case(
        "AWS-managed key shape: {AWS: *} + CallerAccount, other account -> deny",
        doc(allow({"AWS": "*"}, Condition={"StringEquals": {**VIA_DYNAMODB, "kms:CallerAccount": OTHER_ACCOUNT}})),
        False,
        "",
    ),
    Case(
        "grant with matching encryption context -> allow", doc(DELEGATE), True, "grant grant-1", grants=(table_grant(),)
    ),
    Case(
        "grant with mismatching encryption context -> deny",
        doc(DELEGATE),
        False,
        "",
        grants=(table_grant(context={"aws:dynamodb:tableName": "other-table", "aws:dynamodb:subscriberId": ACCOUNT}),),
    ),
    Case(
        "grant with EncryptionContextEquals needs the exact context",
        doc(),
        False,
        "",
        grants=(table_grant(context={"aws:dynamodb:tableName": TABLE}, kind="EncryptionContextEquals"),),
    ),
    Case("grant to someone else -> deny", doc(), False, "", grants=(table_grant(grantee=READER_ROLE),)),
    Case(
        "grant without Decrypt -> deny",
        doc(),
        False,
        "",
        grants=(Grant("grant-2", ALICE, ("Encrypt",), {}),),
    ),
    Case(
        "a role named in the key policy matches its STS sessions",
        doc(allow({"AWS": READER_ROLE}, Condition={"StringEquals": VIA_DYNAMODB})),
        True,
        KEY_POLICY,
        request=alice_via_dynamodb(principal_arn=READER_ROLE, caller_arn=READER_SESSION),
    ),
    Case(
        "ArnLike on aws:PrincipalArn with a wildcard",
        doc(allow({"AWS": "*"}, Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/Al*"}})),
        True,
        KEY_POLICY,
    ),
    Case(
        "NotAction: everything but Decrypt",
        doc(allow({"AWS": ALICE}, NotAction="kms:Decrypt", action=None)),
        False,
        "",
    ),
    Case(
        "NotResource excluding this key",
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:*", "NotResource": KEY}]},
        False,
        "",
    ),
    Case(
        "NotPrincipal Allow lets in whoever is not named",
        doc(allow(None, NotPrincipal={"AWS": READER_ROLE})),
        True,
        KEY_POLICY,
    ),
    Case("NotPrincipal Allow naming the caller -> deny", doc(allow(None, NotPrincipal={"AWS": ALICE})), False, ""),
    Case("a Service principal never matches a user", doc(allow({"Service": "dynamodb.amazonaws.com"})), False, ""),
    Case(
        "an unsupported operator never makes an Allow apply",
        # Numeric and Date operators are evaluated now: an operator IAM does not have stands in.
        doc(allow({"AWS": ALICE}, Condition={"StringMatchesRegex": {"kms:ViaService": "dynamodb[.].*"}})),
        False,
        "",
    ),
    Case(
        "an unsupported operator always makes a Deny apply",
        doc(allow({"AWS": ALICE}), deny({"AWS": ALICE}, Condition={"DateAfter": {"aws:CurrentTime": "2999"}})),
        False,
        KEY_POLICY,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_worked_examples(case: Case) -> None:
    decision = authorize_kms(case.request, case.key_policy, case.identity, case.grants)
    assert decision.allowed is case.allowed, decision.reason
    assert decision.source == case.decided_by, decision.reason


def test_the_decision_names_the_deciding_statement() -> None:
    decision = authorize_kms(alice_via_dynamodb(), doc(allow({"AWS": ALICE}), deny({"AWS": ALICE}, sid="NoDecrypt")))
    assert decision.statement is not None
    assert decision.statement["Sid"] == "NoDecrypt"
    assert decision.reason == "denied explicitly by key policy statement NoDecrypt"


def test_an_implicit_deny_says_when_an_iam_allow_is_ignored_for_want_of_delegation() -> None:
    decision = authorize_kms(alice_via_dynamodb(), doc(allow({"AWS": READER_ROLE})), (IAM_DECRYPT,))
    assert not decision.allowed
    assert "does not delegate to the account" in decision.reason
    assert ALICE in decision.reason


def test_a_role_session_is_named_as_the_session_in_a_denial() -> None:
    request = alice_via_dynamodb(principal_arn=READER_ROLE, caller_arn=READER_SESSION)
    assert READER_SESSION in authorize_kms(request, doc(DELEGATE)).reason


# -- condition operators, one row each: (condition, context, holds) ------------------------------

CONDITIONS = [
    ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
    ({"StringEquals": {"k": "a", "j": "b"}}, {"k": "a", "j": "x"}, False),  # keys are ANDed
    ({"StringEquals": {"K": "a"}}, {"k": "a"}, True),  # key names are case-insensitive
    ({"StringEquals": {"k": "A"}}, {"k": "a"}, False),  # values are not
    ({"StringEqualsIgnoreCase": {"k": "A"}}, {"k": "a"}, True),
    ({"StringNotEquals": {"k": "a"}}, {"k": "b"}, True),
    ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, False),
    ({"StringNotEquals": {"k": "a"}}, {}, True),  # a missing key matches a negated operator
    ({"StringNotEqualsIgnoreCase": {"k": "A"}}, {"k": "a"}, False),
    ({"StringLike": {"k": "dynamodb.*.amazonaws.com"}}, {"k": "dynamodb.eu-west-1.amazonaws.com"}, True),
    ({"StringLike": {"k": "a?c"}}, {"k": "abbc"}, False),
    ({"StringNotLike": {"k": "a*"}}, {"k": "abc"}, False),
    ({"StringEquals": {"k": "a"}}, {}, False),  # a missing key never matches
    ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
    ({"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}, False),
    ({"ArnEquals": {"k": "arn:aws:iam::1:role/*"}}, {"k": "arn:aws:iam::1:role/x/y"}, True),
    ({"ArnLike": {"k": "arn:aws:iam::*:user/Bob"}}, {"k": "arn:aws:iam::2:user/Bob"}, True),
    ({"ArnLike": {"k": "arn:aws:iam::1:user/*"}}, {"k": "arn:aws:iam::1:role/x"}, False),
    ({"ArnNotLike": {"k": "arn:aws:iam::1:user/*"}}, {"k": "arn:aws:iam::1:role/x"}, True),
    ({"ArnNotEquals": {"k": "arn:aws:iam::1:user/a"}}, {"k": "arn:aws:iam::1:user/a"}, False),
    ({"Bool": {"k": "true"}}, {"k": True}, True),
    ({"Bool": {"k": "true"}}, {"k": "false"}, False),
    ({"Null": {"k": "true"}}, {}, True),
    ({"Null": {"k": "false"}}, {}, False),
    ({"Null": {"k": "false"}}, {"k": "x"}, True),
    ({"ForAnyValue:StringEquals": {"k": ["a", "z"]}}, {"k": ["x", "a"]}, True),
    ({"ForAnyValue:StringEquals": {"k": ["z"]}}, {"k": ["x", "a"]}, False),
    ({"ForAnyValue:StringEquals": {"k": ["z"]}}, {}, False),
    ({"ForAllValues:StringEquals": {"k": ["a", "x"]}}, {"k": ["x", "a"]}, True),
    ({"ForAllValues:StringEquals": {"k": ["a"]}}, {"k": ["x", "a"]}, False),
    ({"ForAllValues:StringEquals": {"k": ["a"]}}, {}, True),  # vacuously true
    ({"ForAllValues:StringLike": {"k": "aws:dynamodb:*"}}, {"k": ["aws:dynamodb:tableName"]}, True),
]


@pytest.mark.parametrize(("condition", "context", "holds"), CONDITIONS, ids=[str(c[0]) for c in CONDITIONS])
def test_condition_operators(condition: dict, context: dict, holds: bool) -> None:
    assert conditions_hold(condition, context) is holds


# -- this project's own policies, judged by the evaluator ----------------------------------------

DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci/Deployer"


def project_key_policy(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "partition": "aws",
        "account_id": ACCOUNT,
        "region": REGION,
        "admin_arns": [],
        "key_user_arns": [READER_ROLE],
        "deployer_arn": DEPLOYER,
    }
    return build_key_policy(**(args | overrides))


def reader(**changes: Any) -> Request:
    return replace(alice_via_dynamodb(principal_arn=READER_ROLE, caller_arn=READER_SESSION), **changes)


def test_a_named_key_user_decrypts_through_dynamodb_only() -> None:
    assert authorize_kms(reader(), project_key_policy()).allowed
    direct = reader(context={k: v for k, v in reader().context.items() if k != "kms:ViaService"})
    assert not authorize_kms(direct, project_key_policy()).allowed


def test_the_deployer_administers_but_cannot_decrypt_unless_iam_allows_it() -> None:
    as_deployer = reader(principal_arn=DEPLOYER, caller_arn="")
    assert not authorize_kms(as_deployer, project_key_policy()).allowed
    admin_action = replace(as_deployer, action="kms:PutKeyPolicy")
    assert authorize_kms(admin_action, project_key_policy()).allowed


def test_key_user_identity_policy_counts_only_with_delegation() -> None:
    identity = (
        NamedPolicy(
            "inline policy Alice/key-user",
            key_user_identity_policy(key_arn=KEY, region=REGION, account_id=ACCOUNT, access="read"),
        ),
    )
    with_delegation = project_key_policy(key_user_arns=[])
    without = project_key_policy(key_user_arns=[], allow_iam_policies=False)
    assert authorize_kms(alice_via_dynamodb(), with_delegation, identity).allowed
    assert not authorize_kms(alice_via_dynamodb(), without, identity).allowed


def test_identity_only_authorization_for_dynamodb_actions() -> None:
    read_only = NamedPolicy("AmazonDynamoDBReadOnlyAccess", doc(allow(action=["dynamodb:GetItem", "dynamodb:Scan"])))
    get = Request(ALICE, "dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}", ACCOUNT)
    assert authorize_identity(get, [read_only]).allowed
    assert not authorize_identity(replace(get, action="dynamodb:PutItem"), [read_only]).allowed
    fenced = NamedPolicy("deny", doc(deny(action="dynamodb:*")))
    assert authorize_identity(get, [read_only, fenced]).source == "deny"
