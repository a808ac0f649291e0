"""`pulumi up` of the stack program into the emulator: the program runner with the engine's emulator backend.

`__main__.py` runs unchanged, in-process, under the recording mocks; each resource it
registers is created (or kept, updated, replaced) in the emulator by the engine, and
the mocks answer with the real ids, ARNs and state. A second deploy into the same
Stack with changed config behaves like `pulumi up` (sandbox.engine.plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.engine import Change, EmulatorBackend, Stack
from sandbox.harness.mocks import RecordingMocks
from sandbox.harness.program import ProgramRun, run_program


@dataclass(frozen=True)
class Deployment:
    run: ProgramRun
    changes: list[Change]
    # With refresh: what `pulumi refresh` found first (drift, and resources gone out of band).
    refreshed: list[Change] = field(default_factory=list)

    @property
    def outputs(self) -> dict[str, Any]:
        return self.run.outputs


def deploying_mocks(backend: EmulatorBackend) -> RecordingMocks:
    """Mocks that deploy through the backend and answer invokes as the emulator's deployer."""
    cloud = backend.cloud
    return RecordingMocks(
        account_id=cloud.account_id,
        region=backend.stack.emulator.region,
        caller_arn=cloud.deployer_arn,
        issuer_arn=cloud.deployer_arn,  # the deployer is an IAM user: it is its own issuer
        backend=backend,
    )


def deploy(stack: Stack, config: Mapping[str, Any], *, refresh: bool = False) -> Deployment:
    """`pulumi up` of the stack program with this config, into the emulator; with refresh, `pulumi up
    --refresh`: each resource read back first, so that what changed out of band is planned back."""
    backend = EmulatorBackend.for_stack(stack)
    refreshed = backend.refresh() if refresh else []
    run = run_program(dict(config), deploying_mocks(backend), stack=stack.name)
    backend.finish()
    return Deployment(run, backend.changes, refreshed)
