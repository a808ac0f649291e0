"""The cross-account boundary probe, with stubbed DynamoDB answers: each refusal is a FAIL naming the missing
side (a refusal the owner's policies already explain ends the wait at once), a read passes, and a declared
principal without credentials is a SKIP naming --consumer-profile, never a PASS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import boto3
import pytest
from botocore.stub import Stubber

from tests.verify.test_external import (
    CONSUMER_POLICY,
    IDENTITY_REFUSAL,
    KMS_REFUSAL,
    READER,
    TABLE,
    TABLE_POLICY_REFUSAL,
    declared,
    sides,
)
from verify.canary import CANARY_VALUE_ATTRIBUTE, Canary
from verify.external_probe import Consumer, external_probes
from verify.findings import Status
from verify.inputs import ExternalPrincipal
from verify.probe import wait_for_boundary

CANARY = Canary("orders", "us-east-1", {"id": {"S": "canary"}}, "plaintext")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Run:
    """verify.run._Probing's shape for the external probes: a fake clock, every wait capped at 60 s."""

    canary: Canary = field(default_factory=lambda: CANARY)
    max_wait: float | None = 60
    progress: Callable[[str], None] = lambda _line: None
    fake: FakeClock = field(default_factory=FakeClock)

    def probe(self, *args: Any, **kwargs: Any) -> Any:
        return wait_for_boundary(*args, **kwargs, clock=self.fake.clock, sleep=self.fake.sleep)


@dataclass(frozen=True)
class StubConsumer:
    """Consumer's shape: every client it makes answers `answer` to GetItem, once per attempt."""

    principal: ExternalPrincipal
    answer: tuple[str, str] | None  # (code, message); None: the canary, decrypted
    profile: str = "sandbox-consumer"
    tables: list[str] = field(default_factory=list)

    def client_factory(self, region: str) -> Callable[[], Any]:
        def make() -> Any:
            client = boto3.client("dynamodb", region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
            stubber = Stubber(client)
            if self.answer is None:
                item = {"id": {"S": "canary"}, CANARY_VALUE_ATTRIBUTE: {"S": CANARY.value}}
                stubber.add_response("get_item", {"Item": item})
            else:
                code, message = self.answer
                stubber.add_client_error("get_item", service_error_code=code, service_message=message)
            stubber.activate()
            original = client.get_item

            def get_item(**kwargs: Any) -> Any:
                self.tables.append(kwargs["TableName"])
                return original(**kwargs)

            client.get_item = get_item  # type: ignore[method-assign]
            return client

        return make


def probe(answer: tuple[str, str] | None, run: Run | None = None, **sides_given: Any) -> tuple[Any, StubConsumer]:
    consumer = StubConsumer(declared(), answer)
    found = external_probes(
        run or Run(),
        cast(dict[str, Consumer], {READER: consumer}),
        (declared(),),
        table_arn=TABLE,
        sides=sides(**sides_given),
    )
    assert len(found) == 1, found
    return found[0], consumer


def test_a_read_passes_reading_the_table_by_its_arn() -> None:
    finding, consumer = probe(None)
    assert (finding.check, finding.status) == (f"boundary_probe.external[{READER}].read", Status.PASS)
    assert consumer.tables == [TABLE], "another account names the table by its ARN"


def test_a_kms_refusal_names_the_key_side_and_ends_at_once_when_the_key_policy_lacks_it() -> None:
    run = Run()
    finding, consumer = probe(("AccessDeniedException", KMS_REFUSAL), run, key=())
    assert finding.status is Status.FAIL
    assert "missing side: key policy or grant" in finding.seen
    assert "refused by KMS: the key side is missing" in finding.advice
    assert len(consumer.tables) == 1, "the live key policy explains it: no waiting"
    assert run.fake.now == 0


def test_a_kms_refusal_the_policies_do_not_explain_waits_for_propagation() -> None:
    run = Run()
    finding, consumer = probe(("AccessDeniedException", KMS_REFUSAL), run)
    assert finding.status is Status.FAIL
    assert len(consumer.tables) > 1
    assert run.fake.now == pytest.approx(60)


def test_a_table_policy_refusal_names_the_table_policy() -> None:
    finding, _ = probe(("AccessDeniedException", TABLE_POLICY_REFUSAL), table=())
    assert finding.status is Status.FAIL
    assert "missing side: table policy" in finding.seen
    assert "no resource-based policy of the table in us-east-1" in finding.advice


def test_an_identity_policy_refusal_prints_the_consumer_policy() -> None:
    finding, _ = probe(("AccessDeniedException", IDENTITY_REFUSAL), Run(max_wait=0))
    assert finding.status is Status.FAIL
    assert "missing side: identity policy in the consumer account" in finding.seen
    assert CONSUMER_POLICY in finding.advice


def test_declared_denied_passes_on_a_kms_refusal_and_fails_on_a_read() -> None:
    denied = replace(declared(), expected_access="denied")

    def run_as(answer: tuple[str, str] | None) -> Any:
        consumer = StubConsumer(denied, answer)
        found = external_probes(
            Run(max_wait=0), cast(dict[str, Consumer], {READER: consumer}), (denied,), table_arn=TABLE, sides=None
        )
        return found[0]

    assert run_as(("AccessDeniedException", KMS_REFUSAL)).status is Status.PASS
    read = run_as(None)
    assert (read.check, read.status) == (f"boundary_probe.external[{READER}].denied", Status.FAIL)


def test_without_credentials_a_skip_naming_the_option() -> None:
    found = external_probes(Run(), {}, (declared(),), table_arn=TABLE, sides=None, prefix="replica[eu-west-1].")
    assert [(f.check, f.status) for f in found] == [
        (f"replica[eu-west-1].boundary_probe.external[{READER}]", Status.SKIP)
    ]
    assert f"--consumer-profile {READER}=PROFILE" in found[0].seen
