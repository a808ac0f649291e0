"""Red-team findings on readers in other accounts (issue 19), verifier and audit side: each test failed before
its fix.

1. A declared external principal let change the boundary: AWS serves UpdateTable across accounts through the
   table's resource policy (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-iam-actions.html,
   "Control plane API operations": UpdateTable, cross-account support Yes), and UpdateTable's SSESpecification
   moves the table to another key or to the AWS-owned key (then IAM alone decides who reads); KMS performs
   CreateGrant on a key of another account (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html,
   "Cross-account use"), and a grant lets in whoever it names. Declaring a reader, or a writer, declares
   neither; the audit passed both.
"""

from __future__ import annotations

from dataclasses import replace

from access.evaluator import Grant
from access.kms_dynamodb import KEY_READ_ACTIONS, KEY_USER_ACTIONS
from tests.verify.test_audit_external import PARTNER, declaring, other_account, table_policy, with_external
from tests.verify.test_audit_judge import CONTEXT, READER, READS, principal, snapshot
from verify.audit.model import KeyGrant


def test_a_declared_external_principal_let_update_the_table_is_a_finding_whatever_its_access() -> None:
    account = replace(
        with_external(snapshot(principal(READER, READS)), PARTNER, KEY_READ_ACTIONS),
        table_policy=table_policy(PARTNER, ["dynamodb:GetItem", "dynamodb:UpdateTable"]),
    )
    for access in ("read", "read-write"):
        seen = other_account(account, declaring((PARTNER, access)))
        assert len(seen) == 1, (access, seen)
        assert f"lets {PARTNER}, a declared external principal, change the boundary: dynamodb:UpdateTable" in seen[0]
    # Put/DeleteResourcePolicy are not served across accounts (the same page): named there, they are no way in.
    inert = replace(account, table_policy=table_policy(PARTNER, ["dynamodb:GetItem", "dynamodb:PutResourcePolicy"]))
    assert other_account(inert, declaring((PARTNER, "read"))) == []


def test_a_declared_external_principal_let_create_grants_is_a_finding_whatever_its_access() -> None:
    key_policy = with_external(snapshot(principal(READER, READS)), PARTNER, (*KEY_READ_ACTIONS, "kms:CreateGrant"))
    for access in ("read", "read-write"):
        seen = other_account(key_policy, declaring((PARTNER, access)))
        assert len(seen) == 1, seen
        assert "key policy statement ExternalKeyUse" in seen[0]
        assert "change the boundary: kms:CreateGrant" in seen[0]
    # ScheduleKeyDeletion is never performed for another account (KMS's "Cross-account use": No).
    inert = with_external(snapshot(principal(READER, READS)), PARTNER, (*KEY_USER_ACTIONS, "kms:ScheduleKeyDeletion"))
    assert other_account(inert, declaring((PARTNER, "read-write"))) == []
    grant = KeyGrant(
        Grant("g-g", PARTNER, ("Decrypt", "GenerateDataKey", "CreateGrant"), {"EncryptionContextSubset": CONTEXT})
    )
    seen = other_account(
        replace(snapshot(principal(READER, READS)), grants=(grant,)), declaring((PARTNER, "read-write"))
    )
    assert seen == [
        f"grant g-g to {PARTNER} lets {PARTNER}, a declared external principal, change the boundary: CreateGrant"
    ]
