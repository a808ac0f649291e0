"""`pulumi up` of a small program of a test's own (a build function) into a Stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from sandbox.engine import Change, EmulatorBackend, Stack
from sandbox.harness import deploying_mocks, resolve_under_mocks, use_mocks

Program = Callable[[], dict[str, Any]]


def deploy_program(stack: Stack, build: Program) -> tuple[dict[str, Any], list[Change]]:
    """`pulumi up` of build() into the stack: its outputs, resolved, and the changes."""
    backend = EmulatorBackend.for_stack(stack)
    use_mocks(deploying_mocks(backend), {})
    try:
        outputs, _ = resolve_under_mocks(build)
        backend.finish()
    finally:
        pulumi.runtime.reset_options()
    return outputs, backend.changes


def up_program(stack: Stack, build: Program) -> list[Change]:
    """`pulumi up` of build() into the stack; the changes."""
    return deploy_program(stack, build)[1]
