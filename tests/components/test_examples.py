"""The examples (examples/<language>/) against the component package's schema they are generated from.

They cannot run without the Pulumi CLI, so each program is read (a regular expression per language for
these controlled files, the AST for Python, YAML for YAML): every resource it constructs, every input it
sets and every output it reads, in the language's generated-SDK naming, is converted to the schema's name
and checked against components.package.package_schema(): an unknown resource, an unknown input, a missing
required input or an output that does not exist fails. The SDK each imports is named as Pulumi's code
generators name it from the schema's name and namespace, and each pins this release (VERSION).

The naming rules, from the code generators:
- TypeScript: package "@<namespace>/<name>" (pulumi/pulumi pkg/codegen/nodejs/gen.go, genNPMPackageMetadata:
  `packageName = "@" + pkg.Namespace + "/" + pkg.Name`); properties keep the schema's names.
- Go: module "github.com/<namespace>/pulumi-<name>/sdk/go", package <name without "-">
  (pkg/codegen/go/gen.go, ExtractModulePath and ExtractImportBasePath with SupportPack, which
  `pulumi package add` always sets; goPackage: `strings.ReplaceAll(name, "-", "")`); New<Resource>,
  <Resource>Args, fields in PascalCase.
- C#: namespace <Namespace>.<Name>, each "-"-separated part capitalised (pulumi/pulumi-dotnet
  pulumi-language-dotnet/codegen: normalizePackageInfo's RootNamespace, namespaceName); <Resource>Args;
  properties in PascalCase (propertyName: UppercaseFirst).
- Java: package com.<namespace>.<name without "-"> (pulumi/pulumi-java pkg/codegen/java/gen.go:
  `BasePackage = "com." + sanitizeImport(namespace)`, names.Ident drops "-"); <Resource>Args.builder()
  with a setter per input and a getter per output, both in the schema's names.
- YAML: "<name>:<Type>" is "<name>:index:<Type>" (pulumi-yaml's token resolution).
- Python: the components themselves (docs/components.md says why): snake_case names, camelCase in the
  schema (the SDK analyzer's conversion, pulumi.provider.experimental.util.camel_case).
"""

from __future__ import annotations

import ast
import json
import re
import runpy
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.provider.experimental.util import camel_case

from access.version import VERSION
from components.package import NAMESPACE, PACKAGE_NAME, package_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LANGUAGES = ("typescript", "go", "csharp", "java", "yaml", "python")
GIT_SOURCE = f"https://github.com/<org>/{PACKAGE_NAME}/components@v{VERSION}"
SDK_FOLDER = f"sdks/{NAMESPACE}-{PACKAGE_NAME}"  # where `pulumi package add` writes it (InstallPackage: outName)

NPM_NAME = f"@{NAMESPACE}/{PACKAGE_NAME}"
GO_MODULE = f"github.com/{NAMESPACE}/pulumi-{PACKAGE_NAME}/sdk/go"
GO_PACKAGE = PACKAGE_NAME.replace("-", "")
GO_IMPORT = f"{GO_MODULE}/{GO_PACKAGE}"
CSHARP_NAMESPACE = ".".join(
    "".join(part[:1].upper() + part[1:] for part in name.split("-")) for name in (NAMESPACE, PACKAGE_NAME)
)
JAVA_PACKAGE = f"com.{NAMESPACE.replace('-', '')}.{PACKAGE_NAME.replace('-', '')}"


@dataclass
class Program:
    """What one example does with the package, in the schema's names."""

    constructed: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # variable -> (type, inputs)
    read: set[tuple[str, str]] = field(default_factory=set)  # (variable, output)
    problems: list[str] = field(default_factory=list)  # about how it names the SDK


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def body_keys(body: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, body, re.MULTILINE))


def reads(source: str, variables: set[str], pattern: str) -> set[tuple[str, str]]:
    """(variable, member) for every `<variable><pattern>` in the source."""
    return {(v, m) for v in variables for m in re.findall(rf"\b{v}{pattern}", source)}


