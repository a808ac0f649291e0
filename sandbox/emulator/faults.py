"""Fault injection in front of the emulator: throttling, expired credentials, a key disabled mid-run.

A Fault matches requests by their X-Amz-Target (e.g. "DynamoDB_20120810.PutItem",
"TrentService.DescribeKey") and, for its next `times` matches, runs `before`
(say, disable the key) and/or answers with an AWS error. Used by the verifier's
fault tests; the demo and serve never add any. Nothing here touches moto.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.emulator.actions import target
from sandbox.emulator.errors import AwsError, ExpiredTokenError, ThrottlingError, write_error

THROTTLED = ThrottlingError("Rate exceeded")
EXPIRED_TOKEN = ExpiredTokenError("The security token included in the request is expired")


@dataclass
class Fault:
    target: str
    times: int = 1
    error: AwsError | None = None
    before: Callable[[], None] | None = None
    seen: int = 0  # matching requests so far


@dataclass
class FaultInjector:
    """WSGI middleware: the wrapped app, with the faults added so far."""

    app: Callable[..., Iterable[bytes]]
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def _due(self, called: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.target == called and fault.seen < fault.times:
                    fault.seen += 1
                    return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        fault = self._due(target(environ))
        if fault is not None:
            if fault.before is not None:
                fault.before()
            if fault.error is not None:
                return write_error(start_response, fault.error)
        return self.app(environ, start_response)
