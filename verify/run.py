"""Run every check against one deployment: collect, judge, in order."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from access.operations import Path as AuditPath
from stack.outputs import EXPECT_DENIED
from verify.canary import Canary, CanaryWriteError, canary_item, new_canary, read_canary
from verify.collect import KeyRecord, collect_alias, collect_key, collect_key_principals, collect_table
from verify.explain import explained, live_decision
from verify.external import EXTERNAL_PROBE, POLICIES_AGREE, PolicySides, judge_agreement, principal_check
from verify.external_probe import Consumer, collect_sides, external_probes
from verify.failures import error_text, is_operational
from verify.findings import Finding, Status, expect, statement_text
from verify.inputs import Replica, StackOutputs
from verify.judge import judge_key, judge_key_policy, judge_table
from verify.key_protection import DENY, judge_alarms, judge_deny, judge_unprotected
from verify.key_protection_collect import collect_alarms
from verify.probe import (
    Attempt,
    NamedSession,
    Outcome,
    ProbeResult,
    attempt_read,
    attempt_stream_read,
    sessions_named,
    wait_for_boundary,
)
from verify.replica_collect import collect_region
from verify.replica_wait import Arrival, wait_for_canary
from verify.replicas import (
    check_name,
    judge_region,
    judge_replication_group,
    region_view,
    replication_finding,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sts import STSClient

# Standard retries for throttling; AccessDenied is never retried by botocore,
# the probe's own loop waits for propagation.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)


@dataclass(frozen=True)
class Aws:
    """Where and as whom the verifier talks to AWS: the session's region unless `region` says another
    (a replica's), with the same credentials and endpoint."""

    session: boto3.session.Session
    endpoint_url: str | None = None
    region: str | None = None  # None: the session's region (the stack's primary region)

    def in_region(self, region: str) -> Aws:
        """The same identity and endpoint, clients in `region` (a global table's replica)."""
        return dataclasses.replace(self, region=region)

    def dynamodb(self) -> DynamoDBClient:
        return self.session.client(
            "dynamodb", region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
        )

    def kms(self) -> KMSClient:
        return self.session.client("kms", region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)

    def iam(self) -> IAMClient:
        return self.session.client("iam", region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)

    def sts(self) -> STSClient:
        return self.session.client("sts", region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)

    def events(self) -> Any:
        """EventBridge (the key-loss alarm rules); typed Any: the project's boto3 stubs do not cover it."""
        return self.session.client(
            "events", region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
        )

    def sns(self) -> Any:
        """SNS (the key-loss alarm topic); typed Any, as events()."""
        return self.session.client("sns", region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG)

    def client(self, service: str) -> Any:
        """A client by service name, for callers that do not need its type."""
        clients: dict[str, Callable[[], Any]] = {
            "dynamodb": self.dynamodb,
            "kms": self.kms,
            "iam": self.iam,
            "sts": self.sts,
            "events": self.events,
            "sns": self.sns,
        }
        return clients[service]()


ROUND_TRIP_ADVICE = "the deployer cannot use the key through DynamoDB; check the key, its policy and its grants"


@dataclass(frozen=True)
class _Probing:
    """What every probe and wait of one run shares: the canary, the cap on each wait (--max-wait), where
    progress goes, and the two loops (the boundary probe's and the replication wait's; fakes in tests)."""

    canary: Canary
    max_wait: float | None
    progress: Callable[[str], None]
    probe: Callable[..., Any]
    wait_replication: Callable[..., Arrival]
    # Readers in other accounts: credentials per declared principal (--consumer-profile), and each
    # region's owner-side policies (None: that region's key is missing).
    consumers: Mapping[str, Consumer] = dataclasses.field(default_factory=dict)
    external_sides: Mapping[str, PolicySides | None] = dataclasses.field(default_factory=dict)


# Probe answers that are the boundary itself going the wrong way, worth explaining.
WRONG_WAY = frozenset({Outcome.READ, Outcome.MISMATCH, Outcome.KMS_DENIED})


def _dynamodb_as(
    aws: Aws, region: str, key_id: str, secret: str, token: str | None = None, service: str = "dynamodb"
) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=aws.endpoint_url,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=CLIENT_CONFIG,
    )


def principal_client_factory(
    aws: Aws, want: StackOutputs, session_name: str | None = None, service: str = "dynamodb"
) -> Callable[[], Any]:
    """A new DynamoDB (or DynamoDB Streams) client as the test principal, with fresh credentials, per
    call. For a role, `session_name` fixes the RoleSessionName (a session the key names); by default
    each call is a new session of the verifier's own."""
    if want.principal_kind == "user":
        return lambda: _dynamodb_as(
            aws, want.region, str(want.access_key_id), str(want.secret_access_key), service=service
        )
    run_id = uuid.uuid4().hex[:8]
    counter = itertools.count(1)

    def as_role() -> Any:
        name = session_name or f"verify-{run_id}-{next(counter)}"
        sts = aws.sts()
        credentials = sts.assume_role(RoleArn=str(want.principal_arn), RoleSessionName=name, DurationSeconds=900)[
            "Credentials"
        ]
        return _dynamodb_as(
            aws,
            want.region,
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials["SessionToken"],
            service=service,
        )

    return as_role


