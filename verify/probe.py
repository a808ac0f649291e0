"""The boundary probe: GetItem on the canary as the test principal, until the answer settles.

IAM and KMS are eventually consistent, so one answer proves little: a fresh
client each attempt, bounded exponential backoff with jitter, and only a
KMS refusal (expected "denied") or the canary's plaintext (expected "read")
settles it. The loop is verify.wait.poll, the replicas' canary wait's too.

A role's sessions are principals of their own: a key policy or a grant may name
`arn:aws:sts::<acct>:assumed-role/<role>/<session>`, and only a session of that
name gets what it is given. The probe's own session proves nothing about them, so
`sessions_named` finds the ones the key's policy and grants name, and the
verifier probes as each of them too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from access.arns import parse_principal_arn, parse_session_arn
from access.documents import PolicyParseError, aws_principals, parse_document, statement_label, statements
from access.evaluator import Grant
from stack.outputs import EXPECT_DENIED
from verify.canary import CANARY_VALUE_ATTRIBUTE
from verify.failures import EXPIRED_CODES, THROTTLING_CODES, UNKNOWN_CREDENTIAL_CODES, aws_error, error_text
from verify.wait import Pacing, poll

if TYPE_CHECKING:
    from typing_extensions import Unpack

NEW_CREDENTIALS_WAIT = 120.0  # seconds: a new access key or role trust becomes usable
PERMISSION_CHANGE_WAIT = 420.0  # seconds: a policy or grant change takes effect


class Outcome(StrEnum):
    READ = "read the canary's plaintext"
    MISMATCH = "read a different value"
    KMS_DENIED = "refused by KMS (no kms:Decrypt)"
    IAM_DENIED = "refused by IAM on the DynamoDB action"
    CREDENTIALS_PENDING = "credentials not usable yet"
    THROTTLED = "throttled"
    OTHER_ERROR = "failed"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    detail: str


def classify_error(code: str, message: str) -> Outcome:
    """What a DynamoDB (or STS) error says about the boundary. Pure."""
    if code == "AccessDeniedException" and message.startswith("KMS key access denied"):
        return Outcome.KMS_DENIED
    if code in ("AccessDeniedException", "AccessDenied", "403") and "dynamodb:" in message:
        return Outcome.IAM_DENIED
    if code in UNKNOWN_CREDENTIAL_CODES or code in EXPIRED_CODES:
        return Outcome.CREDENTIALS_PENDING
    if code in ("AccessDenied", "AccessDeniedException") and "sts:AssumeRole" in message:
        return Outcome.CREDENTIALS_PENDING
    if code in THROTTLING_CODES:
        return Outcome.THROTTLED
    return Outcome.OTHER_ERROR


def attempt_read(make_client: Callable[[], Any], table_name: str, key: dict[str, Any], value: str) -> Attempt:
    """One GetItem with a fresh client (a new connection forces a fresh KMS decision)."""
    try:
        client = make_client()
        item = client.get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item")
    except ClientError as error:
        code, message = aws_error(error)
        return Attempt(classify_error(code, message), error_text(error))
    got = (item or {}).get(CANARY_VALUE_ATTRIBUTE, {}).get("S")
    if got == value:
        return Attempt(Outcome.READ, "GetItem returned the canary, decrypted")
    return Attempt(Outcome.MISMATCH, "GetItem returned no canary" if item is None else "GetItem returned another value")


def attempt_stream_read(make_client: Callable[[], Any], stream_arn: str, value: str) -> Attempt:
    """Every shard of the stream read from its start once, with a fresh client: the canary's INSERT
    record carries its plaintext, so a consumer that may read it is a plaintext reader."""
    try:
        client = make_client()
        shards = client.describe_stream(StreamArn=stream_arn)["StreamDescription"].get("Shards", [])
        records = 0
        for shard in shards:
            iterator = client.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            ).get("ShardIterator")
            if not iterator:
                continue
            got = client.get_records(ShardIterator=iterator, Limit=1000).get("Records", [])
            records += len(got)
            for record in got:
                image = record.get("dynamodb", {}).get("NewImage", {})
                if image.get(CANARY_VALUE_ATTRIBUTE, {}).get("S") == value:
                    return Attempt(Outcome.READ, "GetRecords returned the canary's image, decrypted")
    except ClientError as error:
        code, message = aws_error(error)
        return Attempt(classify_error(code, message), error_text(error))
    return Attempt(Outcome.MISMATCH, f"GetRecords returned {records} record(s), none the canary's")


def settled(expected: str, outcome: Outcome) -> bool | None:
    """True: the expected boundary holds; False: it definitely does not; None: keep waiting."""
    if outcome is Outcome.OTHER_ERROR:
        return False
    if expected == EXPECT_DENIED:
        return True if outcome is Outcome.KMS_DENIED else None
    if outcome is Outcome.READ:
        return True
    return False if outcome is Outcome.MISMATCH else None


@dataclass(frozen=True)
class ProbeResult:
    holds: bool
    last: Attempt
    attempts: int
    waited: float


def wait_for_boundary(
    attempt: Callable[[], Attempt],
    expected: str,
    *,
    conclusive: Callable[[Attempt], bool] = lambda _attempt: False,
    **pacing: Unpack[Pacing],
) -> ProbeResult:
    """Probe until the answer settles or the wait for what is pending runs out (wait.poll).

    `conclusive(attempt)` may end the wait early on an unsettled answer that no
    propagation can change (the live policies already explain it): the probe then
    fails at once instead of waiting out the whole window.
    """

    def verdict(result: Attempt) -> bool | None:
        holds = settled(expected, result.outcome)
        if holds is None and conclusive(result):
            return False
        return holds

    def window(result: Attempt) -> float:
        return NEW_CREDENTIALS_WAIT if result.outcome is Outcome.CREDENTIALS_PENDING else PERMISSION_CHANGE_WAIT

    polled = poll(
        attempt, verdict, window, lambda result, count: f"waiting: attempt {count} {result.outcome.value}", **pacing
    )
    return ProbeResult(bool(polled.verdict), polled.last, polled.attempts, polled.waited)


# -- the sessions a key's policy and grants name ----------------------------------------------------


@dataclass(frozen=True)
class NamedSession:
    """A session of the test role that the key's policy or a grant names."""

    arn: str  # arn:<partition>:sts::<acct>:assumed-role/<role>/<session>
    name: str  # the RoleSessionName to assume the role with
    named_by: tuple[str, ...]  # "key policy statement <Sid>", "grant <id>"


