"""Run the stack program (`__main__.py`) in-process under Pulumi mocks."""

from __future__ import annotations

import gc
import json
import runpy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import get_root_resource

from sandbox.emulator.account import REGION
from sandbox.harness.mocks import RecordingMocks, RecordingMonitor
from stack.project import check_declared, config_defaults, project_name

PROJECT = project_name()
PROGRAM = Path(__file__).resolve().parents[2] / "__main__.py"


@dataclass(frozen=True)
class ProgramRun:
    mocks: RecordingMocks
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]


def _config_text(value: Any) -> str:
    """Config values as the CLI hands them to a program: strings, JSON for the rest."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def stack_config(config: Mapping[str, Any]) -> dict[str, str]:
    """The config a program sees: the given values over Pulumi.yaml's defaults, as the CLI applies them
    (and, as the CLI does, an undeclared project key is refused)."""
    check_declared(config)
    merged = {**config_defaults(), **config}
    return {key if ":" in key else f"{PROJECT}:{key}": _config_text(value) for key, value in merged.items()}


def use_mocks(
    mocks: RecordingMocks, config: dict[str, Any], *, stack: str = "dev", secret_keys: tuple[str, ...] = ()
) -> None:
    """A clean root stack, the stack's config (stack_config) and the mocks in place."""
    pulumi.runtime.reset_options(project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(
        stack_config(config), secret_keys=[k if ":" in k else f"{PROJECT}:{k}" for k in secret_keys]
    )
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=RecordingMonitor(mocks))


@contextmanager
def cyclic_gc_paused(pause: bool = True) -> Iterator[None]:
    """Pause CPython's cyclic collector while a program is evaluated.

    The SDK keeps every pending registration, Output and task alive until the
    program ends, so the collector frees almost nothing (peak memory is the same
    without it) yet rescans everything, more often as the program grows: with it
    on, evaluation takes twice as long at 100 tables and grows faster than the
    program (docs/performance.md). Reference counting still frees.
    """
    was_enabled = gc.isenabled()
    if pause:
        gc.freeze()
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.unfreeze()
            if was_enabled:
                gc.enable()


def resolve_under_mocks(
    build: Callable[[], Mapping[str, Any] | None], *, pause_gc: bool = True
) -> tuple[dict[str, Any], frozenset[str]]:
    """Run build() as a Pulumi program under the mocks already in place.

    Returns the Outputs build() handed back, resolved, and which were secret.
    Every resource registration has finished when this returns.
    """
    resolved: dict[str, Any] = {}
    secret: set[str] = set()

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        values = dict(build() or {})

        async def collect() -> None:
            for key, value in values.items():
                output = pulumi.Output.from_input(value)
                if await output.is_secret():
                    secret.add(key)
                resolved[key] = await output.future()

        return pulumi.Output.from_input(collect())

    with cyclic_gc_paused(pause_gc):
        program()
    return resolved, frozenset(secret)


def run_program(config: dict[str, Any], mocks: RecordingMocks | None = None, *, stack: str = "dev") -> ProgramRun:
    """Run __main__.py as `pulumi up` would, and resolve its exports."""
    mocks = mocks or RecordingMocks(region=str(config.get("aws:region") or REGION))
    use_mocks(mocks, config, stack=stack)

    def program() -> dict[str, Any]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        return dict(getattr(get_root_resource(), "outputs", {}))

    outputs, secret = resolve_under_mocks(program)
    return ProgramRun(mocks, outputs, secret)
