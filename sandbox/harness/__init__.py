"""The test harness of the whole repository: the recording Pulumi mocks and the program runner.

- `mocks`: RecordingMocks (records every resource and invoke, answers the invokes,
  asks a backend for ids and state: the engine's invented values by default) and
  RecordingMonitor;
- `program`: run `__main__.py` or any build function under the mocks, with
  Pulumi.yaml's config defaults applied as the CLI applies them;
- `deploy`: the same runner with the engine's emulator backend: `pulumi up` into a Stack.
"""

from sandbox.harness.deploy import Deployment, deploy, deploying_mocks
from sandbox.harness.mocks import (
    CALLER_ARN,
    ISSUER_ARN,
    Backend,
    RecordedResource,
    RecordingMocks,
    RecordingMonitor,
    UnsupportedInvokeError,
)
from sandbox.harness.program import (
    ProgramRun,
    cyclic_gc_paused,
    resolve_under_mocks,
    run_program,
    stack_config,
    use_mocks,
)

__all__ = [
    "CALLER_ARN",
    "ISSUER_ARN",
    "Backend",
    "Deployment",
    "ProgramRun",
    "RecordedResource",
    "RecordingMocks",
    "RecordingMonitor",
    "UnsupportedInvokeError",
    "cyclic_gc_paused",
    "deploy",
    "deploying_mocks",
    "resolve_under_mocks",
    "run_program",
    "stack_config",
    "use_mocks",
]
