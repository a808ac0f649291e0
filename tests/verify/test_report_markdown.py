"""`python -m verify --markdown`: the job summary. Pure tests on synthetic findings and audit rows: the golden
shape (a header, one row per check), escaping, the audit matrix, and the cap under GitHub's 1 MiB."""

from __future__ import annotations

import re

from access.operations import Path
from access.version import VERSION
from verify.audit.model import AccessRow, ExternalRow, PathAccess, Role, Verdict
from verify.findings import Finding, Status
from verify.report_markdown import EVIDENCE_CHARS, MAX_BYTES, as_markdown, text_cell

ACCOUNT = "123456789012"
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops"
READER = f"arn:aws:iam::{ACCOUNT}:role/reader"
NOBODY = f"arn:aws:iam::{ACCOUNT}:role/nobody"

FINDINGS = [
    Finding.passed("table.active", "TableStatus=ACTIVE"),
    Finding.failed("key.rotation", "KeyRotationEnabled=False", "turn rotation on"),
    Finding.skipped("boundary_probe", "the stack has no test principal"),
    Finding.failed("audit.undeclared_reader", f"{OPS} is a plaintext reader, undeclared", "remove it"),
]

GOLDEN = f"""## encrypted-dynamodb verify: FAIL (1 pass, 2 fail, 1 skip; version {VERSION})

stack dev: table orders in us-east-1

### Checks

| status | check | evidence |
| --- | --- | --- |
| FAIL | `key.rotation` | KeyRotationEnabled=False -> turn rotation on |
| FAIL | `audit.undeclared_reader` | {OPS} is a plaintext reader, undeclared -> remove it |
| PASS | `table.active` | TableStatus=ACTIVE |
| SKIP | `boundary_probe` | the stack has no test principal |
"""


def table_rows(markdown: str, header: str) -> list[str]:
    """The rows of the table whose header row starts with `header`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header)) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        rows.append(line)
    return rows


def cells(row: str) -> int:
    """The cells of a table row, counting only pipes that are not escaped."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_golden_shape() -> None:
    assert as_markdown(FINDINGS, about="stack dev: table orders in us-east-1") == GOLDEN


def test_a_header_and_one_row_per_check_failures_first() -> None:
    markdown = as_markdown(FINDINGS)
    assert re.fullmatch(
        rf"## encrypted-dynamodb verify: (PASS|FAIL|ERROR) \(.*; version {re.escape(VERSION)}\)",
        markdown.splitlines()[0],
    )
    rows = table_rows(markdown, "| status | check | evidence |")
    assert len(rows) == len(FINDINGS)
    assert [row.split(" | ")[0] for row in rows] == ["| FAIL", "| FAIL", "| PASS", "| SKIP"]
    assert all(cells(row) == 3 for row in rows)


def test_the_header_says_the_outcome_as_the_exit_code_does() -> None:
    assert as_markdown([Finding.passed("table.active", "ok")]).startswith("## encrypted-dynamodb verify: PASS (1 pass;")
    error = Finding("could_not_verify", Status.ERROR, "cannot run: no AWS credentials")
    assert as_markdown([*FINDINGS, error]).startswith(
        "## encrypted-dynamodb verify: ERROR (1 pass, 2 fail, 1 skip, 1 error;"
    )
    assert "no checks ran" in as_markdown([]).splitlines()[0]


def test_evidence_cannot_break_the_table_or_become_markup() -> None:
    hostile = Finding.failed(
        "key_policy.no_wildcard_principal",
        "a | b\nnew row <script>alert(1)</script> *bold* [link](https://example.com) `code` ~strike~",
        "fix\\it",
    )
    (row,) = table_rows(as_markdown([hostile]), "| status | check | evidence |")
    assert cells(row) == 3
    assert "\n" not in row
    evidence = row.split(" | ", 2)[2]
    assert not re.search(r"(?<!\\)[<*\[\]`~]", evidence), "every markup character escaped"
    assert r"a \| b new row \<script" in evidence
    assert r"fix\\it" in evidence


