"""Each example exports what the verifier reads (stack/outputs.py), so the action can verify the stack it deploys.

docs/action.md tells a consumer of the components that the action verifies a stack whose outputs follow the
output contract; the examples are where they copy it from. Each example's exported names are read (as
tests/components/test_examples.py reads the programs) and must hold every output the verifier requires
(outputs.ALWAYS) and those of the access audit (outputs.FOR_THE_AUDIT), with no test principal; the Python
example runs under mocks and its exports are parsed by the verifier itself.
"""

from __future__ import annotations

import ast
import re
import runpy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime.settings import get_root_resource

from stack import outputs
from verify.inputs import parse_outputs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# The verifier's required outputs with no test principal, and the access audit's.
REQUIRED = {*outputs.ALWAYS, *outputs.FOR_THE_AUDIT}


def regex_names(file: str, pattern: str) -> Callable[[Path], set[str]]:
    return lambda folder: set(re.findall(pattern, (folder / file).read_text(), re.MULTILINE))


def yaml_names(folder: Path) -> set[str]:
    return set(yaml.safe_load((folder / "Pulumi.yaml").read_text())["outputs"])


def python_names(folder: Path) -> set[str]:
    tree = ast.parse((folder / "__main__.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "export"
        and isinstance(node.args[0], ast.Constant)
    }


EXPORTED: dict[str, Callable[[Path], set[str]]] = {
    "typescript": regex_names("index.ts", r"^export const (\w+) ="),
    "go": regex_names("main.go", r'^\t\tctx\.Export\("(\w+)",'),
    "csharp": regex_names("Program.cs", r'^ {8}\["(\w+)"\] ='),  # the returned dictionary's own keys
    "java": regex_names("src/main/java/myproject/App.java", r'^ {12}ctx\.export\("(\w+)",'),
    "yaml": yaml_names,
    "python": python_names,
}


@pytest.mark.parametrize("language", sorted(EXPORTED))
def test_the_example_exports_what_the_verifier_reads(language: str) -> None:
    exported = EXPORTED[language](EXAMPLES / language)
    assert sorted(REQUIRED - exported) == [], f"examples/{language} does not export them"
    assert not exported & set(outputs.WITH_PRINCIPAL), "no test principal: testPrincipalKind is none"


@pytest.mark.parametrize(
    ("language", "name", "line"),
    [
        ("typescript", "index.ts", "export const keyId = orders.keyId;\n"),
        ("go", "main.go", '\t\tctx.Export("accountId", orders.AccountId)\n'),
        ("csharp", "Program.cs", '        ["keyAlias"] = orders.AliasName,\n'),
        ("java", "src/main/java/myproject/App.java", '            ctx.export("region", orders.region());\n'),
        ("yaml", "Pulumi.yaml", "  deletionProtection: true\n"),
        ("python", "__main__.py", 'pulumi.export("deployerArn", orders.deployer_arn)\n'),
    ],
)
def test_an_example_missing_an_export_fails(tmp_path: Path, language: str, name: str, line: str) -> None:
    copy = shutil.copytree(EXAMPLES / language, tmp_path / language)
    text = (copy / name).read_text()
    assert line in text
    (copy / name).write_text(text.replace(line, "", 1))
    assert REQUIRED - EXPORTED[language](copy), "the reader still finds every output"


def test_the_python_examples_exports_are_outputs_the_verifier_accepts(resolve: Any, mocks: Any) -> None:
    """Run as a program, its exports resolved and handed to the verifier's own parser (verify.inputs)."""

    def program() -> dict[str, Any]:
        runpy.run_path(str(EXAMPLES / "python" / "__main__.py"))
        return dict(getattr(get_root_resource(), "outputs", {}))

    exported = resolve(program)
    parsed = parse_outputs(exported)  # raises CannotRunError (exit 2) on a missing or malformed output
    assert parsed.principal_kind == outputs.NO_TEST_PRINCIPAL
    assert parsed.intent.declared
    assert parsed.intent.key_users == {"arn:aws:iam::111122223333:role/apps/OrdersReader": "read"}
    assert parsed.key_alias.startswith("alias/")
