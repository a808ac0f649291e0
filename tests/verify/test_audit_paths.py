"""The audit on every path, every principal form, and who can become whom: pure, snapshots in, findings out.

Each test is a way an attacker (or a mistake) reaches the data that the item-only audit missed; the
rules' sources are in access/operations.py and verify/audit/judge.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from access.documents import NamedPolicy
from access.evaluator import Grant
from access.operations import Path
from tests.verify.test_audit_judge import (
    ACCOUNT,
    ADMIN,
    CONTEXT,
    DEPLOYER,
    INTENT,
    OTHER,
    READER,
    READS,
    TABLE_ARN,
    allow,
    failed,
    principal,
    row_of,
    snapshot,
)
from verify.audit.judge import audit_findings, judge
from verify.audit.model import AccountSnapshot, Intent, KeyGrant, Principal
from verify.report_sarif import FINGERPRINT, as_sarif, automation_id, fingerprint
from verify.rules import rule_for

STREAM_ARN = f"{TABLE_ARN}/stream/2026-12-06T00:00:00.000"
STREAM_READ = allow(["dynamodb:GetShardIterator", "dynamodb:GetRecords", "dynamodb:DescribeStream"], f"{TABLE_ARN}/*")
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
MIDDLE = f"arn:aws:iam::{ACCOUNT}:role/Middle"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Other/sneaky"


def trusting(arn: str, *policies: NamedPolicy, trusted: Any = ROOT) -> Principal:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}],
    }
    return replace(principal(arn, *policies), trust_policy=trust)


def granted(arn: str) -> KeyGrant:
    return KeyGrant(Grant("g-" + arn.rsplit("/", 1)[-1], arn, ("Decrypt",), {"EncryptionContextSubset": CONTEXT}))


def findings_of(account: AccountSnapshot, intent: Intent = INTENT) -> list[Any]:
    return audit_findings(account, intent, judge(account, intent))


def only(findings: list[Any], check: str) -> Any:
    (found,) = [f for f in findings if f.check == check]
    return found


# -- the stream -----------------------------------------------------------------------------------------


def test_an_undeclared_stream_consumer_without_key_rights_is_a_possible_reader_labelled_as_such() -> None:
    account = replace(snapshot(principal(OTHER, STREAM_READ)), stream_arn=STREAM_ARN)
    row = row_of(judge(account, INTENT).rows, OTHER)
    (stream,) = list(row.open_paths)
    assert (stream.path, stream.kms) == (Path.STREAM, None)
    assert "GetRecords needs no key right of the caller" in stream.assumed
    finding = only(findings_of(account), "audit.undeclared_stream")
    assert finding.seen.startswith(f"{OTHER} may read the table's stream")
    assert "upper bound" in finding.seen


def test_the_stream_needs_both_an_iterator_and_records() -> None:
    records_only = allow(["dynamodb:GetRecords"], f"{TABLE_ARN}/stream/*")
    account = replace(snapshot(principal(OTHER, records_only)), stream_arn=STREAM_ARN)
    assert "audit.undeclared_stream" not in failed(findings_of(account))


def test_no_stream_no_stream_path() -> None:
    account = snapshot(principal(OTHER, STREAM_READ))
    assert row_of(judge(account, INTENT).rows, OTHER).open_paths == ()


def test_a_healthy_stack_with_its_stream_on_passes_a_declared_reader_that_reads_the_stream_too() -> None:
    account = replace(snapshot(principal(READER, READS, STREAM_READ)), stream_arn=STREAM_ARN, grants=(granted(READER),))
    assert failed(findings_of(account)) == []
    row = row_of(judge(account, INTENT).rows, READER)
    assert {p.path for p in row.open_paths} == {Path.READ, Path.STREAM}


def test_a_stream_refusal_the_verifier_saw_settles_the_upper_bound_for_that_principal() -> None:
    account = replace(snapshot(principal(OTHER, STREAM_READ)), stream_arn=STREAM_ARN)
    seen = replace(INTENT, refused={(OTHER, Path.STREAM): "refused by KMS when probed"})
    assert "audit.undeclared_stream" not in failed(findings_of(account, seen))


# -- copies and the boundary ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "resource", "check"),
    [
        (["dynamodb:ExportTableToPointInTime"], TABLE_ARN, "audit.undeclared_export"),
        (["dynamodb:RestoreTableToPointInTime"], TABLE_ARN, "audit.undeclared_restore"),
        (["dynamodb:RestoreTableFromBackup"], f"{TABLE_ARN}/backup/*", "audit.undeclared_restore"),
        (["dynamodb:UpdateTable"], TABLE_ARN, "audit.undeclared_rekey"),
        (["dynamodb:EnableKinesisStreamingDestination"], TABLE_ARN, "audit.undeclared_kinesis"),
    ],
)
def test_an_undeclared_principal_that_can_take_the_data_out_is_a_finding_naming_path_and_statement(
    actions: list[str], resource: str, check: str
) -> None:
    account = snapshot(principal(OTHER, allow(actions, resource, Sid="TakeItOut")))
    finding = only(findings_of(account), check)
    assert OTHER in finding.seen
    assert "inline policy p statement TakeItOut" in finding.seen
    declared = replace(INTENT, paths={OTHER: frozenset(Path)})
    assert check not in failed(findings_of(account, declared))


def test_a_backup_alone_stays_under_the_key_and_is_shown_not_flagged() -> None:
    account = snapshot(principal(OTHER, allow(["dynamodb:CreateBackup"], TABLE_ARN)), principal(READER))
    row = row_of(judge(account, INTENT).rows, OTHER)
    assert [p.path for p in row.open_paths] == [Path.BACKUP]
    assert failed(findings_of(account)) == []


def test_an_index_read_is_a_read_of_the_table() -> None:
    index_reads = allow(["dynamodb:Query"], f"{TABLE_ARN}/index/byCustomer")
    account = replace(snapshot(principal(OTHER, index_reads), key_users=(OTHER,)), index_names=("byCustomer",))
    assert "audit.undeclared_reader" in failed(findings_of(account))


# -- principal forms ----------------------------------------------------------------------------------


def test_a_grant_to_a_session_of_an_undeclared_role_is_judged_as_that_role_and_named() -> None:
    account = snapshot(principal(OTHER, READS), grants=(granted(SESSION),))
    row = row_of(judge(account, INTENT).rows, OTHER)
    assert row.sessions == (SESSION,)
    assert f"as session {SESSION}" in row.kms_reason
    found = failed(findings_of(account))
    assert "audit.undeclared_reader" in found
    assert only(findings_of(account), "audit.undeclared_session").seen.startswith(f"grant g-sneaky to {SESSION}")


def test_a_key_policy_statement_naming_a_session_counts_like_a_grant() -> None:
    account = snapshot(principal(OTHER), key_users=(SESSION,))
    assert SESSION in only(findings_of(account), "audit.undeclared_session").seen


def test_a_session_of_a_role_that_does_not_exist_is_a_finding() -> None:
    ghost = f"arn:aws:sts::{ACCOUNT}:assumed-role/Ghost/nightly"
    account = snapshot(grants=(granted(ghost),))
    assert "audit.session_of_missing_role" in failed(findings_of(account))


def test_a_principal_the_audit_cannot_resolve_is_reported_never_dropped() -> None:
    account = snapshot()
    federated = {
        "Sid": "Federated",
        "Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    policy = {**account.key_policy, "Statement": [*account.key_policy["Statement"], federated]}
    finding = only(findings_of(replace(account, key_policy=policy)), "audit.unresolved_principal")
    assert "Federated principal cognito-identity.amazonaws.com" in finding.seen


# -- who can become a reader ---------------------------------------------------------------------------


def test_a_role_that_may_assume_a_declared_reader_is_a_finding_with_the_chain() -> None:
    assumer = allow(["sts:AssumeRole"], READER)
    account = snapshot(trusting(READER, READS), principal(OTHER, assumer), key_users=(READER,))
    judged = judge(account, INTENT)
    assert row_of(judged.rows, READER).assumable_by == ((OTHER, READER),)
    finding = only(audit_findings(account, INTENT, judged), "audit.can_become")
    assert f"{OTHER} may become {READER} ({OTHER} -> {READER}) and so reach read" in finding.seen


def test_becoming_a_reader_is_followed_through_other_roles() -> None:
    account = snapshot(
        trusting(READER, READS, trusted=MIDDLE),
        trusting(MIDDLE, allow(["sts:AssumeRole"], READER)),
        principal(OTHER, allow(["sts:AssumeRole"], MIDDLE)),
        key_users=(READER,),
    )
    chains = [f.seen for f in findings_of(account) if f.check == "audit.can_become"]
    assert any(f"({OTHER} -> {MIDDLE} -> {READER})" in seen for seen in chains)
    assert any(f"({MIDDLE} -> {READER})" in seen for seen in chains)


def test_becoming_two_readers_is_two_alerts_not_one() -> None:
    """Each finding names the role it becomes (its resource), so SARIF gives the two their own fingerprints:
    one fixed must not close, or hide, the other."""
    second = f"arn:aws:iam::{ACCOUNT}:role/SecondReader"
    account = snapshot(
        trusting(READER, READS),
        trusting(second, READS),
        principal(OTHER, allow(["sts:AssumeRole"])),
        key_users=(READER, second),
    )
    became = [f for f in findings_of(account) if f.check == "audit.can_become" and f.principal == OTHER]
    assert sorted(f.resource for f in became) == sorted([READER, second])
    sarif = as_sarif(became, automation=automation_id("stack"))
    fingerprints = [r["partialFingerprints"][FINGERPRINT] for r in sarif["runs"][0]["results"]]
    assert len(set(fingerprints)) == 2
    assert fingerprint(rule_for(became[0]), became[0]) != fingerprint(rule_for(became[1]), became[1])


def test_a_trust_policy_naming_a_principal_needs_no_identity_policy_of_it() -> None:
    account = snapshot(trusting(READER, READS, trusted=OTHER), principal(OTHER), key_users=(READER,))
    assert "audit.can_become" in failed(findings_of(account))


def test_a_declared_assumer_and_the_deployer_are_not_findings() -> None:
    assumer = allow(["sts:AssumeRole"], READER)
    account = snapshot(
        trusting(READER, READS), principal(OTHER, assumer), principal(DEPLOYER, assumer), key_users=(READER,)
    )
    declared = replace(INTENT, key_users={READER: "read", OTHER: "read"})
    assert "audit.can_become" not in failed(findings_of(account, declared))


def test_a_reader_role_that_trusts_anyone_is_a_finding() -> None:
    account = snapshot(trusting(READER, READS, trusted="*"), key_users=(READER,))
    assert "anyone (*)" in only(findings_of(account), "audit.reader_role_trust").seen


def test_a_role_that_cannot_reach_the_data_is_not_followed() -> None:
    account = snapshot(trusting(MIDDLE), principal(OTHER, allow(["sts:AssumeRole"], MIDDLE)))
    assert judge(account, INTENT).chains == {}


def test_who_may_become_a_key_administrator_may_move_the_boundary() -> None:
    account = snapshot(trusting(ADMIN), principal(OTHER, allow(["sts:AssumeRole"], ADMIN)), principal(READER))
    finding = only(findings_of(account), "audit.can_become")
    assert "reach the boundary: kms:PutKeyPolicy" in finding.seen


# -- unknown conditions widen, never narrow --------------------------------------------------------


def test_a_reader_behind_a_deny_the_audit_cannot_know_is_found_and_labelled() -> None:
    deny = NamedPolicy(
        "inline policy guard",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyFromTheVpc",
                    "Effect": "Deny",
                    "Action": "dynamodb:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
                }
            ],
        },
    )
    account = snapshot(principal(OTHER, READS, deny), key_users=(OTHER,))
    finding = only(findings_of(account), "audit.undeclared_reader")
    assert "unless inline policy guard statement OnlyFromTheVpc (if aws:SourceVpce) applies" in finding.seen


def test_a_deny_the_audit_can_know_still_closes_the_path() -> None:
    deny = NamedPolicy(
        "inline policy guard",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}]},
    )
    account = snapshot(principal(OTHER, READS, deny), key_users=(OTHER,))
    assert "audit.undeclared_reader" not in failed(findings_of(account))


# -- malformed documents ------------------------------------------------------------------------------


def test_a_document_aws_refuses_is_a_finding_naming_it_not_a_traceback() -> None:
    broken = NamedPolicy(
        "inline policy broken of role Other",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "dynamodb:GetItem",
                    "Resource": "*",
                    "Condition": {"StringEquals": ["not", "a", "map"]},
                }
            ],
        },
    )
    account = replace(snapshot(principal(OTHER, broken)), table_policy=[{"Effect": "Allow"}])  # type: ignore[arg-type]
    found = [f for f in findings_of(account) if f.check == "audit.malformed_document"]
    assert {f.seen.split(" is a document")[0] for f in found} == {
        "inline policy broken of role Other",
        f"table resource policy of {TABLE_ARN}",
    }


# -- found by trying to break it (each failed before its fix) -------------------------------------------


def test_an_undeclared_principal_that_may_grant_itself_the_key_is_a_finding() -> None:
    sneak = allow(["kms:CreateGrant"], "*")
    account = snapshot(principal(OTHER, READS, sneak), principal(READER))
    finding = only(findings_of(account), "audit.undeclared_boundary")
    assert finding.seen.startswith(f"{OTHER} may change the boundary (kms:CreateGrant)")


def test_a_principal_that_may_rewrite_its_own_policy_may_change_the_boundary() -> None:
    account = snapshot(principal(OTHER, allow(["iam:PutRolePolicy"], OTHER)), principal(READER))
    assert "iam:PutRolePolicy on itself" in only(findings_of(account), "audit.undeclared_boundary").seen


def test_a_session_named_in_the_table_policy_passes_iam_as_its_role() -> None:
    batch = f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/batch"
    table_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": batch}, "Action": "dynamodb:PutItem", "Resource": "*"}],
    }
    account = replace(
        snapshot(principal(READER, READS), key_users=(READER,)), table_policy=table_policy, grants=(granted(READER),)
    )
    row = row_of(judge(account, INTENT).rows, READER)
    assert f"as session {batch}" in next(p for p in row.paths if p.path is Path.WRITE).reason
    assert "audit.writer_declared_as_reader" in failed(findings_of(account))


def test_a_trust_policy_naming_a_session_of_another_role_lets_that_role_become_it() -> None:
    account = snapshot(
        trusting(READER, READS, trusted=f"arn:aws:sts::{ACCOUNT}:assumed-role/Other/s1"),
        principal(OTHER),
        key_users=(READER,),
    )
    assert f"{OTHER} may become {READER}" in only(findings_of(account), "audit.can_become").seen


def test_who_may_pass_a_reader_role_to_a_service_becomes_it() -> None:
    account = snapshot(
        trusting(READER, READS, trusted=None),
        principal(OTHER, allow(["iam:PassRole"], READER)),
        key_users=(READER,),
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    account = replace(
        account,
        principals=tuple(replace(p, trust_policy=trust) if p.arn == READER else p for p in account.principals),
    )
    found = findings_of(account)
    assert f"{OTHER} may become {READER}" in only(found, "audit.can_become").seen
    assert "service principal lambda.amazonaws.com with no condition" in only(found, "audit.reader_role_trust").seen


def test_a_wildcard_principal_kept_to_another_account_by_a_condition_is_another_account() -> None:
    account = snapshot(principal(READER))
    elsewhere = {
        "Sid": "Partner",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "444455556666"}},
    }
    ours = {**elsewhere, "Sid": "Ours", "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}}
    policy = {**account.key_policy, "Statement": [*account.key_policy["Statement"], elsewhere, ours]}
    found = [f.seen for f in findings_of(replace(account, key_policy=policy)) if f.check == "audit.other_account"]
    assert found == [
        "key policy statement Partner lets only account 444455556666 in ('*' or NotPrincipal, no condition keeping "
        "it to this account): their own IAM decides which of their principals read this table"
    ]


def test_a_policy_variable_the_audit_cannot_resolve_widens_an_allow() -> None:
    tagged = NamedPolicy(
        "inline policy p",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ByTag",
                    "Effect": "Allow",
                    "Action": "dynamodb:GetItem",
                    "Resource": "arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/table}",
                },
                {
                    "Sid": "KeyByTag",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:EncryptionContext:aws:dynamodb:tableName": "${aws:PrincipalTag/table}"}
                    },
                },
            ],
        },
    )
    account = snapshot(principal(OTHER, tagged), principal(READER))
    finding = only(findings_of(account), "audit.undeclared_reader")
    assert "ByTag (if ${aws:PrincipalTag/table})" in finding.seen
    assert "KeyByTag (if ${aws:PrincipalTag/table})" in finding.seen


def test_an_operator_the_audit_does_not_evaluate_is_taken_as_met_in_an_allow() -> None:
    odd = allow(["dynamodb:GetItem"], TABLE_ARN, Sid="Odd", Condition={"StringEqualsAnyCase": {"aws:username": "x"}})
    account = snapshot(principal(OTHER, odd), principal(READER), key_users=(OTHER,))
    assert (
        "Odd (if StringEqualsAnyCase (an operator the audit does not evaluate))"
        in only(findings_of(account), "audit.undeclared_reader").seen
    )


def test_a_stream_policy_of_its_own_lets_a_consumer_in() -> None:
    stream_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "Action": ["dynamodb:GetShardIterator", "dynamodb:GetRecords"],
                "Resource": STREAM_ARN,
            }
        ],
    }
    account = replace(snapshot(principal(OTHER), principal(READER)), stream_arn=STREAM_ARN, stream_policy=stream_policy)
    assert "stream resource policy" in only(findings_of(account), "audit.undeclared_stream").seen


def test_aws_backup_restores_are_on_the_restore_path() -> None:
    account = snapshot(principal(OTHER, allow(["dynamodb:RestoreTableFromAwsBackup"], TABLE_ARN)), principal(READER))
    assert "RestoreTableFromAwsBackup" in only(findings_of(account), "audit.undeclared_restore").seen


def test_a_trust_policy_with_notprincipal_lets_everyone_else_become_the_reader() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": MIDDLE}, "Action": "sts:AssumeRole"}],
    }
    account = snapshot(principal(READER, READS), principal(OTHER), key_users=(READER,))
    account = replace(
        account,
        principals=tuple(replace(p, trust_policy=trust) if p.arn == READER else p for p in account.principals),
    )
    found = findings_of(account)
    assert any(f"{OTHER} may become {READER}" in f.seen for f in found if f.check == "audit.can_become")
    assert "lets anyone but those it names" in only(found, "audit.reader_role_trust").seen


def test_a_set_aside_deny_leaves_the_other_statements_labels_as_written() -> None:
    guarded = NamedPolicy(
        "inline policy p",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                },
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN},
            ],
        },
    )
    account = snapshot(principal(OTHER, guarded), principal(READER), key_users=(OTHER,))
    seen = only(findings_of(account), "audit.undeclared_reader").seen
    assert "GetItem allowed by inline policy p statement #2" in seen
    assert "unless inline policy p statement #1 (if aws:SourceIp) applies" in seen
