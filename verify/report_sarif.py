"""The findings as SARIF 2.1.0, for GitHub code scanning (`python -m verify --sarif PATH`). Pure.

One run; `tool.driver` carries every rule of the catalogue (verify/rules.py); one result per FAIL and per
ERROR (the latter under the could-not-verify rule, level warning), none for PASS or SKIP. What code
scanning reads, and what it requires, is GitHub's "SARIF support for code scanning"
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):

- each result's `locations[0].physicalLocation.artifactLocation.uri` and `region.startLine` are required:
  "At least one location is required for code scanning to display a result". A finding is about a cloud
  resource, not a line, so the location is the repository-relative file that declares the stack
  (`source_path`, `--sarif-source`, default Pulumi.yaml), line 1, and the resource's ARN is the location's
  logicalLocations entry (kind "resource") and the result's properties;
- `partialFingerprints`: "Code scanning only uses the primaryLocationLineHash". Every result here shares one
  file and line, so the hash is of what makes a finding the same issue from run to run (rule, check name,
  resource, principal, or the statement when no principal), never of the message, which changes each run;
  given one, upload-sarif does not compute its own from the file;
- `runs[0].automationDetails.id` is "category/run-id"; "If you upload a second SARIF file for a commit with
  the same category and from the same tool, the earlier results are overwritten", so each stack gets its
  own category (`automation_id`) and two stacks' uploads do not close each other's alerts;
- limits: at most 25,000 results per run (more and the file is rejected; only the top 5,000 by severity are
  shown) and 20 tags per rule; rule name at most 255 characters, short and full descriptions at most 1,024;
  and "For each gzip-compressed SARIF file, SARIF upload supports a maximum size of 10 MB. Any uploads over
  this limit will be rejected": evidence that does not compress (random grant names, long role paths, an
  error message) can grow 25,000 results past it, so each message and property is cut (MESSAGE_CHARS,
  PROPERTY_CHARS) and the most severe results that fit are kept (MAX_GZIP_BYTES, of sarif_text's text).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from access.version import VERSION
from verify.findings import Finding, Status
from verify.rules import COULD_NOT_VERIFY, PROJECT_URL, RULES, Rule, docs_url, rule_for, uri

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"  # as GitHub's examples give it
SARIF_VERSION = "2.1.0"
TOOL_NAME = "encrypted-dynamodb-verify"
FINGERPRINT = "primaryLocationLineHash"
MAX_RESULTS = 25_000  # "Results per run": the maximum code scanning accepts
MAX_GZIP_BYTES = 9_500_000  # under "a maximum size of 10 MB" per gzip-compressed file, with room to spare
MESSAGE_CHARS = 4_000  # a message longer than this is cut (code scanning titles a result with its first sentence)
PROPERTY_CHARS = 2_048  # a property longer than this (a statement's compact JSON) is cut; an ARN never is
DEFAULT_SOURCE = "Pulumi.yaml"


# A run of part of what a stack's whole run checks: the checks without the audit, or the audit alone.
CHECKS_ONLY, AUDIT_ONLY = "checks-only", "audit-only"


def automation_id(subject: str, part: str = "") -> str:
    """runAutomationDetails.id for a stack (or, without a stack name, its table): the category
    `encrypted-dynamodb-verify/<subject>`, no run id (the trailing slash). A run of `part` of it (CHECKS_ONLY,
    AUDIT_ONLY) has a category of its own, `.../<subject>/<part>`: an upload replaces its category's results
    and closes as fixed the alerts it does not carry, so a run that audited nothing must not replace the
    audit's, nor an audit alone the checks'."""
    return f"{TOOL_NAME}/{subject}/" + (f"{part}/" if part else "")


def reported(finding: Finding) -> bool:
    """A finding that becomes a result: a failed check, or one that could not be made."""
    return finding.status in (Status.FAIL, Status.ERROR)


def fingerprint(rule: Rule, finding: Finding) -> str:
    """What makes two runs' results the same alert: the rule, the check's name (it carries the region and the
    parameters), the resource and the principal; the deciding statement only when no principal names it (a
    grant or a statement is then the subject). Not the message: its evidence changes from run to run."""
    parts = (
        rule.id,
        finding.check,
        finding.resource,
        finding.principal,
        "" if finding.principal else finding.statement,
    )
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(finding: Finding) -> str:
    """What was seen -> what to do (findings never hold a secret). No embedded link: in a plain text message
    SARIF reads `[text](destination)` as one ("an embedded link SHALL conform to the following syntax ...
    embedded link = "[", link text, "](", link destination, ")"", SARIF 2.1.0 3.11.6,
    https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/sarif-v2.1.0-os.html), which a viewer shows as its text,
    linked; a Sid or an error message may hold one. A space between "]" and "(" keeps the words readable and
    links nothing."""
    what = f"{finding.check}: {finding.seen}"
    if finding.status is Status.ERROR and finding.check != COULD_NOT_VERIFY:
        what = f"could not verify {what}"
    text = f"{what} -> {finding.advice}" if finding.advice else what
    return _cut(text.replace("](", "] ("), MESSAGE_CHARS)


def descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as SARIF's reportingDescriptor."""
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "help": {"text": rule.help_text, "markdown": rule.help_markdown},
        "helpUri": docs_url(rule.anchor),
        "defaultConfiguration": {"level": rule.level.value},
        "properties": {"security-severity": rule.security_severity, "tags": list(rule.tags), "precision": "high"},
    }


