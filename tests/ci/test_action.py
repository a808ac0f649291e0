"""The composite action (action.yml, .github/verify-action/): its shape, its scripts, its input
checks and verdict, and its steps run as GitHub runs them against the sandbox."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import platform
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from access.errors import ConfigError
from access.version import VERSION
from sandbox.emulator.server import Emulator
from sandbox.engine import Stack
from stack import outputs as contract
from tests.ci.composite import ROOT, Runner, copy_checkout, job_environment, read_output_file, workflow_commands
from tests.ci.test_workflows import ACTIONLINT, under_version_tags
from tests.sandbox.conftest import up
from tests.verify.known_bad import sarif_validator, undeclared_reader
from verify.findings import EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED
from verify.report_sarif import DEFAULT_SOURCE, automation_id

ACTION = ROOT / "action.yml"
SCRIPTS = ROOT / ".github" / "verify-action"
SHELLCHECK = str(Path(sys.executable).with_name("shellcheck"))
DOC = ROOT / "docs" / "action.md"
# The action's `uses:` steps, by id or name: none of them can run here.
SETUP_PYTHON, CACHE, CREDENTIALS, UPLOAD_SARIF = (
    "actions/setup-python@",
    "actions/cache@",
    "aws-actions/configure-aws-credentials@",
    "github/codeql-action/upload-sarif@",
)


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"verify_action_{name}", SCRIPTS / f"{name}.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


inputs = load_script("inputs")
verdict = load_script("verdict")


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return loaded


def action_steps() -> list[dict[str, Any]]:
    return list(action()["runs"]["steps"])


def defaults() -> dict[str, str]:
    return {name: str(spec["default"]) for name, spec in action()["inputs"].items()}


# -- action.yml ----------------------------------------------------------------------------


def test_the_action_is_composite_with_described_kebab_case_inputs_and_outputs() -> None:
    loaded = action()
    assert loaded["runs"]["using"] == "composite"
    for name, spec in loaded["inputs"].items():
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", name), name
        assert spec["description"].strip(), name
        assert "default" in spec, name
        assert spec.get("required", False) is False, f"{name}: every input has a default"
    assert list(loaded["outputs"]) == ["exit-code", "markdown-path", "sarif-path", "junit-path", "version"]
    for name, spec in loaded["outputs"].items():
        assert spec["description"].strip(), name
        assert re.fullmatch(r"\$\{\{ steps\.[\w-]+\.outputs\.[\w-]+ \}\}", spec["value"]), name
    assert defaults() | {"stack": "", "outputs-file": ""} == {
        "stack": "",
        "outputs-file": "",
        "work-dir": ".",
        "aws-region": "",
        "role-to-assume": "",
        "max-wait": "",
        "audit": "true",
        "markdown": "true",
        "sarif": "true",
        "sarif-source": "",
        "upload-sarif": "false",
        "fail-on-findings": "true",
        "python-version": "3.11",
    }


def test_the_check_step_gets_every_input_through_env_and_inputs_py_reads_exactly_those() -> None:
    assert tuple(action()["inputs"]) == inputs.INPUTS
    (check,) = [s for s in action_steps() if s.get("id") == "inputs"]
    passed = {k: v for k, v in check["env"].items() if k.startswith("INPUT_")}
    assert passed == {inputs.env_name(name): f"${{{{ inputs.{name} }}}}" for name in inputs.INPUTS}


def test_shell_steps_run_a_script_of_verify_action_and_never_expand_an_expression_in_it() -> None:
    # `${{ inputs.x }}` inside `run:` is pasted into the script before bash reads it: a value with
    # `"; curl ... #` in it would run. Inputs go through env: only.
    shell_steps = [s for s in action_steps() if "run" in s]
    assert len(shell_steps) == 5
    for step in shell_steps:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], step["name"]
        script = re.fullmatch(r'bash "\$GITHUB_ACTION_PATH/\.github/verify-action/([\w-]+\.sh)"', step["run"].strip())
        assert script, step["run"]
        assert (SCRIPTS / script[1]).is_file()


def test_the_uses_steps_are_the_four_actions_and_the_inputs_are_checked_before_anything_else() -> None:
    uses = [s for s in action_steps() if "uses" in s]
    prefixes = [SETUP_PYTHON, CACHE, CREDENTIALS, UPLOAD_SARIF]
    assert [next(p for p in prefixes if s["uses"].startswith(p)) for s in uses] == prefixes
    (python,) = [s for s in uses if s["uses"].startswith(SETUP_PYTHON)]
    assert python["with"]["update-environment"] is False, "the action must not change the job's Python"
    (credentials,) = [s for s in uses if s["uses"].startswith(CREDENTIALS)]
    assert credentials["if"] == "steps.inputs.outputs.assume-role == 'true'"
    # The Check step runs first, on the Python setup-python gives it; nothing is installed before it.
    assert [s.get("id") for s in action_steps()[:2]] == ["python", "inputs"]


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_the_scripts_pass_bash_n_and_shellcheck_and_stop_on_errors(script: Path) -> None:
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([SHELLCHECK, "--shell=bash", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_shellcheck_does_catch_a_broken_script(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sh"
    broken.write_text("#!/usr/bin/env bash\nset -euo pipefail\ncd $WORK_DIR\n")
    done = subprocess.run([SHELLCHECK, str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "SC2086" in done.stdout


# -- actionlint: the action's steps, and a workflow that uses it -----------------------------


def project_with_action(tmp_path: Path) -> Path:
    """The repository's action and .github in a fresh project (actionlint resolves `./` from the .git root)."""
    (tmp_path / ".git").mkdir()
    copy_checkout(tmp_path)
    return tmp_path


