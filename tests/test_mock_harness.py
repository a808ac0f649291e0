"""The harness itself: a failed assertion inside an apply must fail the test."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import EncryptedTable
from sandbox.harness import RecordingMocks


def test_failed_assertion_inside_apply_fails_the_test(mocks: RecordingMocks) -> None:
    @pulumi.runtime.test
    def wrong_expectation() -> pulumi.Output[Any]:
        table = EncryptedTable("orders", {"partition_key": "id"})

        def check(arn: str) -> None:
            assert arn.startswith("arn:aws:s3:"), f"not an S3 ARN: {arn}"

        return table.key_arn.apply(check)

    with pytest.raises(AssertionError, match="not an S3 ARN: arn:aws:kms:"):
        wrong_expectation()


def test_unmodelled_resource_types_are_errors_not_silent(mocks: RecordingMocks, resolve: Any) -> None:
    import pulumi_aws as aws

    with pytest.raises(Exception, match=r"resource type 'aws:sqs/queue:Queue' .* is not modelled"):
        resolve(lambda: {"id": aws.sqs.Queue("q").id})


def test_the_runner_pauses_the_cyclic_gc_only_while_a_program_runs(mocks: RecordingMocks, resolve: Any) -> None:
    import gc

    seen: list[bool] = []
    assert gc.isenabled()
    resolve(lambda: seen.append(gc.isenabled()) or {})
    assert seen == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        resolve(lambda: {})
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()