def verify(
    aws: Aws,
    want: StackOutputs,
    *,
    max_wait: float | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    probe: Callable[..., Any] = wait_for_boundary,
    canaries: list[Canary] | None = None,
    wait_replication: Callable[..., Arrival] = wait_for_canary,
    consumers: Mapping[str, Consumer] | None = None,
) -> list[Finding]:
    """Every check, in order; a global table's replicas each in their own region. `canaries` receives
    the run's canary as soon as it exists, so a caller interrupted mid-run can still say whether it
    was removed and how to remove it."""
    dynamodb, kms = aws.dynamodb(), aws.kms()
    findings: list[Finding] = []

    table = collect_table(dynamodb, kms, want.table_name)
    key = collect_key(kms, want.key_arn)
    findings += judge_table(table, want, key)
    findings += judge_key(key, collect_alias(kms, want.key_alias), want, table)
    if key.exists and key.policy_text:
        findings += judge_key_policy(key.policy_text, want.account_id)
    findings += _key_protection(aws, want, want.region, want.key_arn, key)

    findings += judge_replication_group(table, want)
    present: list[Replica] = []
    sides: dict[str, PolicySides | None] = {}
    if want.external and table.exists:
        sides[want.region] = collect_sides(
            dynamodb, kms, table_arn=want.table_arn, key_arn=want.key_arn, stream_arn=table.stream_arn
        )
        findings += _agreement(sides[want.region], want)
    for replica in want.replicas:
        progress(f"checking the replica in {replica.region}")
        regional = aws.in_region(replica.region)
        records = collect_region(regional.dynamodb(), regional.kms(), replica, want.table_name, table)
        findings += judge_region(records, want)
        findings += _key_protection(
            regional, want, replica.region, replica.key_arn, records.key, check_name(replica.region, "")
        )
        if records.table.exists:
            present.append(replica)
            if want.external:
                sides[replica.region] = collect_sides(
                    regional.dynamodb(),
                    regional.kms(),
                    table_arn=replica.replica_arn,
                    key_arn=replica.key_arn,
                    stream_arn=records.table.stream_arn,
                )
                findings += _agreement(sides[replica.region], want, check_name(replica.region, ""))

    if not table.exists:
        findings.append(Finding.skipped("round_trip", "no table"))
        findings.append(Finding.skipped("boundary_probe", "no table"))
        findings += _skip_external(want, "no table")
        findings += _skip_replicas(want.replicas, "no table in the primary region")
        return findings

    progress("writing a canary item as the deployer")
    canary = new_canary(want.table_name, want.region, table.key_schema)
    if canaries is not None:
        canaries.append(canary)
    run = _Probing(canary, max_wait, progress, probe, wait_replication, consumers or {}, sides)
    try:
        with canary_item(dynamodb, canary):
            try:
                got: str | None = read_canary(dynamodb, canary)
                seen = f"canary read back as {'nothing' if got is None else 'another value'}"
            except ClientError as error:
                if is_operational(error):
                    raise
                got, seen = None, f"canary written but not read back: {error_text(error)}"
            findings.append(
                expect(
                    "round_trip",
                    got == canary.value,
                    "canary written, read back strongly consistent, equal" if got == canary.value else seen,
                    ROUND_TRIP_ADVICE,
                )
            )
            findings.append(_probe(aws, want, run))
            findings += _session_probes(aws, want, run)
            if table.stream_arn:
                findings.append(_stream_probe(aws, want, run, table.stream_arn))
            findings += external_probes(
                run, run.consumers, want.external, table_arn=want.table_arn, sides=sides.get(want.region)
            )
            for replica in want.replicas:
                if replica not in present:
                    findings += _skip_replicas([replica], f"no table in {replica.region}")
                    continue
                findings += _in_replica(aws, want, replica, run)
    except CanaryWriteError as error:
        findings.append(
            Finding.failed("round_trip", f"the deployer could not write a canary: {error}", ROUND_TRIP_ADVICE)
        )
        findings.append(Finding.skipped("boundary_probe", "no canary to read"))
        findings += _skip_external(want, "no canary to read")
        findings += _skip_replicas(want.replicas, "no canary to read")
        return findings
    findings.append(
        expect(
            "canary_removed",
            canary.removed,
            "canary item deleted" if canary.removed else f"canary not deleted: {canary.removal_error}",
            f"once the key is usable again, delete it: {canary.delete_command()}",
        )
    )
    return findings


