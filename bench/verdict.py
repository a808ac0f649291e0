"""Time to a FAIL verdict when the boundary is open, in the sandbox.

The stack says the test principal must be refused, but it is a key user (a grant lets it in).
Before, the verifier waited out the whole propagation window (7 minutes by default) before
failing; now the live policies explain the read, so it fails at once.

Run as `python -m bench.verdict` in a fresh process; prints one JSON object.
"""

from __future__ import annotations

import json
import time

from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from sandbox.harness import deploy
from stack import outputs
from verify.findings import Status
from verify.inputs import parse_outputs
from verify.run import Aws, verify

CONFIG = {"testPrincipal": "role", "deletionProtection": "false", "grantTestPrincipal": "true"}


def measure() -> dict[str, float | bool]:
    with Emulator() as emulator:
        granted = deploy(Stack(emulator), CONFIG)
        want = parse_outputs({**granted.outputs, outputs.TEST_PRINCIPAL_EXPECTED_ACCESS: outputs.EXPECT_DENIED})
        start = time.perf_counter()
        findings = verify(Aws(emulator.session(), emulator.endpoint_url), want)  # the default window: 7 minutes
        seconds = time.perf_counter() - start
    probe = next(f for f in findings if f.check.startswith("boundary_probe"))
    return {"seconds": seconds, "failed": probe.status is Status.FAIL}


if __name__ == "__main__":
    print(json.dumps(measure()))
