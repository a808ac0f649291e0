"""Fault injection: `python -m verify` against the sandbox when things go wrong.

Throttling, an unreachable endpoint, expired credentials, the key disabled
mid-run, a missing table, an interrupted run: each ends with the right exit
code and a message that says what to do, and no canary item is left behind.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

import verify.canary
import verify.run
from sandbox.emulator.faults import EXPIRED_TOKEN, THROTTLED, Fault
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from verify.__main__ import main
from verify.canary import CANARY_MARKER_ATTRIBUTE, CANARY_VALUE_ATTRIBUTE

pytestmark = pytest.mark.emulator

USER_ITEM = {"id": {"S": "users-own-item"}, "note": {"S": "untouched"}}


@pytest.fixture
def deployed(emulator: Emulator, stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Path]:
    """A granted deployment with one item of the user's; the deployer's environment set; the outputs file."""
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    emulator.client("dynamodb").put_item(TableName=out[contract.TABLE_NAME], Item=USER_ITEM)
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("COLUMNS", "1000")  # one line per finding in the report
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(out))
    return out, path


def items(emulator: Emulator, out: dict[str, Any]) -> list[dict[str, Any]]:
    return emulator.client("dynamodb").scan(TableName=out[contract.TABLE_NAME])["Items"]


def assert_no_canary(emulator: Emulator, out: dict[str, Any]) -> None:
    found = items(emulator, out)
    assert [i for i in found if CANARY_VALUE_ATTRIBUTE in i] == []
    assert USER_ITEM in found


@pytest.fixture(autouse=True)
def fewer_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two attempts instead of five: the same retry logic, without a 15-second backoff per test."""
    monkeypatch.setattr(
        verify.run, "CLIENT_CONFIG", verify.run.CLIENT_CONFIG.merge(Config(retries={"max_attempts": 2}))
    )


def run(path: Path, *extra: str) -> int:
    return main(["--outputs", str(path), "--max-wait", "1", *extra])


