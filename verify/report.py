"""Report: findings as a terminal table, JSON, or JUnit XML. Never prints secrets (findings hold none)."""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import asdict

from verify.findings import Finding, Status


def as_table(findings: list[Finding]) -> str:
    width = max(60, shutil.get_terminal_size((120, 20)).columns)
    check_width = max([len(f.check) for f in findings] + [5])
    evidence_width = max(20, width - check_width - 9)
    lines = [f"{'STATUS':<6} {'CHECK':<{check_width}}  EVIDENCE", "-" * min(width, 140)]
    for finding in findings:
        text = finding.seen + (f" -> {finding.advice}" if finding.advice and finding.status is not Status.PASS else "")
        wrapped = textwrap.wrap(text, evidence_width, break_on_hyphens=False) or [""]
        lines.append(f"{finding.status.value:<6} {finding.check:<{check_width}}  {wrapped[0]}")
        lines += [f"{'':<6} {'':<{check_width}}  {more}" for more in wrapped[1:]]
    counts = {s: sum(f.status is s for f in findings) for s in Status}
    lines.append("")
    lines.append(", ".join(f"{n} {s.value.lower()}" for s, n in counts.items() if n) or "no checks ran")
    return "\n".join(lines)


def as_json(
    findings: list[Finding],
    principals: list[dict[str, object]] | None = None,
    replica_principals: dict[str, list[dict[str, object]]] | None = None,
    external_principals: list[dict[str, object]] | None = None,
) -> str:
    """`principals`: the audit's rows (the primary region's); `replica_principals`: each replica region's."""
    document: dict[str, object] = {"findings": [{**asdict(f), "status": f.status.value} for f in findings]}
    if principals is not None:
        document["principals"] = principals
    if replica_principals:
        document["replicaPrincipals"] = replica_principals
    if external_principals:
        document["externalPrincipals"] = external_principals
    return json.dumps(document, indent=2)


def as_junit(findings: list[Finding], suite: str = "encrypted-dynamodb-verify") -> str:
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(findings)),
        failures=str(sum(f.status is Status.FAIL for f in findings)),
        errors=str(sum(f.status is Status.ERROR for f in findings)),
        skipped=str(sum(f.status is Status.SKIP for f in findings)),
    )
    for finding in findings:
        case = ET.SubElement(root, "testcase", classname=suite, name=finding.check)
        if finding.status is Status.FAIL:
            ET.SubElement(case, "failure", message=finding.seen).text = finding.advice
        elif finding.status is Status.ERROR:
            ET.SubElement(case, "error", message=finding.seen).text = finding.advice
        elif finding.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=finding.seen)
        ET.SubElement(case, "system-out").text = finding.seen
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
