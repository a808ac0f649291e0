"""A future whose exception nobody retrieved is collected without asyncio formatting its traceback
mid-test (tests/conftest.py quiet_leftover_futures: on CPython 3.11.0-3.11.7 that formatting parses
source and can break an ast.parse the test is running, python/cpython#106905)."""

from __future__ import annotations

import asyncio
import gc

import pytest


def test_a_leftover_future_is_not_reported_mid_session(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        future = loop.create_future()
        future.set_exception(RuntimeError("failed on purpose"))
        del future
        gc.collect()
    finally:
        loop.close()
    assert not [r for r in caplog.records if "exception was never retrieved" in r.getMessage()]


def test_other_asyncio_errors_still_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.call_exception_handler({"message": "Unhandled exception in event loop"})
    finally:
        loop.close()
    assert [r for r in caplog.records if r.getMessage().startswith("Unhandled exception in event loop")]
