"""Wait: the canary written in the primary region, read in a replica's region until it arrives.

The loop is verify.wait.poll, the boundary probe's: bounded exponential backoff with jitter,
never past REPLICATION_WAIT or --max-wait. Another value, or an error (the replica's key
refused), ends it at once; an operational error (throttled, expired credentials) is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from verify.failures import error_text, is_operational
from verify.wait import Pacing, poll

if TYPE_CHECKING:
    from typing_extensions import Unpack

# Replication usually takes about a second (the table's ReplicationLatency metric); a canary that has
# not arrived after a minute is a replica that does not replicate, not latency. --max-wait caps it.
REPLICATION_WAIT = 60.0


@dataclass(frozen=True)
class Arrival:
    arrived: bool
    detail: str
    attempts: int
    waited: float


def wait_for_canary(read: Callable[[], str | None], value: str, region: str, **pacing: Unpack[Pacing]) -> Arrival:
    """Read the canary in a replica until it arrives (wait.poll), bounded by REPLICATION_WAIT and
    --max-wait. Another value, or an error (the replica's key refused), ends it."""

    def attempt() -> tuple[str | None, ClientError | None]:
        try:
            return read(), None
        except ClientError as error:
            if is_operational(error):
                raise
            return None, error

    def verdict(seen: tuple[str | None, ClientError | None]) -> tuple[bool, str] | None:
        got, error = seen
        if error is not None:
            return False, f"GetItem in {region} failed: {error_text(error)}"
        if got == value:
            return True, f"canary read back in {region}"
        if got is not None:
            return False, f"GetItem in {region} returned another value"
        return None

    polled = poll(
        attempt,
        verdict,
        lambda _seen: REPLICATION_WAIT,
        lambda _seen, count: f"waiting for the canary in {region}: attempt {count}",
        **pacing,
    )
    arrived, detail = polled.verdict or (False, f"the canary never arrived in {region}")
    return Arrival(arrived, detail, polled.attempts, polled.waited)