def _key_protection(
    aws: Aws, want: StackOutputs, region: str, key_arn: str, key: KeyRecord, prefix: str = ""
) -> list[Finding]:
    """Key-loss protection in one key region (aws: clients of that region): the deny, judged on the key
    policy the key checks read; the alarm rules and their topic, read there. Without protection, one SKIP
    (for the stack, not per region)."""
    protection = want.key_protection
    if protection is None:
        return [] if prefix else [judge_unprotected()]
    found: list[Finding] = []
    if key.exists and key.policy_text:
        found.append(judge_deny(key.policy_text, want, protection, key_arn=key_arn, region=region, prefix=prefix))
    else:
        found.append(Finding.skipped(f"{prefix}{DENY}", f"no key policy to judge in {region}: see the key checks"))
    alarms = protection.alarms_in(region)
    if alarms is not None:
        found += judge_alarms(collect_alarms(aws.events(), aws.sns(), alarms), want.account_id, prefix)
    return found


def _skip_replicas(replicas: Sequence[Replica], why: str) -> list[Finding]:
    return [
        Finding.skipped(check_name(replica.region, check), why)
        for replica in replicas
        for check in ("canary_replicated", "boundary_probe")
    ]


def _in_replica(aws: Aws, want: StackOutputs, replica: Replica, run: _Probing) -> list[Finding]:
    """The canary written in the primary, read back in the replica's region once replicated; then the
    boundary probe there, as the test principal, expecting the same answer as in every region."""
    regional = aws.in_region(replica.region)
    dynamodb = regional.dynamodb()
    run.progress(f"waiting for the canary to replicate to {replica.region}")
    arrival = run.wait_replication(
        lambda: read_canary(dynamodb, run.canary),
        run.canary.value,
        replica.region,
        max_wait=run.max_wait,
        progress=run.progress,
    )
    found = [replication_finding(replica, want.region, arrival)]
    if not arrival.arrived:
        found.append(Finding.skipped(check_name(replica.region, "boundary_probe"), "the canary is not there"))
        return found
    view = region_view(want, replica)
    prefix = check_name(replica.region, "")
    found.append(_probe(regional, view, run, prefix))
    found += _session_probes(regional, view, run, prefix)
    found += external_probes(
        run,
        run.consumers,
        want.external,
        table_arn=replica.replica_arn,
        sides=run.external_sides.get(replica.region),
        prefix=prefix,
    )
    return found


def _skip_external(want: StackOutputs, why: str) -> list[Finding]:
    return [Finding.skipped(principal_check(EXTERNAL_PROBE, e.principal), why) for e in want.external]


def _agreement(sides: PolicySides | None, want: StackOutputs, prefix: str = "") -> list[Finding]:
    """external.policies_agree in one region; a SKIP when its key is missing (the key checks fail it)."""
    if sides is None:
        return [Finding.skipped(f"{prefix}{POLICIES_AGREE}", "no key to read the key side of")]
    return judge_agreement(sides, want.external, prefix)


def _session_probes(aws: Aws, want: StackOutputs, run: _Probing, prefix: str = "") -> list[Finding]:
    """The boundary probe again as each session of the test role that the key's policy or a grant names
    (in want.region, with that region's key): such a session may be let in where the verifier's own
    session is not, so each is its own check, expecting the same answer."""
    if want.principal_kind != "role" or not want.expected_access:
        return []
    named = collect_key_principals(aws.kms(), want.key_arn)
    if named is None:
        return []
    sessions = sessions_named(str(want.principal_arn), named.policy_text, named.grants)
    return [_probe(aws, want, run, prefix, session) for session in sessions]


