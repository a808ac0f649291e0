"""The findings as Markdown, for a GitHub job summary (`python -m verify --markdown PATH`; the action appends
it to $GITHUB_STEP_SUMMARY). Pure.

The shape: one header line (`## encrypted-dynamodb verify: PASS|FAIL|ERROR`, the counts and the version),
a table of checks (`| status | check | evidence |`, one row per check, failures first, then in the order
they ran), then, when the audit ran, its matrix per region (the rows the terminal shows) and the
principals of other accounts it found.

GitHub takes a step summary of at most 1 MiB: "$GITHUB_STEP_SUMMARY upload aborted, supports content up to a
size of 1024k" (the runner's refusal; https://docs.github.com/en/actions/reference/workflows-and-actions/
workflow-commands#adding-a-job-summary), and the whole summary is lost, not cut. So the report keeps well
under it (MAX_BYTES): each evidence cell is cut at EVIDENCE_CHARS, then rows are left out from the end of
each table (passes last), with a line saying how many; the JSON and JUnit reports keep everything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from access.version import VERSION
from verify.audit.model import AccessRow, ExternalRow
from verify.audit.report import (
    EXTERNAL_HEADER,
    PATHS_LEGEND,
    decided_by,
    external_cells,
    hidden_line,
    iam_layer,
    kms_layer,
    paths_cell,
    shown,
)
from verify.findings import Finding, Status, printable

TITLE = "encrypted-dynamodb verify"
MAX_BYTES = 256 * 1024  # a quarter of GitHub's 1 MiB per step: room for what else the step writes
EVIDENCE_CHARS = 600
CHECKS_HEADER = ("status", "check", "evidence")
MATRIX_HEADER = ("principal", "is", "IAM", "KMS", "verdict", "paths", "decided by")
# Failures first: a reviewer reads the top of the table.
_FIRST = {Status.ERROR: 0, Status.FAIL: 1}


def overall(findings: Sequence[Finding]) -> Status:
    """The run's outcome, as its exit code reads it (verify.findings.exit_code): ERROR, FAIL, or PASS."""
    if any(f.status is Status.ERROR for f in findings):
        return Status.ERROR
    if any(f.status is Status.FAIL for f in findings):
        return Status.FAIL
    return Status.PASS


def header(findings: Sequence[Finding]) -> str:
    counts = [f"{sum(f.status is s for f in findings)} {s.value.lower()}" for s in Status]
    shown_counts = ", ".join(c for c in counts if not c.startswith("0 ")) or "no checks ran"
    return f"## {TITLE}: {overall(findings).value} ({shown_counts}; version {VERSION})"


# GitHub Flavored Markdown: in a table, a cell's pipe is escaped ("include a pipe in a cell's content by
# escaping it, including inside other inline spans", https://github.github.com/gfm/#tables-extension-);
# a backslash escapes any ASCII punctuation (#backslash-escapes); a line ending ends the row. `>` and `#` start
# markup only at the start of a line, which a cell never is. `&` starts an entity reference (#entity-and-numeric-
# character-references): escaped, "&lt;" shows as AWS wrote it, not as "<".
_ESCAPED = set("\\`*_[]<|~&")  # only what can start markup mid-line
# GitHub also makes links of bare addresses, with no markup at all: "www." and a scheme's "://" start one
# (https://github.github.com/gfm/#autolinks-extension-). An escaped "." or ":" still shows, and ends the match.
# (An e-mail address still becomes a mailto: link, whatever is escaped: a link to the address it shows.)
_AUTOLINK = re.compile(r"(?i)(?<=www)\.|:(?=//)")


