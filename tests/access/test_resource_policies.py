"""Resource policies by kind, NotPrincipal, grant constraints and cross-account access, row by row.

Sources:
- KMS key policy elements: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
  and the PutKeyPolicy API reference: https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
- Grant constraints: https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html
- NotPrincipal: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
- Cross-account use of a KMS key:
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
- Cross-account policy evaluation:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- DynamoDB resource-based policies:
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-auth-iam-id-based-policies-DDB.html
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

import access.evaluator as evaluator
from access.documents import NamedPolicy
from access.evaluator import KEY_POLICY, Grant, Request, authorize_kms, authorize_resource, dynamodb_decrypt_request
from access.kms_dynamodb import table_encryption_context

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Reader"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/probe-1"
BOB = f"arn:aws:iam::{OTHER}:user/Bob"
TABLE = "orders"
TABLE_ARN = f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/{TABLE}"

KEY_POLICY_DOC = "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def statement(effect: str, principal: Any = None, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": "*", **extra}
    if principal is not None:
        body["Principal"] = principal
    return {k: v for k, v in body.items() if v is not None}


def allow(principal: Any = None, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return statement("Allow", principal, action, **extra)


def deny(principal: Any = None, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return statement("Deny", principal, action, **extra)


def iam(name: str, *statements: dict[str, Any]) -> NamedPolicy:
    return NamedPolicy(f"inline policy {name}", doc(*statements))


def decrypt(principal: str = ALICE, **changes: Any) -> Request:
    return replace(Request(principal, "kms:Decrypt", KEY, ACCOUNT), **changes)


# -- KMS key policies: a statement without Resource or Action has no effect -------------------------
# "If either of the required Resource or Action elements are missing from a key policy statement, the
# policy statement has no effect." (PutKeyPolicy API reference; key-policy-overview.html: "A key policy
# statement without a Resource element doesn't apply to any KMS key.")

KEY_POLICY_ROWS = [
    ("Allow without Resource: no effect", doc(allow({"AWS": ALICE}, Resource=None)), False),
    ("Allow with Resource: allows", doc(allow({"AWS": ALICE})), True),
    (
        "Allow with NotResource only: no effect",
        doc(allow({"AWS": ALICE}, Resource=None, NotResource="arn:aws:s3:::x")),
        False,
    ),
    ("Allow with NotAction only: no effect", doc(allow({"AWS": ALICE}, action=None, NotAction="kms:Encrypt")), False),
    ("Deny without Resource: no effect", doc(allow({"AWS": ALICE}), deny({"AWS": ALICE}, Resource=None)), True),
    ("Deny without Action: no effect", doc(allow({"AWS": ALICE}), deny({"AWS": ALICE}, action=None)), True),
    (
        "Deny with NotAction only: no effect",
        doc(allow({"AWS": ALICE}), deny({"AWS": ALICE}, action=None, NotAction="kms:Encrypt")),
        True,
    ),
    ("Deny with Action and Resource: denies", doc(allow({"AWS": ALICE}), deny({"AWS": ALICE})), False),
    ("root delegation without Resource delegates nothing", doc(allow({"AWS": ROOT}, "kms:*", Resource=None)), False),
]


@pytest.mark.parametrize(("name", "policy", "allowed"), KEY_POLICY_ROWS, ids=[r[0] for r in KEY_POLICY_ROWS])
def test_key_policy_statements_need_resource_and_action(name: str, policy: dict[str, Any], allowed: bool) -> None:
    identity = (iam("Alice", allow(action="kms:*")),)
    assert authorize_kms(decrypt(), policy, identity).allowed is allowed, name


def test_a_key_policy_passed_as_a_named_policy_is_a_key_policy() -> None:
    """authorize_resource reads a policy named KEY_POLICY as a key policy (the sandbox and verifier do not say)."""
    policy = NamedPolicy(KEY_POLICY, doc(allow({"AWS": ALICE}, Resource=None)))
    assert not authorize_resource(decrypt(), policy).allowed


# -- role trust policies carry no Resource: they keep working ----------------------------------------

TRUST = doc({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"})
TRUST_ALICE = doc({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"})
ASSUME = iam("Alice/assume", allow(action="sts:AssumeRole", Resource=ROLE))

TRUST_ROWS = [
    ("trust names the account, identity allows", TRUST, (ASSUME,), True),
    ("trust names the account, no identity policy", TRUST, (), False),
    ("trust names the user, no identity policy", TRUST_ALICE, (), True),
    (
        "trust names someone else, identity allows",
        doc({"Effect": "Allow", "Principal": {"AWS": BOB}, "Action": "sts:AssumeRole"}),
        (ASSUME,),
        False,
    ),
]


@pytest.mark.parametrize(("name", "trust", "identity", "allowed"), TRUST_ROWS, ids=[r[0] for r in TRUST_ROWS])
def test_trust_policies_have_no_resource(
    name: str, trust: dict[str, Any], identity: tuple[NamedPolicy, ...], allowed: bool
) -> None:
    request = Request(ALICE, "sts:AssumeRole", ROLE, ACCOUNT)
    assert authorize_resource(request, NamedPolicy("trust policy of role Reader", trust), identity).allowed is allowed
    explicit = authorize_resource(request, NamedPolicy("trust", trust), identity, kind=evaluator.TRUST_POLICY)
    assert explicit.allowed is allowed


# -- grants: constraints ignored for DescribeKey and RetireGrant; keys case-insensitive ---------------

CONSTRAINED = Grant(
    "g-1",
    ALICE,
    ("Decrypt", "DescribeKey", "RetireGrant"),
    {"EncryptionContextSubset": table_encryption_context(TABLE, ACCOUNT)},
)
GRANT_ROWS = [
    # "Grant constraints are not applied to ... management operations, such as DescribeKey or RetireGrant."
    ("DescribeKey without encryption context", "kms:DescribeKey", {}, CONSTRAINED, True),
    ("RetireGrant without encryption context", "kms:RetireGrant", {}, CONSTRAINED, True),
    ("DescribeKey with another context", "kms:DescribeKey", {"k": "v"}, CONSTRAINED, True),
    ("Decrypt without encryption context", "kms:Decrypt", {}, CONSTRAINED, False),
    ("Decrypt with the table's context", "kms:Decrypt", table_encryption_context(TABLE, ACCOUNT), CONSTRAINED, True),
    ("Encrypt is not a granted operation", "kms:Encrypt", table_encryption_context(TABLE, ACCOUNT), CONSTRAINED, False),
    # "in a grant constraint, the key in each key-value pair is not case sensitive, but the value is"
    (
        "constraint keys ignore case (Subset)",
        "kms:Decrypt",
        {"AWS:DynamoDB:TableName": TABLE, "aws:dynamodb:subscriberid": ACCOUNT},
        CONSTRAINED,
        True,
    ),
    (
        "constraint values do not (Subset)",
        "kms:Decrypt",
        {"aws:dynamodb:tableName": TABLE.upper(), "aws:dynamodb:subscriberId": ACCOUNT},
        CONSTRAINED,
        False,
    ),
    (
        "constraint keys ignore case (Equals)",
        "kms:Decrypt",
        {"Department": "Finance"},
        Grant("g-2", ALICE, ("Decrypt",), {"EncryptionContextEquals": {"department": "Finance"}}),
        True,
    ),
    (
        "Equals needs the exact pairs",
        "kms:Decrypt",
        {"Department": "Finance", "Extra": "x"},
        Grant("g-2", ALICE, ("Decrypt",), {"EncryptionContextEquals": {"department": "Finance"}}),
        False,
    ),
]


@pytest.mark.parametrize(("name", "action", "context", "grant", "allowed"), GRANT_ROWS, ids=[r[0] for r in GRANT_ROWS])
def test_grant_constraints(name: str, action: str, context: dict[str, str], grant: Grant, allowed: bool) -> None:
    request = decrypt(action=action, encryption_context=context)
    decision = authorize_kms(request, doc(), (), (grant,))
    assert decision.allowed is allowed, decision.reason


# -- NotPrincipal: an account spares only the account principal --------------------------------------
# "When you use NotPrincipal, you must also specify the account ARN of the not-denied principal.
# Otherwise, the policy might deny access to the entire account containing the principal." AWS may check
# the account, then the role, then the session: a Deny spares only a principal all of whose links are named.

ALLOW_ALL = allow({"AWS": "*"})


@dataclass(frozen=True)
class NotPrincipalCase:
    name: str
    policy: dict[str, Any]
    allowed: bool
    request: Request = field(default_factory=decrypt)


def not_principal(effect: str, *names: str) -> dict[str, Any]:
    return statement(effect, NotPrincipal={"AWS": list(names)})


SESSION_REQUEST = decrypt(ROLE, caller_arn=SESSION)
ROOT_REQUEST = decrypt(ROOT)
NOT_PRINCIPAL_ROWS = [
    NotPrincipalCase(
        "Deny NotPrincipal account: the account's user is denied", doc(ALLOW_ALL, not_principal("Deny", ROOT)), False
    ),
    NotPrincipalCase(
        "Deny NotPrincipal account id: the account's user is denied",
        doc(ALLOW_ALL, not_principal("Deny", ACCOUNT)),
        False,
    ),
    NotPrincipalCase(
        "Deny NotPrincipal account: the account principal is spared",
        doc(ALLOW_ALL, not_principal("Deny", ROOT)),
        True,
        ROOT_REQUEST,
    ),
    NotPrincipalCase(
        "Deny NotPrincipal user without its account: denied", doc(ALLOW_ALL, not_principal("Deny", ALICE)), False
    ),
    NotPrincipalCase(
        "Deny NotPrincipal user and account: spared", doc(ALLOW_ALL, not_principal("Deny", ALICE, ROOT)), True
    ),
    NotPrincipalCase(
        "Deny NotPrincipal someone else: denied", doc(ALLOW_ALL, not_principal("Deny", BOB, OTHER_ROOT)), False
    ),
    NotPrincipalCase(
        "Deny NotPrincipal role and account, not the session: denied",
        doc(ALLOW_ALL, not_principal("Deny", ROLE, ROOT)),
        False,
        SESSION_REQUEST,
    ),
    NotPrincipalCase(
        "Deny NotPrincipal session, role and account: spared",
        doc(ALLOW_ALL, not_principal("Deny", SESSION, ROLE, ROOT)),
        True,
        SESSION_REQUEST,
    ),
    NotPrincipalCase(
        "Deny NotPrincipal session and account, not the role: denied",
        doc(ALLOW_ALL, not_principal("Deny", SESSION, ROOT)),
        False,
        SESSION_REQUEST,
    ),
    NotPrincipalCase(
        "Allow NotPrincipal account: the account's user is let in", doc(not_principal("Allow", ROOT)), True
    ),
    NotPrincipalCase(
        "Allow NotPrincipal account: the account principal is not",
        doc(not_principal("Allow", ROOT)),
        False,
        ROOT_REQUEST,
    ),
    NotPrincipalCase("Allow NotPrincipal the user: not let in", doc(not_principal("Allow", ALICE)), False),
    NotPrincipalCase(
        "Allow NotPrincipal the role: its session is not let in",
        doc(not_principal("Allow", ROLE)),
        False,
        SESSION_REQUEST,
    ),
    NotPrincipalCase(
        "Allow NotPrincipal the session: not let in", doc(not_principal("Allow", SESSION)), False, SESSION_REQUEST
    ),
    NotPrincipalCase("Allow NotPrincipal someone else: let in", doc(not_principal("Allow", BOB)), True),
]


@pytest.mark.parametrize("case", NOT_PRINCIPAL_ROWS, ids=[c.name for c in NOT_PRINCIPAL_ROWS])
def test_not_principal(case: NotPrincipalCase) -> None:
    decision = authorize_kms(case.request, case.policy)
    assert decision.allowed is case.allowed, decision.reason


# -- cross-account use of a KMS key: the key policy AND an identity policy of the caller's account ---------
# "To give permission to use a CMK to users and roles in another account, you must use two different types
# of policies ... Neither the key policy nor the IAM policy alone is sufficient"; "users and roles in the
# external account cannot use the CMK until you attach IAM policies that delegate those permissions, or use
# grants to manage access to the CMK." (key-policy-modifying-external-accounts)

BOB_IAM = iam(
    "Bob",
    allow(
        action=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], Resource=KEY
    ),
)
BOB_DENY = iam("Bob/deny", deny(action="kms:*"))
EXTERNAL_ACCOUNT = allow(
    {"AWS": [OTHER_ROOT]},
    ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    Sid="Allow an external account to use this CMK",
)
EXTERNAL_USER = allow({"AWS": [BOB]}, "kms:Decrypt", Sid="Allow Bob")
OWN_ACCOUNT = allow({"AWS": ROOT}, "kms:*", Sid="Enable IAM policies")
BOB_GRANT = Grant("g-bob", BOB, ("Decrypt",), {"EncryptionContextSubset": table_encryption_context(TABLE, ACCOUNT)})


@dataclass(frozen=True)
class CrossCase:
    name: str
    key_policy: dict[str, Any]
    identity: tuple[NamedPolicy, ...]
    allowed: bool
    decided_by: str
    grants: tuple[Grant, ...] = ()


CROSS_ROWS = [
    CrossCase(
        "key policy names the account, IAM allows", doc(OWN_ACCOUNT, EXTERNAL_ACCOUNT), (BOB_IAM,), True, BOB_IAM.source
    ),
    CrossCase("key policy names the account, no IAM policy", doc(OWN_ACCOUNT, EXTERNAL_ACCOUNT), (), False, ""),
    CrossCase(
        "key policy names the user, IAM allows", doc(OWN_ACCOUNT, EXTERNAL_USER), (BOB_IAM,), True, BOB_IAM.source
    ),
    CrossCase("key policy names the user, no IAM policy", doc(OWN_ACCOUNT, EXTERNAL_USER), (), False, ""),
    CrossCase("key policy allows *, no IAM policy", doc(allow({"AWS": "*"})), (), False, ""),
    CrossCase("key policy allows *, IAM allows", doc(allow({"AWS": "*"})), (BOB_IAM,), True, BOB_IAM.source),
    CrossCase("key policy delegates only to its own account, IAM allows", doc(OWN_ACCOUNT), (BOB_IAM,), False, ""),
    CrossCase(
        "key policy names the account for Encrypt only, IAM allows Decrypt",
        doc(allow({"AWS": OTHER_ROOT}, "kms:Encrypt")),
        (BOB_IAM,),
        False,
        "",
    ),
    CrossCase("a grant needs no IAM policy", doc(OWN_ACCOUNT), (), True, "grant g-bob", (BOB_GRANT,)),
    CrossCase("an IAM Deny beats a grant", doc(OWN_ACCOUNT), (BOB_DENY,), False, BOB_DENY.source, (BOB_GRANT,)),
    CrossCase(
        "a key policy Deny beats both", doc(EXTERNAL_ACCOUNT, deny({"AWS": OTHER_ROOT})), (BOB_IAM,), False, KEY_POLICY
    ),
]


def bob_decrypt() -> Request:
    """Bob, of another account, decrypts a table's data with the key of account ACCOUNT."""
    return dynamodb_decrypt_request(
        principal_arn=BOB, key_arn=KEY, table_name=TABLE, region="us-west-2", account_id=OTHER, resource_account=ACCOUNT
    )


