"""The boundary probe's error reading and waiting, without AWS."""

from __future__ import annotations

import random
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from stack import outputs as contract
from verify.probe import (
    NEW_CREDENTIALS_WAIT,
    PERMISSION_CHANGE_WAIT,
    Attempt,
    Outcome,
    attempt_read,
    classify_error,
    wait_for_boundary,
)
from verify.wait import next_delay

KMS_DENIED = (
    "KMS key access denied error: User: arn:aws:iam::123456789012:user/test-principal is not authorized to "
    "perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:123456789012:key/k because no identity-based "
    "policy allows the kms:Decrypt action. (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"
)
IAM_DENIED = (
    "User: arn:aws:iam::123456789012:user/test-principal is not authorized to perform: dynamodb:GetItem "
    "on resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders"
)


def stubbed_client(code: str, message: str, status: int = 400) -> object:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    stubber = Stubber(client)
    stubber.add_client_error("get_item", service_error_code=code, service_message=message, http_status_code=status)
    stubber.activate()
    return client


@pytest.mark.parametrize(
    ("code", "message", "status", "outcome"),
    [
        ("AccessDeniedException", KMS_DENIED, 400, Outcome.KMS_DENIED),
        ("AccessDeniedException", IAM_DENIED, 400, Outcome.IAM_DENIED),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            400,
            Outcome.CREDENTIALS_PENDING,
        ),
        ("ThrottlingException", "Rate exceeded", 400, Outcome.THROTTLED),
        ("ResourceNotFoundException", "Requested resource not found", 400, Outcome.OTHER_ERROR),
    ],
)
def test_real_error_shapes_are_read_right(code: str, message: str, status: int, outcome: Outcome) -> None:
    client = stubbed_client(code, message, status)
    got = attempt_read(lambda: client, "orders", {"id": {"S": "c"}}, "v")
    assert got.outcome is outcome
    assert got.detail.startswith(code)


def test_sts_assume_role_not_yet_allowed_is_pending() -> None:
    assert (
        classify_error("AccessDenied", "User x is not authorized to perform: sts:AssumeRole on resource y")
        is Outcome.CREDENTIALS_PENDING
    )


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(*outcomes: Outcome) -> Iterator[Attempt]:
    for outcome in outcomes:
        yield Attempt(outcome, outcome.name)
    while True:
        yield Attempt(outcomes[-1], outcomes[-1].name)


def run(expected: str, *outcomes: Outcome, max_wait: float | None = None) -> tuple[object, FakeTime, list[str]]:
    fake, lines = FakeTime(), []
    answers = scripted(*outcomes)
    result = wait_for_boundary(
        lambda: next(answers),
        expected,
        max_wait=max_wait,
        clock=fake.clock,
        sleep=fake.sleep,
        rng=random.Random(7),
        progress=lines.append,
    )
    return result, fake, lines


def test_denied_waits_through_iam_propagation_then_passes_on_kms_denial() -> None:
    result, fake, lines = run(contract.EXPECT_DENIED, Outcome.IAM_DENIED, Outcome.IAM_DENIED, Outcome.KMS_DENIED)
    assert result.holds
    assert result.attempts == 3
    assert result.last.outcome is Outcome.KMS_DENIED
    assert len(fake.sleeps) == 2
    assert "refused by IAM" in lines[0]


def test_iam_denial_never_passes_the_denied_check() -> None:
    result, fake, _ = run(contract.EXPECT_DENIED, Outcome.IAM_DENIED)
    assert not result.holds
    assert result.last.outcome is Outcome.IAM_DENIED
    assert fake.now == pytest.approx(PERMISSION_CHANGE_WAIT), "waited exactly up to the bound, no overshoot"


def test_read_waits_for_new_credentials_then_passes() -> None:
    result, _, _ = run(
        contract.EXPECT_READ, Outcome.CREDENTIALS_PENDING, Outcome.THROTTLED, Outcome.KMS_DENIED, Outcome.READ
    )
    assert result.holds
    assert result.attempts == 4


def test_credentials_that_never_work_stop_at_the_credentials_bound() -> None:
    result, fake, _ = run(contract.EXPECT_READ, Outcome.CREDENTIALS_PENDING)
    assert not result.holds
    assert fake.now == pytest.approx(NEW_CREDENTIALS_WAIT)


def test_reading_when_denied_is_expected_keeps_waiting_then_fails() -> None:
    result, fake, _ = run(contract.EXPECT_DENIED, Outcome.READ, max_wait=30)
    assert not result.holds
    assert result.last.outcome is Outcome.READ
    assert fake.now == pytest.approx(30)


def test_wrong_plaintext_and_other_errors_fail_at_once() -> None:
    assert run(contract.EXPECT_READ, Outcome.MISMATCH)[0].attempts == 1
    assert not run(contract.EXPECT_DENIED, Outcome.OTHER_ERROR)[0].holds


def test_max_wait_zero_tries_once() -> None:
    result, fake, _ = run(contract.EXPECT_READ, Outcome.KMS_DENIED, max_wait=0)
    assert result.attempts == 1
    assert fake.sleeps == []


def test_backoff_grows_is_jittered_and_capped() -> None:
    rng = random.Random(1)
    delays = [next_delay(n, rng, waited=10_000) for n in range(10)]
    assert 0.5 <= delays[0] <= 1.0
    assert 1.0 <= delays[1] <= 2.0
    assert all(15.0 <= d <= 30.0 for d in delays[5:])
    assert len(set(delays)) == len(delays)


def test_backoff_never_overshoots_more_than_half_a_second_or_8_percent_of_the_wait() -> None:
    rng = random.Random(2)
    for waited in (0.0, 3.0, 9.0, 20.0, 75.0, 300.0):
        for attempt in range(12):
            assert next_delay(attempt, rng, waited) <= max(0.5, 0.08 * waited)


@pytest.mark.parametrize("settles_at", [0.5, 5.0, 20.0, 90.0, 400.0])
def test_a_grant_that_lands_at_t_is_seen_by_max_t_plus_half_a_second_and_1_08t(settles_at: float) -> None:
    fake = FakeTime()

    def attempt() -> Attempt:
        outcome = Outcome.READ if fake.now >= settles_at else Outcome.KMS_DENIED
        return Attempt(outcome, outcome.value)

    result = wait_for_boundary(attempt, contract.EXPECT_READ, clock=fake.clock, sleep=fake.sleep, rng=random.Random(3))
    assert result.holds
    assert fake.now <= max(settles_at + 0.5, 1.08 * settles_at) + 1e-9
