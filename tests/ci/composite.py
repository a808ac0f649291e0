"""A composite action's steps run as a GitHub runner runs them, for the tests.

The runner's part that matters to a composite of shell steps: the action's checkout at a path of
its own (`_actions/<owner>/<repo>/<ref>`), a workspace apart, each `run:` step executed in order
with bash from the workspace, its `env:` with the expressions filled in (`inputs.*`,
`github.action_path`, `github.workspace`, `runner.temp`, `runner.os`, `steps.<id>.outputs.*`), a
fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY file per step, the `if:` of each step evaluated, and the
composite stopped at the first step that fails. `uses:` steps are not run: their `with:` is
filled in and recorded, and the outputs a test says they would give are set.

Expressions: only the forms the action uses, so that a new form fails here instead of being
silently misread: `${{ context.path }}` substitutions, and `if:` conditions made of
`<context> == '<literal>'` / `<context> != '<literal>'` comparisons, `&&`, `||` and parentheses,
strings compared as GitHub compares them (case-insensitively: GitHub docs, "Evaluate
expressions", operators).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*(?P<body>.+?)\s*\}\}")
TOKEN = re.compile(r"\s*(?:(?P<op>==|!=|&&|\|\||\(|\))|'(?P<literal>[^']*)'|(?P<path>[A-Za-z_][\w.-]*))")
HEREDOC = re.compile(r"^(?P<name>[\w-]+)<<(?P<delimiter>.+)$")


def copy_checkout(destination: Path) -> Path:
    """This repository's files (tracked and untracked, not ignored) at `destination`, as the runner
    unpacks an action: what `uses: <org>/encrypted-dynamodb@v1` gets, not this working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not there
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def read_output_file(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        heredoc = HEREDOC.match(line)
        if heredoc:
            end = lines.index(heredoc["delimiter"], index + 1)
            outputs[heredoc["name"]] = "\n".join(lines[index + 1 : end])
            index = end + 1
            continue
        name, separator, value = line.partition("=")
        assert separator, f"{path}: not an output line: {line!r}"
        outputs[name] = value
        index += 1
    return outputs


@dataclass
class StepRun:
    name: str
    kind: str  # "run", "uses" or "skipped"
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    env: dict[str, str] = field(default_factory=dict)
    uses: str = ""
    with_: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""


@dataclass
class Runner:
    action_path: Path
    workspace: Path
    temp: Path
    inputs: dict[str, str]
    environment: dict[str, str]  # the job's environment (PATH, HOME, AWS_*, ...)
    uses_outputs: Mapping[str, Mapping[str, str]]  # what each `uses:` step (by id) would output
    runner_os: str = "Linux"
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    runs: list[StepRun] = field(default_factory=list)

    def action(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((self.action_path / "action.yml").read_text())
        return loaded

    def context(self, path: str) -> str:
        if path.startswith("inputs."):
            name = path.removeprefix("inputs.")
            declared = self.action()["inputs"]
            assert name in declared, f"inputs.{name} is not an input of action.yml"
            return self.inputs.get(name, str(declared[name].get("default", "")))
        fixed = {
            "github.action_path": str(self.action_path),
            "github.workspace": str(self.workspace),
            "runner.temp": str(self.temp),
            "runner.os": self.runner_os,
        }
        if path in fixed:
            return fixed[path]
        step_output = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", path)
        assert step_output, f"an expression this runner does not know: {path}"
        return self.steps.get(step_output[1], {}).get(step_output[2], "")

    def substitute(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            return self.context(match["body"])

        return EXPRESSION.sub(one, text)

    def condition(self, expression: str) -> bool:
        """An `if:`: `a || b`, `a && b`, `( ... )`, `<context> ==|!= '<literal>'`."""
        tokens: list[tuple[str, str]] = []
        position, text = 0, expression.strip()
        while position < len(text):
            token = TOKEN.match(text, position)
            assert token, f"an `if:` this runner does not read: {expression!r}"
            kind = next(name for name in ("op", "literal", "path") if token[name] is not None)
            tokens.append((kind, token[kind]))
            position = token.end()
        value, rest = self._either(tokens)
        assert not rest, f"an `if:` this runner does not read: {expression!r}"
        return value

    def _either(self, tokens: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
        value, tokens = self._both(tokens)
        while tokens[:1] == [("op", "||")]:
            right, tokens = self._both(tokens[1:])
            value = value or right
        return value, tokens

    def _both(self, tokens: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
        value, tokens = self._comparison(tokens)
        while tokens[:1] == [("op", "&&")]:
            right, tokens = self._comparison(tokens[1:])
            value = value and right
        return value, tokens

    def _comparison(self, tokens: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
        if tokens[:1] == [("op", "(")]:
            value, tokens = self._either(tokens[1:])
            assert tokens[:1] == [("op", ")")], "an unclosed parenthesis"
            return value, tokens[1:]
        (left_kind, left), (op_kind, op), (right_kind, right) = tokens[:3]
        assert (left_kind, op_kind, right_kind) == ("path", "op", "literal"), tokens[:3]
        assert op in ("==", "!="), op
        equal = self.context(left).lower() == right.lower()
        return (equal if op == "==" else not equal), tokens[3:]

    def run(self) -> list[StepRun]:
        """Every step in order until one fails (a composite stops there)."""
        for number, step in enumerate(self.action()["runs"]["steps"]):
            name = step.get("name") or step.get("id") or f"step {number}"
            if "if" in step and not self.condition(str(step["if"])):
                self.runs.append(StepRun(name, "skipped", uses=step.get("uses", "")))
                continue
            if "uses" in step:
                outputs = dict(self.uses_outputs.get(step.get("id", ""), {}))
                with_ = {key: self.substitute(str(value)) for key, value in (step.get("with") or {}).items()}
                self.runs.append(StepRun(name, "uses", uses=step["uses"], with_=with_, outputs=outputs))
            else:
                self.runs.append(self.shell(number, name, step))
            if "id" in step:
                self.steps[step["id"]] = self.runs[-1].outputs
            if self.runs[-1].returncode != 0:
                break
        return self.runs

    def shell(self, number: int, name: str, step: Mapping[str, Any]) -> StepRun:
        assert step.get("shell") == "bash", f"{name}: shell {step.get('shell')!r}"
        files = self.temp / "_runner_file_commands"
        files.mkdir(parents=True, exist_ok=True)
        output, summary = files / f"set_output_{number}", files / f"step_summary_{number}"
        script = files / f"step_{number}.sh"
        script.write_text(self.substitute(str(step["run"])))
        env = {
            **self.environment,
            **{key: self.substitute(str(value)) for key, value in (step.get("env") or {}).items()},
            "GITHUB_ACTION_PATH": str(self.action_path),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": self.runner_os,
        }
        # As the runner runs `shell: bash`: bash --noprofile --norc -eo pipefail {0} (GitHub docs,
        # workflow syntax, jobs.<job_id>.steps[*].shell), from the workspace.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return StepRun(
            name,
            "run",
            returncode=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            env=env,
            outputs=read_output_file(output),
            summary=summary.read_text(encoding="utf-8") if summary.exists() else "",
        )

    def action_outputs(self) -> dict[str, str]:
        return {name: self.substitute(str(spec["value"])) for name, spec in self.action()["outputs"].items()}

    def ran(self, name: str) -> StepRun:
        (found,) = [run for run in self.runs if run.name == name]
        return found


def job_environment(home: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """A runner job's environment here: a plain PATH (not this venv's), a HOME of its own, pip's
    settings of this machine (its index), and what the test adds (the sandbox's AWS variables)."""
    pip = {key: value for key, value in os.environ.items() if key.startswith("PIP_")}
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **pip, **extra}


# The commands the runner reads in a step's output (its ActionCommandManager's extensions, and
# stop-commands), as actions/runner's src/Runner.Worker/ActionCommandManager.cs registers them.
REGISTERED_COMMANDS = frozenset(
    {
        *("set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher", "remove-matcher"),
        *("debug", "notice", "warning", "error", "group", "endgroup", "echo", "stop-commands"),
    }
)


def _command_name(line: str, registered: frozenset[str] | set[str]) -> tuple[str, str] | None:
    """(command, data) of one line, as actions/runner's src/Runner.Common/ActionCommand.cs reads it:
    TryParseV2 (`::name props::data` at the line's start, leading spaces trimmed), else TryParse (the
    legacy `##[name props]data` ANYWHERE in the line); the name must be registered (case-insensitively:
    ActionCommandManager's set is OrdinalIgnoreCase)."""
    registered = {name.lower() for name in registered}
    trimmed = line.lstrip()
    if trimmed.startswith("::"):
        end = trimmed.find("::", 2)
        if end >= 0:
            name = trimmed[2:end].split(" ", 1)[0]
            if name.lower() in registered:
                return name, trimmed[end + 2 :]
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start)
        if close >= 0:
            name = line[start + 3 : close].split(" ", 1)[0]
            if name.lower() in registered:
                return name, line[close + 1 :]
    return None


def workflow_commands(log: str) -> list[tuple[str, str]]:
    """The workflow commands the runner acts on in a step's output, in order: every line parsed, and
    `stop-commands` honoured as ActionCommandManager.TryProcessCommand does (while stopped, only the
    token, as a command, resumes; the token is case-insensitive)."""
    acted: list[tuple[str, str]] = []
    token = ""
    for line in log.splitlines():
        registered = set(REGISTERED_COMMANDS) | ({token} if token else set())
        parsed = _command_name(line, registered)
        if parsed is None:
            continue
        name, data = parsed
        if token:
            if name.lower() == token.lower():
                acted.append((name, data))
                token = ""
            continue
        if name.lower() == "stop-commands":
            token = data
        acted.append((name, data))
    return acted