def typescript(folder: Path) -> Program:
    source = (folder / "index.ts").read_text()
    program = Program()
    (alias, package) = re.findall(r'^import \* as (\w+) from "([^"]+)";', source, re.MULTILINE)[0]
    if package != NPM_NAME:
        program.problems.append(f"imports {package!r}, the SDK is {NPM_NAME!r}")
    for var, typ, body in re.findall(
        rf'^const (\w+) = new {alias}\.(\w+)\("[^"]*", \{{\n(.*?)^\}}\);', source, re.MULTILINE | re.DOTALL
    ):
        program.constructed[var] = (typ, body_keys(body, r"^ {4}(\w+):"))
    program.read = reads(source, set(program.constructed), r"\.(\w+)\b")
    dependency = json.loads((folder / "package.json").read_text())["dependencies"].get(NPM_NAME)
    if dependency != f"file:{SDK_FOLDER}":
        program.problems.append(f"package.json: {NPM_NAME} is {dependency!r}, not the SDK in {SDK_FOLDER}")
    return program


def go(folder: Path) -> Program:
    source = (folder / "main.go").read_text()
    program = Program()
    imports = re.findall(r'^\t"([^"]+)"$', source, re.MULTILINE)
    if GO_IMPORT not in imports:
        program.problems.append(f"imports {imports}, the SDK is {GO_IMPORT!r}")
    for var, typ, args, body in re.findall(
        rf'^\t\t(\w+), err := {GO_PACKAGE}\.New(\w+)\(ctx, "[^"]*", &{GO_PACKAGE}\.(\w+)\{{\n(.*?)^\t\t\}}\)',
        source,
        re.MULTILINE | re.DOTALL,
    ):
        if args != f"{typ}Args":
            program.problems.append(f"New{typ} takes {typ}Args, not {args}")
        program.constructed[var] = (typ, {lower_first(k) for k in body_keys(body, r"^\t{3}([A-Z]\w*):")})
    program.read = {(v, lower_first(m)) for v, m in reads(source, set(program.constructed), r"\.([A-Z]\w*)\b")}
    module = (folder / "go.mod").read_text()
    if not re.search(rf"^\t{re.escape(GO_MODULE)} v{re.escape(VERSION)}$", module, re.MULTILINE):
        program.problems.append(f"go.mod: does not require {GO_MODULE} v{VERSION}")
    # The module's root, where the generated go.mod is (pulumi/pulumi pkg/codegen/go/gen.go: with SupportPack,
    # files["go.mod"] at the SDK's root; sdk/go/pulumi-language-go Link: `gomod.AddReplace(modulePath, "", path,
    # "")`, path the SDK folder InstallPackage wrote), not its package folder.
    if not re.search(rf"^replace {re.escape(GO_MODULE)} => \./{re.escape(SDK_FOLDER)}$", module, re.MULTILINE):
        program.problems.append(f"go.mod: {GO_MODULE} not replaced by the SDK in {SDK_FOLDER}")
    return program


def csharp(folder: Path) -> Program:
    source = (folder / "Program.cs").read_text()
    program = Program()
    if f"using {CSHARP_NAMESPACE};" not in source:
        program.problems.append(f"no `using {CSHARP_NAMESPACE};`")
    for var, typ, args, body in re.findall(
        r'^    var (\w+) = new (\w+)\("[^"]*", new (\w+)\n    \{\n(.*?)^    \}\);', source, re.MULTILINE | re.DOTALL
    ):
        if args != f"{typ}Args":
            program.problems.append(f"new {typ} takes {typ}Args, not {args}")
        program.constructed[var] = (typ, {lower_first(k) for k in body_keys(body, r"^ {8}([A-Z]\w*) =")})
    program.read = {(v, lower_first(m)) for v, m in reads(source, set(program.constructed), r"\.([A-Z]\w*)\b")}
    project = next(folder.glob("*.csproj")).read_text()
    reference = f'<ProjectReference Include="{SDK_FOLDER}/{CSHARP_NAMESPACE}.csproj" />'
    if reference not in project:
        program.problems.append(f"the .csproj lacks {reference}")
    return program


def java(folder: Path) -> Program:
    source = next(folder.glob("src/main/java/**/*.java")).read_text()
    program = Program()
    imported = set(re.findall(rf"^import {re.escape(JAVA_PACKAGE)}\.(\w+);", source, re.MULTILINE))
    for var, typ, args, body in re.findall(
        r'^ {12}var (\w+) = new (\w+)\("[^"]*", (\w+)\.builder\(\)\n(.*?)\.build\(\)\);',
        source,
        re.MULTILINE | re.DOTALL,
    ):
        if args != f"{typ}Args":
            program.problems.append(f"new {typ} takes {typ}Args, not {args}")
        if not {typ, args} <= imported:
            program.problems.append(f"{typ} and {args} are not imported from {JAVA_PACKAGE}")
        program.constructed[var] = (typ, body_keys(body, r"^ {16}\.(\w+)\("))
    program.read = reads(source, set(program.constructed), r"\.(\w+)\(\)")
    return program


