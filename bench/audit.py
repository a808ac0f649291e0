"""The access audit at scale, in the sandbox: R roles, U users in G groups, K grants on the key.

The account is shaped like a real one: customer managed policies shared by many roles (one per 50
roles, every twentieth of them letting its roles read the table and decrypt through DynamoDB), an AWS
managed policy on half the roles and on every group, inline policies on some roles, users and groups,
users in groups, grants on the key, the table's stream on, and chains of roles that may assume the
one before them (three hops each).

The account is built directly in moto's backend, for both sizes alike (not measured): through the
emulator's API each call costs about 4 ms, so 12,000 principals took minutes to build. Only the
stack is deployed and the stream turned on through the API. What is measured goes through the API:

- collection: `verify.audit.run.run_audit`'s reads (the paged GetAccountAuthorizationDetails, the
  caller, the key policy, the grants, the table and its stream and their resource policies);
- judgement: `verify.audit.judge.judge` and `audit_findings` (every principal and the account root,
  every path, the assume-role closure) and `verify.audit.report.as_matrix`: collected account to matrix;
- end to end: `run_audit` plus `as_matrix`. run_audit itself runs, unchanged: judgement is timed by
  wrapping the two functions it calls, collection is the rest.

Memory: the process's peak RSS (getrusage), before the audit (the emulator and the account in it) and
after it; the rise is what the audit added at its peak. tracemalloc is left off: it would slow the
timed run two- or threefold.

Run as `python -m bench.audit ROLES USERS GROUPS GRANTS` in a fresh process; prints one JSON object.
"""

from __future__ import annotations

import functools
import json
import resource
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from unittest.mock import patch

from moto.iam.models import iam_backends
from moto.kms.models import kms_backends

import verify.audit.run as audit_run
from access.documents import POLICY_VERSION
from sandbox.emulator.account import ACCOUNT_ID, REGION
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from sandbox.harness import deploy
from stack import outputs
from verify.audit.judge import audit_findings, judge
from verify.audit.report import as_matrix
from verify.inputs import parse_outputs
from verify.run import Aws

READ_ONLY = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"
CONFIG = {"testPrincipal": "role", "deletionProtection": "false", "grantTestPrincipal": "true"}
ROLES_PER_MANAGED_POLICY = 50
CHAIN_HOPS = (3, 4, 5)  # role i may assume role i - 1 when i % 10 is one of these: chains 2 <- 3 <- 4 <- 5

T = TypeVar("T")


def _document(*statements: Mapping[str, object]) -> str:
    return json.dumps({"Version": POLICY_VERSION, "Statement": list(statements)})


def _team_policy(team: int, table_arn: str, key_arn: str) -> str:
    """A team's shared policy: its own tables, logs in one region; team 0 also reads this table."""
    own = {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
        "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/team-{team:03d}-*",
    }
    logs = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/team/{team:03d}/*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
    }
    if team % 20:
        return _document(own, logs)
    reads = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": table_arn}
    decrypt = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}},
    }
    return _document(own, logs, reads, decrypt)


def populate(roles: int, users: int, groups: int, grants: int, key_arn: str, table_arn: str) -> None:
    """The account, written into moto's backends (the emulator's state) without going through the API."""
    iam = iam_backends[ACCOUNT_ID]["global"]
    kms = kms_backends[ACCOUNT_ID][REGION]
    read_only = iam.managed_policies[READ_ONLY]
    teams = [
        iam.create_policy("", "/", _team_policy(team, table_arn, key_arn), f"bench-team-{team:03d}", [])
        for team in range(max(1, roles // ROLES_PER_MANAGED_POLICY))
    ]
    trust = _document(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
    )
    arns: list[str] = []
    for index in range(roles):
        # moto's create_role scans every role for the name; building the Role ourselves would skip it.
        role = iam.create_role(f"bench-role-{index:05d}", trust, "/", None, "", [], None)
        arns.append(role.arn)
        teams[index % len(teams)].attach_to(role)
        if index % 2 == 0:
            read_only.attach_to(role)
        if index % 10 in CHAIN_HOPS and index:
            hop = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arns[-2]}
            role.put_policy("hop", _document(hop))
        if index % 5 == 0:
            logs = {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}
            role.put_policy("logs", _document(logs))
    for index in range(groups):
        group = iam.create_group(f"bench-group-{index:03d}")
        read_only.attach_to(group)
        if index % 4 == 0:
            metrics = {"Effect": "Allow", "Action": "cloudwatch:GetMetricData", "Resource": "*"}
            group.put_policy("metrics", _document(metrics))
    for index in range(users):
        user = iam.create_user(REGION, f"bench-user-{index:05d}")
        if groups:
            iam.add_user_to_group(f"bench-group-{index % groups:03d}", user.name)
        if index % 10 == 0:
            password = {
                "Effect": "Allow",
                "Action": "iam:ChangePassword",
                "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}",
            }
            user.put_policy("password", _document(password))
    table_name = table_arn.rsplit("/", 1)[-1]
    for index in range(grants):
        kms.create_grant(
            key_arn,
            arns[index % len(arns)],
            ["Decrypt", "DescribeKey"],
            f"bench-grant-{index:05d}",
            {"EncryptionContextSubset": {"aws:dynamodb:tableName": table_name}},
            "",
        )


def _peak_rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Stopwatch:
    """Time spent inside the wrapped functions."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            self.calls += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def measure(roles: int, users: int, groups: int, grants: int) -> dict[str, float | int]:
    with Emulator() as emulator:
        out = deploy(Stack(emulator), CONFIG).outputs
        start = time.perf_counter()
        populate(roles, users, groups, grants, out[outputs.KEY_ARN], out[outputs.TABLE_ARN])
        emulator.client("dynamodb").update_table(
            TableName=out[outputs.TABLE_NAME],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        built = time.perf_counter() - start
        aws, want = Aws(emulator.session(), emulator.endpoint_url), parse_outputs(out)
        judging = _Stopwatch()
        rss_before = _peak_rss_mb()
        with (
            patch.object(audit_run, "judge", judging.wrap(judge)),
            patch.object(audit_run, "audit_findings", judging.wrap(audit_findings)),
        ):
            start = time.perf_counter()
            result = audit_run.run_audit(aws, want)
            matrix = judging.wrap(as_matrix)(result.rows)
            end_to_end = time.perf_counter() - start
        rss_after = _peak_rss_mb()
    if judging.calls < 3:  # judge, audit_findings, as_matrix
        raise SystemExit("run_audit no longer calls judge and audit_findings: update bench/audit.py")
    chains = sum(len(row.assumable_by) for row in result.rows)
    return {
        "build_seconds": built,
        "collect_seconds": end_to_end - judging.seconds,
        "judge_seconds": judging.seconds,
        "seconds": end_to_end,
        "principals": len(result.rows),
        "shown": sum(1 for row in result.rows if row.touches_data),
        "findings": len(result.findings),
        "chains": chains,
        "matrix_lines": matrix.count("\n") + 1,
        "peak_rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(rss_after, 1),
    }


if __name__ == "__main__":
    print(json.dumps(measure(*(int(a) for a in sys.argv[1:5]))))
