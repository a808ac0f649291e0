"""A finding: what was checked, what was seen, what to do about it; and, for the reports that place it
(SARIF), the resource, region, principal and deciding statement it is about."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# What no report can carry: C0 and C1 control characters but tab, line feed and carriage return, surrogates
# (alone they are not Unicode text: UTF-8 cannot encode them, and a strict JSON reader refuses their escape),
# and the non-characters U+FFFE and U+FFFF. XML 1.0 (the JUnit report) allows only "#x9 | #xA | #xD |
# [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]" (https://www.w3.org/TR/xml/#charsets) and asks
# authors to avoid [#x7F-#x84] and [#x86-#x9F]; an ESC or a C1 CSI in a terminal or a CI log starts an escape
# sequence. JSON-decoded AWS data holds any of them: a key policy's text is printable ASCII, but its JSON
# escapes ("\u0000", "\ud800") decode to anything, and a statement's Sid reaches the findings. Nor the explicit
# directional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069; Unicode UAX #9, 2.1-2.4): they
# make what follows display reordered, "role/\u202enimda-tsurt" reading "role/trust-admin" (CVE-2021-42574).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text every report can carry (terminal, JSON, JUnit XML, Markdown, SARIF) and shows in its order: each
    character of _NOT_TEXT replaced by U+FFFD, the replacement character, so that what was there still shows."""
    return _NOT_TEXT.sub("\ufffd", text)


# A session token AWS echoes: a signature it refuses is answered, by services such as DynamoDB's and KMS's,
# with the canonical request it expected, whose signed headers include x-amz-security-token and its value
# (https://github.com/aws/aws-sdk-cpp/issues/17 shows one); a presigned URL carries it as a query parameter.
_SESSION_TOKEN = re.compile(r"(?i)(x-amz-security-token\s*[:=]\s*)[^\s'\"&]+")
REDACTED = "<redacted>"


def redacted(text: str) -> str:
    """The text without the session tokens AWS's error messages can echo."""
    return _SESSION_TOKEN.sub(lambda found: found[1] + REDACTED, text)


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
    # Where it is, for the reports that place a finding (verify/report_sarif.py). A judge sets what it knows;
    # verify.locate.locate fills the rest from the check's name and the stack's outputs. Never a secret.
    resource: str = ""  # the ARN of the resource the finding is about (table, key, alarm rule, topic)
    region: str = ""
    principal: str = ""  # the principal it is about (a reader, a grantee, a probed session), when one
    statement: str = ""  # the deciding statement: its Sid, or its compact JSON (statement_text), or "grant <id>"

    def __post_init__(self) -> None:
        # Live data reaches every text field (a Sid, a principal, an AWS error message): keep each printable,
        # and free of a session token an error message echoes.
        for field in ("check", "seen", "advice", "resource", "region", "principal", "statement"):
            value = getattr(self, field)
            if _NOT_TEXT.search(value) or _SESSION_TOKEN.search(value):
                object.__setattr__(self, field, redacted(printable(value)))

    @classmethod
    def passed(cls, check: str, seen: str) -> Finding:
        return cls(check, Status.PASS, seen)

    @classmethod
    def failed(cls, check: str, seen: str, advice: str) -> Finding:
        return cls(check, Status.FAIL, seen, advice)

    @classmethod
    def skipped(cls, check: str, why: str) -> Finding:
        return cls(check, Status.SKIP, why)

    def about(self, *, resource: str = "", region: str = "", principal: str = "", statement: str = "") -> Finding:
        """The same finding, placed: what it is about, as far as its judge knows (empty: unknown here)."""
        return dataclasses.replace(
            self,
            resource=resource or self.resource,
            region=region or self.region,
            principal=principal or self.principal,
            statement=statement or self.statement,
        )


def statement_text(statement: Mapping[str, Any] | None) -> str:
    """How a finding names the statement that decided: its Sid, or its compact JSON when it has none
    (keys sorted, so the same statement reads the same every run); "" for none."""
    if not statement:
        return ""
    sid = statement.get("Sid")
    if isinstance(sid, str) and sid:
        return sid
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), default=str)


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