def workflow_using_the_action(values: dict[str, str]) -> str:
    workflow = {
        "on": "push",
        "permissions": {"contents": "read"},
        "jobs": {
            "verify": {
                "runs-on": "ubuntu-latest",
                "permissions": {"contents": "read", "id-token": "write", "security-events": "write"},
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"id": "verify", "uses": "./", "with": values},
                    {
                        "run": 'echo "$CODE $VERSION $MARKDOWN $SARIF $JUNIT"',
                        "env": {
                            "CODE": "${{ steps.verify.outputs.exit-code }}",
                            "VERSION": "${{ steps.verify.outputs.version }}",
                            "MARKDOWN": "${{ steps.verify.outputs.markdown-path }}",
                            "SARIF": "${{ steps.verify.outputs.sarif-path }}",
                            "JUNIT": "${{ steps.verify.outputs.junit-path }}",
                        },
                    },
                ],
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False)


EVERY_INPUT = {
    "stack": "org/project/prod",
    "outputs-file": "",
    "work-dir": "infra",
    "aws-region": "eu-west-1",
    "role-to-assume": "arn:aws:iam::111122223333:role/verifier",
    "max-wait": "600",
    "audit": "true",
    "markdown": "true",
    "sarif": "true",
    "sarif-source": "infra/Pulumi.yaml",
    "upload-sarif": "true",
    "fail-on-findings": "true",
    "python-version": "3.12",
}


