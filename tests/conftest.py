"""Pulumi mocks for every test: a recording mock per test, a clean root stack, no network.

RecordingMocks (sandbox/harness/mocks.py) records each resource's type, name, parent and
camelCase inputs, fills only computed values (arn, id, keyId, name), and answers
every invoke the components use; an unmodelled type or invoke is an error, never
a silent None.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from hypothesis import settings

from sandbox.harness import RecordedResource, RecordingMocks, resolve_under_mocks, use_mocks

# Property tests: the same examples on every run by default, so the suite never flakes;
# HYPOTHESIS_PROFILE=explore searches far wider (run it after touching validation or policies).
settings.register_profile("ci", max_examples=100, derandomize=True)
settings.register_profile("explore", max_examples=5000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def quiet_leftover_futures() -> Iterator[None]:
    """Collect, at the end of the session, the futures of programs that failed on purpose.

    The runner pauses the cyclic GC while a program runs, so the futures of the
    tests that make an apply fail are collected later; asyncio would then report
    each "exception was never retrieved" on the way out, after the summary. Every
    one of them belongs to a test that expected that exception.
    """
    asyncio_log = logging.getLogger("asyncio")
    # From the start, not only at the end: such a future can be collected in the middle of any later
    # test, and formatting its traceback there parses Python source, which on CPython 3.11.0-3.11.7
    # breaks an ast.parse the test was running (python/cpython#106905; see components/package.py).
    # The filter drops only those records, before any handler formats them.
    asyncio_log.addFilter(_not_a_leftover_future)
    yield
    previous = asyncio_log.level
    asyncio_log.setLevel(logging.CRITICAL)
    try:
        gc.collect()
    finally:
        # The filter stays to the process's end: a test process (an xdist worker too) collects more such
        # futures on its way out, after the session, and their tracebacks would fill the log.
        asyncio_log.setLevel(previous)


def _not_a_leftover_future(record: logging.LogRecord) -> bool:
    """False for asyncio's report of a future or task whose exception nobody retrieved."""
    # asyncio.futures: f"{self.__class__.__name__} exception was never retrieved" (Future, Task, subclasses).
    return not str(record.msg).partition("\n")[0].endswith(" exception was never retrieved")


@pytest.fixture
def mocks() -> RecordingMocks:
    recorder = RecordingMocks()
    use_mocks(recorder, {})
    return recorder


@pytest.fixture
def resolve(mocks: RecordingMocks) -> Callable[[Callable[[], Mapping[str, Any] | None]], dict[str, Any]]:
    """Run a build function as a program (preview=False); return its Outputs resolved."""

    def run(build: Callable[[], Mapping[str, Any] | None]) -> dict[str, Any]:
        resolved, _secret = resolve_under_mocks(build)
        return resolved

    return run


def policy_of(resource: RecordedResource) -> dict[str, Any]:
    """The JSON policy document a key, role policy or user policy was given."""
    return json.loads(resource.inputs["policy"])


def statement(policy: Mapping[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in policy["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"expected one statement {sid!r}, found {len(found)} in {policy}"
    return found[0]
