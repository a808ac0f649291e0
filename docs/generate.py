"""python -m docs.generate: write the reference sections of docs/ from the code that owns them.

Each generated section sits in a Markdown file between two marker comments,

    <!-- BEGIN GENERATED: name -->
    ...
    <!-- END GENERATED: name -->

and only the text between them is rewritten; the prose around it is edited by hand.
The sources:

- components:  components.package.package_schema() (what every Pulumi language sees),
               with defaults from components/validation.py (*_DEFAULTS, keyed by Python name)
- config:      stack.project.config_schema() (Pulumi.yaml's `config:` block)
- outputs:     stack/outputs.py (the output contract: every group of outputs exported together)
- policies:    policy.policies.POLICIES (the policy pack)
- rules:       verify.rules.RULES (the verifier's rule catalogue: SARIF rule ids, severities)

`--check` writes nothing and exits 1 naming the stale files (tests/docs runs the same comparison).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.util import camel_case

from components.autoscaling import AutoScalingArgs, CapacityAutoScalingArgs
from components.consumer_access import TOKEN as CONSUMER_ACCESS_TOKEN
from components.consumer_access import ConsumerAccess, ConsumerAccessArgs
from components.encrypted_table import TOKEN as TABLE_TOKEN
from components.encrypted_table import (
    EncryptedTable,
    EncryptedTableArgs,
    ExternalPrincipalArgs,
    GlobalSecondaryIndexArgs,
    ReplicaArgs,
)
from components.key_user import TOKEN as KEY_USER_TOKEN
from components.key_user import KeyUser, KeyUserArgs
from components.package import PACKAGE_NAME, package_schema
from components.validation import (
    AUTOSCALING_DEFAULTS,
    ENCRYPTED_TABLE_DEFAULTS,
    EXTERNAL_PRINCIPAL_DEFAULTS,
    INDEX_DEFAULTS,
    KEY_USER_DEFAULTS,
    REPLICA_DEFAULTS,
)
from policy.policies import POLICIES
from stack import outputs
from stack.project import config_schema
from verify.rules import RULES, severity_label

DOCS = Path(__file__).resolve().parent
DESCRIPTION = "Write the generated reference sections of docs/ from the code that owns them."
NONE = "—"


@dataclass(frozen=True)
class Section:
    file: str  # relative to docs/
    name: str
    render: Callable[[], str]


# -- Markdown helpers ----------------------------------------------------------------------------


def cell(text: str) -> str:
    """One table cell: whitespace collapsed, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def prose(text: str) -> str:
    """Free text from a docstring or a description: `<project>` must not be read as an HTML tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    return f"`{text}`"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def literal(value: object) -> str:
    """A default as every Pulumi language and YAML would write it: JSON."""
    return code(json.dumps(value))


# -- the component reference ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One object of the package schema and the Python that defines it."""

    title: str
    token: str
    args: type  # the TypedDict of its inputs
    defaults: Mapping[str, object]  # keyed by Python field name
    component: type | None  # the ComponentResource whose annotations are its outputs; None for a type


def schema_name(python_name: str) -> str:
    """A field's name in the package schema: the SDK analyzer's own conversion (snake_case -> camelCase)."""
    return str(camel_case(python_name))


def _by_schema_name(python_names: Sequence[str]) -> dict[str, str]:
    """Schema name -> Python name."""
    return {schema_name(name): name for name in python_names}


def _anchor(title: str) -> str:
    return "#" + title.lower()


def _type(prop: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    ref = prop.get("$ref")
    if ref == "pulumi.json#/Any":  # a value of any JSON type (a string, a boolean, ...)
        return "any"
    if isinstance(ref, str):
        title = titles[ref.removeprefix("#/types/")]
        return f"[{title}]({_anchor(title)})"
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop['items'], titles)}"
    if kind == "object" and "additionalProperties" in prop:
        return f"map of {_type(prop['additionalProperties'], titles)}"
    return str(kind)


def _inputs(shape: Shape, spec: Mapping[str, Any], titles: Mapping[str, str]) -> list[str]:
    properties: Mapping[str, Any] = spec.get("inputProperties", spec.get("properties", {}))
    required = set(spec.get("requiredInputs", spec.get("required", [])))
    fields = list(inspect.get_annotations(shape.args))
    python = _by_schema_name(fields)
    if set(python) != set(properties):
        raise ValueError(
            f"{shape.title}: the schema's inputs {sorted(properties)} are not {shape.args.__name__}'s fields {fields}"
        )
    unknown = sorted(set(shape.defaults) - set(fields))
    if unknown:
        raise ValueError(f"{shape.title}: defaults for {unknown}, which are not fields of {shape.args.__name__}")
    rows = []
    for name, prop in properties.items():
        field = python[name]
        if name in required and field in shape.defaults:
            raise ValueError(f"{shape.title}: {field} is required and has a default")
        rows.append(
            [
                f"{code(name)} ({code(field)})",
                _type(prop, titles),
                "required" if name in required else "optional",
                literal(shape.defaults[field]) if field in shape.defaults else NONE,
                "no" if prop.get("plain") else "yes",
                prose(str(prop.get("description", ""))),
            ]
        )
    noun = "input" if shape.component is not None else "field"
    return table([f"{noun} (Python)", "type", "required", "default", "Output accepted", "description"], rows)


