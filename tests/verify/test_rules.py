"""The rule catalogue (verify/rules.py) covers every check the verifier can emit, and its rule ids are stable.

Coverage is proved from the code, not hoped for from fixtures: every place in verify/ that makes a finding
(Finding.passed/failed/skipped, Finding(...), expect(...), dataclasses.replace(..., check=...)) is found in
the source. Where the check's name is written out (a literal, a module constant, an f-string of those and a
replica prefix, check_name(...), principal_check(...)), it is rendered and must have a rule; where it is
computed (a variable, a value of the outputs), the site must be in DYNAMIC with the rule ids it can emit,
and those ids are tied to the constants that compute them. A new site, a new name or a renamed constant
fails here until the catalogue has its rule. The emulator run (test_report_sarif.py) checks every name a
real run emits against the catalogue too.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from access.key_protection import ALARM_KINDS
from access.operations import FINDING_PATHS
from access.operations import Path as AuditPath
from stack.outputs import EXPECTED_ACCESS
from tests.docs.markdown import anchors
from verify.external import principal_check
from verify.findings import Finding, Status
from verify.key_protection import alarm_check
from verify.replicas import REPLICA_TABLE_CHECKS, check_name
from verify.rules import (
    BY_ID,
    COULD_NOT_VERIFY,
    RULES,
    Level,
    UnknownCheckError,
    rule_for,
    rule_id,
    rule_of,
    severity_label,
)

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
PRINCIPAL = "arn:aws:iam::444455556666:role/external-reader"
# A check named by check_name(region, X) or prefixed by a replica's: its rule is the rule of X.
PREFIXED = "the rule of the check it names in a replica's region"

# Sites whose check name is computed: (file, function, the check expression) -> the rule ids it can emit.
DYNAMIC: dict[tuple[str, str, str], frozenset[str]] = {
    ("verify/audit/judge.py", "access_findings", "f'audit.undeclared_{what}'"): frozenset(
        {"audit.undeclared_reader", "audit.undeclared_writer"}
    ),
    ("verify/audit/judge.py", "access_findings", "f'audit.undeclared_{access.path.name.lower()}'"): frozenset(
        {"audit.undeclared_stream", "audit.undeclared_export", "audit.undeclared_restore"}
        | {"audit.undeclared_rekey", "audit.undeclared_kinesis"}
    ),
    ("verify/audit/run.py", "run_audit", "check_name(replica.region, f.check)"): frozenset({PREFIXED}),
    ("verify/replicas.py", "_in_region", "check_name(region, name)"): frozenset({PREFIXED}),
    ("verify/external.py", "judge_agreement", "check"): frozenset({"external.policies_agree"}),
    ("verify/external_probe.py", "external_probes", "check"): frozenset({"boundary_probe.external"}),
    ("verify/external_probe.py", "_probe_as", "check"): frozenset(
        {"boundary_probe.external.read", "boundary_probe.external.denied"}
    ),
    ("verify/key_protection.py", "judge_deny", "check"): frozenset({"key_protection.deny"}),
    ("verify/key_protection.py", "judge_rule", "check"): frozenset({"key_protection.alarm"}),
    ("verify/key_protection.py", "judge_topic", "check"): frozenset({"key_protection.topic"}),
    ("verify/replicas.py", "_listed", "name"): frozenset({"replica.listed"}),
    ("verify/run.py", "_skip_replicas", "check_name(replica.region, check)"): frozenset(
        {"replica.canary_replicated", "boundary_probe"}
    ),
    ("verify/run.py", "_probe", "f'{prefix}boundary_probe.{want.expected_access}'"): frozenset(
        {"boundary_probe.denied", "boundary_probe.read"}
    ),
    ("verify/run.py", "_stream_probe", "check"): frozenset(
        {"boundary_probe.stream.denied", "boundary_probe.stream.read"}
    ),
    ("verify/run.py", "_session_finding", "f'{check}.{want.expected_access}'"): frozenset(
        {"boundary_probe.session.denied", "boundary_probe.session.read"}
    ),
}


# -- the census of the places that make findings ------------------------------------------------------


def _check_argument(call: ast.Call) -> ast.expr | None:
    """The check name's expression, if this call makes a finding."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in ("passed", "failed", "skipped")
        and isinstance(func.value, ast.Name)
        and func.value.id == "Finding"
    ):
        return call.args[0]
    if isinstance(func, ast.Name) and func.id in ("Finding", "expect"):
        return call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "check")
    if isinstance(func, ast.Attribute) and func.attr == "replace":
        return next((k.value for k in call.keywords if k.arg == "check"), None)
    return None


