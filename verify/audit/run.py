"""The audit, end to end: collect the account, judge each principal, return rows and findings."""

from __future__ import annotations

from dataclasses import dataclass

from verify.audit.collect import collect_snapshot
from verify.audit.judge import audit_findings, judge_access
from verify.audit.model import AccessRow
from verify.findings import Finding
from verify.inputs import StackOutputs
from verify.run import Aws


@dataclass(frozen=True)
class AuditResult:
    rows: list[AccessRow]
    findings: list[Finding]


def run_audit(aws: Aws, want: StackOutputs) -> AuditResult:
    snapshot = collect_snapshot(aws.dynamodb(), aws.kms(), aws.iam(), table_arn=want.table_arn, key_arn=want.key_arn)
    rows = judge_access(snapshot, want.intent)
    return AuditResult(rows, audit_findings(snapshot, want.intent, rows))
