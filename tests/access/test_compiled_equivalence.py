"""Property: the compiled reading and the plain one decide alike, on random documents and requests.

The documents are drawn with the odd shapes the plain evaluator reads in its own way (an Action as
a string or a list, NotAction, NotResource, no Resource, Principal "*" or {"AWS": [...]},
NotPrincipal, IfExists, ForAnyValue/ForAllValues, operators IAM does not have, policy variables,
Version absent, 2008 or 2012, values of the wrong type): whatever the plain reading answers (the
same allowed, reason, source and deciding statement object) or raises, the compiled one must too.

The compiled reading is checked twice: bare (`_compiled_*_decision`, which may leave a document or
a request to the plain reading by answering None, but must never answer otherwise), and as the
public functions run it (with their fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import access.evaluator as evaluator
from access.compiled import clear_cache
from access.documents import NamedPolicy
from access.evaluator import (
    KMS_KEY_POLICY,
    TABLE_POLICY,
    TRUST_POLICY,
    Decision,
    Grant,
    Request,
    ResourcePolicyKind,
)

A = "111122223333"
B = "444455556666"
KEY = f"arn:aws:kms:us-west-2:{A}:key/1234abcd"
TABLE = f"arn:aws:dynamodb:us-west-2:{A}:table/orders"
USERS = [f"arn:aws:iam::{A}:user/Alice", f"arn:aws:iam::{A}:user/ops/Bob", f"arn:aws:iam::{B}:user/Carol"]
ROLES = [f"arn:aws:iam::{A}:role/data/Reader", f"arn:aws:iam::{B}:role/Writer"]
SESSIONS = {ROLES[0]: f"arn:aws:sts::{A}:assumed-role/Reader/s-1", ROLES[1]: f"arn:aws:sts::{B}:assumed-role/Writer/w"}
ROOTS = [f"arn:aws:iam::{A}:root", f"arn:aws-cn:iam::{B}:root"]

# How many examples, and whether they are random, comes from the Hypothesis profile
# (tests/conftest.py): fixed examples in CI, `HYPOTHESIS_PROFILE=explore` to search (thousands:
# run it after touching the evaluator or access/compiled.py). The profile's number keeps the unit suite
# within its budget (docs/performance.md).
PROPERTY = settings(
    deadline=None,
    max_examples=settings.default.max_examples,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- documents ------------------------------------------------------------------------------------

odd = st.sampled_from([1, 2.5, True, None, ["x"], {"a": "b"}, ""])
action_patterns = st.sampled_from(
    [
        "kms:Decrypt",
        "kms:Decrypt",
        "kms:*",
        "KMS:decrypt",
        "kms:*",
        "kms:De*",
        "kms:Decrypt?",
        "kms:GenerateDataKey*",
        "kms:Encrypt",
        "*",
        "dynamodb:Get?tem",
        "dynamodb:*",
        "sts:AssumeRole",
        "km\u017f:Decrypt",  # a long s (\u017f): case-folds to s in a regex, not in str.lower
        "iam:PassRole",
    ]
)
resources = st.sampled_from(
    [
        "*",
        "*",
        "*",
        KEY,
        KEY,
        TABLE,
        f"arn:aws:kms:*:{A}:key/*",
        "arn:aws:kms:us-west-2:*:key/1234abc?",
        f"{TABLE}/*",
        f"arn:aws:dynamodb:us-west-2:{A}:table/${{aws:username}}",
        "arn:aws:kms:us-west-2:${aws:PrincipalAccount}:key/*",
        "arn:aws:kms:us-west-2:${aws:PrincipalTag/acct, '111122223333'}:key/1234abcd",
        f"arn:aws:kms:us-west-2:{A}:key/${{*}}",
        "${aws:nothing}",
        "${",
        "arn:aws:kms:us-west-2:111122223333:key/1234ABCD",
    ]
)
principal_names = st.sampled_from([*USERS, *ROLES, *SESSIONS.values(), *ROOTS, A, B, "*", "arn:aws:iam::*:root"])
condition_keys = st.sampled_from(
    [
        "kms:ViaService",
        "KMS:viaservice",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalType",
        "aws:username",
        "aws:PrincipalTag/team",
        "kms:EncryptionContextKeys",
        "aws:SourceIp",
        "aws:SecureTransport",
        "aws:CurrentTime",
        "aws:EpochTime",
        "count",
        "blob",
        "aws:missing",
    ]
)
OUT_OF_RANGE = "0001-01-01T00:00+05:00"  # a date out of range: the plain reading raises OverflowError
condition_values = st.sampled_from(
    [
        "dynamodb.us-west-2.amazonaws.com",
        "dynamodb.*.amazonaws.com",
        "DYNAMODB.US-WEST-2.AMAZONAWS.COM",
        A,
        B,
        ROLES[0],
        f"arn:aws:iam::{A}:role/*",
        "arn:aws:iam::*:user/${aws:username}",
        "arn:aws:iam::${aws:PrincipalAccount}:user/*",
        "${aws:PrincipalTag/team}",
        "${aws:nope, 'x*'}",
        "*",
        "aws:dynamodb:*",
        "aws:dynamodb:tableName",
        "ops",
        "10.0.0.0/8",
        "10.1.2.3",
        "::1/128",
        "true",
        "false",
        "2000-01-01T00:00:00Z",
        "2999-12-31",
        "946684800",
        OUT_OF_RANGE,
        "5",
        "-2.5",
        "not a number",
        "aGVsbG8=",
        "%%%",
        "",
    ]
)
operator_names = st.sampled_from(
    [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotLike",
        "ArnNotEquals",
        "NumericLessThan",
        "NumericEquals",
        "NumericNotEquals",
        "NumericGreaterThanEquals",
        "DateGreaterThan",
        "DateLessThan",
        "DateNotEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "Null",
        "StringMatchesRegex",
    ]
)


@st.composite
def operators(draw: st.DrawFn) -> str:
    name = draw(operator_names)
    if name != "Null" and draw(st.booleans()):
        name += "IfExists"
    qualifier = draw(st.sampled_from(["", "", "ForAnyValue:", "ForAllValues:", "ForSomeValues:"]))
    return qualifier + name


def one_or_list(values: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.lists(values, max_size=max_size))


wanted = st.one_of(
    one_or_list(condition_values),
    st.sampled_from([True, False, 5, 2.5]),
    st.lists(st.one_of(condition_values, st.sampled_from([True, 7])), max_size=3),
)
condition_blocks = st.dictionaries(condition_keys, wanted, max_size=3)
blocks = st.dictionaries(operators(), st.one_of(condition_blocks, condition_blocks, st.just("not a block")), max_size=3)
conditions = st.one_of(blocks, blocks, blocks, st.just({}), st.none(), odd)
principals = st.one_of(
    st.just("*"),
    st.just({"AWS": "*"}),
    principal_names,
    principal_names,
    st.fixed_dictionaries({"AWS": one_or_list(principal_names, 4)}),
    st.fixed_dictionaries({"Service": st.just("dynamodb.amazonaws.com")}),
    st.just(["*"]),
    odd,
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        statement["Effect"] = draw(st.sampled_from(["Allow", "Allow", "Deny", "allow"]))
    sid = draw(st.sampled_from([None, "S1", "S2", "", 5]))
    if sid is not None:
        statement["Sid"] = sid
    action_element = draw(st.sampled_from(["Action", "Action", "NotAction", None, "both"]))
    if action_element in ("Action", "both"):
        statement["Action"] = draw(one_or_list(action_patterns) if draw(st.integers(0, 14)) else odd)
    if action_element in ("NotAction", "both"):
        statement["NotAction"] = draw(one_or_list(action_patterns))
    resource_element = draw(st.sampled_from(["Resource", "Resource", "NotResource", None, "both"]))
    if resource_element in ("Resource", "both"):
        statement["Resource"] = draw(one_or_list(resources) if draw(st.integers(0, 14)) else odd)
    if resource_element in ("NotResource", "both"):
        statement["NotResource"] = draw(one_or_list(resources))
    principal_element = draw(st.sampled_from(["Principal", "Principal", "NotPrincipal", None]))
    if principal_element:
        statement[principal_element] = draw(principals)
    if draw(st.booleans()):
        statement["Condition"] = draw(conditions)
    return statement


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {}
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17", None]))
    if version is not None:
        document["Version"] = version
    body = draw(st.lists(statements(), min_size=0, max_size=5))
    shape = draw(st.integers(0, 9))
    if shape == 0 and body:
        document["Statement"] = body[0]  # a lone statement object
    elif shape == 1:
        document["Statement"] = [*body, "not a statement"]
    else:
        document["Statement"] = body
    return document


# -- requests -------------------------------------------------------------------------------------

context_values = st.one_of(
    condition_values,
    st.booleans(),
    st.lists(condition_values, max_size=3),
    st.tuples(condition_values),
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    principal = draw(st.sampled_from([*USERS, *ROLES, *ROOTS]))
    caller = SESSIONS.get(principal, "") if draw(st.booleans()) else ""
    context = draw(st.dictionaries(condition_keys, context_values, max_size=5))
    if draw(st.integers(0, 9)) == 0:
        context["AWS:PrincipalArn"] = draw(st.sampled_from([*USERS, *ROLES]))
    return Request(
        principal_arn=principal,
        action=draw(
            st.sampled_from(
                [
                    "kms:Decrypt",
                    "KMS:Decrypt",
                    "kms:Encrypt",
                    "kms:ScheduleKeyDeletion",  # never across accounts (access.cross_account)
                    "dynamodb:GetItem",
                    "sts:AssumeRole",
                ]
            )
        ),
        resource=draw(st.sampled_from([KEY, TABLE, "arn:aws:kms:us-west-2:111122223333:key/1234ABCD"])),
        account_id=principal.split(":")[4],
        context=context,
        encryption_context=draw(st.sampled_from([{}, {"aws:dynamodb:tableName": "orders"}])),
        caller_arn=caller,
        resource_account=draw(st.sampled_from(["", "", "", A, B])),
    )


grants = st.lists(
    st.builds(
        Grant,
        grant_id=st.sampled_from(["g-1", "g-2"]),
        grantee_principal=st.sampled_from([*USERS, *ROLES, *SESSIONS.values()]),
        operations=st.sampled_from([("Decrypt",), ("Encrypt", "DescribeKey"), ("ScheduleKeyDeletion", "Decrypt")]),
        constraints=st.sampled_from([{}, {"EncryptionContextSubset": {"AWS:DynamoDB:TableName": "orders"}}]),
    ),
    max_size=2,
)
kinds = st.sampled_from([KMS_KEY_POLICY, TRUST_POLICY, TABLE_POLICY, None])
named = st.builds(NamedPolicy, st.sampled_from(["p1", "p2", "key policy"]), documents())


# -- the property ---------------------------------------------------------------------------------


def outcome(decide: Callable[..., Decision | None], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "decided", decide(*args, **kwargs)
    except Exception as error:  # the plain reading's errors are part of what must be the same
        return "raised", type(error)


def assert_same(plain: tuple[str, Any], compiled: tuple[str, Any], *, bare: bool) -> None:
    if bare and compiled == ("decided", None):
        return  # left to the plain reading
    assert compiled[0] == plain[0], (plain, compiled)
    if plain[0] == "raised":
        assert compiled[1] is plain[1]
        return
    ours, theirs = compiled[1], plain[1]
    assert (ours.allowed, ours.reason, ours.source) == (theirs.allowed, theirs.reason, theirs.source)
    assert ours.statement is theirs.statement


@PROPERTY
@given(named, st.lists(named, max_size=3), grants, kinds, st.lists(requests(), min_size=1, max_size=4))
def test_compiled_and_plain_decide_alike(
    resource_policy: NamedPolicy,
    identity: list[NamedPolicy],
    given_grants: list[Grant],
    kind: ResourcePolicyKind | None,
    asked: list[Request],
) -> None:
    for request in asked:
        plain = outcome(evaluator.plain_authorize_resource, request, resource_policy, identity, given_grants, kind=kind)
        resolved = evaluator._kind_of(resource_policy, kind)
        bare = outcome(
            evaluator._compiled_resource_decision, request, resource_policy, identity, given_grants, resolved
        )
        public = outcome(evaluator.authorize_resource, request, resource_policy, identity, given_grants, kind=kind)
        assert_same(plain, bare, bare=True)
        assert_same(plain, public, bare=False)

        plain = outcome(evaluator.plain_authorize_identity, request, identity)
        bare = outcome(evaluator._compiled_identity_decision, request, identity)
        public = outcome(evaluator.authorize_identity, request, identity)
        assert_same(plain, bare, bare=True)
        assert_same(plain, public, bare=False)


@PROPERTY
@given(documents(), st.lists(requests(), min_size=1, max_size=4))
def test_compiled_and_plain_agree_on_a_cold_cache(document: dict[str, Any], asked: list[Request]) -> None:
    """The same, each document compiled afresh (a compile never depends on what was compiled before)."""
    clear_cache()
    for request in asked:
        plain = outcome(evaluator.plain_authorize_kms, request, document)
        assert_same(plain, outcome(evaluator.authorize_kms, request, document), bare=False)


# -- documents that let the request in more often -----------------------------------------------------


@st.composite
def fitting_statements(draw: st.DrawFn, request: Request) -> dict[str, Any]:
    """A well-formed statement about this request's principal, action and resource (or near them)."""
    near = lambda exact, *others: st.sampled_from([exact, exact, *others])  # noqa: E731
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"])),
        "Action": draw(one_or_list(near(request.action, "kms:*", "*", "kms:Encrypt"))),
        "Resource": draw(one_or_list(near(request.resource, "*", f"arn:aws:kms:*:{A}:key/*"))),
    }
    who = near(request.principal_arn, request.shown_caller, request.account_id, "*", *ROOTS)
    principal = draw(st.sampled_from(["Principal", "Principal", "NotPrincipal", None]))
    if principal:
        statement[principal] = {"AWS": draw(one_or_list(who))}
    if request.context and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(request.context)))
        value = request.context[key]
        got = value if isinstance(value, str) else "true" if value is True else "false" if value is False else "x"
        got = "x" if got == OUT_OF_RANGE else got  # a compile leaves that to the plain reading
        statement["Condition"] = {
            draw(operators()): {key: draw(st.sampled_from([got, f"{got[:3]}*", "other", "${aws:username}"]))}
        }
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(["A", "B", "A"]))
    return statement