def sites() -> Iterator[tuple[str, str, ast.expr]]:
    """(file, enclosing function, check expression) of every finding made in verify/ (but the factories)."""
    for path in sorted((ROOT / "verify").rglob("*.py")):
        file = path.relative_to(ROOT).as_posix()
        if file == "verify/findings.py":
            continue

        def visit(node: ast.AST, scope: str, file: str = file) -> Iterator[tuple[str, str, ast.expr]]:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    yield from visit(child, child.name)
                    continue
                if isinstance(child, ast.Call) and (expression := _check_argument(child)) is not None:
                    yield file, scope, expression
                yield from visit(child, scope)

        yield from visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")


def _constant(module: object, name: str) -> str | None:
    value = getattr(module, name, None)
    return value if isinstance(value, str) else None


def rendered(file: str, expression: ast.expr) -> list[str] | None:
    """Every name the expression can give, when it is written out; None when it is computed."""
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))

    def render(node: ast.expr) -> list[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name):
            if node.id == "prefix":  # a judge run for the primary (""), or for a replica
                return ["", check_name(REGION, "")]
            value = _constant(module, node.id)
            return None if value is None else [value]
        if isinstance(node, ast.JoinedStr):
            names = [""]
            for part in node.values:
                pieces = render(part.value) if isinstance(part, ast.FormattedValue) else render(part)
                if pieces is None:
                    return None
                names = [name + piece for name in names for piece in pieces]
            return names
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            arguments = [render(a) for a in node.args]
            if node.func.id == "check_name" and arguments[1] is not None:
                return [check_name(REGION, name) for name in arguments[1]]
            if node.func.id == "principal_check" and arguments[0] is not None:
                return [principal_check(name, PRINCIPAL) for name in arguments[0]]
        return None

    return render(expression)


def census() -> dict[tuple[str, str, str], list[str] | None]:
    return {(file, scope, ast.unparse(expression)): rendered(file, expression) for file, scope, expression in sites()}


def test_the_census_finds_the_places_that_make_findings() -> None:
    # The scan itself can fail: it must see sites of every kind, or the tests below would check nothing.
    found = census()
    assert ("verify/judge.py", "judge_table", "'table.exists'") in found
    assert ("verify/run.py", "_key_protection", "f'{prefix}{DENY}'") in found
    assert ("verify/__main__.py", "main", "COULD_NOT_VERIFY") in found
    assert set(DYNAMIC) <= set(found)
    assert len(found) > 60


def test_every_written_out_check_name_has_a_rule() -> None:
    missing = []
    for site, names in census().items():
        for name in names or []:
            try:
                rule_of(name)
            except UnknownCheckError as error:
                missing.append(f"{site}: {error}")
    assert not missing, "\n".join(missing)


def test_every_computed_check_name_is_declared_with_its_rules() -> None:
    computed = {site for site, names in census().items() if names is None}
    assert computed == set(DYNAMIC), (
        f"new places that compute a check's name: {sorted(computed - set(DYNAMIC))} (add them to DYNAMIC with "
        f"the rule ids they emit, and the rules to verify/rules.py); gone: {sorted(set(DYNAMIC) - computed)}"
    )
    for site, ids in DYNAMIC.items():
        for identifier in ids - {PREFIXED}:
            assert identifier in BY_ID, f"{site}: no rule {identifier!r}"


def test_the_computed_names_follow_the_constants_that_compute_them() -> None:
    def emitted(site: tuple[str, str, str]) -> frozenset[str]:
        return DYNAMIC[site]

    undeclared_paths = {
        rule_id(f"audit.undeclared_{path.name.lower()}")
        for path in FINDING_PATHS
        if path not in (AuditPath.READ, AuditPath.WRITE)
    }
    assert undeclared_paths == emitted(
        ("verify/audit/judge.py", "access_findings", "f'audit.undeclared_{access.path.name.lower()}'")
    )
    for expected in EXPECTED_ACCESS:
        assert rule_id(f"boundary_probe.{expected}") in emitted(
            ("verify/run.py", "_probe", "f'{prefix}boundary_probe.{want.expected_access}'")
        )
        assert rule_id(f"boundary_probe.session[ops].{expected}") in emitted(
            ("verify/run.py", "_session_finding", "f'{check}.{want.expected_access}'")
        )
        assert rule_id(f"boundary_probe.stream.{expected}") in emitted(("verify/run.py", "_stream_probe", "check"))
        external = principal_check("boundary_probe.external", PRINCIPAL) + f".{expected}"
        assert rule_id(external) in emitted(("verify/external_probe.py", "_probe_as", "check"))
    for kind in ALARM_KINDS:
        assert rule_id(check_name(REGION, alarm_check(kind))) in emitted(
            ("verify/key_protection.py", "judge_rule", "check")
        )


