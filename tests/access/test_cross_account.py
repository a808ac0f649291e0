"""What AWS lets a principal of another account do, whatever the policies say, row by row.

Sources, cited per row:
- PERMISSIONS: the KMS permissions table, column "Cross-account use"
  (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html), and the
  "Cross-account use" paragraph of each operation's KMS API reference page (API_<Operation>.html).
- EXTERNAL: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
  ("granting kms:ScheduleKeyDeletion permission on a KMS key in a key policy" to another account's
  principal has no effect).
- GRANTS: https://docs.aws.amazon.com/kms/latest/developerguide/grants.html (a grant needs no identity policy).
- IAM_CROSS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
  ("you must explicitly allow access in both the identity and resource policies").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from access.cross_account import KMS_CROSS_ACCOUNT, KMS_CROSS_ACCOUNT_ACTIONS
from access.documents import NamedPolicy
from access.evaluator import (
    NO_RESOURCE_POLICY_ACROSS_ACCOUNTS,
    TABLE_POLICY,
    Grant,
    Request,
    authorize_identity,
    authorize_kms,
    authorize_resource,
    plain_authorize_identity,
    plain_authorize_kms,
)

PERMISSIONS = "kms-api-permissions-reference.html, Cross-account use"
EXTERNAL = "key-policy-modifying-external-accounts.html"
GRANTS = "grants.html"
IAM_CROSS = "reference_policies_evaluation-logic-cross-account.html"

OWNER = "111122223333"
CONSUMER = "444455556666"
KEY = f"arn:aws:kms:us-west-2:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TABLE = f"arn:aws:dynamodb:us-west-2:{OWNER}:table/orders"
READER = f"arn:aws:iam::{CONSUMER}:role/external-reader"
READER_SESSION = f"arn:aws:sts::{CONSUMER}:assumed-role/external-reader/probe"
LOCAL = f"arn:aws:iam::{OWNER}:role/local-reader"


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# The key policy lets the reader do anything with the key, and so does its own account's identity policy:
# only the cross-account rule can refuse.
EVERYTHING_KEY_POLICY = document(
    {
        "Sid": "Owner",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
        "Action": "kms:*",
        "Resource": "*",
    },
    {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": [READER, LOCAL]}, "Action": "kms:*", "Resource": "*"},
)
EVERYTHING_IDENTITY = (
    NamedPolicy("consumer policy", document({"Effect": "Allow", "Action": "kms:*", "Resource": KEY})),
)


def kms_request(action: str, principal: str = READER, *, caller: str = "") -> Request:
    account = principal.split(":")[4]
    return Request(principal, action, KEY, account, caller_arn=caller, resource_account=OWNER)


@dataclass(frozen=True)
class Row:
    action: str
    across_accounts: bool
    source: str


ROWS = [
    Row("kms:Decrypt", True, f"{PERMISSIONS}; API_Decrypt"),
    Row("kms:Encrypt", True, f"{PERMISSIONS}; API_Encrypt"),
    Row("kms:GenerateDataKey", True, f"{PERMISSIONS}; API_GenerateDataKey"),
    Row("kms:GenerateDataKeyWithoutPlaintext", True, f"{PERMISSIONS}; API_GenerateDataKeyWithoutPlaintext"),
    Row("kms:ReEncryptFrom", True, f"{PERMISSIONS}; API_ReEncrypt"),
    Row("kms:ReEncryptTo", True, f"{PERMISSIONS}; API_ReEncrypt"),
    Row("kms:DescribeKey", True, f"{PERMISSIONS}; API_DescribeKey"),
    Row("kms:CreateGrant", True, f"{PERMISSIONS}; API_CreateGrant"),
    Row("kms:RevokeGrant", True, f"{PERMISSIONS}; API_RevokeGrant"),
    Row("kms:Sign", True, f"{PERMISSIONS}; API_Sign"),
    Row("kms:GetPublicKey", True, f"{PERMISSIONS}; API_GetPublicKey"),
    Row("KMS:decrypt", True, "action names ignore case (IAM policy grammar, Action element)"),
    Row("kms:ScheduleKeyDeletion", False, f"{EXTERNAL}; {PERMISSIONS}; API_ScheduleKeyDeletion"),
    Row("kms:PutKeyPolicy", False, f"{PERMISSIONS}; API_PutKeyPolicy"),
    Row("kms:GetKeyPolicy", False, f"{PERMISSIONS}; API_GetKeyPolicy"),
    Row("kms:TagResource", False, f"{PERMISSIONS}; API_TagResource"),
    Row("kms:DisableKey", False, f"{PERMISSIONS}; API_DisableKey"),
    Row("kms:EnableKeyRotation", False, f"{PERMISSIONS}; API_EnableKeyRotation"),
    Row("kms:CancelKeyDeletion", False, f"{PERMISSIONS}; API_CancelKeyDeletion"),
    Row("kms:UpdateKeyDescription", False, f"{PERMISSIONS}; API_UpdateKeyDescription"),
]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.action} ({r.source})" for r in ROWS])
def test_only_the_operations_kms_performs_across_accounts_are_allowed_to_another_account(row: Row) -> None:
    for authorize in (authorize_kms, plain_authorize_kms):
        decision = authorize(kms_request(row.action), EVERYTHING_KEY_POLICY, EVERYTHING_IDENTITY)
        assert decision.allowed is row.across_accounts, (row, decision.reason)
        if not row.across_accounts:
            assert decision.source == ""
            assert decision.statement is None
            assert "Cross-account use" in decision.reason
            assert row.action in decision.reason


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.action} ({r.source})" for r in ROWS])
def test_in_the_key_s_own_account_the_same_operations_are_unaffected(row: Row) -> None:
    decision = authorize_kms(kms_request(row.action, LOCAL), EVERYTHING_KEY_POLICY, EVERYTHING_IDENTITY)
    assert decision.allowed, decision.reason


def test_a_session_of_another_account_s_role_is_refused_like_the_role() -> None:
    request = kms_request("kms:ScheduleKeyDeletion", caller=READER_SESSION)
    decision = authorize_kms(request, EVERYTHING_KEY_POLICY, EVERYTHING_IDENTITY)
    assert not decision.allowed
    assert READER_SESSION in decision.reason


def test_an_explicit_deny_still_names_its_statement() -> None:
    denying = document(
        *EVERYTHING_KEY_POLICY["Statement"],
        {"Sid": "NoDeletion", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
    )
    decision = authorize_kms(kms_request("kms:ScheduleKeyDeletion"), denying, EVERYTHING_IDENTITY)
    assert not decision.allowed
    assert decision.reason.startswith("denied explicitly by key policy statement NoDeletion")


# -- grants: "whatever the key policy and grants say" (GRANTS; PERMISSIONS) ----------------------------------

KEY_POLICY_OF_OWNER_ONLY = document(EVERYTHING_KEY_POLICY["Statement"][0])


@dataclass(frozen=True)
class GrantRow:
    name: str
    operations: tuple[str, ...]
    action: str
    allowed: bool
    source: str


GRANT_ROWS = [
    GrantRow("a grant for Decrypt, across accounts", ("Decrypt",), "kms:Decrypt", True, f"{GRANTS}; {PERMISSIONS}"),
    GrantRow("a grant for CreateGrant, across accounts", ("CreateGrant",), "kms:CreateGrant", True, PERMISSIONS),
    # CreateGrant refuses such an operation (grants.html, grant operations); the rule holds even were one given.
    GrantRow(
        "a grant naming ScheduleKeyDeletion, across accounts",
        ("ScheduleKeyDeletion",),
        "kms:ScheduleKeyDeletion",
        False,
        f"{PERMISSIONS}; API_ScheduleKeyDeletion",
    ),
]


@pytest.mark.parametrize("row", GRANT_ROWS, ids=[r.name for r in GRANT_ROWS])
def test_a_grant_to_another_account_s_principal(row: GrantRow) -> None:
    grant = Grant("g-1", READER, row.operations)
    for authorize in (authorize_kms, plain_authorize_kms):
        # No identity policy at all: a grant needs none (GRANTS).
        decision = authorize(kms_request(row.action), KEY_POLICY_OF_OWNER_ONLY, (), (grant,))
        assert decision.allowed is row.allowed, decision.reason
        assert decision.source == ("grant g-1" if row.allowed else "")


def test_the_list_is_what_the_pages_mark_yes() -> None:
    """Spot checks of the list itself against the pages (PERMISSIONS): each "Yes", and some "No"."""
    assert {
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:DescribeKey",
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:RetireGrant",
        "kms:RevokeGrant",
        "kms:GetPublicKey",
        "kms:GetKeyRotationStatus",
        "kms:Sign",
        "kms:Verify",
        "kms:GenerateMac",
        "kms:VerifyMac",
        "kms:DeriveSharedSecret",
    } <= KMS_CROSS_ACCOUNT_ACTIONS
    for never in ("kms:ListKeys", "kms:ListAliases", "kms:CreateAlias", "kms:GenerateRandom", "kms:ReplicateKey"):
        assert not KMS_CROSS_ACCOUNT.allows(never), never
    assert not KMS_CROSS_ACCOUNT.allows(5)  # not an action at all


def test_other_kinds_of_resource_policy_have_no_kms_list() -> None:
    """A DynamoDB table policy across accounts is judged by its statements: the KMS list is the key's alone."""
    table_policy = NamedPolicy(
        "table resource policy",
        document({"Effect": "Allow", "Principal": {"AWS": READER}, "Action": "dynamodb:*", "Resource": TABLE}),
    )
    identity = (
        NamedPolicy("consumer policy", document({"Effect": "Allow", "Action": "dynamodb:*", "Resource": TABLE})),
    )
    request = Request(READER, "dynamodb:GetItem", TABLE, CONSUMER, resource_account=OWNER)
    assert authorize_resource(request, table_policy, identity, kind=TABLE_POLICY).allowed