def sessions_named(role_arn: str, key_policy: str | Mapping[str, Any], grants: Sequence[Grant]) -> list[NamedSession]:
    """The sessions of `role_arn` that a key policy statement (its Principal or NotPrincipal AWS
    entries) or a grant (its GranteePrincipal) names, in session-name order. Pure.

    A session ARN carries the role's name, never its path, so a role `.../role/team/Reader`
    matches `...:assumed-role/Reader/<session>` of the same partition and account. A policy that does
    not parse names nobody here (the key-policy checks fail it); a name no session can have (a
    wildcard, a malformed ARN) is skipped: no AssumeRole could take it.
    """
    role = parse_principal_arn("role_arn", role_arn)
    if role.kind != "role":
        return []
    try:
        document = parse_document(key_policy)
    except PolicyParseError:
        document = {}
    named: list[tuple[str, str]] = []
    for position, statement in enumerate(statements(document)):
        for element in ("Principal", "NotPrincipal"):
            for entry in aws_principals(statement.get(element)):
                named.append((entry, f"key policy statement {statement_label(statement, position)} ({element})"))
    named += [(grant.grantee_principal, f"grant {grant.grant_id}") for grant in grants]
    ours = (role.partition, role.account, role.name)
    found: dict[str, tuple[str, list[str]]] = {}
    for entry, source in named:
        session = parse_session_arn(entry)
        if session is None or (session.partition, session.account, session.role_name) != ours:
            continue
        _name, sources = found.setdefault(session.arn, (session.session_name, []))
        if source not in sources:
            sources.append(source)
    return [
        NamedSession(arn, name, tuple(sources))
        for arn, (name, sources) in sorted(found.items(), key=lambda item: item[1][0])
    ]