def _probe(
    aws: Aws, want: StackOutputs, run: _Probing, prefix: str = "", session: NamedSession | None = None
) -> Finding:
    """The boundary probe in want.region (a replica's, through region_view and aws.in_region); as
    `session` of the test role when given, else as a fresh session (or the test user)."""
    if want.principal_kind == "none" or not want.expected_access:
        return Finding.skipped(f"{prefix}boundary_probe", "the stack has no test principal (testPrincipal=none)")
    make_client = principal_client_factory(aws, want, session.name if session else None)
    request = {
        "principal_arn": str(want.principal_arn),
        "key_arn": want.key_arn,
        "table_name": want.table_name,
        "region": want.region,
        "account_id": want.account_id,
        "caller_arn": session.arn if session else "",
    }

    def open_by_policy(attempt: Attempt) -> bool:
        """The test principal read although it should not, and the live policies say it may: no
        propagation will close that, so waiting out the window would only delay the verdict."""
        if want.expected_access != EXPECT_DENIED or attempt.outcome is not Outcome.READ:
            return False
        decision = live_decision(aws.kms(), aws.iam(), **request)
        return decision is not None and decision.allowed

    who = f"session {session.arn} of the test principal" if session else f"the test principal ({want.principal_kind})"
    run.progress(f"probing as {who} in {want.region}, expecting {want.expected_access}")
    result = run.probe(
        lambda: attempt_read(make_client, want.table_name, run.canary.key, run.canary.value),
        want.expected_access,
        max_wait=run.max_wait,
        progress=run.progress,
        conclusive=open_by_policy,
    )
    seen, statement = _seen(result), ""
    if not result.holds and result.last.outcome in WRONG_WAY:
        line, decision = explained(aws.kms(), aws.iam(), **request)
        seen += "; " + line
        if decision is not None and decision.allowed:
            statement = statement_text(decision.statement) or decision.source
    if session is not None:
        finding = _session_finding(f"{prefix}boundary_probe.session[{session.name}]", want, session, result, seen)
        return finding.about(statement=statement)
    if want.expected_access == EXPECT_DENIED:
        advice = (
            "the test principal reads the data without being a key user: look for a grant, an identity policy "
            "with kms:Decrypt, or a key policy statement that lets it in"
        )
    else:
        advice = "the test principal should be a key user: check its grant / policy and wait for propagation"
    return expect(f"{prefix}boundary_probe.{want.expected_access}", result.holds, seen, advice).about(
        principal=str(want.principal_arn), statement=statement
    )


STREAM_PROBE = "boundary_probe.stream"


def _stream_probe(aws: Aws, want: StackOutputs, run: _Probing, stream_arn: str) -> Finding:
    """The stream as the test principal: its records carry the canary's image. AWS's pages do not say
    whether DynamoDB asks the caller's kms:Decrypt for GetRecords, so the audit counts every stream
    consumer a possible reader; what this probe sees settles it for the test principal."""
    check = f"{STREAM_PROBE}.{want.expected_access}"
    if want.principal_kind == "none" or not want.expected_access:
        return Finding.skipped(STREAM_PROBE, "the stack has no test principal (testPrincipal=none)")
    make_client = principal_client_factory(aws, want, service="dynamodbstreams")
    run.progress(f"reading the stream as the test principal ({want.principal_kind}), expecting {want.expected_access}")
    first = attempt_stream_read(make_client, stream_arn, run.canary.value)
    if first.outcome is Outcome.IAM_DENIED:
        # Not a stream consumer at all (AmazonDynamoDBReadOnlyAccess holds no GetShardIterator/GetRecords):
        # nothing to settle, and the audit sees the same IAM refusal.
        return Finding.passed(check, f"not a stream consumer: {first.outcome.value}: {first.detail}").about(
            principal=str(want.principal_arn), resource=stream_arn
        )
    result = run.probe(
        lambda: attempt_stream_read(make_client, stream_arn, run.canary.value),
        want.expected_access,
        max_wait=run.max_wait,
        progress=run.progress,
    )
    seen = _seen(result)
    advice = (
        "the test principal reads the table's stream without being a key user: DynamoDB does not ask it for "
        "kms:Decrypt on this path; take dynamodb:GetRecords away from principals that must not read"
        if want.expected_access == EXPECT_DENIED
        else "the test principal should read the stream as it reads the items: check its stream rights and wait"
    )
    return expect(check, result.holds, seen, advice).about(principal=str(want.principal_arn), resource=stream_arn)


def refusals_seen(findings: Sequence[Finding], want: StackOutputs) -> dict[tuple[str, AuditPath], str]:
    """What the probes saw refused, as the audit reads it: a stream the test principal was refused by KMS."""
    check = f"{STREAM_PROBE}.{EXPECT_DENIED}"
    return {
        (str(want.principal_arn), AuditPath.STREAM): f.seen
        for f in findings
        if f.check == check and f.status is Status.PASS and f.seen.startswith(Outcome.KMS_DENIED.value)
    }


def _seen(result: ProbeResult) -> str:
    """What a probe saw, for its finding: the last answer, after how many attempts and how long."""
    return f"{result.last.outcome.value} after {result.attempts} attempt(s), {result.waited:.0f}s: {result.last.detail}"


def _session_finding(check: str, want: StackOutputs, session: NamedSession, result: ProbeResult, seen: str) -> Finding:
    named_by = ", ".join(session.named_by)
    seen = f"as {session.arn} (named by {named_by}): {seen}"
    if want.expected_access == EXPECT_DENIED:
        advice = (
            f"a session of the test role named {session.name!r} reads the data although the role may not: "
            f"{named_by} lets that session in; revoke the grant or remove the session from the key policy"
        )
    else:
        advice = (
            f"the session {session.name!r} of the test role, named by {named_by}, should read as the role does: "
            "look for a Deny naming it, and wait for propagation"
        )
    return expect(f"{check}.{want.expected_access}", result.holds, seen, advice).about(principal=session.arn)