@PROPERTY
@given(requests(), grants, kinds, st.data())
def test_compiled_and_plain_decide_alike_where_statements_apply(
    request: Request, given_grants: list[Grant], kind: ResourcePolicyKind | None, data: st.DataObject
) -> None:
    def document() -> dict[str, Any]:
        body = data.draw(st.lists(fitting_statements(request), min_size=1, max_size=5))
        return {"Version": data.draw(st.sampled_from(["2012-10-17", "2008-10-17"])), "Statement": body}

    resource_policy = NamedPolicy(data.draw(st.sampled_from(["key policy", "trust"])), document())
    identity = [NamedPolicy(f"p{n}", document()) for n in range(data.draw(st.integers(0, 3)))]
    for ask in (request, data.draw(requests())):
        plain = outcome(evaluator.plain_authorize_resource, ask, resource_policy, identity, given_grants, kind=kind)
        resolved = evaluator._kind_of(resource_policy, kind)
        bare = outcome(evaluator._compiled_resource_decision, ask, resource_policy, identity, given_grants, resolved)
        assert bare != ("decided", None), "well-formed documents and requests are decided on the compiled form"
        assert_same(plain, bare, bare=True)
        plain = outcome(evaluator.plain_authorize_identity, ask, identity)
        assert_same(plain, outcome(evaluator._compiled_identity_decision, ask, identity), bare=True)
