"""package_schema() in a long-lived process: the same schema, whatever garbage earlier tests left behind.

In the full suite, tests whose Pulumi program fails on purpose leave failed asyncio Futures in reference
cycles. When the cyclic collector frees one, asyncio logs "exception was never retrieved" with its
traceback, and formatting that traceback parses Python (3.11's traceback locates each frame's expression
with ast.parse). A collection inside the analyzer's own ast.parse of a component's module made that parse
raise SystemError on CPython before 3.11.8 (python/cpython#113035); the SDK swallowed it and published
KeyUser's first output, principalArn, without its description. components.package holds the collector off
while the analyzer parses; these tests run it under collections that parse.
"""

from __future__ import annotations

import ast
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from components import encrypted_table
from components.package import package_schema

# CPython versions whose ast.parse breaks when a collection inside it parses too: the AST constructor's depth
# counter was shared (python/cpython#106905), fixed in 3.11.8 and 3.12.2 (python/cpython#113476, #113472).
REENTRANT_PARSE_BREAKS = (3, 11) <= sys.version_info[:3] < (3, 11, 8) or (3, 12) <= sys.version_info[:3] < (3, 12, 2)


class ParsesWhenCollected:
    """Garbage in a reference cycle whose finalizer parses Python, as asyncio's report of a failed Future does,
    and which leaves another like it for the next collection while armed."""

    armed = False
    parses = 0

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        ast.parse("reader = table.key_user(principal_arn)")
        ParsesWhenCollected.parses += 1
        if ParsesWhenCollected.armed:
            ParsesWhenCollected()


@contextmanager
def collections_that_parse() -> Iterator[None]:
    """A young collection at every allocation, each freeing a ParsesWhenCollected: the last one inside an
    ast.parse of a module falls at its top level, where the depth it leaves cannot match by chance."""
    assert gc.isenabled()
    thresholds = gc.get_threshold()
    ParsesWhenCollected.armed, ParsesWhenCollected.parses = True, 0
    gc.set_threshold(1)
    ParsesWhenCollected()
    try:
        yield
    finally:  # disarmed before pytest, which parses source to report a failure, runs again
        ParsesWhenCollected.armed = False
        gc.set_threshold(*thresholds)
        gc.collect()


@pytest.fixture(scope="module")
def calm() -> dict[str, Any]:
    return package_schema()


def undescribed(schema: dict[str, Any]) -> list[str]:
    """Every input, output and type property without a description, as token.property."""
    properties = [
        (token, name, spec)
        for token, resource in schema["resources"].items()
        for kind in ("inputProperties", "properties")
        for name, spec in resource[kind].items()
    ]
    properties += [
        (token, name, spec) for token, typ in schema["types"].items() for name, spec in typ["properties"].items()
    ]
    return [f"{token}.{name}" for token, name, spec in properties if not spec.get("description")]


@pytest.mark.skipif(not REENTRANT_PARSE_BREAKS, reason="this CPython's ast.parse tolerates a collection that parses")
def test_collections_that_parse_break_a_plain_parse_on_this_python() -> None:
    """The disturbance is real here: what the analyzer parses (a component's module), without the guard."""
    source = Path(encrypted_table.__file__).read_text(encoding="utf-8")
    with collections_that_parse(), pytest.raises(SystemError, match="recursion depth mismatch"):
        ast.parse(source)


def test_every_description_survives_collections_that_parse(calm: dict[str, Any]) -> None:
    with collections_that_parse():
        disturbed = package_schema()
    assert ParsesWhenCollected.parses > 0, "no collection ran: the test disturbed nothing"
    assert undescribed(calm) == []
    assert undescribed(disturbed) == []
    assert disturbed == calm


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_the_collector_is_left_as_it_was(enabled: bool) -> None:
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        package_schema()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()