def text_cell(text: str, limit: int | None = None) -> str:
    """Plain text as one table cell: cut at `limit` characters (an ellipsis says so), Markdown's specials
    escaped so that nothing in the evidence becomes a link, emphasis, HTML or a new column or row."""
    flat = " ".join(printable(text).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    escaped = "".join(f"\\{c}" if c in _ESCAPED else c for c in flat)
    return _AUTOLINK.sub(lambda found: "\\" + found[0], escaped)


def code_cell(text: str) -> str:
    """A name (a check, an ARN) as a code span in a cell: only the pipe needs its escape there."""
    flat = " ".join(printable(text).split()).replace("`", "'")
    return f"`{flat.replace('|', chr(92) + '|')}`" if flat else ""


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table_head(columns: Sequence[str]) -> list[str]:
    return [_row(columns), _row(["---"] * len(columns))]


@dataclass(frozen=True)
class _Section:
    """A titled table: its lines before the rows, its rows, its lines after them."""

    before: tuple[str, ...]
    rows: tuple[str, ...]
    after: tuple[str, ...] = ()
    what: str = "rows"

    def omitted(self, count: int) -> str:
        return f"_{count} more {self.what} omitted to keep this summary short; the JSON report (--json) has all._"


def _size(lines: Sequence[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _checks(findings: Sequence[Finding]) -> _Section:
    ordered = sorted(findings, key=lambda f: _FIRST.get(f.status, 2))  # stable: run order within each rank
    rows = []
    for finding in ordered:
        evidence = finding.seen
        if finding.advice and finding.status is not Status.PASS:
            evidence += f" -> {finding.advice}"
        rows.append(_row([finding.status.value, code_cell(finding.check), text_cell(evidence, EVIDENCE_CHARS)]))
    return _Section(("", "### Checks", "", *_table_head(CHECKS_HEADER)), tuple(rows), what="checks")


def _matrix(title: str, rows: Sequence[AccessRow]) -> _Section:
    cells = [
        _row(
            [
                code_cell(row.principal),
                text_cell(row.role.value),
                iam_layer(row),
                kms_layer(row),
                text_cell(row.verdict.value),
                text_cell(paths_cell(row)),
                text_cell(decided_by(row), EVIDENCE_CHARS),
            ]
        )
        for row in shown(rows)
    ]
    after = ("", text_cell(hidden_line(rows)) + ". " + text_cell(PATHS_LEGEND) + ".")
    return _Section(("", f"#### {title}", "", *_table_head(MATRIX_HEADER)), tuple(cells), after, "principals")


def _external(rows: Sequence[ExternalRow]) -> _Section:
    cells = [
        _row([code_cell(principal), account, region, text_cell(declared), text_cell(let_in, EVIDENCE_CHARS)])
        for principal, account, region, declared, let_in in (external_cells(r) for r in rows)
    ]
    head = tuple(h.lower() for h in EXTERNAL_HEADER)
    return _Section(("", "### Principals of other accounts let in", "", *_table_head(head)), tuple(cells))


def as_markdown(
    findings: Sequence[Finding],
    *,
    principals: Sequence[AccessRow] | None = None,
    replica_principals: Mapping[str, Sequence[AccessRow]] | None = None,
    external: Sequence[ExternalRow] | None = None,
    primary_region: str = "",
    about: str = "",
    max_bytes: int = MAX_BYTES,
) -> str:
    """The summary. `principals`: the audit's rows of the primary region (None: the audit did not run);
    `replica_principals`: each replica region's; `external`: principals of other accounts let in; `about`:
    one line saying what was verified (the stack, the table); `max_bytes`: the cap on the UTF-8 size."""
    lines = [header(findings)]
    if about:
        lines += ["", text_cell(about)]
    sections = [_checks(findings)]
    if principals is not None:
        sections.append(_Section(("", "### Who can reach the data"), ()))
        primary = f"{primary_region} (primary)" if replica_principals else primary_region or "the table's region"
        sections.append(_matrix(primary, principals))
        sections += [_matrix(f"{region} (replica)", rows) for region, rows in (replica_principals or {}).items()]
    if external:
        sections.append(_external(external))
    # What is always written: the header, every section's head and tail, and an omission line per table.
    fixed = _size(lines) + sum(
        _size([*s.before, *s.after]) + (_size([s.omitted(len(s.rows))]) if s.rows else 0) for s in sections
    )
    room = max(0, max_bytes - fixed)
    with_rows = [s for s in sections if s.rows]
    for section in sections:
        lines += section.before
        if section.rows:
            # Each table's fair share of what is left; what one leaves unused goes to the next.
            share = room // (len(with_rows) - with_rows.index(section))
            kept = 0
            for row in section.rows:
                cost = _size([row])
                if cost > share:
                    break
                share -= cost
                room -= cost
                kept += 1
            lines += section.rows[:kept]
            if kept < len(section.rows):
                lines.append(section.omitted(len(section.rows) - kept))
        lines += section.after
    return "\n".join(lines) + "\n"