def _outputs(shape: Shape, component: type, spec: Mapping[str, Any], titles: Mapping[str, str]) -> list[str]:
    properties: Mapping[str, Any] = spec.get("properties", {})
    python = _by_schema_name(list(inspect.get_annotations(component)))
    missing = sorted(set(properties) - set(python))
    if missing:
        raise ValueError(f"{shape.title}: outputs {missing} match no annotated attribute of the component")
    always = set(spec.get("required", []))
    rows = [
        [
            f"{code(name)} ({code(python[name])})",
            _type(prop, titles),
            "yes" if name in always else "no",
            prose(str(prop.get("description", ""))),
        ]
        for name, prop in properties.items()
    ]
    return table(["output (Python)", "type", "always set", "description"], rows)


def component_shapes() -> list[Shape]:
    return [
        Shape("EncryptedTable", TABLE_TOKEN, EncryptedTableArgs, ENCRYPTED_TABLE_DEFAULTS, EncryptedTable),
        Shape(
            "GlobalSecondaryIndexArgs",
            f"{PACKAGE_NAME}:index:GlobalSecondaryIndexArgs",
            GlobalSecondaryIndexArgs,
            INDEX_DEFAULTS,
            None,
        ),
        Shape("ReplicaArgs", f"{PACKAGE_NAME}:index:ReplicaArgs", ReplicaArgs, REPLICA_DEFAULTS, None),
        Shape(
            "ExternalPrincipalArgs",
            f"{PACKAGE_NAME}:index:ExternalPrincipalArgs",
            ExternalPrincipalArgs,
            EXTERNAL_PRINCIPAL_DEFAULTS,
            None,
        ),
        Shape("AutoScalingArgs", f"{PACKAGE_NAME}:index:AutoScalingArgs", AutoScalingArgs, {}, None),
        Shape(
            "CapacityAutoScalingArgs",
            f"{PACKAGE_NAME}:index:CapacityAutoScalingArgs",
            CapacityAutoScalingArgs,
            AUTOSCALING_DEFAULTS,
            None,
        ),
        Shape("KeyUser", KEY_USER_TOKEN, KeyUserArgs, KEY_USER_DEFAULTS, KeyUser),
        Shape("ConsumerAccess", CONSUMER_ACCESS_TOKEN, ConsumerAccessArgs, {}, ConsumerAccess),
    ]


def components_reference() -> str:
    schema = package_schema()
    shapes = component_shapes()
    titles = {shape.token: shape.title for shape in shapes}
    lines: list[str] = []
    for shape in shapes:
        spec = (schema["types"] if shape.component is None else schema["resources"])[shape.token]
        description = prose(" ".join(str(spec.get("description", "")).split()))
        lines += [f"### {shape.title}", "", f"{code(shape.token)}: {description}"]
        lines += ["", "Inputs:" if shape.component else "Fields:", "", *_inputs(shape, spec, titles)]
        if shape.component is not None:
            lines += ["", "Outputs:", "", *_outputs(shape, shape.component, spec, titles)]
        lines.append("")
    documented = set(titles)
    served = set(schema["resources"]) | set(schema.get("types", {}))
    if served != documented:
        raise ValueError(f"the package serves {sorted(served)}; the reference documents {sorted(documented)}")
    return "\n".join(lines).rstrip("\n")


# -- the stack: config and outputs ---------------------------------------------------------------


def config_reference() -> str:
    rows = [
        [code(key.name), key.type, NONE if key.default is None else literal(key.default), prose(key.description)]
        for key in config_schema().values()
    ]
    return "\n".join(table(["key", "type", "default", "description"], rows))


# When the program exports each group of the output contract: stack/outputs.py's tuples named ALWAYS,
# WITH_* and FOR_* (OUTPUT_GROUP), keyed by that name. Every group must have its text here and every
# text its group, so an output added to the contract is a row of the table or `make docs` fails.
OUTPUT_GROUP = re.compile(r"ALWAYS|WITH_[A-Z_]+|FOR_[A-Z_]+")
EXPORTED = {
    "ALWAYS": "always",
    "WITH_PRINCIPAL": "with a test principal",
    "WITH_USER": "with a test principal of kind `user`",
    "FOR_THE_AUDIT": "always (optional for the verifier: the access audit)",
    "FOR_REPLICAS": "always, `[]` without replicas (optional for the verifier)",
    "FOR_EXTERNAL": (
        "always, `[]` without readers in other accounts (optional for the verifier:"
        " [readers in other accounts](verify.md#readers-in-other-accounts))"
    ),
    "FOR_KEY_PROTECTION": (
        "with `keyLossProtection` (on by default), absent without it (optional for the verifier:"
        " [key-loss protection](verify.md#key-loss-protection))"
    ),
}