def test_a_replicas_names_have_the_primarys_rules() -> None:
    for primary, replica in REPLICA_TABLE_CHECKS.items():
        assert rule_of(check_name(REGION, replica)) is BY_ID[primary]
    for rule in RULES:  # whatever a replica's prefix is put before (the audit's, the key's checks)
        assert rule_id(check_name(REGION, rule.id)) in (rule.id, f"replica.{rule.id}")


def test_no_rule_is_dead() -> None:
    emitted = {COULD_NOT_VERIFY}
    for names in census().values():
        emitted |= {rule_id(name) for name in names or []}
    for ids in DYNAMIC.values():
        emitted |= ids - {PREFIXED}
    assert set(BY_ID) - emitted == set(), "rules no check emits"


# -- stable ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ("table.key", "table.key"),
        ("replica[eu-west-1].key.rotation", "key.rotation"),
        ("replica[ap-southeast-2].sse_key", "table.key"),
        ("replica[eu-west-1].listed", "replica.listed"),
        ("key_protection.alarm[key-changes]", "key_protection.alarm"),
        ("replica[eu-west-1].key_protection.alarm[use-pending-deletion]", "key_protection.alarm"),
        ("boundary_probe.session[sneaky].denied", "boundary_probe.session.denied"),
        (f"external.policies_agree[{PRINCIPAL}]", "external.policies_agree"),
        (f"replica[eu-west-1].boundary_probe.external[{PRINCIPAL}].read", "boundary_probe.external.read"),
        ("replica[eu-west-1].audit.undeclared_reader", "audit.undeclared_reader"),
    ],
)
def test_rule_ids_strip_what_varies(check: str, expected: str) -> None:
    assert rule_id(check) == expected
    assert rule_of(check).id == expected


def test_an_unknown_check_is_refused_by_the_strict_reading_and_kept_by_the_reports() -> None:
    with pytest.raises(UnknownCheckError, match=r"no rule for check 'key\.bogus'"):
        rule_of("key.bogus")
    rule = rule_for(Finding.failed("replica[eu-west-1].key.bogus", "seen", "advice"))
    assert rule.id == "key.bogus"
    assert rule.id not in BY_ID


def test_an_error_is_filed_under_could_not_verify_whatever_the_check() -> None:
    assert rule_for(Finding("key.rotation", Status.ERROR, "throttled")).id == COULD_NOT_VERIFY
    assert BY_ID[COULD_NOT_VERIFY].level is Level.WARNING


# -- what each rule carries ----------------------------------------------------------------------------


def test_rules_are_complete_and_within_githubs_limits() -> None:
    assert len(BY_ID) == len(RULES), "duplicate rule ids"
    assert len({rule.name for rule in RULES}) == len(RULES), "duplicate rule names"
    for rule in RULES:
        assert all((rule.short, rule.full, rule.why, rule.fix)), rule.id
        assert max(len(rule.short), len(rule.full)) <= 1024, rule.id
        assert len(rule.name) <= 255, rule.id
        assert 0.0 < rule.severity <= 10.0, rule.id
        assert rule.tags[0] == "security", rule.id
        assert len(rule.tags) <= 10, rule.id
        assert rule.id in rule.help_markdown
        assert rule.fix in rule.help_text


def test_the_data_exposures_are_critical_errors() -> None:
    for identifier in ("audit.undeclared_reader", "boundary_probe.denied", "key_policy.no_wildcard_principal"):
        rule = BY_ID[identifier]
        assert (severity_label(rule.severity), rule.level) == ("critical", Level.ERROR), identifier


@pytest.mark.parametrize(
    ("score", "label"),
    [(9.1, "critical"), (9.0, "high"), (7.0, "high"), (6.9, "medium"), (4.0, "medium"), (3.9, "low")],
)
def test_severity_labels_are_githubs(score: float, label: str) -> None:
    assert severity_label(score) == label


def test_every_rule_links_to_a_section_of_the_verifier_page() -> None:
    page = anchors((ROOT / "docs" / "verify.md").read_text(encoding="utf-8"))
    assert {rule.anchor for rule in RULES} - page == set()