def _result(finding: Finding, rule: Rule, index: int, source_path: str, seen: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": source_path}, "region": {"startLine": 1}},
    }
    if finding.resource:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.resource, "kind": "resource"}]
    # Two results with the same identity in one run (two grants to one grantee, say) stay two alerts.
    identity = fingerprint(rule, finding)
    seen[identity] = seen.get(identity, 0) + 1
    properties = {
        "check": finding.check,
        "status": finding.status.value,
        "region": finding.region,
        "resourceArn": finding.resource,
        "principal": finding.principal,
        "statement": finding.statement,
    }
    return {
        "ruleId": rule.id,
        "ruleIndex": index,
        "level": rule.level.value,
        "message": {"text": message(finding)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: f"{identity}:{seen[identity]}"},
        "properties": {key: _cut(value, PROPERTY_CHARS) for key, value in properties.items() if value},
    }


def as_sarif(
    findings: Sequence[Finding],
    *,
    automation: str,
    source_path: str = DEFAULT_SOURCE,
    exit_code: int | None = None,
) -> dict[str, Any]:
    """The SARIF log of one verification. `automation`: automation_id(...) of the stack; `source_path`: the
    repository-relative file the results point at; `exit_code`: the run's, when it is known (an invocation
    whose exit code is not 0 or 1 did not run to its end: SARIF's executionSuccessful false)."""
    rules: list[Rule] = list(RULES)
    index = {rule.id: position for position, rule in enumerate(rules)}
    chosen = [(finding, rule_for(finding)) for finding in findings if reported(finding)]
    for _finding, rule in chosen:
        if rule.id not in index:  # a check the catalogue does not describe (the tests prove none is emitted)
            index[rule.id] = len(rules)
            rules.append(rule)
    seen: dict[str, int] = {}
    results = [_result(finding, rule, index[rule.id], source_path, seen) for finding, rule in chosen]
    # Keep the most severe when not all can go: code scanning itself shows only the top results "prioritized
    # by severity". The run order is kept among those kept.
    by_severity = sorted(range(len(results)), key=lambda i: -chosen[i][1].severity)

    def log(count: int) -> dict[str, Any]:
        kept = [results[i] for i in sorted(by_severity[:count])]
        return _log(rules, kept, automation, exit_code, omitted=len(results) - count)

    count = min(len(results), MAX_RESULTS)
    if _gzip_size(log(count)) > MAX_GZIP_BYTES:
        # The most results that fit (a bisection: every result is small, MESSAGE_CHARS and PROPERTY_CHARS).
        low, high = 0, count
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if _gzip_size(log(middle)) <= MAX_GZIP_BYTES else (low, middle - 1)
        count = low
    return log(count)


def sarif_text(document: dict[str, Any]) -> str:
    """The log as the file holds it (what MAX_GZIP_BYTES is measured on)."""
    return json.dumps(document, indent=2) + "\n"


def _gzip_size(document: dict[str, Any]) -> int:
    # zlib's default level, as upload-sarif's Node zlib compresses; it may re-serialize without the indent (smaller)
    return len(gzip.compress(sarif_text(document).encode("utf-8"), compresslevel=6))


def _log(
    rules: Sequence[Rule], results: list[dict[str, Any]], automation: str, exit_code: int | None, *, omitted: int
) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": VERSION,
                "semanticVersion": VERSION,
                "informationUri": uri(PROJECT_URL),
                "rules": [descriptor(rule) for rule in rules],
            }
        },
        "automationDetails": {"id": automation},
        "results": results,
    }
    if exit_code is not None:
        run["invocations"] = [{"executionSuccessful": exit_code in (0, 1), "exitCode": exit_code}]
    if omitted:
        run["properties"] = {"omittedResults": omitted}
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