def test_the_fault_free_run_passes(emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out, path = deployed
    assert run(path) == 0, capsys.readouterr()
    assert_no_canary(emulator, out)


def test_brief_throttling_is_retried_and_passes(emulator: Emulator, deployed: Any) -> None:
    out, path = deployed
    assert emulator.faults is not None
    emulator.faults.add(Fault("DynamoDB_20120810.DescribeTable", times=1, error=THROTTLED))
    emulator.faults.add(Fault("TrentService.DescribeKey", times=1, error=THROTTLED))
    assert run(path) == 0
    assert_no_canary(emulator, out)


@pytest.mark.parametrize(
    ("target", "error", "says"),
    [
        (
            "DynamoDB_20120810.PutItem",  # every attempt at the canary write, past botocore's retries
            THROTTLED,
            "AWS is throttling PutItem (ThrottlingException) even after retries: wait a minute and run again",
        ),
        (
            "DynamoDB_20120810.GetItem",  # mid-run, after the canary was written
            EXPIRED_TOKEN,
            "credentials expired during GetItem (ExpiredTokenException): refresh them",
        ),
    ],
    ids=["persistent-throttling", "credentials-expire-mid-run"],
)
def test_operational_failures_cannot_run_and_say_what_to_do(
    emulator: Emulator,
    deployed: Any,
    capsys: pytest.CaptureFixture[str],
    target: str,
    error: tuple[int, str, str],
    says: str,
) -> None:
    out, path = deployed
    assert emulator.faults is not None
    emulator.faults.add(Fault(target, times=100, error=error))
    assert run(path) == 2
    assert says in capsys.readouterr().err
    emulator.faults.clear()
    assert_no_canary(emulator, out)


def test_an_unreachable_endpoint_cannot_run_and_names_it(deployed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, path = deployed
    assert run(path, "--endpoint-url", "http://127.0.0.1:9") == 2
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def disable_key_on(emulator: Emulator, out: dict[str, Any], target: str) -> None:
    """Disable the table's key just before the first `target` request of the run reaches the emulator."""
    assert emulator.faults is not None
    emulator.faults.add(Fault(target, before=lambda: emulator.client("kms").disable_key(KeyId=out[contract.KEY_ID])))


def test_the_key_disabled_before_the_canary_write_fails_the_round_trip(
    emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    disable_key_on(emulator, out, "DynamoDB_20120810.PutItem")
    assert run(path) == 1
    report = capsys.readouterr().out
    assert "FAIL   round_trip" in report
    assert "the deployer could not write a canary: ValidationException" in report
    assert "check the key, its policy and its grants" in report
    emulator.client("kms").enable_key(KeyId=out[contract.KEY_ID])
    assert_no_canary(emulator, out)


def test_the_key_disabled_after_the_canary_write_says_which_item_to_delete(
    emulator: Emulator, deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    disable_key_on(emulator, out, "DynamoDB_20120810.GetItem")
    assert run(path) == 1
    report = capsys.readouterr().out
    assert "FAIL   canary_removed" in report
    assert "once the key is usable again, delete it: aws dynamodb delete-item" in report
    # Nothing can delete it while the key is disabled (AWS neither); once enabled, the advice works.
    emulator.client("kms").enable_key(KeyId=out[contract.KEY_ID])
    canaries = [i for i in items(emulator, out) if CANARY_VALUE_ATTRIBUTE in i]
    assert len(canaries) == 1
    assert canaries[0]["id"]["S"] in report


def test_a_missing_table_fails_and_says_what_to_do(
    emulator: Emulator, deployed: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = deployed
    gone = tmp_path / "gone.json"
    table_arn = out[contract.TABLE_ARN].replace(f"table/{out[contract.TABLE_NAME]}", "table/no-such-table")
    gone.write_text(json.dumps({**out, contract.TABLE_NAME: "no-such-table", contract.TABLE_ARN: table_arn}))
    assert run(gone) == 1
    report = capsys.readouterr().out
    assert "FAIL   table.exists" in report
    assert "->" in report
    assert_no_canary(emulator, out)


def test_an_interrupted_run_exits_130_and_leaves_no_canary(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    real_read = verify.run.read_canary

    def read_then_ctrl_c(*args: Any) -> Any:
        real_read(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(verify.run, "read_canary", read_then_ctrl_c)
    assert run(path) == 130
    assert "interrupted; the canary item was deleted" in capsys.readouterr().err
    assert_no_canary(emulator, out)


# -- the canary is never lost silently: interrupted mid-write, terminated, or left by a failed delete --


class InterruptedAfterPut:
    """A DynamoDB client whose PutItem reaches the table, then the caller is interrupted (Ctrl-C
    while the request is in flight: the item landed, the answer never arrived)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Any) -> Any:
        self._client.put_item(**kwargs)
        raise KeyboardInterrupt


def test_ctrl_c_while_the_canary_write_is_in_flight_still_removes_it(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    real = verify.run.Aws.dynamodb
    monkeypatch.setattr(verify.run.Aws, "dynamodb", lambda self: InterruptedAfterPut(real(self)))
    assert run(path) == 130
    assert "interrupted; the canary item was deleted, nothing of ours is left" in capsys.readouterr().err
    assert_no_canary(emulator, out)


def test_sigterm_is_handled_like_ctrl_c_with_exit_143(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    real_read = verify.run.read_canary

    def read_then_sigterm(*args: Any) -> Any:
        value = real_read(*args)
        os.kill(os.getpid(), signal.SIGTERM)  # what `timeout`, `docker stop` and CI send
        return value

    monkeypatch.setattr(verify.run, "read_canary", read_then_sigterm)
    assert run(path) == 143
    assert "terminated; the canary item was deleted, nothing of ours is left" in capsys.readouterr().err
    assert_no_canary(emulator, out)
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_ctrl_c_after_a_failed_delete_prints_the_key_and_a_command_that_deletes_it(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, path = deployed
    disable_key_on(emulator, out, "DynamoDB_20120810.DeleteItem")  # the delete fails: the key is disabled
    real_remove = verify.canary.remove

    def remove_then_ctrl_c(*args: Any) -> None:
        real_remove(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(verify.canary, "remove", remove_then_ctrl_c)
    assert run(path) == 130
    err = capsys.readouterr().err
    assert f"the canary item may still be in {out[contract.TABLE_NAME]}" in err
    # Once the key is usable again, the printed command removes it (the AWS CLI, as a user would run it).
    emulator.client("kms").enable_key(KeyId=out[contract.KEY_ID])
    (left,) = [i for i in items(emulator, out) if CANARY_VALUE_ATTRIBUTE in i]
    assert left["id"]["S"] in err
    command = err.split("delete it with: ", 1)[1].strip()
    done = subprocess.run(
        shlex.split(command), env={**os.environ, **emulator.environment()}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert_no_canary(emulator, out)


def test_the_canary_carries_a_marker_stream_consumers_can_skip(
    emulator: Emulator, deployed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, path = deployed
    seen: list[dict[str, Any]] = []
    real_read = verify.run.read_canary

    def read_and_look(client: Any, canary: Any) -> Any:
        seen.extend(i for i in items(emulator, out) if CANARY_VALUE_ATTRIBUTE in i)
        return real_read(client, canary)

    monkeypatch.setattr(verify.run, "read_canary", read_and_look)
    assert run(path) == 0
    assert len(seen) == 1
    assert seen[0][CANARY_MARKER_ATTRIBUTE] == {"BOOL": True}