# -- a resource of another account with no resource policy (IAM_CROSS) ---------------------------------------------

STAR_IDENTITY = (NamedPolicy("consumer admin", document({"Effect": "Allow", "Action": "*", "Resource": "*"})),)


@dataclass(frozen=True)
class NoPolicyRow:
    name: str
    request: Request
    allowed: bool
    source: str


NO_POLICY_ROWS = [
    NoPolicyRow(
        "a table of another account, no table policy, identity policy '*'",
        Request(READER, "dynamodb:GetItem", TABLE, CONSUMER, resource_account=OWNER),
        False,
        IAM_CROSS,
    ),
    NoPolicyRow(
        "the same, as the role's session",
        Request(READER, "dynamodb:Query", TABLE, CONSUMER, caller_arn=READER_SESSION, resource_account=OWNER),
        False,
        IAM_CROSS,
    ),
    NoPolicyRow(
        "a table of the caller's own account, identity policy '*'",
        Request(LOCAL, "dynamodb:GetItem", TABLE, OWNER, resource_account=OWNER),
        True,
        "reference_policies_evaluation-logic.html (same account: identity policy suffices)",
    ),
    NoPolicyRow(
        "no resource_account given: the caller's own account",
        Request(LOCAL, "dynamodb:GetItem", TABLE, OWNER),
        True,
        "reference_policies_evaluation-logic.html",
    ),
]


@pytest.mark.parametrize("row", NO_POLICY_ROWS, ids=[f"{r.name} ({r.source})" for r in NO_POLICY_ROWS])
def test_identity_policies_alone_never_reach_another_account(row: NoPolicyRow) -> None:
    for authorize in (authorize_identity, plain_authorize_identity):
        decision = authorize(row.request, STAR_IDENTITY)
        assert decision.allowed is row.allowed, decision.reason
        if not row.allowed:
            assert decision.source == ""
            assert NO_RESOURCE_POLICY_ACROSS_ACCOUNTS in decision.reason
            assert row.request.shown_caller in decision.reason


def test_an_explicit_deny_across_accounts_is_still_named() -> None:
    denying = (
        *STAR_IDENTITY,
        NamedPolicy(
            "guard", document({"Sid": "NoReads", "Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"})
        ),
    )
    decision = authorize_identity(Request(READER, "dynamodb:GetItem", TABLE, CONSUMER, resource_account=OWNER), denying)
    assert not decision.allowed
    assert decision.reason == "denied explicitly by guard statement NoReads"
