"""The audit's judge, without AWS: snapshots in, rows and findings out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from access.documents import NamedPolicy
from access.evaluator import Grant
from components.policy_builders import build_key_policy
from verify.audit.judge import _verdict, audit_findings, judge, judge_access
from verify.audit.model import AccountSnapshot, Intent, KeyGrant, Principal, Role, Verdict
from verify.findings import Status
from verify.permissions import verifier_policy

ACCOUNT = "111122223333"
REGION = "eu-west-1"
TABLE = "orders"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/Deployer"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"
READER = f"arn:aws:iam::{ACCOUNT}:role/Reader"
OTHER = f"arn:aws:iam::{ACCOUNT}:role/Other"
TABLE_KEY = "aws:dynamodb:tableName"
CONTEXT = {TABLE_KEY: TABLE, "aws:dynamodb:subscriberId": ACCOUNT}


def allow(actions: list[str], resource: str = "*", **extra: Any) -> NamedPolicy:
    return NamedPolicy(
        "inline policy p",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource, **extra}]},
    )


READS = allow(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"], TABLE_ARN)
WRITES = allow(["dynamodb:PutItem"], TABLE_ARN)
ADMINISTRATOR = allow(["*"])


def principal(arn: str, *policies: NamedPolicy) -> Principal:
    return Principal(arn, "role", arn.rsplit("/", 1)[-1], "AROA" + "X" * 17, policies)


def snapshot(
    *principals: Principal, grants: tuple[KeyGrant, ...] = (), key_users: tuple[str, ...] = ()
) -> AccountSnapshot:
    """An account with the deployer and the key administrator (no rights) and the given principals."""
    present = {p.arn for p in principals}
    everyone = (*principals, *[principal(arn) for arn in (DEPLOYER, ADMIN) if arn not in present])
    policy = build_key_policy(
        partition="aws",
        account_id=ACCOUNT,
        region=REGION,
        admin_arns=[ADMIN],
        key_user_arns=list(key_users),
        deployer_arn=DEPLOYER,
    )
    return AccountSnapshot(ACCOUNT, "aws", REGION, TABLE, TABLE_ARN, KEY_ARN, policy, grants, everyone)


INTENT = Intent(key_users={READER: "read"}, key_admins=(ADMIN, DEPLOYER), deployer=DEPLOYER, declared=True)


def row_of(rows: list[Any], arn: str) -> Any:
    return next(r for r in rows if r.principal == arn)


def failed(findings: list[Any]) -> list[str]:
    return [f.check for f in findings if f.status is Status.FAIL]


@pytest.mark.parametrize(
    ("read", "write", "decrypt", "verdict"),
    [
        (True, False, True, Verdict.PLAINTEXT_READER),
        (True, True, True, Verdict.PLAINTEXT_READER),
        (False, True, True, Verdict.WRITER),
        (True, False, False, Verdict.BLOCKED_BY_KMS),
        (False, True, False, Verdict.BLOCKED_BY_KMS),
        (False, False, True, Verdict.BLOCKED_BY_IAM),
        (False, False, False, Verdict.NO_ACCESS),
    ],
)
def test_two_layers_make_one_verdict(read: bool, write: bool, decrypt: bool, verdict: Verdict) -> None:
    assert _verdict(read, write, decrypt) is verdict


def test_the_walkthrough_before_and_after_the_grant() -> None:
    before = snapshot(principal(READER, READS))
    row = row_of(judge_access(before, INTENT), READER)
    assert (row.verdict, row.role) == (Verdict.BLOCKED_BY_KMS, Role.DECLARED)
    assert "no statement or grant allows kms:Decrypt" in row.kms_reason
    grant = KeyGrant(Grant("g-1", READER, ("Decrypt", "DescribeKey"), {"EncryptionContextSubset": CONTEXT}))
    after = replace(before, grants=(grant,))
    judged = judge(after, INTENT)
    rows = judged.rows
    assert row_of(rows, READER).verdict is Verdict.PLAINTEXT_READER
    assert row_of(rows, READER).kms_reason == "allowed by grant g-1"
    assert failed(audit_findings(after, INTENT, judged)) == []


def test_an_undeclared_reader_through_the_key_policy_is_named_with_its_statement() -> None:
    account = snapshot(principal(READER, READS), principal(OTHER, READS), key_users=(READER, OTHER))
    judged = judge(account, INTENT)
    findings = audit_findings(account, INTENT, judged)
    assert failed(findings) == ["audit.undeclared_reader"]
    (finding,) = [f for f in findings if f.status is Status.FAIL]
    assert finding.seen.startswith(f"{OTHER} is a plaintext reader, undeclared")
    assert "key policy statement AllowKeyUseThroughDynamoDB" in finding.seen


def test_a_key_administrator_with_broad_iam_rights_reads_through_the_delegation_and_is_flagged() -> None:
    account = snapshot(principal(ADMIN, ADMINISTRATOR), principal(DEPLOYER, ADMINISTRATOR))
    judged = judge(account, INTENT)
    rows = judged.rows
    assert row_of(rows, ADMIN).role is Role.KEY_ADMIN
    assert row_of(rows, DEPLOYER).role is Role.DEPLOYER
    assert row_of(rows, DEPLOYER).verdict is Verdict.PLAINTEXT_READER  # the deployer writes the canary
    # ... and is reported as what it is; an administrator reading the data is a finding, on every path
    # that hands plaintext out (re-keying is declared: it administers the key; the table has no stream).
    assert failed(audit_findings(account, INTENT, judged)) == [
        "audit.undeclared_reader",
        "audit.undeclared_export",
        "audit.undeclared_restore",
        "audit.undeclared_kinesis",
        "audit.declared_principal_missing",
    ]
    assert "kms:PutKeyPolicy" in row_of(rows, ADMIN).boundary


def test_a_reader_declared_read_that_may_write_is_flagged() -> None:
    account = snapshot(principal(READER, READS, WRITES), key_users=(READER,))
    judged = judge(account, INTENT)
    assert "audit.writer_declared_as_reader" in failed(audit_findings(account, INTENT, judged))


def test_without_declared_intent_every_reader_is_unexplained() -> None:
    account = snapshot(principal(READER, READS), key_users=(READER,))
    judged = judge(account, Intent())
    found = [f for f in audit_findings(account, Intent(), judged) if f.status is Status.FAIL]
    (finding,) = [f for f in found if f.check == "audit.undeclared_reader"]
    assert "not declared (the outputs carry no intent)" in finding.seen
    # ... and the key administrator, undeclared too, may move the boundary.
    assert {f.check for f in found} == {"audit.undeclared_reader", "audit.undeclared_boundary"}


@pytest.mark.parametrize(
    ("grant", "check"),
    [
        (Grant("g-open", OTHER, ("Decrypt",)), "audit.unconstrained_grant"),
        (
            Grant(
                "g-else", OTHER, ("Decrypt",), {"EncryptionContextSubset": {**CONTEXT, "aws:dynamodb:tableName": "x"}}
            ),
            "audit.unconstrained_grant",
        ),
        (
            Grant("g-gone", "AROAABCDEFGHIJKLMNOPQ", ("Decrypt",), {"EncryptionContextSubset": CONTEXT}),
            "audit.grant_to_missing_principal",
        ),
    ],
)
def test_grants_beyond_this_table_or_to_missing_principals_fail(grant: Grant, check: str) -> None:
    account = snapshot(principal(READER, READS), grants=(KeyGrant(grant),))
    assert check in failed(audit_findings(account, INTENT, judge(account, INTENT)))


def test_dynamodbs_own_grants_are_named_as_such() -> None:
    service = KeyGrant(
        Grant("g-ddb", f"dynamodb.{REGION}.amazonaws.com", ("Decrypt", "Encrypt"), {"EncryptionContextSubset": CONTEXT})
    )
    account = snapshot(principal(READER, READS), grants=(service,))
    findings = audit_findings(account, INTENT, judge(account, INTENT))
    assert failed(findings) == []
    assert any(f.check == "audit.dynamodb_grant" and "DynamoDB's own grant" in f.seen for f in findings)


def test_a_key_policy_naming_a_deleted_principal_fails() -> None:
    account = snapshot(principal(READER, READS))
    stale = {"Sid": "Stale", "Effect": "Allow", "Principal": {"AWS": "AROAABCDEFGHIJKLMNOPQ"}, "Action": "kms:Decrypt"}
    policy = {**account.key_policy, "Statement": [*account.key_policy["Statement"], {**stale, "Resource": "*"}]}
    changed = replace(account, key_policy=policy)
    findings = audit_findings(changed, INTENT, judge(changed, INTENT))
    assert "audit.key_policy_missing_principal" in failed(findings)
    assert any("statement Stale names AROAABCDEFGHIJKLMNOPQ" in f.seen for f in findings)


def test_the_verifier_is_not_flagged_for_its_own_policy_and_only_for_it() -> None:
    # The verdict must not depend on who runs the audit: the identity running it is exempt only when
    # the statements that let it read are the verifier's own policy for this stack (the canary's).
    own = verifier_policy(table_arn=TABLE_ARN, key_arn=KEY_ARN, region=REGION, account_id=ACCOUNT)
    verifier = f"arn:aws:iam::{ACCOUNT}:role/Verifier"
    intent = replace(INTENT, verifier=verifier, verifier_statements=tuple(own["Statement"]))
    narrow = snapshot(principal(verifier, NamedPolicy("inline policy verify", own)), principal(READER, READS))
    judged = judge(narrow, intent)
    rows = judged.rows
    assert row_of(rows, verifier).role is Role.VERIFIER
    assert row_of(rows, verifier).verdict is Verdict.PLAINTEXT_READER
    assert "audit.undeclared_reader" not in failed(audit_findings(narrow, intent, judged))
    # An administrator running it is flagged as any other undeclared reader would be.
    broad = snapshot(principal(verifier, ADMINISTRATOR), principal(READER, READS))
    assert "audit.undeclared_reader" in failed(audit_findings(broad, intent, judge(broad, intent)))


def test_a_principal_that_may_move_the_table_off_its_key_can_change_the_boundary() -> None:
    account = snapshot(principal(OTHER, allow(["dynamodb:UpdateTable"], TABLE_ARN)))
    assert "dynamodb:UpdateTable" in row_of(judge_access(account, INTENT), OTHER).boundary


def test_another_account_in_the_key_policy_a_grant_or_the_table_policy_fails_naming_it() -> None:
    account = snapshot(principal(READER, READS))
    other_root = "arn:aws:iam::999999999999:root"
    open_key = {
        **account.key_policy,
        "Statement": [
            *account.key_policy["Statement"],
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": other_root}, "Action": "kms:*", "Resource": "*"},
        ],
    }
    table_policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "dynamodb:*", "Resource": "*"}
        ]
    }
    grant = KeyGrant(
        Grant("g-x", "arn:aws:iam::888888888888:role/x", ("Decrypt",), {"EncryptionContextSubset": CONTEXT})
    )
    exposed = replace(account, key_policy=open_key, table_policy=table_policy, grants=(grant,))
    findings = [f for f in audit_findings(exposed, INTENT, judge(exposed, INTENT)) if f.check == "audit.other_account"]
    seen = " ".join(f.seen for f in findings)
    assert "key policy statement Partner lets account 999999999999 in" in seen
    assert "table resource policy statement #1 lets account 999999999999 in" in seen
    assert "grant g-x to arn:aws:iam::888888888888:role/x: the grantee is of account 888888888888" in seen


def test_the_key_policy_analyzer_exempts_only_the_keys_own_account() -> None:
    from access.analyzers import unscoped_key_use_statements

    foreign = {
        "Sid": "Partner",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    policy = {**snapshot().key_policy}
    policy["Statement"] = [*policy["Statement"], foreign]
    assert unscoped_key_use_statements(policy, ACCOUNT) == ["Partner"]
    assert unscoped_key_use_statements(policy) == ["EnableIamPolicies", "Partner"]  # two accounts: neither is home
    assert unscoped_key_use_statements(snapshot().key_policy) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}},
    ],
)
def test_a_reader_whose_access_hangs_on_a_condition_the_audit_cannot_know_is_a_possible_reader(
    condition: dict[str, Any],
) -> None:
    conditional = NamedPolicy(
        "inline policy mfa",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadWithMfa",
                    "Effect": "Allow",
                    "Action": ["dynamodb:*", "kms:*"],
                    "Resource": "*",
                    "Condition": condition,
                }
            ],
        },
    )
    account = snapshot(principal(OTHER, conditional))
    judged = judge(account, INTENT)
    rows = judged.rows
    assert row_of(rows, OTHER).verdict is Verdict.PLAINTEXT_READER
    (finding,) = [f for f in audit_findings(account, INTENT, judged) if f.check == "audit.undeclared_reader"]
    assert f"statement ReadWithMfa (if {next(iter(next(iter(condition.values()))))})" in finding.seen