def output_groups() -> dict[str, tuple[str, ...]]:
    """The output contract's groups, in stack/outputs.py's order: each the names of outputs exported together."""
    return {
        name: value
        for name, value in vars(outputs).items()
        if OUTPUT_GROUP.fullmatch(name) and isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    }


def outputs_reference() -> str:
    groups = output_groups()
    if set(groups) != set(EXPORTED):
        undescribed, gone = sorted(set(groups) - set(EXPORTED)), sorted(set(EXPORTED) - set(groups))
        raise ValueError(
            f"stack/outputs.py's output groups {sorted(groups)} are not docs/generate.py EXPORTED's"
            f" {sorted(EXPORTED)}: say when {undescribed} are exported, drop {gone}"
        )
    group_of: dict[str, str] = {}
    for group, names in groups.items():
        for name in names:
            if name in group_of:
                raise ValueError(f"output {name!r} is in two groups of stack/outputs.py: {group_of[name]}, {group}")
            group_of[name] = group
    when = {name: EXPORTED[group] for name, group in group_of.items()}
    values = {
        outputs.TEST_PRINCIPAL_KIND: outputs.TEST_PRINCIPAL_KINDS,
        outputs.TEST_PRINCIPAL_EXPECTED_ACCESS: outputs.EXPECTED_ACCESS,
    }
    rows = [
        [
            code(name),
            exported,
            ", ".join(code(v) for v in values[name]) if name in values else NONE,
            "yes" if name in outputs.SECRETS else "no",
        ]
        for name, exported in when.items()
    ]
    return "\n".join(table(["output", "exported", "values", "secret"], rows))


# -- the policy pack -----------------------------------------------------------------------------


def policies_reference() -> str:
    rows = [
        [code(str(policy.name)), str(getattr(policy.enforcement_level, "value", "")), prose(str(policy.description))]
        for policy in POLICIES
    ]
    return "\n".join(table(["policy", "level", "what it requires"], rows))


# -- the verifier's rules ------------------------------------------------------------------------


def rules_reference() -> str:
    rows = [
        [
            code(rule.id),
            f"{severity_label(rule.severity)} ({rule.security_severity})",
            rule.level.value,
            prose(rule.short),
            f"[{rule.anchor.replace('-', ' ')}](#{rule.anchor})",
        ]
        for rule in RULES
    ]
    return "\n".join(table(["rule id", "severity", "level", "what must hold", "see"], rows))


SECTIONS = (
    Section("components.md", "components", components_reference),
    Section("configuration.md", "config", config_reference),
    Section("configuration.md", "outputs", outputs_reference),
    Section("policy-pack.md", "policies", policies_reference),
    Section("verify.md", "rules", rules_reference),
)


# -- markers -------------------------------------------------------------------------------------


def begin_marker(name: str) -> str:
    return f"<!-- BEGIN GENERATED: {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- END GENERATED: {name} -->"


NOTICE = "<!-- Generated by `make docs` (python -m docs.generate); edit the code, not this section. -->"


def replace_section(text: str, name: str, body: str) -> str:
    """text with the section `name` (exactly one pair of markers) holding body."""
    pattern = re.compile(re.escape(begin_marker(name)) + r"\n.*?" + re.escape(end_marker(name)), re.DOTALL)
    found = pattern.findall(text)
    if len(found) != 1:
        raise ValueError(f"expected one {begin_marker(name)} ... {end_marker(name)} pair, found {len(found)}")
    block = f"{begin_marker(name)}\n{NOTICE}\n\n{body}\n\n{end_marker(name)}"
    return pattern.sub(lambda _: block, text)


def expected_files(docs: Path = DOCS) -> dict[Path, str]:
    """Every file with generated sections, as it should read now."""
    bodies = {(s.file, s.name): s.render() for s in SECTIONS}
    result: dict[Path, str] = {}
    for section in SECTIONS:
        path = docs / section.file
        text = result.get(path) or path.read_text(encoding="utf-8")
        result[path] = replace_section(text, section.name, bodies[(section.file, section.name)])
    return result


def stale_files(docs: Path = DOCS) -> list[Path]:
    return [path for path, text in expected_files(docs).items() if path.read_text(encoding="utf-8") != text]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs.generate", description=DESCRIPTION)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated section is stale")
    args = parser.parse_args(argv)
    root = DOCS.parent
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(root)} (run `make docs`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected_files().items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(root)}")
        else:
            print(f"unchanged {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
