"""The action's inputs, checked and turned into the verifier's arguments before anything is installed.

Run by the action's "Check the inputs" step (check.sh) with the Python actions/setup-python gave and
this action's checkout on PYTHONPATH (only the standard library and access/ are there yet). It reads
the inputs from INPUT_* variables (action.yml passes each one through `env:`, never into the script),
and writes the step outputs the later steps read: the verifier's arguments, the report paths, where
the venv and pip's cache go and the cache key, and the normalised switches. A bad input is a
ConfigError naming the input and what is allowed, shown as an error annotation; nothing has run yet.
"""

from __future__ import annotations

import hashlib
import os
import platform
import posixpath
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from access.arns import REGION_PATTERN
from access.errors import ConfigError, one_of

# action.yml's inputs, each passed as INPUT_<NAME> (upper case, '-' as '_'); tests/ci/test_action.py
# checks this against action.yml.
INPUTS = (
    "stack",
    "outputs-file",
    "work-dir",
    "aws-region",
    "role-to-assume",
    "max-wait",
    "audit",
    "markdown",
    "sarif",
    "sarif-source",
    "upload-sarif",
    "fail-on-findings",
    "python-version",
)
BOOLEANS = ("true", "false")
SUPPORTED_RUNNERS = ("Linux", "macOS")  # RUNNER_OS, as the runner sets it
# pyproject.toml's requires-python (>=3.11; tests/ci/test_action.py checks the two agree). The
# verifier runs with `python -P`, new in 3.11, so that a consumer's own `stack/` or `verify/`
# folder in work-dir can never stand in for ours.
MINIMUM_PYTHON = (3, 11)
# Everything of ours under $RUNNER_TEMP: the venv, pip's cache, the reports.
HOME = "encrypted-dynamodb-verify"
REQUIREMENTS = "verify/requirements.txt"
# SARIF's target in work-dir: the Pulumi project file, which declares the stack (the verifier's own
# default, verify/report_sarif.py DEFAULT_SOURCE, is this file at the repository root; a test checks).
PULUMI_PROJECT_FILE = "Pulumi.yaml"
REPORT_NAMES = {"markdown": "verify-report.md", "sarif": "verify-report.sarif", "junit": "verify-report.xml"}


@dataclass(frozen=True)
class Checked:
    """What the later steps need, every path absolute but sarif-source (repository-relative)."""

    work_dir: str
    arguments: tuple[str, ...]
    markdown_path: str  # "" when not asked for
    sarif_path: str  # "" when not asked for
    junit_path: str
    sarif_source: str
    upload_sarif: bool
    fail_on_findings: bool
    assume_role: bool
    aws_region: str  # "" when not given


def env_name(name: str) -> str:
    return "INPUT_" + name.upper().replace("-", "_")


def read_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """Each input's value, stripped; a line break or control character anywhere is refused, since
    every value ends up in an argument or a step output (one `name=value` line each)."""
    values = {name: environ.get(env_name(name), "").strip() for name in INPUTS}
    for name, value in values.items():
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ConfigError(name, f"{value!r} holds a line break or control character", "one line of text")
    return values


def boolean(name: str, value: str) -> bool:
    if value.lower() not in BOOLEANS:
        raise ConfigError(name, f"{value!r} is not a boolean", one_of(BOOLEANS))
    return value.lower() == "true"


def repository_path(name: str, value: str) -> str:
    """A path inside the repository, relative to its root, normalised (`./infra/` -> `infra`)."""
    if value.startswith("/") or (len(value) > 1 and value[1] == ":") or "\\" in value:
        raise ConfigError(name, f"{value!r} is not a relative path with '/'", "a path relative to the repository root")
    normal = posixpath.normpath(value)
    if normal == ".." or normal.startswith("../"):
        raise ConfigError(name, f"{value!r} is outside the repository", "a path relative to the repository root")
    return normal


def check(values: Mapping[str, str], workspace: str, report_dir: str) -> Checked:
    """The inputs (read_inputs) as the verifier's arguments and the steps' switches; ConfigError when bad."""
    stack, outputs_file = values["stack"], values["outputs-file"]
    if bool(stack) == bool(outputs_file):
        problem = "both are given" if stack else "neither is given"
        raise ConfigError(
            "stack, outputs-file",
            f"{problem}; give exactly one",
            "stack: the Pulumi stack name, or outputs-file: the `pulumi stack output --json` file",
        )
    work_dir = repository_path("work-dir", values["work-dir"] or ".")
    if not Path(workspace, work_dir).is_dir():
        raise ConfigError("work-dir", f"{work_dir!r} is not a folder of the workspace", "the Pulumi project's folder")
    switches = {name: boolean(name, values[name]) for name in ("audit", "markdown", "sarif", "upload-sarif")}
    fail_on_findings = boolean("fail-on-findings", values["fail-on-findings"])
    if switches["upload-sarif"] and not switches["sarif"]:
        raise ConfigError("upload-sarif", "'true' needs the SARIF report, and sarif is 'false'", "sarif: true")
    region, role = values["aws-region"], values["role-to-assume"]
    if region and not REGION_PATTERN.fullmatch(region):
        raise ConfigError("aws-region", f"{region!r} is not a region name", "a region name such as 'eu-west-1'")
    if role and not region:
        raise ConfigError("aws-region", "is empty, and role-to-assume needs it", "the region to get credentials in")
    sarif_source = repository_path("sarif-source", values["sarif-source"] or f"{work_dir}/{PULUMI_PROJECT_FILE}")

    reports = {kind: str(Path(report_dir, name)) for kind, name in REPORT_NAMES.items()}
    arguments = ["--stack", stack] if stack else ["--outputs", str(Path(workspace, outputs_file))]
    if values["max-wait"]:
        arguments += ["--max-wait", values["max-wait"]]  # its rule is the verifier's (exit 2 when bad)
    if not switches["audit"]:
        arguments.append("--no-audit")
    arguments += ["--junit-xml", reports["junit"]]
    if switches["markdown"]:
        arguments += ["--markdown", reports["markdown"]]
    if switches["sarif"]:
        arguments += ["--sarif", reports["sarif"], "--sarif-source", sarif_source]
    return Checked(
        work_dir=str(Path(workspace, work_dir)),
        arguments=tuple(arguments),
        markdown_path=reports["markdown"] if switches["markdown"] else "",
        sarif_path=reports["sarif"] if switches["sarif"] else "",
        junit_path=reports["junit"],
        sarif_source=sarif_source,
        upload_sarif=switches["upload-sarif"],
        fail_on_findings=fail_on_findings,
        assume_role=bool(role),
        aws_region=region,
    )