@pytest.mark.parametrize("case", CROSS_ROWS, ids=[c.name for c in CROSS_ROWS])
def test_cross_account_key_use(case: CrossCase) -> None:
    decision = authorize_kms(bob_decrypt(), case.key_policy, case.identity, case.grants)
    assert decision.allowed is case.allowed, decision.reason
    assert decision.source == case.decided_by, decision.reason


def test_same_account_key_use_is_unchanged_by_an_explicit_resource_account() -> None:
    """The key policy naming a principal of the key's own account still needs no identity policy."""
    policy = doc(allow({"AWS": ALICE}))
    assert authorize_kms(decrypt(), policy).allowed
    assert authorize_kms(decrypt(resource_account=ACCOUNT), policy).allowed
    assert not authorize_kms(decrypt(resource_account=OTHER), policy).allowed  # Alice's key elsewhere: needs IAM


def test_the_cross_account_request_of_dynamodb() -> None:
    """kms:CallerAccount is the caller's account; the encryption context names the table's account."""
    request = bob_decrypt()
    assert request.context["kms:CallerAccount"] == OTHER
    assert request.context["aws:PrincipalAccount"] == OTHER
    assert request.encryption_context == table_encryption_context(TABLE, ACCOUNT)
    assert request.owner_account == ACCOUNT
    assert request.cross_account


