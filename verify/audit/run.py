"""The audit, end to end: collect the account, judge each principal, return rows and findings.

A global table is audited in every region: each replica's key policy, grants and table policy with
that region's clients, the account's principals (IAM is global) collected once.
"""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from access.arns import session_role_name
from verify.audit.collect import collect_principals, collect_snapshot
from verify.audit.judge import Judgement, audit_findings, external_rows, judge
from verify.audit.model import AccessRow, AccountSnapshot, ExternalRow, Intent, Principal
from verify.failures import error_code
from verify.findings import Finding
from verify.inputs import StackOutputs
from verify.permissions import policy_for
from verify.replicas import check_name
from verify.run import Aws

# About IAM alone, the same in every region: reported once, with the primary.
GLOBAL_FINDINGS = frozenset({"audit.declared_principal_missing"})
KEY_NOT_FOUND = frozenset({"NotFoundException", "NotFound"})


@dataclass(frozen=True)
class AuditResult:
    rows: list[AccessRow]
    findings: list[Finding]
    replica_rows: dict[str, list[AccessRow]] = field(default_factory=dict)  # region -> rows
    # Principals of other accounts let in, every region's (each row names its region).
    external: list[ExternalRow] = field(default_factory=list)


def verifier_identity(aws: Aws, principals: tuple[Principal, ...]) -> str:
    """The IAM identity running the audit (a role for an STS session), as the principals list names it."""
    caller = aws.sts().get_caller_identity()["Arn"]
    role = session_role_name(caller)
    if role is None:
        return caller
    return next((p.arn for p in principals if p.kind == "role" and p.name == role), caller)


def _judged(snapshot: AccountSnapshot, intent: Intent) -> tuple[Judgement, list[Finding]]:
    """Judge with CPython's cyclic collector paused: the collected account (every principal, policy and
    compiled document) stays alive throughout and is garbage-free, yet the collector rescans all of it,
    more often as the account grows (judgement grew 10-14x for 10x principals with it on, 7x paused;
    docs/performance.md). Reference counting still frees."""
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        judged = judge(snapshot, intent)
        return judged, audit_findings(snapshot, intent, judged)
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def run_audit(aws: Aws, want: StackOutputs) -> AuditResult:
    principals = collect_principals(aws.iam())
    intent = dataclasses.replace(
        want.intent,
        verifier=verifier_identity(aws, principals),
        verifier_statements=tuple(policy_for(want)["Statement"]),
    )
    want = dataclasses.replace(want, intent=intent)
    snapshot = collect_snapshot(
        aws.dynamodb(), aws.kms(), aws.iam(), table_arn=want.table_arn, key_arn=want.key_arn, principals=principals
    )
    judged, findings = _judged(snapshot, want.intent)
    rows = judged.rows
    external = external_rows(snapshot, want.intent)
    replica_rows: dict[str, list[AccessRow]] = {}
    for replica in want.replicas:
        regional = aws.in_region(replica.region)
        try:
            snapshot = collect_snapshot(
                regional.dynamodb(),
                regional.kms(),
                aws.iam(),
                table_arn=replica.replica_arn,
                key_arn=replica.key_arn,
                principals=principals,
            )
        except ClientError as error:
            if error_code(error) not in KEY_NOT_FOUND:
                raise
            # The checks already fail replica[<region>].key.exists.
            findings.append(Finding.skipped(check_name(replica.region, "audit"), f"no key {replica.key_arn}"))
            continue
        judged_here, regional_findings = _judged(snapshot, want.intent)
        replica_rows[replica.region] = judged_here.rows
        external += external_rows(snapshot, want.intent)
        findings += [
            dataclasses.replace(f, check=check_name(replica.region, f.check))
            for f in regional_findings
            if f.check not in GLOBAL_FINDINGS
        ]
    return AuditResult(rows, findings, replica_rows, external)