def yaml_program(folder: Path) -> Program:
    document = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    program = Program()
    for var, resource in document["resources"].items():
        token = resource["type"]
        match = re.fullmatch(rf"{re.escape(PACKAGE_NAME)}:(?:index:)?(\w+)", token)
        if match is None:
            program.problems.append(f"{var}: type {token!r} is not {PACKAGE_NAME}:<Type>")
            continue
        program.constructed[var] = (match[1], set(resource.get("properties", {})))
    text = (folder / "Pulumi.yaml").read_text()
    program.read = {(v, m) for v, m in re.findall(r"\$\{(\w+)\.(\w+)\}", text) if v in program.constructed}
    return program


def python(folder: Path) -> Program:
    tree = ast.parse((folder / "__main__.py").read_text())
    program = Program()
    imported = {
        a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "components" for a in n.names
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in imported
        ):
            (target,) = node.targets
            args = node.value.args[1]
            assert isinstance(target, ast.Name)
            assert isinstance(args, ast.Dict)
            keys = {str(camel_case(k.value)) for k in args.keys if isinstance(k, ast.Constant)}
            program.constructed[target.id] = (node.value.func.id, keys)
    program.read = {
        (n.value.id, str(camel_case(n.attr)))
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in program.constructed
    }
    requirements = (folder / "requirements.txt").read_text()
    pin = f"{PACKAGE_NAME} @ git+https://github.com/<org>/{PACKAGE_NAME}@v{VERSION}"
    if pin not in requirements.splitlines():
        program.problems.append(f"requirements.txt does not pin {pin!r}")
    return program


READERS: dict[str, Callable[[Path], Program]] = {
    "typescript": typescript,
    "go": go,
    "csharp": csharp,
    "java": java,
    "yaml": yaml_program,
    "python": python,
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package_schema()


def schema_problems(program: Program, schema: dict[str, Any]) -> list[str]:
    """What in the program the schema does not have, or lacks of what the schema requires."""
    resources = {token.rsplit(":", 1)[-1]: spec for token, spec in schema["resources"].items()}
    found = list(program.problems)
    for var, (typ, inputs) in sorted(program.constructed.items()):
        spec = resources.get(typ)
        if spec is None:
            found.append(f"{var}: no resource {typ} in the schema (it has {sorted(resources)})")
            continue
        found += [f"{var}: {typ} has no input {name!r}" for name in sorted(inputs - set(spec["inputProperties"]))]
        found += [f"{var}: {typ} needs input {name!r}" for name in sorted(set(spec.get("requiredInputs", [])) - inputs)]
    for var, output in sorted(program.read):
        typ = program.constructed[var][0]
        if typ in resources and output not in resources[typ]["properties"]:
            found.append(f"{var}: {typ} has no output {output!r}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_matches_the_schema(language: str, schema: dict[str, Any]) -> None:
    program = READERS[language](EXAMPLES / language)
    assert sorted(typ for typ, _ in program.constructed.values()) == ["EncryptedTable", "KeyUser"], "the reader found"
    assert len(program.read) >= 4, f"outputs read: {program.read}"
    assert schema_problems(program, schema) == []


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "python"])
def test_the_example_adds_the_package_at_this_release(language: str) -> None:
    project = yaml.safe_load((EXAMPLES / language / "Pulumi.yaml").read_text())
    assert project["packages"] == {PACKAGE_NAME: GIT_SOURCE}


def problems_of_a_changed_copy(
    tmp_path: Path, schema: dict[str, Any], language: str, name: str, old: str, new: str
) -> list[str]:
    copy = tmp_path / language
    shutil.copytree(EXAMPLES / language, copy)
    path = copy / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    return schema_problems(READERS[language](copy), schema)