def test_a_cross_account_denial_says_what_is_missing() -> None:
    no_iam = authorize_kms(bob_decrypt(), doc(EXTERNAL_ACCOUNT))
    assert "no identity policy of the principal's account 444455556666" in no_iam.reason
    no_key_policy = authorize_kms(bob_decrypt(), doc(OWN_ACCOUNT), (BOB_IAM,))
    assert "allows neither the principal nor its account 444455556666" in no_key_policy.reason


# -- DynamoDB table resource policies: either suffices in the account, both across accounts ----------------

TABLE_IAM_ALICE = iam("Alice/table", allow(action="dynamodb:GetItem", Resource=TABLE_ARN))
TABLE_IAM_BOB = iam("Bob/table", allow(action="dynamodb:GetItem", Resource=TABLE_ARN))


def table_policy(*principals: str, effect: str = "Allow") -> NamedPolicy:
    return NamedPolicy(
        "resource policy of table orders",
        doc(
            {
                "Effect": effect,
                "Principal": {"AWS": list(principals)},
                "Action": "dynamodb:GetItem",
                "Resource": TABLE_ARN,
            }
        ),
    )


TABLE_ROWS = [
    ("same account: table policy names the user", table_policy(ALICE), (), ALICE, ACCOUNT, True),
    ("same account: identity policy alone", table_policy(BOB), (TABLE_IAM_ALICE,), ALICE, ACCOUNT, True),
    ("same account: table policy names the account, no identity policy", table_policy(ROOT), (), ALICE, ACCOUNT, False),
    (
        "same account: table policy names the account, identity allows",
        table_policy(ROOT),
        (TABLE_IAM_ALICE,),
        ALICE,
        ACCOUNT,
        True,
    ),
    (
        "same account: a table policy Deny beats an identity Allow",
        table_policy(ALICE, effect="Deny"),
        (TABLE_IAM_ALICE,),
        ALICE,
        ACCOUNT,
        False,
    ),
    ("same account: neither", table_policy(BOB), (), ALICE, ACCOUNT, False),
    (
        "cross account: table policy names the user and identity allows",
        table_policy(BOB),
        (TABLE_IAM_BOB,),
        BOB,
        OTHER,
        True,
    ),
    ("cross account: table policy names the user, no identity policy", table_policy(BOB), (), BOB, OTHER, False),
    ("cross account: identity policy alone", table_policy(ALICE), (TABLE_IAM_BOB,), BOB, OTHER, False),
    (
        "cross account: table policy names the account and identity allows",
        table_policy(OTHER_ROOT),
        (TABLE_IAM_BOB,),
        BOB,
        OTHER,
        True,
    ),
]


@pytest.mark.parametrize(
    ("name", "policy", "identity", "principal", "account", "allowed"), TABLE_ROWS, ids=[r[0] for r in TABLE_ROWS]
)
def test_table_resource_policies(
    name: str, policy: NamedPolicy, identity: tuple[NamedPolicy, ...], principal: str, account: str, allowed: bool
) -> None:
    request = Request(principal, "dynamodb:GetItem", TABLE_ARN, account, resource_account=ACCOUNT)
    decision = authorize_resource(request, policy, identity, kind=evaluator.TABLE_POLICY)
    assert decision.allowed is allowed, decision.reason


def test_cross_account_role_assumption_needs_the_trust_policy_and_an_identity_policy() -> None:
    request = Request(BOB, "sts:AssumeRole", ROLE, OTHER, resource_account=ACCOUNT)
    trust = NamedPolicy(
        "trust policy of role Reader",
        doc({"Effect": "Allow", "Principal": {"AWS": OTHER_ROOT}, "Action": "sts:AssumeRole"}),
    )
    bob_assume = iam("Bob/assume", allow(action="sts:AssumeRole", Resource=ROLE))
    assert authorize_resource(request, trust, (bob_assume,)).allowed
    assert not authorize_resource(request, trust).allowed
