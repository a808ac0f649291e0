"""The audit as a picture: principal x IAM layer x KMS layer x verdict x what decided.

Only principals that reach the data (or can move the boundary) get a row; the rest are
counted. JSON carries every row.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import asdict

from access.operations import Path
from verify.audit.model import AccessRow, ExternalRow, Verdict


def _layer(allowed: bool, what: str) -> str:
    return what if allowed else "-"


def iam_layer(row: AccessRow) -> str:
    """The IAM column: what IAM lets the principal do to the items."""
    return {(True, True): "read+write", (True, False): "read", (False, True): "write"}.get(
        (row.iam_read, row.iam_write), "-"
    )


def kms_layer(row: AccessRow) -> str:
    """The KMS column: whether the key lets it decrypt through DynamoDB."""
    return _layer(row.kms_decrypt, "decrypt")


def shown(rows: Sequence[AccessRow]) -> list[AccessRow]:
    """The rows a matrix lists: the principals that reach the data or can move the boundary."""
    return [r for r in rows if r.touches_data]


def decided_by(row: AccessRow) -> str:
    """The DECIDED BY column: the layer that decided the verdict, then what else the principal can do."""
    decided = (
        row.kms_reason
        if row.verdict in (Verdict.PLAINTEXT_READER, Verdict.WRITER, Verdict.BLOCKED_BY_IAM)
        else row.iam_reason
    )
    if row.boundary:
        decided += f"; can change the boundary: {', '.join(row.boundary)}"
    for access in row.open_paths:
        if access.path not in (Path.READ, Path.WRITE):
            decided += f"; {access.path.value}: {access.reason}"
            decided += f" [upper bound: {access.assumed}]" if access.assumed else ""
    if row.sessions:
        decided += f"; sessions named: {', '.join(row.sessions)}"
    for chain in row.assumable_by:
        decided += f"; may be assumed: {' -> '.join(chain)}"
    return decided


def hidden_line(rows: Sequence[AccessRow]) -> str:
    return f"{len(rows)} principals judged; {len(rows) - len(shown(rows))} with no access to the data are not listed"


PATHS_LEGEND = (
    "PATHS: the ways to the data open to it (" + ", ".join(p.value for p in Path) + "); "
    "'?' open on the upper bound only: a condition the audit cannot know taken as met, a Deny set aside, "
    "or a key use AWS's pages do not settle"
)


# The layer that decided the verdict: KMS when the key let the principal in (or alone kept it out).
_KMS_DECIDES = (Verdict.PLAINTEXT_READER, Verdict.WRITER, Verdict.BLOCKED_BY_KMS)


def as_matrix(rows: Sequence[AccessRow]) -> str:
    listed = shown(rows)
    width = max(100, shutil.get_terminal_size((160, 20)).columns)
    principal_width = max([len(r.principal) for r in listed] + [9])
    paths_width = max([len(paths_cell(r)) for r in listed] + [5])
    header = (
        f"{'PRINCIPAL':<{principal_width}}  {'IS':<18} {'IAM':<10} {'KMS':<8} {'VERDICT':<16} "
        f"{'PATHS':<{paths_width}} DECIDED BY"
    )
    lines = [header, "-" * min(width, len(header) + 40)]
    indent = principal_width + 57 + paths_width
    reason_width = max(30, width - indent)
    for row in listed:
        wrapped = textwrap.wrap(decided_by(row), reason_width, break_on_hyphens=False, break_long_words=False) or [""]
        lines.append(
            f"{row.principal:<{principal_width}}  {row.role.value:<18} {iam_layer(row):<10} "
            f"{kms_layer(row):<8} {row.verdict.value:<16} {paths_cell(row):<{paths_width}} {wrapped[0]}"
        )
        lines += [f"{'':<{indent}} {more}" for more in wrapped[1:]]
    lines.append("")
    lines.append(hidden_line(rows))
    lines.append(PATHS_LEGEND)
    return "\n".join(lines)


def paths_cell(row: AccessRow) -> str:
    """The open paths, "?" marking one open only on the upper bound (a condition or a key use assumed)."""
    return ",".join(f"{a.path.value}{'?' if a.assumed else ''}" for a in row.open_paths) or "-"


def rows_as_json(rows: Sequence[AccessRow]) -> list[dict[str, object]]:
    return [{**asdict(r), "role": r.role.value, "verdict": r.verdict.value, "boundary": list(r.boundary)} for r in rows]


def as_json(rows: Sequence[AccessRow]) -> str:
    return json.dumps({"principals": rows_as_json(rows)}, indent=2)


def as_external_matrix(rows: Sequence[ExternalRow]) -> str:
    """Principals of other accounts let in: who, of which account, where, as declared or not, by what."""
    header = EXTERNAL_HEADER
    table = [external_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
        for line in [header, *table]
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


EXTERNAL_HEADER = ("PRINCIPAL (OTHER ACCOUNT)", "ACCOUNT", "REGION", "DECLARED", "LET IN BY")


def external_cells(row: ExternalRow) -> tuple[str, str, str, str, str]:
    return (row.principal, row.account, row.region, row.declared_access or "undeclared", ", ".join(row.let_in_by))


def external_rows_as_json(rows: Sequence[ExternalRow]) -> list[dict[str, object]]:
    return [{**asdict(r), "let_in_by": list(r.let_in_by)} for r in rows]