def test_actionlint_passes_a_workflow_that_uses_the_action_with_every_input(tmp_path: Path) -> None:
    assert set(EVERY_INPUT) == set(action()["inputs"])
    project = project_with_action(tmp_path)
    linted = project / ".github" / "workflows" / "uses-the-action.yml"
    linted.write_text(workflow_using_the_action(EVERY_INPUT))
    done = subprocess.run([ACTIONLINT, "-no-color", str(linted)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text.replace("upload-sarif:", "upload-sarf:"), 'input "upload-sarf" is not defined'),
        (lambda text: text.replace("outputs.junit-path", "outputs.junit"), 'property "junit" is not defined'),
    ],
    ids=["misspelled-input", "misspelled-output"],
)
def test_actionlint_checks_the_inputs_and_outputs_against_action_yml(tmp_path: Path, change: Any, message: str) -> None:
    project = project_with_action(tmp_path)
    linted = project / ".github" / "workflows" / "uses-the-action.yml"
    linted.write_text(change(workflow_using_the_action(EVERY_INPUT)))
    done = subprocess.run([ACTIONLINT, "-no-color", str(linted)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert message in done.stdout, done.stdout


def test_the_actions_steps_pass_actionlint_with_shellcheck(tmp_path: Path) -> None:
    """action.yml's steps as one job (actionlint does not lint action.yml itself), pins under their
    version tags so that actionlint checks the inputs of the actions it knows."""
    project = project_with_action(tmp_path)
    loaded = yaml.safe_load(under_version_tags(ACTION.read_text()))
    workflow = {
        "on": {"workflow_call": {"inputs": {n: {"type": "string", "default": d} for n, d in defaults().items()}}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": loaded["runs"]["steps"]}},
    }
    linted = project / ".github" / "workflows" / "action-steps.yml"
    linted.write_text(yaml.safe_dump(workflow, sort_keys=False))
    assert not re.search(r"@[0-9a-f]{40}", linted.read_text()), "a pin without its version"
    done = subprocess.run(
        [ACTIONLINT, "-no-color", f"-shellcheck={SHELLCHECK}", str(linted)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- inputs.py: the inputs checked, the verifier's arguments planned ------------------------


def checked(workspace: Path, **values: str) -> Any:
    return inputs.check(defaults() | values, str(workspace), "/tmp/reports")


@pytest.mark.parametrize(("stack_name", "outputs_file"), [("prod", "out.json"), ("", "")], ids=["both", "neither"])
def test_exactly_one_of_stack_and_outputs_file(tmp_path: Path, stack_name: str, outputs_file: str) -> None:
    with pytest.raises(ConfigError) as raised:
        checked(tmp_path, stack=stack_name, **{"outputs-file": outputs_file})
    assert raised.value.field == "stack, outputs-file"
    assert "give exactly one" in str(raised.value)


def test_the_verifier_arguments_for_a_stack_and_for_an_outputs_file(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    plan = checked(tmp_path, stack="org/p/prod", **{"work-dir": "./infra/", "max-wait": "90", "audit": "false"})
    assert plan.arguments == (
        *("--stack", "org/p/prod", "--max-wait", "90", "--no-audit"),
        *("--junit-xml", "/tmp/reports/verify-report.xml", "--markdown", "/tmp/reports/verify-report.md"),
        *("--sarif", "/tmp/reports/verify-report.sarif", "--sarif-source", "infra/Pulumi.yaml"),
    )
    assert plan.work_dir == str(tmp_path / "infra")
    assert (plan.upload_sarif, plan.fail_on_findings, plan.assume_role) == (False, True, False)
    plan = checked(tmp_path, **{"outputs-file": "infra/out.json", "markdown": "false", "sarif": "FALSE"})
    assert plan.arguments == ("--outputs", str(tmp_path / "infra/out.json"), "--junit-xml", plan.junit_path)
    assert (plan.markdown_path, plan.sarif_path) == ("", "")


@pytest.mark.parametrize(
    ("work_dir", "sarif_source", "expected"),
    [
        (".", "", "Pulumi.yaml"),
        ("", "", "Pulumi.yaml"),
        ("./infra/", "", "infra/Pulumi.yaml"),
        ("infra/../infra", "", "infra/Pulumi.yaml"),
        (".", "./programs/main.py", "programs/main.py"),
    ],
)
def test_sarif_source_is_repository_relative_and_normalised(
    tmp_path: Path, work_dir: str, sarif_source: str, expected: str
) -> None:
    (tmp_path / "infra").mkdir()
    plan = checked(tmp_path, stack="dev", **{"work-dir": work_dir, "sarif-source": sarif_source})
    assert plan.sarif_source == expected
    assert plan.arguments[-2:] == ("--sarif-source", expected)


@pytest.mark.parametrize(
    ("values", "field", "problem"),
    [
        ({"sarif-source": "/abs/Pulumi.yaml"}, "sarif-source", "not a relative path"),
        ({"sarif-source": "../other/Pulumi.yaml"}, "sarif-source", "outside the repository"),
        ({"sarif-source": "infra\\Pulumi.yaml"}, "sarif-source", "not a relative path"),
        ({"work-dir": "../elsewhere"}, "work-dir", "outside the repository"),
        ({"work-dir": "infra/../.."}, "work-dir", "outside the repository"),
        ({"work-dir": "missing"}, "work-dir", "not a folder of the workspace"),
        ({"audit": "yes"}, "audit", "'yes' is not a boolean"),
        ({"fail-on-findings": ""}, "fail-on-findings", "'' is not a boolean"),
        ({"upload-sarif": "true", "sarif": "false"}, "upload-sarif", "needs the SARIF report"),
        ({"role-to-assume": "arn:aws:iam::111122223333:role/r"}, "aws-region", "role-to-assume needs it"),
        ({"aws-region": "Ireland"}, "aws-region", "not a region name"),
    ],
)
def test_a_bad_input_is_refused_naming_it_and_what_is_allowed(
    tmp_path: Path, values: dict[str, str], field: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        checked(tmp_path, stack="dev", **values)
    assert raised.value.field == field
    assert problem in raised.value.problem
    assert raised.value.allowed


def test_booleans_allowed_are_named() -> None:
    with pytest.raises(ConfigError, match=r"\(allowed: 'true', 'false'\)"):
        inputs.boolean("sarif", "on")


@pytest.mark.parametrize("value", ["prod\n--print-policy", "a\rb", "tab\there"])
def test_a_line_break_or_control_character_in_any_input_is_refused(value: str) -> None:
    # Each value becomes one argument line and one `name=value` output: a line break would add some.
    with pytest.raises(ConfigError) as raised:
        inputs.read_inputs({"INPUT_STACK": value})
    assert raised.value.field == "stack"


def test_inputs_are_read_from_input_variables_stripped() -> None:
    values = inputs.read_inputs({"INPUT_OUTPUTS_FILE": " out.json ", "INPUT_FAIL_ON_FINDINGS": "false"})
    assert values["outputs-file"] == "out.json"
    assert values["fail-on-findings"] == "false"
    assert values["stack"] == ""


def test_annotations_are_escaped_as_the_runner_unescapes_them() -> None:
    line = inputs.annotation("error", "a: b, c", "100% sure\nsecond line\r")
    assert line == "::error title=a%3A b%2C c::100%25 sure%0Asecond line%0D"


@pytest.mark.parametrize(
    ("runner_os", "supported"), [("Linux", True), ("macOS", True), ("Windows", False), ("", False)]
)
def test_linux_and_macos_runners_only(runner_os: str, supported: bool) -> None:
    if supported:
        inputs.check_runner(runner_os)
        return
    with pytest.raises(ConfigError) as raised:
        inputs.check_runner(runner_os)
    assert raised.value.field == "runs-on"
    assert raised.value.allowed == "'Linux', 'macOS'"


def test_the_default_sarif_source_is_the_verifiers_in_work_dir() -> None:
    assert inputs.PULUMI_PROJECT_FILE == DEFAULT_SOURCE


def test_the_minimum_python_is_pyprojects_requires_python() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=" + ".".join(map(str, inputs.MINIMUM_PYTHON))
    inputs.check_python((3, 11, 0))
    with pytest.raises(ConfigError) as raised:
        inputs.check_python((3, 10, 14))
    assert raised.value.field == "python-version"
    assert "3.10.14" in raised.value.problem


def test_the_pip_cache_key_changes_with_the_requirements_the_python_and_the_os() -> None:
    one = inputs.installation("/t", b"boto3>=1.35,<2\n", "3.11.9", "Linux")
    assert one["pip-cache-dir"] == "/t/encrypted-dynamodb-verify/pip-cache"
    assert one["venv"] == "/t/encrypted-dynamodb-verify/venv-3.11.9"
    others = [
        inputs.installation("/t", b"boto3>=1.36,<2\n", "3.11.9", "Linux"),
        inputs.installation("/t", b"boto3>=1.35,<2\n", "3.12.1", "Linux"),
        inputs.installation("/t", b"boto3>=1.35,<2\n", "3.11.9", "macOS"),
    ]
    assert len({one["pip-cache-key"], *(o["pip-cache-key"] for o in others)}) == 4


def test_step_outputs_survive_the_github_output_file(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    plan = checked(tmp_path, stack="dev", **{"work-dir": "infra", "upload-sarif": "true"})
    outputs = inputs.step_outputs(plan, {"venv": "/v"})
    path = tmp_path / "output"
    path.write_text(inputs.github_output(outputs, "EOF_x"))
    assert read_output_file(path) == outputs
    assert outputs["arguments"].splitlines() == list(plan.arguments)
    assert (outputs["upload-sarif"], outputs["fail-on-findings"], outputs["assume-role"]) == ("true", "true", "false")


# -- verify/requirements.txt ------------------------------------------------------------------


def requirement_lines(path: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()]


def test_the_verifiers_requirements_are_boto3_pinned_as_the_projects() -> None:
    (only,) = requirement_lines(ROOT / "verify" / "requirements.txt")
    assert only.startswith("boto3")
    assert only in requirement_lines(ROOT / "requirements.txt")


# -- verdict.py: the last step ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fail_on_findings", "fails", "annotation"),
    [
        (EXIT_OK, True, False, ""),
        (EXIT_FAILED, True, True, "::error"),
        (EXIT_FAILED, False, False, "::warning"),
        (EXIT_CANNOT_RUN, False, True, "::error"),
        (EXIT_INTERRUPTED, False, True, "::error"),
        (EXIT_TERMINATED, True, True, "::error"),
    ],
)
def test_the_verdict_follows_the_verifiers_exit_code(
    code: int, fail_on_findings: bool, fails: bool, annotation: str
) -> None:
    step_code, line = verdict.verdict(str(code), fail_on_findings)
    assert (step_code != 0) == fails
    assert line.startswith(annotation) if annotation else not line.startswith("::")
    if code not in (EXIT_OK, EXIT_FAILED):
        assert f"could not run (exit {code})" in line


@pytest.mark.parametrize(
    ("code", "uploads"),
    [
        (EXIT_OK, True),
        (EXIT_FAILED, True),
        (EXIT_CANNOT_RUN, False),
        (EXIT_INTERRUPTED, False),
        (EXIT_TERMINATED, False),
    ],
)
def test_the_sarif_is_uploaded_only_from_a_run_that_got_to_its_end(tmp_path: Path, code: int, uploads: bool) -> None:
    # A could-not-run SARIF holds none of the stack's findings: uploaded, it would close their alerts.
    (upload,) = [s for s in action_steps() if str(s.get("uses", "")).startswith(UPLOAD_SARIF)]
    run = Runner(tmp_path, tmp_path, tmp_path, {}, {}, {})
    run.steps = {"inputs": {"upload-sarif": "true"}, "verify": {"sarif-path": "/r.sarif", "exit-code": str(code)}}
    assert run.condition(upload["if"]) is uploads
    run.steps["inputs"]["upload-sarif"] = "false"
    assert run.condition(upload["if"]) is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("steps.a.outputs.x == 'ONE'", True),
        ("steps.a.outputs.x != 'one'", False),
        ("steps.a.outputs.x == 'one' && steps.a.outputs.y == 'two'", False),
        ("steps.a.outputs.x == 'two' || steps.a.outputs.y == ''", True),
        ("steps.a.outputs.x == 'one' && (steps.a.outputs.y == 'two' || steps.a.outputs.y == '')", True),
        ("(steps.a.outputs.x == 'two' || steps.a.outputs.y == 'two') && steps.a.outputs.x == 'one'", False),
    ],
)
def test_the_test_runner_reads_if_as_github_does(tmp_path: Path, expression: str, expected: bool) -> None:
    run = Runner(tmp_path, tmp_path, tmp_path, {}, {}, {})
    run.steps = {"a": {"x": "one"}}
    assert run.condition(expression) is expected


def test_the_test_runner_refuses_an_if_it_cannot_read(tmp_path: Path) -> None:
    run = Runner(tmp_path, tmp_path, tmp_path, {}, {}, {})
    for expression in ("always()", "steps.a.outputs.x", "steps.a.outputs.x == 'a' &&"):
        with pytest.raises((AssertionError, ValueError)):
            run.condition(expression)


def test_no_recorded_exit_code_fails() -> None:
    code, line = verdict.verdict("", fail_on_findings=False)
    assert code == 1
    assert "recorded no exit code" in line


# -- summary.sh ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "whole"), [(1024 * 1024, True), (1024 * 1024 + 1, False)])
def test_the_summary_is_the_report_unless_over_githubs_one_mebibyte(tmp_path: Path, size: int, whole: bool) -> None:
    report, summary = tmp_path / "report.md", tmp_path / "summary.md"
    report.write_text("x" * size)
    done = subprocess.run(
        ["bash", str(SCRIPTS / "summary.sh")],
        env={"MARKDOWN_PATH": str(report), "GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if whole:
        assert summary.read_text() == report.read_text()
    else:
        assert summary.read_text().startswith(f"The verification report is {size} bytes")
        assert str(report) in summary.read_text()
        assert done.stdout.startswith("::warning")


# -- docs/action.md -----------------------------------------------------------------------------


def doc_table(heading: str) -> list[str]:
    """The first column of the table under `## <heading>` in docs/action.md, as written (`name`)."""
    text = DOC.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([^`]+)`", row)[1] for row in rows]  # type: ignore[index]


def test_the_doc_lists_exactly_the_actions_inputs_and_outputs() -> None:
    assert doc_table("Inputs") == list(action()["inputs"])
    assert doc_table("Outputs") == list(action()["outputs"])


def test_the_doc_and_readme_show_the_three_line_use() -> None:
    use = "uses: <org>/encrypted-dynamodb@v1\n  with:\n    stack: "
    for path in (DOC, ROOT / "README.md"):
        assert use in path.read_text(), path.name
    assert "(docs/action.md)" in (ROOT / "README.md").read_text()
    assert "(action.md)" in (ROOT / "docs" / "deploy.md").read_text()


# -- the steps run as GitHub runs them ----------------------------------------------------------

BASE_PYTHON = Path(sys.base_prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action as a runner unpacks `uses: org/encrypted-dynamodb@v1`."""
    return copy_checkout(tmp_path_factory.mktemp("runner") / "_actions" / "org" / "encrypted-dynamodb" / "v1")


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RUNNER_TEMP for the module: the first run builds the venv, the others reuse it (install.sh)."""
    return tmp_path_factory.mktemp("runner-temp")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A consumer's checkout (`_work/<repo>/<repo>`): its Pulumi project in infra/, with a `stack/`
    package of its own, which must never be imported in place of the verifier's (`python -P`)."""
    root = tmp_path / "work" / "platform" / "platform"
    (root / "infra" / "stack").mkdir(parents=True)
    (root / "infra" / "Pulumi.yaml").write_text("name: infra\nruntime: python\n")
    (root / "infra" / "stack" / "__init__.py").write_text(
        "raise ImportError('the consumer stack package was imported')\n"
    )
    return root


def runner(checkout: Path, workspace: Path, temp: Path, values: dict[str, str], env: dict[str, str]) -> Runner:
    return Runner(
        action_path=checkout,
        workspace=workspace,
        temp=temp,
        inputs=values,
        environment=job_environment(workspace.parent.parent / "home", env),
        uses_outputs={"python": {"python-path": str(BASE_PYTHON)}},
    )


def test_a_bad_input_stops_the_action_before_anything_is_installed(
    checkout: Path, workspace: Path, tmp_path: Path
) -> None:
    run = runner(checkout, workspace, tmp_path / "temp", {"stack": "dev", "outputs-file": "infra/outputs.json"}, {})
    runs = run.run()
    assert [r.kind for r in runs] == ["uses", "run"]
    check = runs[-1]
    assert check.returncode != 0
    assert check.stdout.startswith("::error title=encrypted-dynamodb bad input::stack, outputs-file: both are given")
    assert not list((tmp_path / "temp").glob("encrypted-dynamodb-verify/venv-*"))


def deployed(emulator: Emulator, stack: Stack, workspace: Path, *, undeclared: bool) -> tuple[dict[str, Any], str]:
    """The walkthrough's end state (the test role granted and declared), its outputs in the workspace;
    `undeclared`: then a role added to the key policy, which the audit must name."""
    out = up(stack, testPrincipal="role", grantTestPrincipal="true").outputs
    ops = undeclared_reader(emulator, out) if undeclared else ""
    (workspace / "infra" / "outputs.json").write_text(json.dumps(out))
    return out, ops


# A row of the summary's checks table: | STATUS | `check` | evidence |
CHECK_ROW = re.compile(r"^\|\s*(?P<status>PASS|FAIL|SKIP|ERROR)\s*\|\s*`(?P<check>[^`]+)`\s*\|")


def junit_checks(path: Path) -> list[str]:
    return [case.attrib["name"] for case in ET.parse(path).getroot().iter("testcase")]  # noqa: S314 (our own file)


@pytest.fixture
def known_bad(emulator: Emulator, stack: Stack, workspace: Path, checkout: Path, runner_temp: Path) -> Any:
    out, ops = deployed(emulator, stack, workspace, undeclared=True)
    values = {"outputs-file": "infra/outputs.json", "work-dir": "infra", "max-wait": "1", "upload-sarif": "true"}
    run = runner(checkout, workspace, runner_temp, values, emulator.environment())
    run.run()
    return run, ops, out


@pytest.mark.emulator
def test_the_action_against_a_known_bad_deployment(known_bad: Any, checkout: Path, runner_temp: Path) -> None:
    run, ops, out = known_bad
    names = [(r.name, r.kind) for r in run.runs]
    assert names == [
        ("Python for the verifier", "uses"),
        ("Check the inputs", "run"),
        ("Pip cache", "uses"),
        ("Install the verifier (boto3 only, no Pulumi)", "run"),
        ("AWS credentials", "skipped"),
        ("Verify", "run"),
        ("Job summary", "run"),
        ("Upload the SARIF to code scanning", "uses"),
        ("Verdict", "run"),
    ], [(r.name, r.returncode, r.stdout[-2000:], r.stderr[-2000:]) for r in run.runs]
    check, install, verify_step = (
        run.ran("Check the inputs"),
        run.ran("Install the verifier (boto3 only, no Pulumi)"),
        run.ran("Verify"),
    )

    # The venv: the verifier's requirements, no Pulumi; the verifier ran from it.
    python = Path(install.outputs["python"])
    assert python.parent.parent == Path(check.outputs["venv"])
    assert python.is_relative_to(runner_temp)
    for module, importable in (("boto3", True), ("pulumi", False), ("pulumi_aws", False)):
        done = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, check=False)
        assert (done.returncode == 0) == importable, module
    assert verify_step.env["VERIFY_PYTHON"] == str(python)
    assert install.outputs["version"] == VERSION

    # The pip cache: the folder pip used, keyed by the requirements' hash.
    cache = run.ran("Pip cache")
    assert cache.with_["path"] == check.outputs["pip-cache-dir"]
    digest = hashlib.sha256((checkout / "verify" / "requirements.txt").read_bytes()).hexdigest()
    assert check.outputs["pip-cache-key"] == cache.with_["key"]
    assert cache.with_["key"].endswith(f"-Linux-{platform.python_version()}-{digest}")

    # The outputs: exit code 1, every report written.
    outputs = run.action_outputs()
    assert outputs["exit-code"] == str(EXIT_FAILED)
    assert outputs["version"] == VERSION
    paths = {kind: Path(outputs[f"{kind}-path"]) for kind in ("markdown", "sarif", "junit")}
    assert all(path.is_file() for path in paths.values()), outputs

    # The job summary: the Markdown report, a row for every check the verifier ran.
    summary = run.ran("Job summary").summary
    assert summary == paths["markdown"].read_text()
    assert summary.startswith("## encrypted-dynamodb verify: FAIL")
    checks = junit_checks(paths["junit"])
    assert "audit.undeclared_reader" in checks
    table = [line for line in summary.splitlines() if line.startswith("|")]
    assert re.fullmatch(r"\|[\s:|-]+\|", table[1]), "a Markdown table: header, then its separator"
    rows = [row for row in (CHECK_ROW.match(line) for line in table) if row]
    assert sorted(row["check"] for row in rows) == sorted(checks), "one row per check"
    assert [row["check"] for row in rows if row["status"] == "FAIL"] == ["audit.undeclared_reader"]

    # The SARIF: schema-valid, the undeclared reader a result on the sarif-source file.
    sarif = json.loads(paths["sarif"].read_text())
    sarif_validator().validate(sarif)
    results = sarif["runs"][0]["results"]
    (finding,) = [r for r in results if r["ruleId"] == "audit.undeclared_reader" and ops in r["message"]["text"]]
    (location,) = finding["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra/Pulumi.yaml"
    upload = run.ran("Upload the SARIF to code scanning")
    assert upload.with_ == {"sarif_file": str(paths["sarif"])}
    # Its category: the SARIF's own, one per stack (here the outputs' table), not an input's.
    (run_log,) = sarif["runs"]
    assert run_log["automationDetails"]["id"] == automation_id(f"{out[contract.TABLE_NAME]}@us-east-1.123456789012")

    # The verifier's output, which quotes AWS's text, raised no workflow command (test_action_holes.py).
    assert [name for name, _ in workflow_commands(verify_step.stdout)][:1] == ["stop-commands"]
    assert len(workflow_commands(verify_step.stdout)) == 2

    # The last step fails the job, naming why.
    last = run.ran("Verdict")
    assert last.returncode != 0
    assert last.stdout.startswith("::error title=encrypted-dynamodb verify::a check failed")


@pytest.mark.emulator
def test_the_action_passes_a_good_deployment_without_uploading(
    emulator: Emulator, stack: Stack, workspace: Path, checkout: Path, runner_temp: Path
) -> None:
    deployed(emulator, stack, workspace, undeclared=False)
    values = {"outputs-file": "infra/outputs.json", "max-wait": "1", "sarif-source": "./infra/Pulumi.yaml"}
    run = runner(checkout, workspace, runner_temp, values, emulator.environment())
    runs = run.run()
    assert all(r.returncode == 0 for r in runs), [(r.name, r.stdout[-2000:], r.stderr[-2000:]) for r in runs]
    assert run.action_outputs()["exit-code"] == str(EXIT_OK)
    assert run.ran("Upload the SARIF to code scanning").kind == "skipped"
    assert run.ran("Verdict").stdout.strip() == "verify: every check passed"
    sarif = json.loads(Path(run.action_outputs()["sarif-path"]).read_text())
    sarif_validator().validate(sarif)
    assert sarif["runs"][0]["results"] == []
