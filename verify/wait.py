"""The one polling loop: ask again, with bounded exponential backoff and jitter, until an answer settles.

IAM and KMS are eventually consistent and replication takes a moment, so the verifier
asks more than once: the boundary probe (probe.wait_for_boundary) until the answer is
the expected one or definitely not, the replicas' canary wait (replica_wait.wait_for_canary)
until the canary arrives. Both are `poll`, with their own attempt, verdict and window.
The clock, the sleep and the random source are parameters, so tests run it on a fake clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypedDict, TypeVar

if TYPE_CHECKING:
    from typing_extensions import Unpack

FIRST_DELAY, MAX_DELAY = 1.0, 30.0
# Bounded overshoot: never sleep more than max(0.5 s, 8 % of the time waited so far),
# so an answer that settles at time t is seen by max(t + 0.5 s, 1.08 t) plus one
# attempt's latency: within max(1 s, 10 % of t) in practice. Over the longest wait
# (7 minutes) that is about 70 attempts.
OVERSHOOT_FLOOR, OVERSHOOT_FRACTION = 0.5, 0.08

A = TypeVar("A")  # what one attempt saw
V = TypeVar("V")  # the verdict that ends the wait


def _nowhere(_line: str) -> None:
    pass


def next_delay(attempt: int, rng: random.Random, waited: float = 0.0) -> float:
    """Exponential backoff with 'equal jitter' (half fixed, half random), capped so as not to overshoot.

    The cap is max(OVERSHOOT_FLOOR, OVERSHOOT_FRACTION * waited): early on, about one
    attempt a second; later, the step grows with the wait, never past MAX_DELAY.
    """
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2**attempt)
    jittered: float = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return min(jittered, max(OVERSHOOT_FLOOR, OVERSHOOT_FRACTION * waited))


@dataclass(frozen=True)
class Polled(Generic[A, V]):
    """How a wait ended: the verdict (None: the window ran out first), the last attempt, how many, how long."""

    verdict: V | None
    last: A
    attempts: int
    waited: float


class Pacing(TypedDict, total=False):
    """How a wait is paced, every key optional: the cap on it (--max-wait; None: the window alone),
    the clock, the sleep and the jitter's random source (fakes in the tests), and where each
    progress line goes (nowhere by default)."""

    max_wait: float | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    rng: random.Random | None
    progress: Callable[[str], None]


def poll(
    attempt: Callable[[], A],
    verdict: Callable[[A], V | None],
    window: Callable[[A], float],
    waiting: Callable[[A, int], str],
    **pacing: Unpack[Pacing],
) -> Polled[A, V]:
    """Attempt until `verdict` gives an answer (not None) or the window runs out.

    `window(last attempt)` is how long the wait may last, given what was seen (capped by
    `max_wait`); the sleep before the next attempt is next_delay, never past the window's end.
    `waiting(last attempt, count)` opens the progress line said before each sleep.
    """
    max_wait = pacing.get("max_wait")
    clock = pacing.get("clock", time.monotonic)
    sleep = pacing.get("sleep", time.sleep)
    progress = pacing.get("progress", _nowhere)
    rng = pacing.get("rng") or random.Random()  # noqa: S311 (jitter, not cryptography)
    start = clock()
    count = 0
    while True:
        result = attempt()
        count += 1
        waited = clock() - start
        answer = verdict(result)
        if answer is not None:
            return Polled(answer, result, count, waited)
        limit = window(result)
        if max_wait is not None:
            limit = min(limit, max_wait)
        remaining = limit - waited
        if remaining <= 0:
            return Polled(None, result, count, waited)
        delay = min(next_delay(count - 1, rng, waited), remaining)
        progress(f"  {waiting(result, count)}; next in {delay:.1f}s ({waited:.0f}s of {limit:.0f}s)")
        sleep(delay)
