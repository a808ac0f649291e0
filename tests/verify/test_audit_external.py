"""The audit and readers in other accounts (issue 19): a principal the stack declares in externalPrincipals is
an expected reader, as declared; every other account (and a declared reader let write) is still a finding,
and the rows list who of other accounts is let in, by which statements and grants."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from access.evaluator import Grant
from access.kms_dynamodb import KEY_READ_ACTIONS, KEY_USER_ACTIONS, dynamodb_via_service
from stack import outputs as contract
from tests.verify.test_audit_judge import CONTEXT, INTENT, READER, READS, REGION, principal, snapshot
from tests.verify.test_bad_input import GOOD
from verify.audit.judge import audit_findings, external_rows, judge
from verify.audit.model import AccountSnapshot, Intent, KeyGrant
from verify.audit.report import as_external_matrix, external_rows_as_json
from verify.inputs import parse_outputs

CONSUMER = "444455556666"
PARTNER = f"arn:aws:iam::{CONSUMER}:role/external-reader"
STRANGER = "arn:aws:iam::999999999999:role/stranger"


def table_policy(who: str, actions: list[str], sid: str = "ExternalRead") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Principal": {"AWS": who}, "Action": actions, "Resource": "*"}],
    }


def with_external(account: AccountSnapshot, who: str, key_actions: tuple[str, ...]) -> AccountSnapshot:
    """The stack's two sides for `who`: a key policy statement through DynamoDB, a table policy statement."""
    statement = {
        "Sid": "ExternalKeyUse",
        "Effect": "Allow",
        "Principal": {"AWS": who},
        "Action": list(key_actions),
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": dynamodb_via_service(REGION)}},
    }
    key_policy = {**account.key_policy, "Statement": [*account.key_policy["Statement"], statement]}
    return replace(account, key_policy=key_policy, table_policy=table_policy(who, ["dynamodb:GetItem"]))


def other_account(account: AccountSnapshot, intent: Intent) -> list[str]:
    return [f.seen for f in audit_findings(account, intent, judge(account, intent)) if f.check == "audit.other_account"]


def declaring(*entries: tuple[str, str]) -> Intent:
    return replace(INTENT, external=dict(entries))


def test_a_declared_external_reader_is_no_finding_and_an_undeclared_one_is() -> None:
    account = with_external(snapshot(principal(READER, READS)), PARTNER, KEY_READ_ACTIONS)
    assert other_account(account, declaring((PARTNER, "read"))) == []
    undeclared = other_account(account, INTENT)
    assert len(undeclared) == 2, undeclared
    assert all(f"account {CONSUMER}" in seen for seen in undeclared)


def test_declaring_one_principal_of_an_account_does_not_declare_the_account() -> None:
    account = with_external(snapshot(principal(READER, READS)), f"arn:aws:iam::{CONSUMER}:root", KEY_READ_ACTIONS)
    assert len(other_account(account, declaring((PARTNER, "read")))) == 2
    # ... while declaring the account (allowExternalAccounts) lets it in, named as a bare id or its root.
    assert other_account(account, declaring((f"arn:aws:iam::{CONSUMER}:root", "read"))) == []
    bare = replace(account, table_policy=table_policy(CONSUMER, ["dynamodb:GetItem"]))
    assert other_account(bare, declaring((f"arn:aws:iam::{CONSUMER}:root", "read"))) == []


def test_an_undeclared_account_beside_a_declared_one_is_still_a_finding() -> None:
    account = with_external(snapshot(principal(READER, READS)), PARTNER, KEY_READ_ACTIONS)
    grant = KeyGrant(Grant("g-s", STRANGER, ("Decrypt",), {"EncryptionContextSubset": CONTEXT}))
    seen = other_account(replace(account, grants=(grant,)), declaring((PARTNER, "read")))
    assert seen == [f"grant g-s to {STRANGER}: the grantee is of account 999999999999"]


def test_a_declared_reader_let_write_is_a_finding_naming_the_writes() -> None:
    writer_key = with_external(snapshot(principal(READER, READS)), PARTNER, KEY_USER_ACTIONS)
    seen = other_account(writer_key, declaring((PARTNER, "read")))
    assert len(seen) == 1, seen
    assert "key policy statement ExternalKeyUse lets " + PARTNER + ", a declared external reader, write" in seen[0]
    assert "kms:Encrypt" in seen[0]
    assert other_account(writer_key, declaring((PARTNER, "read-write"))) == [], "declared read-write: as declared"
    writer_table = replace(
        with_external(snapshot(principal(READER, READS)), PARTNER, KEY_READ_ACTIONS),
        table_policy=table_policy(PARTNER, ["dynamodb:GetItem", "dynamodb:PutItem"]),
    )
    seen = other_account(writer_table, declaring((PARTNER, "read")))
    assert len(seen) == 1, seen
    assert "dynamodb:PutItem" in seen[0]
    grant = KeyGrant(Grant("g-w", PARTNER, ("Decrypt", "GenerateDataKey"), {"EncryptionContextSubset": CONTEXT}))
    seen = other_account(replace(snapshot(principal(READER, READS)), grants=(grant,)), declaring((PARTNER, "read")))
    assert seen == [f"grant g-w to {PARTNER} lets {PARTNER}, a declared external reader, write: GenerateDataKey"]


def test_rows_list_external_principals_with_their_account_and_what_lets_them_in() -> None:
    account = with_external(snapshot(principal(READER, READS)), PARTNER, KEY_READ_ACTIONS)
    grant = KeyGrant(Grant("g-s", STRANGER, ("Decrypt",), {"EncryptionContextSubset": CONTEXT}))
    rows = external_rows(replace(account, grants=(grant,)), declaring((PARTNER, "read")))
    assert [(r.principal, r.account, r.region, r.declared_access, r.let_in_by) for r in rows] == [
        (
            PARTNER,
            CONSUMER,
            REGION,
            "read",
            ("key policy statement ExternalKeyUse", "table resource policy statement ExternalRead"),
        ),
        (STRANGER, "999999999999", REGION, "", ("grant g-s",)),
    ]
    matrix = as_external_matrix(rows)
    assert "undeclared" in matrix.splitlines()[-1]
    assert "key policy statement ExternalKeyUse, table resource policy statement ExternalRead" in matrix
    assert json.loads(json.dumps(external_rows_as_json(rows)))[1]["let_in_by"] == ["grant g-s"]


def test_the_outputs_declare_the_external_principals_to_the_audit() -> None:
    entry = {
        contract.EXTERNAL_PRINCIPAL: PARTNER,
        contract.EXTERNAL_ACCOUNT: CONSUMER,
        contract.EXTERNAL_ACCESS: "read-write",
        contract.EXTERNAL_KEY_ACCESS: "grant",
        contract.EXTERNAL_STREAM: False,
        contract.EXTERNAL_EXPECTED_ACCESS: "read",
    }
    assert parse_outputs(GOOD | {contract.EXTERNAL_PRINCIPALS: [entry]}).intent.external == {PARTNER: "read-write"}