def test_evidence_is_cut_with_an_ellipsis() -> None:
    cell = text_cell("x" * 5000, EVIDENCE_CHARS)
    assert len(cell) == EVIDENCE_CHARS
    assert cell.endswith("…")
    assert text_cell("short", EVIDENCE_CHARS) == "short"


def row(principal: str, verdict: Verdict, *, role: Role = Role.OTHER, reason: str = "allowed by grant g1") -> AccessRow:
    read = verdict is Verdict.PLAINTEXT_READER
    return AccessRow(
        principal=principal,
        kind="role",
        role=role,
        iam_read=read,
        iam_write=False,
        kms_decrypt=read,
        verdict=verdict,
        iam_reason="allowed by managed policy ReadOnly",
        kms_reason=reason,
        paths=(PathAccess(Path.READ, iam=read, kms=read, open=read, reason=reason),),
    )


def test_the_audit_matrix_per_region_and_the_principals_of_other_accounts() -> None:
    primary = [row(OPS, Verdict.PLAINTEXT_READER), row(NOBODY, Verdict.NO_ACCESS)]
    replica = [row(READER, Verdict.PLAINTEXT_READER, role=Role.DECLARED, reason="allowed by key policy statement A|B")]
    external = [ExternalRow("arn:aws:iam::444455556666:role/x", "444455556666", "us-east-1", "", ("grant g2",))]
    markdown = as_markdown(
        FINDINGS,
        principals=primary,
        replica_principals={"eu-west-1": replica},
        external=external,
        primary_region="us-east-1",
    )
    assert "### Who can reach the data" in markdown
    header = "| principal | is | IAM | KMS | verdict | paths | decided by |"
    sections = markdown.split("#### ")
    assert sections[1].startswith("us-east-1 (primary)")
    assert sections[2].startswith("eu-west-1 (replica)")
    assert table_rows(sections[1], header) == [
        f"| `{OPS}` | - | read | decrypt | plaintext reader | read | allowed by grant g1 |"
    ]
    assert "2 principals judged; 1 with no access to the data are not listed" in sections[1]
    (eu,) = table_rows(sections[2], header)
    assert cells(eu) == 7
    assert r"statement A\|B" in eu
    assert "declared key user" in eu
    (other,) = table_rows(markdown, "| principal (other account) |")
    assert other == "| `arn:aws:iam::444455556666:role/x` | 444455556666 | us-east-1 | undeclared | grant g2 |"


def test_no_audit_no_matrix() -> None:
    assert "Who can reach the data" not in as_markdown(FINDINGS)
    assert "#### the table's region" in as_markdown(FINDINGS, principals=[])


def test_a_huge_run_stays_under_the_cap_and_says_what_it_left_out() -> None:
    passes = [Finding.passed(f"replica[r{n}].key.rotation", "y" * 3000) for n in range(20_000)]
    failures = [Finding.failed(f"audit.undeclared_reader[{n}]", "x" * 3000, "remove") for n in range(2000)]
    rows = [row(f"arn:aws:iam::{ACCOUNT}:role/r{n}", Verdict.PLAINTEXT_READER, reason="z" * 3000) for n in range(5000)]
    markdown = as_markdown([*passes, *failures], principals=rows, primary_region="us-east-1")
    assert len(markdown.encode("utf-8")) <= MAX_BYTES
    assert MAX_BYTES < 1024 * 1024 // 2, "well under GitHub's 1 MiB per step"
    checks = table_rows(markdown, "| status | check | evidence |")
    assert checks
    assert all(r.startswith("| FAIL |") for r in checks), "the failures are kept first"
    assert all(len(r) < EVIDENCE_CHARS + 200 for r in checks), "each evidence cell is cut"
    left = re.search(r"_(\d+) more checks omitted", markdown)
    assert left
    assert int(left[1]) == len(passes) + len(failures) - len(checks)
    matrix = table_rows(markdown, "| principal | is |")
    assert matrix, "the audit matrix keeps its share"
    assert re.search(rf"_{len(rows) - len(matrix)} more principals omitted", markdown)
    assert markdown.rstrip().endswith("do not settle."), "the last section's tail is still there"


def test_a_small_run_is_never_cut() -> None:
    assert "omitted" not in as_markdown(FINDINGS * 50)