def check_runner(runner_os: str) -> None:
    """The steps run bash scripts and the venv's bin/ (a Windows venv has Scripts/ instead)."""
    if runner_os not in SUPPORTED_RUNNERS:
        raise ConfigError("runs-on", f"a {runner_os or 'unknown'} runner is not supported", one_of(SUPPORTED_RUNNERS))


def annotation(kind: str, title: str, message: str) -> str:
    """A workflow command (`::error title=...::message`), escaped as the runner unescapes it: `%`, CR and
    LF in the data; those and `:` and `,` in a property (actions/toolkit, packages/core/src/command.ts)."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    prop = data(title).replace(":", "%3A").replace(",", "%2C")
    return f"::{kind} title={prop}::{data(message)}"


def check_python(version_info: tuple[int, ...]) -> None:
    if tuple(version_info[:2]) < MINIMUM_PYTHON:
        have = ".".join(map(str, version_info[:3]))
        want = ".".join(map(str, MINIMUM_PYTHON))
        raise ConfigError("python-version", f"Python {have} is too old for the verifier", f"{want} or newer")


def installation(runner_temp: str, requirements: bytes, python_version: str, runner_os: str) -> dict[str, str]:
    """Where the venv and pip's cache go, and the cache's key: the requirements' hash (actions/setup-python
    cannot hash a file outside the workspace, actions/setup-python#361), the Python and the runner OS.
    One venv per Python version, reused by a second run of the action in the same job."""
    digest = hashlib.sha256(requirements).hexdigest()
    home = Path(runner_temp, HOME)
    return {
        "venv": str(home / f"venv-{python_version}"),
        "pip-cache-dir": str(home / "pip-cache"),
        "pip-cache-key": f"{HOME}-pip-{runner_os}-{python_version}-{digest}",
    }


def step_outputs(checked: Checked, install: Mapping[str, str]) -> dict[str, str]:
    flags = {"upload-sarif": checked.upload_sarif, "fail-on-findings": checked.fail_on_findings}
    return {
        "work-dir": checked.work_dir,
        "arguments": "\n".join(checked.arguments),
        "markdown-path": checked.markdown_path,
        "sarif-path": checked.sarif_path,
        "junit-path": checked.junit_path,
        "sarif-source": checked.sarif_source,
        "assume-role": str(checked.assume_role).lower(),
        "aws-region": checked.aws_region,
        **{name: str(value).lower() for name, value in flags.items()},
        **install,
    }


def github_output(outputs: Mapping[str, str], delimiter: str) -> str:
    """$GITHUB_OUTPUT lines: `name<<DELIMITER` blocks, which hold any value, multi-line too (GitHub docs,
    workflow commands, "Multiline strings"; a random delimiter no value can contain)."""
    return "".join(f"{name}<<{delimiter}\n{value}\n{delimiter}\n" for name, value in outputs.items())


def main() -> int:
    try:
        check_runner(os.environ.get("RUNNER_OS", ""))
        check_python(sys.version_info[:3])
        values = read_inputs(os.environ)
        home = Path(os.environ["RUNNER_TEMP"], HOME)
        home.mkdir(parents=True, exist_ok=True)
        checked = check(values, os.environ["GITHUB_WORKSPACE"], tempfile.mkdtemp(prefix="reports-", dir=home))
    except ConfigError as error:
        print(annotation("error", "encrypted-dynamodb bad input", str(error)))
        return 1
    requirements = Path(os.environ["GITHUB_ACTION_PATH"], REQUIREMENTS).read_bytes()
    install = installation(
        os.environ["RUNNER_TEMP"], requirements, platform.python_version(), os.environ.get("RUNNER_OS", "")
    )
    text = github_output(step_outputs(checked, install), f"EOF_{uuid.uuid4().hex}")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(text)
    if checked.sarif_path and not Path(os.environ["GITHUB_WORKSPACE"], checked.sarif_source).is_file():
        where = f"sarif-source {checked.sarif_source} is not in the workspace"
        advice = "code scanning shows each finding on that file; name the file that declares the stack"
        print(annotation("warning", "encrypted-dynamodb", f"{where}: {advice}"))
    print(f"verify arguments: {' '.join(checked.arguments)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
