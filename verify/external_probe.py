"""Readers in other accounts, live: read each region's two owner-side policies, and probe as each declared
external principal with its account's credentials (--consumer-profile). Judging is external.py's.

DynamoDB takes a table's ARN as TableName, and that is how another account names the table: "For
cross-account access, provide the full ARN of the table" (GetItem API reference, TableName:
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#DDB-GetItem-request-TableName).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.config import Config

from access.arns import parse_table_arn, session_role_name
from access.documents import parse_document
from stack.outputs import EXPECT_READ
from verify.audit.collect import collect_table_policy
from verify.canary import Canary
from verify.collect import collect_key_principals
from verify.external import (
    CONSUMER_PROFILE_OPTION,
    EXTERNAL_PROBE,
    KEY_SIDE,
    TABLE_POLICY,
    PolicySides,
    principal_check,
    refusal_advice,
    refused_side,
)
from verify.findings import Finding, expect
from verify.inputs import ExternalPrincipal
from verify.probe import Attempt, ProbeResult, attempt_read

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient


def collect_sides(
    dynamodb: DynamoDBClient, kms: KMSClient, *, table_arn: str, key_arn: str, stream_arn: str = ""
) -> PolicySides | None:
    """The table's (or replica's) resource policy, its stream's, the key policy and grants of that
    region's key; None when the key is not there (the key checks fail it)."""
    key = collect_key_principals(kms, key_arn)
    if key is None:
        return None
    table = parse_table_arn("tableArn", table_arn)
    return PolicySides(
        region=table.region,
        partition=table.partition,
        owner_account=table.account,
        table_policy=collect_table_policy(dynamodb, table_arn),
        key_policy=parse_document(key.policy_text),
        grants=key.grants,
        stream_arn=stream_arn,
        stream_policy=collect_table_policy(dynamodb, stream_arn) if stream_arn else None,
    )


class Probing(Protocol):
    """What the external probes share with the run's other probes (verify.run._Probing)."""

    @property
    def canary(self) -> Canary: ...
    @property
    def max_wait(self) -> float | None: ...
    @property
    def progress(self) -> Callable[[str], None]: ...
    @property
    def probe(self) -> Callable[..., Any]: ...


@dataclass(frozen=True)
class Consumer:
    """Credentials of an external principal's account: a profile's session, as which the verifier
    probes. For a role, the profile's identity assumes the role unless it already is a session of it."""

    principal: ExternalPrincipal
    profile: str
    session: boto3.session.Session
    endpoint_url: str | None
    config: Config

    def _is_the_role(self) -> bool:
        caller = self.session.client("sts", endpoint_url=self.endpoint_url, config=self.config).get_caller_identity()
        role_name = self.principal.principal.rsplit("/", 1)[-1]
        return session_role_name(caller["Arn"]) == role_name and caller["Account"] == self.principal.account

    def client_factory(self, region: str) -> Callable[[], Any]:
        """A new DynamoDB client in `region` as the principal, per call (a fresh decision each attempt)."""
        if self.principal.kind != "role" or self._is_the_role():
            return lambda: self.session.client(
                "dynamodb", region_name=region, endpoint_url=self.endpoint_url, config=self.config
            )
        run_id = uuid.uuid4().hex[:8]
        counter = itertools.count(1)

        def as_role() -> Any:
            sts = self.session.client("sts", region_name=region, endpoint_url=self.endpoint_url, config=self.config)
            credentials = sts.assume_role(
                RoleArn=self.principal.principal,
                RoleSessionName=f"verify-external-{run_id}-{next(counter)}",
                DurationSeconds=900,
            )["Credentials"]
            return boto3.session.Session().client(
                "dynamodb",
                region_name=region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                config=self.config,
            )

        return as_role


def consumers_for(
    profiles: Mapping[str, str], declared: tuple[ExternalPrincipal, ...], endpoint_url: str | None, config: Config
) -> dict[str, Consumer]:
    """Principal ARN -> its Consumer, for those a --consumer-profile covers (external.profiles_for)."""
    sessions: dict[str, boto3.session.Session] = {}
    found: dict[str, Consumer] = {}
    for external in declared:
        profile = profiles.get(external.principal)
        if profile is None:
            continue
        session = sessions.setdefault(profile, boto3.session.Session(profile_name=profile))
        found[external.principal] = Consumer(external, profile, session, endpoint_url, config)
    return found


def external_probes(
    run: Probing,
    consumers: Mapping[str, Consumer],
    declared: tuple[ExternalPrincipal, ...],
    *,
    table_arn: str,
    sides: PolicySides | None,
    prefix: str = "",
) -> list[Finding]:
    """The boundary probe as each declared external principal, in the region of `table_arn` (the table
    or a replica, read by its ARN), expecting its expectedAccess; a SKIP without its credentials."""
    region = parse_table_arn("tableArn", table_arn).region
    found: list[Finding] = []
    for external in declared:
        check = principal_check(f"{prefix}{EXTERNAL_PROBE}", external.principal)
        consumer = consumers.get(external.principal)
        if consumer is None:
            found.append(
                Finding.skipped(
                    check,
                    f"no credentials for {external.principal}: pass {CONSUMER_PROFILE_OPTION} "
                    f"{external.principal}=PROFILE (or {external.account}=PROFILE) to probe as it",
                ).about(principal=external.principal, resource=table_arn)
            )
            continue
        finding = _probe_as(run, consumer, f"{check}.{external.expected_access}", table_arn, region, sides)
        found.append(finding.about(principal=external.principal, resource=table_arn))
    return found


def _missing_here(sides: PolicySides | None, external: ExternalPrincipal, side: str | None) -> bool:
    """Do the owner's policies already say the side a refusal names is missing? Then no propagation will
    let the principal in, and the probe stops waiting."""
    if sides is None:
        return False
    if side == TABLE_POLICY:
        return external.principal not in sides.table_side
    if side == KEY_SIDE:
        named = sides.grant_side if external.key_access == "grant" else sides.key_policy_side
        return external.principal not in named
    return False


def _probe_as(
    run: Probing, consumer: Consumer, check: str, table_arn: str, region: str, sides: PolicySides | None
) -> Finding:
    external = consumer.principal
    make_client = consumer.client_factory(region)
    run.progress(
        f"probing as {external.principal} (profile {consumer.profile}) in {region}, expecting "
        f"{external.expected_access}"
    )

    def conclusive(attempt: Attempt) -> bool:
        return external.expected_access == EXPECT_READ and _missing_here(sides, external, refused_side(attempt))

    result: ProbeResult = run.probe(
        lambda: attempt_read(make_client, table_arn, run.canary.key, run.canary.value),
        external.expected_access,
        max_wait=run.max_wait,
        progress=run.progress,
        conclusive=conclusive,
    )
    seen = (
        f"as {external.principal} (profile {consumer.profile}): {result.last.outcome.value} after "
        f"{result.attempts} attempt(s), {result.waited:.0f}s: {result.last.detail}"
    )
    if external.expected_access == EXPECT_READ:
        side = refused_side(result.last)
        if side is not None:
            seen += f"; missing side: {side}"
        return expect(check, result.holds, seen, refusal_advice(external, side, region))
    return expect(
        check,
        result.holds,
        seen,
        f"{external.principal} is declared denied but reads the data: remove it from the table policy and the "
        "key's policy and grants, or declare it a reader",
    )
