"""A finding: what was checked, what was seen, what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 (a status, not a password)
    FAIL = "FAIL"
    SKIP = "SKIP"
    ERROR = "ERROR"


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    seen: str
    advice: str = ""

    @classmethod
    def passed(cls, check: str, seen: str) -> Finding:
        return cls(check, Status.PASS, seen)

    @classmethod
    def failed(cls, check: str, seen: str, advice: str) -> Finding:
        return cls(check, Status.FAIL, seen, advice)

    @classmethod
    def skipped(cls, check: str, why: str) -> Finding:
        return cls(check, Status.SKIP, why)


def expect(check: str, ok: bool, seen: str, advice: str) -> Finding:
    return Finding.passed(check, seen) if ok else Finding.failed(check, seen, advice)


EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2
EXIT_INTERRUPTED = 130  # as a shell reports a run stopped by Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # 128 + SIGTERM


def exit_code(findings: list[Finding]) -> int:
    if any(f.status is Status.ERROR for f in findings):
        return EXIT_CANNOT_RUN
    if any(f.status is Status.FAIL for f in findings):
        return EXIT_FAILED
    return EXIT_OK
