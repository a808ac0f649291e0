"""`python -m verify --sarif`: SARIF 2.1.0 for GitHub code scanning.

Pure tests on synthetic findings (the schema, GitHub's subset, fingerprints, levels, the cap), the command
line (flags, writing whatever the outcome, atomically), and one run in the sandbox of a known-bad deployment:
an undeclared role added to the key policy, which the audit must report with its ARN, region and statement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from access.kms_dynamodb import SID_KEY_USE_VIA_DYNAMODB
from access.version import VERSION
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.sandbox.conftest import up
from tests.verify.known_bad import sarif_validator, undeclared_reader
from verify import report_sarif
from verify.__main__ import main
from verify.findings import Finding, Status
from verify.inputs import StackOutputs
from verify.locate import located
from verify.report_sarif import FINGERPRINT, as_sarif, automation_id, fingerprint
from verify.rules import BY_ID, COULD_NOT_VERIFY, rule_for, rule_of

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EU_TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
EU_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/mrk-0987dcba09fe87dc65baab0987654321"
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops"
ANALYTICS = f"arn:aws:iam::{ACCOUNT}:role/analytics"


def want() -> StackOutputs:
    from verify.inputs import Replica

    return StackOutputs(
        "us-east-1",
        ACCOUNT,
        "orders",
        TABLE,
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        KEY,
        "alias/orders",
        "none",
        replicas=(Replica("eu-west-1", EU_KEY, "alias/orders", EU_TABLE),),
    )


FINDINGS = [
    Finding.passed("table.exists", "table 'orders' in us-east-1"),
    Finding.failed("key.rotation", "KeyRotationEnabled=False", "turn rotation on"),
    Finding.failed("replica[eu-west-1].key.rotation", "KeyRotationEnabled=False", "turn rotation on"),
    Finding.skipped("boundary_probe", "the stack has no test principal"),
    Finding.failed(
        "audit.undeclared_reader", f"{OPS} is a plaintext reader, undeclared", "remove it, or declare it"
    ).about(principal=OPS, statement=SID_KEY_USE_VIA_DYNAMODB),
    Finding.failed("key_protection.alarm[key-changes]", "rule not found", "pulumi up"),
    Finding("table.active", Status.ERROR, "ThrottlingException"),
]


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = sarif_validator()
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def github_problems(document: dict[str, Any]) -> list[str]:
    """What code scanning requires beyond the schema (SARIF support for code scanning): a relative location
    for each result, a rule for its ruleId, a fingerprint; descriptions and help for each rule."""
    problems: list[str] = []
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    for rule in rules:
        for field in ("shortDescription", "fullDescription", "help"):
            if not rule.get(field, {}).get("text"):
                problems.append(f"rule {rule['id']}: no {field}")
        severity = float(rule["properties"]["security-severity"])
        if not 0.0 < severity <= 10.0 or "security" not in rule["properties"]["tags"]:
            problems.append(f"rule {rule['id']}: security-severity {severity}, tags {rule['properties']['tags']}")
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        if not uri or uri.startswith("/") or ":" in uri or ".." in uri.split("/"):
            problems.append(f"result {result['ruleId']}: location {uri!r} is not repository-relative")
        if result["ruleId"] not in ids or ids[result["ruleIndex"]] != result["ruleId"]:
            problems.append(f"result {result['ruleId']}: no such rule at index {result['ruleIndex']}")
        if not result.get("partialFingerprints", {}).get(FINGERPRINT):
            problems.append(f"result {result['ruleId']}: no {FINGERPRINT}")
        if not result["message"]["text"]:
            problems.append(f"result {result['ruleId']}: no message")
    return problems


def sarif_of(findings: list[Finding], **options: Any) -> dict[str, Any]:
    return as_sarif(located(findings, want()), automation=automation_id("dev"), **options)


def results(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["runs"][0]["results"])


# -- the document -------------------------------------------------------------------------------------


def test_the_log_is_valid_sarif_and_what_code_scanning_requires() -> None:
    document = sarif_of(FINDINGS)
    assert schema_errors(document) == []
    assert github_problems(document) == []
    driver = document["runs"][0]["tool"]["driver"]
    assert (document["version"], driver["name"], driver["version"]) == ("2.1.0", "encrypted-dynamodb-verify", VERSION)
    assert [r["id"] for r in driver["rules"]][: len(BY_ID)] == list(BY_ID)


def test_the_schema_validator_can_fail() -> None:
    broken = sarif_of(FINDINGS)
    broken["runs"][0]["results"][0]["level"] = "critical"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(schema_errors(broken)) == 2
    broken = sarif_of(FINDINGS, source_path="/abs/Pulumi.yaml")
    assert any("not repository-relative" in p for p in github_problems(broken))


def test_one_result_per_failure_and_error_none_for_pass_or_skip() -> None:
    found = results(sarif_of(FINDINGS))
    assert [r["properties"]["check"] for r in found] == [
        "key.rotation",
        "replica[eu-west-1].key.rotation",
        "audit.undeclared_reader",
        "key_protection.alarm[key-changes]",
        "table.active",
    ]
    by_check = {r["properties"]["check"]: r for r in found}
    assert by_check["audit.undeclared_reader"]["level"] == "error"
    assert (by_check["table.active"]["ruleId"], by_check["table.active"]["level"]) == (COULD_NOT_VERIFY, "warning")
    assert by_check["table.active"]["message"]["text"].startswith("could not verify table.active: Throttling")
    assert by_check["key.rotation"]["ruleId"] == by_check["replica[eu-west-1].key.rotation"]["ruleId"] == "key.rotation"


def test_a_result_carries_the_resource_region_principal_and_statement() -> None:
    found = {r["properties"]["check"]: r for r in results(sarif_of(FINDINGS, source_path="infra/Pulumi.yaml"))}
    reader = found["audit.undeclared_reader"]
    assert reader["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/Pulumi.yaml"},
        "region": {"startLine": 1},
    }
    assert reader["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": TABLE, "kind": "resource"}]
    assert reader["properties"] | {"check": ""} == {
        "check": "",
        "status": "FAIL",
        "region": "us-east-1",
        "resourceArn": TABLE,
        "principal": OPS,
        "statement": SID_KEY_USE_VIA_DYNAMODB,
    }
    assert reader["message"]["text"] == (
        f"audit.undeclared_reader: {OPS} is a plaintext reader, undeclared -> remove it, or declare it"
    )
    eu = found["replica[eu-west-1].key.rotation"]["properties"]
    assert (eu["region"], eu["resourceArn"]) == ("eu-west-1", EU_KEY)
    assert found["key.rotation"]["properties"]["resourceArn"] == KEY


def test_fingerprints_follow_the_issue_not_the_message() -> None:
    reader = FINDINGS[4]
    other_run = Finding.failed(reader.check, f"{OPS} is a plaintext reader, now by a grant", "x").about(
        principal=OPS, statement="grant 77"
    )
    other_principal = Finding.failed(reader.check, reader.seen, reader.advice).about(principal=ANALYTICS)
    rule = rule_of(reader.check)
    assert fingerprint(rule, reader) == fingerprint(rule, other_run), "the message and statement changed, not the issue"
    assert fingerprint(rule, reader) != fingerprint(rule, other_principal)
    # Without a principal, the statement (a grant, a wildcard statement) is what the finding is about.
    grant = Finding.failed("audit.unconstrained_grant", "grant g1 has no constraint", "revoke it")
    assert fingerprint(rule_of(grant.check), grant.about(statement="grant g1")) != fingerprint(
        rule_of(grant.check), grant.about(statement="grant g2")
    )


def test_two_results_with_one_identity_stay_two_alerts() -> None:
    twice = [Finding.failed("audit.other_account", f"statement {n} lets account 1 in", "remove") for n in (1, 2)]
    hashes = [r["partialFingerprints"][FINGERPRINT] for r in results(sarif_of(twice))]
    assert hashes[0].split(":")[0] == hashes[1].split(":")[0]
    assert hashes[0] != hashes[1]


def test_each_stack_has_its_own_category() -> None:
    assert sarif_of(FINDINGS)["runs"][0]["automationDetails"] == {"id": "encrypted-dynamodb-verify/dev/"}
    assert automation_id("prod") != automation_id("dev")


def test_a_run_that_could_not_happen_says_so() -> None:
    stopped = [Finding(COULD_NOT_VERIFY, Status.ERROR, "cannot run: no AWS credentials")]
    document = as_sarif(stopped, automation=automation_id("dev"), exit_code=2)
    assert schema_errors(document) == []
    assert github_problems(document) == []
    (result,) = results(document)
    assert (result["ruleId"], result["level"]) == (COULD_NOT_VERIFY, "warning")
    assert "logicalLocations" not in result["locations"][0], "no outputs, no resource"
    assert document["runs"][0]["invocations"] == [{"executionSuccessful": False, "exitCode": 2}]
    assert sarif_of(FINDINGS, exit_code=1)["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_results_are_capped_at_githubs_limit_keeping_the_most_severe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_sarif, "MAX_RESULTS", 2)
    many = [
        Finding.failed("key.rotation", "off", "on"),
        Finding.failed("audit.undeclared_reader", "reads", "remove").about(principal=OPS),
        Finding.failed("canary_removed", "left", "delete"),
        Finding.failed("boundary_probe.denied", "read", "revoke"),
    ]
    document = sarif_of(many)
    assert [r["ruleId"] for r in results(document)] == ["audit.undeclared_reader", "boundary_probe.denied"]
    assert document["runs"][0]["properties"] == {"omittedResults": 2}
    assert schema_errors(document) == []


def test_an_unknown_check_still_gets_a_rule_of_its_own() -> None:
    document = sarif_of([Finding.failed("key.brand_new", "seen", "advice")])
    (result,) = results(document)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "key.brand_new" == rule_for(Finding.failed("key.brand_new", "", "")).id
    assert github_problems(document) == []


# -- the command line ----------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"encrypted-dynamodb {VERSION}\n"


@pytest.mark.parametrize(
    "source", ["/abs/Pulumi.yaml", "../other/Pulumi.yaml", "infra/../../x", "", "C:\\x.yaml", ".", "./"]
)
def test_a_sarif_source_outside_the_repository_or_naming_no_file_is_exit_2_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code = main(
        ["--outputs", str(tmp_path / "never-read.json"), "--sarif", str(tmp_path / "r.sarif"), "--sarif-source", source]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert "--sarif-source" in err[0]
    assert not (tmp_path / "r.sarif").exists(), "nothing ran"


@pytest.mark.parametrize("flag", ["--markdown", "--sarif"])
def test_an_unwritable_report_path_is_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    code = main(["--outputs", str(tmp_path / "never-read.json"), flag, str(tmp_path / "no" / "such" / "r")])
    assert code == 2
    assert f"{flag} {tmp_path / 'no' / 'such' / 'r'}: the folder" in capsys.readouterr().err


def test_could_not_run_still_writes_both_reports_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sarif, markdown = tmp_path / "verify.sarif", tmp_path / "verify.md"
    sarif.write_text("an earlier run's report")
    code = main(["--outputs", str(tmp_path / "missing.json"), "--sarif", str(sarif), "--markdown", str(markdown)])
    assert code == 2
    line = capsys.readouterr().err.strip()
    document = json.loads(sarif.read_text())
    (result,) = results(document)
    assert result["ruleId"] == COULD_NOT_VERIFY
    assert result["message"]["text"] == f"{COULD_NOT_VERIFY}: {line.removeprefix('verify: ')}"
    assert schema_errors(document) == []
    assert document["runs"][0]["automationDetails"]["id"] == "encrypted-dynamodb-verify/outputs/"
    assert markdown.read_text().startswith("## encrypted-dynamodb verify: ERROR (1 error;")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verify.md", "verify.sarif"], "no temporary file left"


# -- in the sandbox: a known-bad deployment -------------------------------------------------------------


def test_the_sandbox_known_bad_deployment_gives_a_valid_sarif_with_the_finding(
    emulator: Emulator,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = up(stack, testPrincipal="user", grantTestPrincipal="true").outputs
    for variable, value in emulator.environment().items():
        monkeypatch.setenv(variable, value)
    # The known-bad change: a role the stack never declared, added to the key policy as a key user.
    ops = undeclared_reader(emulator, out)
    kms = emulator.client("kms")
    # And the test user, granted, declared as one that must be refused: the probe reads, by the grant.
    (grant,) = [
        g["GrantId"]
        for g in kms.list_grants(KeyId=out[contract.KEY_ARN])["Grants"]
        if g["GranteePrincipal"] == out[contract.TEST_PRINCIPAL_ARN]
    ]
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({**out, contract.TEST_PRINCIPAL_EXPECTED_ACCESS: contract.EXPECT_DENIED}))
    sarif, markdown = tmp_path / "verify.sarif", tmp_path / "verify.md"
    code = main(
        ["--outputs", str(outputs), "--max-wait", "0", "--json", "--markdown", str(markdown), "--sarif", str(sarif)]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    # Every name a real run emits has its rule.
    for finding in report["findings"]:
        rule_of(finding["check"])
    document = json.loads(sarif.read_text())
    assert schema_errors(document) == []
    assert github_problems(document) == []
    (reader,) = [r for r in results(document) if r["ruleId"] == "audit.undeclared_reader"]
    assert reader["level"] == "error"
    assert reader["properties"]["principal"] == ops
    assert reader["properties"]["region"] == out[contract.REGION]
    assert reader["properties"]["resourceArn"] == out[contract.TABLE_ARN]
    assert reader["properties"]["statement"] == SID_KEY_USE_VIA_DYNAMODB
    assert reader["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == out[contract.TABLE_ARN]
    (probe,) = [r for r in results(document) if r["ruleId"] == "boundary_probe.denied"]
    assert probe["level"] == "error"
    assert probe["properties"]["principal"] == out[contract.TEST_PRINCIPAL_ARN]
    assert probe["properties"]["statement"] == f"grant {grant}"
    assert probe["properties"]["resourceArn"] == out[contract.TABLE_ARN]
    assert {r["properties"]["check"] for r in results(document)} == {
        f["check"] for f in report["findings"] if f["status"] == "FAIL"
    }
    summary = markdown.read_text()
    assert summary.startswith("## encrypted-dynamodb verify: FAIL (")
    assert "| FAIL | `audit.undeclared_reader` |" in summary
    assert "| FAIL | `boundary_probe.denied` |" in summary
    assert f"| `{ops}` |" in summary, "the audit matrix lists the undeclared reader"
    secret = out[contract.TEST_USER_SECRET_ACCESS_KEY]
    assert secret not in sarif.read_text()
    assert secret not in summary
