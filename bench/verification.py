"""Verification time-to-verdict in the sandbox, with a propagation delay D.

Deploy without the grant, deploy with it, and at once run the verification
expecting "read": the grant takes effect D seconds after it was made, so the
verdict cannot come before D. The figure is the time from the grant to the
verdict, and the overhead beyond D (the waiting schedule's overshoot plus the
checks themselves).

Run as `python -m bench.verification D` in a fresh process; prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time

from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from sandbox.harness import deploy
from verify.findings import EXIT_OK, exit_code
from verify.inputs import parse_outputs
from verify.run import Aws, verify

CONFIG = {"testPrincipal": "role", "deletionProtection": "false"}


def measure(delay: float) -> dict[str, float | bool]:
    with Emulator(propagation_delay=delay) as emulator:
        stack = Stack(emulator)
        deploy(stack, {**CONFIG, "grantTestPrincipal": "false"})
        granted = deploy(stack, {**CONFIG, "grantTestPrincipal": "true"})
        start = time.perf_counter()
        findings = verify(
            Aws(emulator.session(), emulator.endpoint_url), parse_outputs(granted.outputs), max_wait=delay + 60
        )
        seconds = time.perf_counter() - start
    return {
        "delay": delay,
        "seconds": seconds,
        "overhead": seconds - delay,
        "passed": exit_code(findings) == EXIT_OK,
    }


if __name__ == "__main__":
    print(json.dumps(measure(float(sys.argv[1]))))
