"""The red team's holes in the verifier's reports (issue 21): ways the Markdown summary, the SARIF log and
the other reports lied, lost findings, leaked or broke, each pinned by a test that failed before its fix.

Most run the command line (`verify.__main__.main`) against the in-process emulator (moto) with a deployment
an attacker in the account has shaped, or with the verifier's stages replaced to fail as a real run can;
the rest are pure tests of the report functions.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import string
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

import verify.__main__ as verify_main
from access.operations import Path as AuditPath
from stack import outputs as contract
from tests.verify.conftest import ACCOUNT, REGION, deployer_key_policy, moto_deployment
from tests.verify.test_report_sarif import github_problems, schema_errors, want
from verify import report_sarif
from verify.__main__ import main
from verify.audit.model import AccessRow, PathAccess, Role, Verdict
from verify.findings import EXIT_CANNOT_RUN, Finding
from verify.inputs import CannotRunError
from verify.judge import judge_key_policy
from verify.locate import located
from verify.report import as_junit, as_table
from verify.report_markdown import as_markdown
from verify.report_sarif import AUDIT_ONLY, CHECKS_ONLY, as_sarif, automation_id, fingerprint, sarif_text
from verify.rules import COULD_NOT_VERIFY, rule_of

# What an attacker who may write a key policy statement can put in its Sid: JSON escapes a key policy's
# text can hold in printable ASCII (KMS admits only printable characters in the document itself), which
# decode to a lone surrogate, NUL and other control characters, a non-character.
HOSTILE_SID = "wide \ud800 open\x00\x01\x1b[31m\ufffe"
# The explicit directional embeddings, overrides and isolates (Unicode UAX #9, 2.1 to 2.4).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def hostile_deployment(sid: str) -> dict[str, Any]:
    """A deployment whose key policy holds an unconditioned wildcard statement named `sid`: the check
    key_policy.no_wildcard_principal fails naming it, and the audit's matrix names it for every reader."""
    policy = deployer_key_policy()
    policy["Statement"].append({"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})
    return {**moto_deployment(policy=policy), contract.INTENDED_KEY_USERS: []}


def run(tmp_path: Path, outputs: dict[str, Any], *extra: str) -> int:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return main(["--outputs", str(path), "--max-wait", "0", *extra])


def reports(tmp_path: Path) -> list[str]:
    return [
        "--markdown",
        str(tmp_path / "r.md"),
        "--sarif",
        str(tmp_path / "r.sarif"),
        "--junit-xml",
        str(tmp_path / "r.xml"),
    ]


# -- text an attacker controls cannot break a report -----------------------------------------------------


@pytest.mark.emulator
@pytest.mark.parametrize("audit_only", [False, True], ids=["checks-and-audit", "audit-only"])
def test_a_lone_surrogate_or_control_character_in_live_data_breaks_no_report(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], audit_only: bool
) -> None:
    """JSON-decoded AWS data can hold what UTF-8 cannot encode (a lone surrogate) and what XML 1.0 may not
    hold (NUL, other C0 controls, U+FFFE). Before: the SARIF's fingerprint raised UnicodeEncodeError, the run
    died with a traceback and exit 1 (read as "a check failed") and no report was written; the JUnit XML
    carried NUL; the terminal's own output could not be encoded."""
    code = run(tmp_path, hostile_deployment(HOSTILE_SID), *reports(tmp_path), *(["--audit"] if audit_only else []))
    out = capsys.readouterr().out
    assert code == 1
    out.encode("utf-8")  # what a terminal or a CI log (UTF-8, strict) must be able to take
    markdown = (tmp_path / "r.md").read_bytes().decode("utf-8")
    assert markdown.startswith("## encrypted-dynamodb verify: FAIL (")
    assert not any(c in markdown for c in "\x00\x01\x1b\ufffe")
    document = json.loads((tmp_path / "r.sarif").read_bytes().decode("utf-8"))
    assert schema_errors(document) == []
    assert github_problems(document) == []
    for text in _strings(document):
        text.encode("utf-8")  # no lone surrogate: strict JSON consumers refuse "\ud800" alone
    ET.fromstring((tmp_path / "r.xml").read_bytes())  # noqa: S314 (our own report): well-formed XML 1.0
    if not audit_only:
        (wildcard,) = [r for r in document["runs"][0]["results"] if r["ruleId"] == "key_policy.no_wildcard_principal"]
        assert wildcard["properties"]["statement"] == "wide \ufffd open\ufffd\ufffd\ufffd[31m\ufffd"


# -- an outcome the reports must tell as it is -----------------------------------------------------------


def results(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["runs"][0]["results"])


@pytest.mark.emulator
def test_a_crash_is_could_not_run_not_a_failed_check(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception no handler expected (a judge's bug, an AWS answer of a shape no judge foresaw) escaped
    main: Python's exit code 1, which the action reads as "a check failed", the run got to its end, and
    uploads the SARIF; and no report written, so an earlier run's stayed at the path."""
    outputs = moto_deployment()

    def broken(*_args: object, **_kwargs: object) -> list[Any]:
        raise RuntimeError("a judge's bug")

    monkeypatch.setattr(verify_main, "verify", broken)
    (tmp_path / "r.md").write_text("## encrypted-dynamodb verify: PASS (25 pass; an earlier run)\n")
    code = run(tmp_path, outputs, *reports(tmp_path))
    err = capsys.readouterr().err
    assert code == EXIT_CANNOT_RUN
    assert "Traceback (most recent call last)" in err, "the traceback, for the bug report"
    line = err.strip().splitlines()[-1]
    assert line.startswith("verify: cannot run: internal error: RuntimeError: a judge's bug")
    assert (tmp_path / "r.md").read_text().startswith("## encrypted-dynamodb verify: ERROR (1 error;")
    document = json.loads((tmp_path / "r.sarif").read_text())
    (result,) = results(document)
    assert result["ruleId"] == COULD_NOT_VERIFY
    assert document["runs"][0]["invocations"] == [{"executionSuccessful": False, "exitCode": EXIT_CANNOT_RUN}]
    junit = ET.fromstring((tmp_path / "r.xml").read_text())  # noqa: S314 (our own report)
    assert (junit.get("errors"), junit.get("failures")) == ("1", "0"), "the JUnit report is written too"


@pytest.mark.emulator
def test_the_checks_that_ran_stay_in_the_reports_when_a_later_stage_cannot_run(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks ran and one failed; then the audit could not (the verifier may not list roles, or AWS
    throttles it). Before: the reports held only the could-not-run line, the failed check was gone from the
    summary and the SARIF; the reviewer read 'ERROR, 1 error' and nothing about the key's rotation."""
    outputs = {**moto_deployment(), contract.INTENDED_KEY_USERS: []}
    checks = [
        Finding.passed("table.exists", "table 'orders' in us-east-1"),
        Finding.failed("key.rotation", "KeyRotationEnabled=False", "turn rotation on"),
    ]

    def cannot_audit(*_args: object, **_kwargs: object) -> Any:
        raise CannotRunError("the verifying identity may not call iam:ListRoles")

    monkeypatch.setattr(verify_main, "verify", lambda *_a, **_k: list(checks))
    monkeypatch.setattr(verify_main, "run_audit", cannot_audit)
    code = run(tmp_path, outputs, "--markdown", str(tmp_path / "r.md"), "--sarif", str(tmp_path / "r.sarif"))
    capsys.readouterr()
    assert code == EXIT_CANNOT_RUN
    summary = (tmp_path / "r.md").read_text()
    assert summary.startswith("## encrypted-dynamodb verify: ERROR (1 pass, 1 fail, 1 error;")
    assert "| FAIL | `key.rotation` | KeyRotationEnabled=False -> turn rotation on |" in summary
    assert "| ERROR | `could_not_verify` | cannot run: the verifying identity may not call iam:ListRoles |" in summary
    found = {r["ruleId"]: r for r in results(json.loads((tmp_path / "r.sarif").read_text()))}
    assert set(found) == {"key.rotation", COULD_NOT_VERIFY}
    assert found["key.rotation"]["properties"]["resourceArn"] == outputs[contract.KEY_ARN], "located as in a full run"


@pytest.mark.emulator
def test_a_report_that_cannot_be_written_does_not_cost_the_others(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JUnit file's folder went away during the run (a cleanup step, a full disk). Before: main returned
    2 at the JUnit write, and the Markdown and the SARIF, which the docs promise whatever the outcome, were
    never written."""
    outputs = moto_deployment()
    gone = tmp_path / "gone"
    gone.mkdir()

    def checks_then_folder_removed(*_args: object, **_kwargs: object) -> list[Finding]:
        gone.rmdir()
        return [Finding.failed("key.rotation", "KeyRotationEnabled=False", "turn rotation on")]

    monkeypatch.setattr(verify_main, "verify", checks_then_folder_removed)
    code = run(
        tmp_path,
        outputs,
        *(
            "--junit-xml",
            str(gone / "r.xml"),
            "--markdown",
            str(tmp_path / "r.md"),
            "--sarif",
            str(tmp_path / "r.sarif"),
        ),
    )
    err = capsys.readouterr().err
    assert code == EXIT_CANNOT_RUN
    assert f"verify: cannot write --junit-xml {gone / 'r.xml'}" in err
    assert "| FAIL | `key.rotation` |" in (tmp_path / "r.md").read_text()
    assert [r["ruleId"] for r in results(json.loads((tmp_path / "r.sarif").read_text()))] == ["key.rotation"]


# -- the Markdown summary, as GitHub renders it ----------------------------------------------------------

# What an attacker can put in a Sid, a tag value or an error message AWS echoes, aimed at the job summary.
HOSTILE_TEXTS = [
    "see https://evil.example/login to fix",
    "HTTPS://EVIL.EXAMPLE and ftp://evil.example/x",
    "www.evil.example/reset",
    "WWW.evil.example",
    "[fix it here](https://evil.example) ![x](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)> <script>alert(1)</script>",
    "&lt;b&gt;looks like HTML&lt;/b&gt; &#124; &amp;",
    "a | b\n| PASS | `table.key` | fine |",
    "**bold** __under__ ~~struck~~ `code` \\ trailing backslash \\",
    "x\\://y \\www.z",
]


class _Cells(HTMLParser):
    """The rendered table cells (their text) and every tag the rendering made."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rendered(markdown: str) -> _Cells:
    """The summary as GitHub renders it: cmark-gfm, GitHub's own Markdown engine, with its extensions (tables,
    autolinks, strikethrough, the tag filter); raw HTML let through, so that any the summary asks for shows."""
    parser = _Cells()
    parser.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    return parser


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_evidence_renders_as_the_text_it_is_no_link_no_markup(text: str) -> None:
    """Before: a URL or www. address in the evidence became a link in the job summary (GFM's autolink
    extension needs no brackets: https://github.github.com/gfm/#autolinks-extension-), and an HTML entity
    rendered as the character it names, not as what AWS said."""
    finding = Finding.failed("key_policy.no_wildcard_principal", text, "remove it")
    row = AccessRow(
        principal=f"arn:aws:iam::{ACCOUNT}:role/ops",
        kind="role",
        role=Role.OTHER,
        iam_read=True,
        iam_write=False,
        kms_decrypt=True,
        verdict=Verdict.PLAINTEXT_READER,
        iam_reason="allowed by managed policy ReadOnly",
        kms_reason=f"allowed by key policy statement {text}",
        paths=(PathAccess(AuditPath.READ, iam=True, kms=True, open=True, reason=text),),
    )
    page = rendered(as_markdown([finding], principals=[row], primary_region=REGION))
    assert set(page.tags) <= {"h2", "h3", "h4", "p", "em", "table", "thead", "tbody", "tr", "th", "td", "code"}
    flat = " ".join(text.split())
    checks, matrix = page.cells[3:6], page.cells[13:20]
    assert checks == ["FAIL", "key_policy.no_wildcard_principal", f"{flat} -> remove it"]
    assert matrix[-1] == f"allowed by key policy statement {flat}"


def test_bidirectional_controls_cannot_reorder_what_a_report_shows() -> None:
    """A right-to-left override in a Sid or an error message makes the text after it display reversed (the
    'Trojan Source' controls, CVE-2021-42574): "role/\\u202enimda-tsurt" reads "role/trust-admin". Before,
    they reached every report as they were."""
    spoof = "\u202enimda-tsurt\u202c \u2066x\u2069"
    finding = Finding.failed("audit.undeclared_reader", f"role/{spoof} reads", "remove it").about(
        principal=f"arn:aws:iam::{ACCOUNT}:role/{spoof}", statement=spoof
    )
    sarif = json.dumps(as_sarif([finding], automation=automation_id("dev")), ensure_ascii=False)
    for text in (as_markdown([finding]), sarif, as_table([finding]), as_junit([finding])):
        assert not set(text) & set(BIDI_CONTROLS), text


# -- the SARIF log ---------------------------------------------------------------------------------------

# SARIF 2.1.0, 3.11.6: in a plain text message, an embedded link is "[", link text, "](", a URI, ")", the
# link text escaping its brackets and backslashes; a viewer shows the link text and links it.
EMBEDDED_LINK = re.compile(r"(?<!\\)\[(?:[^\[\]\\]|\\.)*\]\(")


def test_a_message_holds_no_embedded_link_an_attacker_wrote() -> None:
    """Before: a Sid "[Rotate the key here](https://evil.example/login)" reached message.text as it was: an
    embedded link by SARIF's grammar, which a viewer shows as the words "Rotate the key here" linking
    elsewhere (code scanning links what is embedded in a result's message)."""
    lure = "[Rotate the key here](https://evil.example/login)"
    finding = Finding.failed(
        "key_policy.no_wildcard_principal", f"unconditioned wildcard principal in ['{lure}']", f"see {lure}"
    ).about(statement=lure)
    (result,) = results(as_sarif([finding], automation=automation_id("dev")))
    text = result["message"]["text"]
    assert not EMBEDDED_LINK.search(text), text
    assert "[Rotate the key here] (https://evil.example/login)" in text, "still readable, only not a link"
    assert result["properties"]["statement"] == lure, "the property keeps the Sid as it is"


def test_the_log_stays_under_githubs_file_size_limit_keeping_the_most_severe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code scanning rejects a file over 10 MB gzip-compressed, and then shows none of it. Results were
    capped by count only: evidence that does not compress (a key's 50,000 grants with random 256-character
    names, principals with long random paths, a long error message) grew the file past the limit. The limit
    is made small here (room for about 20 of these results beside the rules); the log keeps the most severe
    results that fit, and says how many it left out."""
    empty = len(
        gzip.compress(sarif_text(as_sarif([], automation=automation_id("dev"))).encode("utf-8"), compresslevel=6)
    )
    limit = empty + 8_000
    monkeypatch.setattr(report_sarif, "MAX_GZIP_BYTES", limit)
    rng = random.Random(21)

    def noise(length: int) -> str:
        return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))

    findings = [
        Finding.failed(check, f"grant {noise(64)} named {noise(256)} opens the key", "revoke it").about(
            principal=f"arn:aws:iam::{ACCOUNT}:role/{noise(60)}", statement=f"grant {noise(64)}"
        )
        for check in ("audit.unconstrained_grant", "key.rotation")  # severities 8.1 and 4.3
        for _ in range(60)
    ]
    document = as_sarif(findings, automation=automation_id("dev"))
    assert len(gzip.compress(sarif_text(document).encode("utf-8"), compresslevel=6)) <= limit
    kept = results(document)
    assert 0 < len(kept) < len(findings)
    assert document["runs"][0]["properties"] == {"omittedResults": len(findings) - len(kept)}
    assert {r["ruleId"] for r in kept} == {"audit.unconstrained_grant"}, "the most severe first"
    assert schema_errors(document) == []


def test_one_huge_evidence_cannot_crowd_out_every_result() -> None:
    """A single finding's evidence (an error message echoing a request, a 32 KB statement) is cut, so that
    one result can never be larger than the file size limit leaves room for."""
    huge = "x" * 1_000_000
    (result,) = results(
        as_sarif([Finding.failed("key.rotation", huge, huge).about(statement=huge)], automation=automation_id("d"))
    )
    assert len(result["message"]["text"]) <= report_sarif.MESSAGE_CHARS
    assert len(result["properties"]["statement"]) <= report_sarif.PROPERTY_CHARS
    assert result["message"]["text"].endswith("…")


# -- fingerprints: one issue, one alert, across runs -----------------------------------------------------


def test_a_statement_without_a_sid_keeps_its_alert_when_another_is_added_before_it() -> None:
    """The key policy checks named their statements by position when they have no Sid ("#3"), and the SARIF
    fingerprint of a finding with no principal includes its statement: a statement added before the
    wildcard one (a new key administrator) made it "#4", a new alert opened and the old one closed as fixed."""
    base = deployer_key_policy()
    wildcard = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    admin = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"}, "Action": "kms:*"}
    before = {**base, "Statement": [*base["Statement"], wildcard]}
    after = {**base, "Statement": [admin, *base["Statement"], wildcard]}
    outputs = want()

    def alert(policy: dict[str, Any]) -> str:
        judged = located(judge_key_policy(json.dumps(policy), ACCOUNT), outputs)
        (finding,) = [f for f in judged if f.check == "key_policy.no_wildcard_principal"]
        return fingerprint(rule_of(finding.check), finding)

    assert alert(before) == alert(after)
    assert alert(before) != alert({**base, "Statement": [*base["Statement"], {**wildcard, "Action": "kms:*"}]})


@pytest.mark.emulator
def test_a_run_of_part_of_the_checks_cannot_close_the_alerts_of_the_rest(
    aws_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Code scanning replaces a category's results with each upload and closes, as fixed, the alerts the new
    upload does not carry. Every run of a stack had one category: a `--no-audit` run (the action's audit off)
    uploaded closed every audit alert (an undeclared reader) as fixed without auditing anything, and an
    `--audit` run closed every check's. A partial run now has a category of its own."""
    outputs = {**moto_deployment(), contract.INTENDED_KEY_USERS: []}
    categories = {}
    for mode in ("", "--no-audit", "--audit"):
        run(tmp_path, outputs, "--sarif", str(tmp_path / "r.sarif"), *([mode] if mode else []))
        categories[mode] = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["automationDetails"]["id"]
    capsys.readouterr()
    subject = f"orders@{REGION}.{ACCOUNT}"
    assert categories == {
        "": automation_id(subject),
        "--no-audit": automation_id(subject, CHECKS_ONLY),
        "--audit": automation_id(subject, AUDIT_ONLY),
    }
    assert len(set(categories.values())) == 3
    # Without declared intent the audit never runs for the stack: its runs are whole, whatever the flag.
    undeclared = {k: v for k, v in outputs.items() if k != contract.INTENDED_KEY_USERS}
    run(tmp_path, undeclared, "--sarif", str(tmp_path / "r.sarif"), "--no-audit")
    assert json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["automationDetails"]["id"] == categories[""]


# -- report paths ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"), [("--markdown", "--sarif"), ("--junit-xml", "--markdown"), ("--sarif", "--junit-xml")]
)
def test_two_reports_at_one_path_is_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, second: str
) -> None:
    """Before: both were written to the one file, the last over the first: `--markdown r --sarif r` left the
    SARIF JSON where the job summary's Markdown was expected (the summary showed JSON, and no verdict)."""
    (tmp_path / "sub").mkdir()
    same, also = tmp_path / "report", tmp_path / "sub" / ".." / "report"
    code = main(["--outputs", str(tmp_path / "never-read.json"), first, str(same), second, str(also)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_CANNOT_RUN
    assert len(err) == 1
    assert "name the same file" in err[0]
    assert first in err[0]
    assert second in err[0]
    assert not same.exists(), "nothing ran"


# -- secrets -----------------------------------------------------------------------------------------------


def test_a_session_token_an_aws_error_message_echoes_reaches_no_report() -> None:
    """A signature AWS refuses is answered, by services such as DynamoDB's and KMS's, with the canonical
    request it expected, headers and all (aws/aws-sdk-cpp#17 shows one, x-amz-security-token included).
    The probe's finding carries the last error it saw: before, the role session's token went into every
    report, the uploaded SARIF and the job summary among them."""
    token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletoken+/=="
    seen = (
        "credentials not usable yet after 3 attempt(s), 12s: InvalidSignatureException: The request signature we "
        "calculated does not match the signature you provided. The Canonical String for this request should have "
        "been 'POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:dynamodb.us-east-1.amazonaws.com\n"
        f"x-amz-date:20261206T120000Z\nx-amz-security-token:{token}\nx-amz-target:DynamoDB_20120810.GetItem\n\n"
        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'"
    )
    finding = Finding.failed("boundary_probe.read", seen, "wait for propagation")
    assert "x-amz-security-token:<redacted>" in finding.seen
    sarif = sarif_text(as_sarif([finding], automation=automation_id("dev")))
    for text in (sarif, as_markdown([finding]), as_table([finding]), as_junit([finding])):
        assert token not in text
        assert token[:40] not in text