# (language, file, text in it, the same misspelt): an input in every language, an output in some.
MISSPELT = [
    ("typescript", "index.ts", "    partitionKey:", "    partitionKee:", "has no input 'partitionKee'"),
    ("go", "main.go", "\t\t\tPrincipalArn: ", "\t\t\tPrincipalARN: ", "has no input 'principalARN'"),
    ("csharp", "Program.cs", "        SortKey = ", "        SortKeys = ", "has no input 'sortKeys'"),
    ("java", "src/main/java/myproject/App.java", ".keyAdmins(", ".keyAdmin(", "has no input 'keyAdmin'"),
    ("yaml", "Pulumi.yaml", "      tags:", "      tag:", "has no input 'tag'"),
    ("python", "__main__.py", '"include_table_access"', '"include_table_acess"', "has no input 'includeTableAcess'"),
    ("typescript", "index.ts", "reader.grantId", "reader.grant", "KeyUser has no output 'grant'"),
    ("csharp", "Program.cs", "orders.KeyArn,", "orders.KmsKeyArn,", "EncryptedTable has no output 'kmsKeyArn'"),
    (
        "yaml",
        "Pulumi.yaml",
        "${orders.keyArn}\n  readerGrantId",
        "${orders.keyARN}\n  readerGrantId",
        "no output 'keyARN'",
    ),
    ("python", "__main__.py", "orders.table_arn", "orders.table_id", "EncryptedTable has no output 'tableId'"),
    ("go", "main.go", '\t\t\tPartitionKey: "orderId",\n', "", "EncryptedTable needs input 'partitionKey'"),
    (
        "java",
        "src/main/java/myproject/App.java",
        "                .tableArn(orders.tableArn())\n",
        "",
        "needs input 'tableArn'",
    ),
    ("go", "main.go", "NewKeyUser(ctx", "NewKeyUsers(ctx", "no resource KeyUsers"),
]


@pytest.mark.parametrize(("language", "name", "old", "new", "problem"), MISSPELT)
def test_a_misspelt_example_fails(
    tmp_path: Path, schema: dict[str, Any], language: str, name: str, old: str, new: str, problem: str
) -> None:
    """The check catches a misspelling in every language: the same reader, on a copy with one change."""
    found = problems_of_a_changed_copy(tmp_path, schema, language, name, old, new)
    assert any(problem in line for line in found), found


@pytest.mark.parametrize(
    ("language", "name", "old", "new", "problem"),
    [
        ("typescript", "index.ts", f'"{NPM_NAME}"', '"@pulumi/encrypted-dynamodb"', "the SDK is"),
        (
            "go",
            "main.go",
            f'"{GO_IMPORT}"',
            '"example.com/pulumi-encrypted-dynamodb/sdk/go/encrypteddynamodb"',
            "the SDK is",
        ),
        ("csharp", "Program.cs", f"using {CSHARP_NAMESPACE};", "using Pulumi.EncryptedDynamodb;", "no `using"),
        ("java", "src/main/java/myproject/App.java", f"import {JAVA_PACKAGE}.KeyUser;", "", "not imported"),
        ("yaml", "Pulumi.yaml", "type: encrypted-dynamodb:KeyUser", "type: encrypted_dynamodb:KeyUser", "is not"),
        ("go", "go.mod", f"sdk/go v{VERSION}", "sdk/go v0.9.0", "does not require"),
        ("go", "go.mod", f"=> ./{SDK_FOLDER}\n", f"=> ./{SDK_FOLDER}/{GO_PACKAGE}\n", "not replaced by the SDK"),
        ("python", "requirements.txt", f"@v{VERSION}", "@v0.9.0", "does not pin"),
    ],
)
def test_an_example_naming_the_sdk_otherwise_fails(
    tmp_path: Path, schema: dict[str, Any], language: str, name: str, old: str, new: str, problem: str
) -> None:
    found = problems_of_a_changed_copy(tmp_path, schema, language, name, old, new)
    assert any(problem in line for line in found), found


def test_the_names_follow_the_schemas_name_and_namespace(schema: dict[str, Any]) -> None:
    assert (schema["name"], schema["namespace"]) == (PACKAGE_NAME, NAMESPACE)
    assert (NPM_NAME, GO_IMPORT, CSHARP_NAMESPACE, JAVA_PACKAGE) == (
        "@platform/encrypted-dynamodb",
        "github.com/platform/pulumi-encrypted-dynamodb/sdk/go/encrypteddynamodb",
        "Platform.EncryptedDynamodb",
        "com.platform.encrypteddynamodb",
    )


def test_the_python_example_runs_under_mocks(resolve: Any, mocks: Any) -> None:
    """Python can do more than be read: the program runs, as README's example does (tests/docs)."""
    resolve(lambda: runpy.run_path(str(EXAMPLES / "python" / "__main__.py")) and None)
    table = mocks.one("aws:dynamodb/table:Table")
    assert table.inputs["hashKey"] == "orderId"
    grant = mocks.one("aws:kms/grant:Grant")
    assert grant.inputs["granteePrincipal"] == "arn:aws:iam::111122223333:role/apps/OrdersReader"
