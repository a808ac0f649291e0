"""The generated sections of docs/ match the code that owns them (run `make docs` when not)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from docs import generate
from tests.docs.markdown import ROOT


@pytest.fixture(scope="module")
def expected() -> dict[Path, str]:
    return generate.expected_files()


@pytest.mark.parametrize(
    "path", sorted({generate.DOCS / s.file for s in generate.SECTIONS}), ids=lambda p: str(p.relative_to(ROOT))
)
def test_generated_sections_are_current(path: Path, expected: dict[Path, str]) -> None:
    committed = path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            expected[path].splitlines(keepends=True),
            f"{path.name} (committed)",
            f"{path.name} (generated)",
        )
    )
    assert not diff, f"{path.relative_to(ROOT)} is stale: run `make docs`\n{diff}"


def test_check_mode_agrees() -> None:
    assert generate.main(["--check"]) == 0


def _row(reference: str, title: str, schema_name: str, python_name: str) -> str:
    """The table row of one input of one component, from the generated reference."""
    section = reference.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0].split("\nOutputs:", 1)[0]
    prefix = f"| `{schema_name}` (`{python_name}`) |"
    [row] = [line for line in section.splitlines() if line.startswith(prefix)]
    return row


def test_every_default_lands_on_its_own_input() -> None:
    """DEFAULTS are keyed by Python name, the schema by camelCase: each value shows in the right row."""
    reference = generate.components_reference()
    shapes = generate.component_shapes()
    assert {shape.title for shape in shapes} == {
        "EncryptedTable",
        "GlobalSecondaryIndexArgs",
        "ReplicaArgs",
        "ExternalPrincipalArgs",
        "AutoScalingArgs",
        "CapacityAutoScalingArgs",
        "KeyUser",
        "ConsumerAccess",
    }
    checked = 0
    for shape in shapes:
        for python_name, value in shape.defaults.items():
            schema_name = generate.schema_name(python_name)
            cells = [c.strip() for c in _row(reference, shape.title, schema_name, python_name).split(" | ")]
            assert cells[2] == "optional"
            assert cells[3] == f"`{json.dumps(value)}`"
            checked += 1
    assert checked == sum(len(shape.defaults) for shape in shapes) > 0


def test_a_default_keyed_by_schema_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "KEY_USER_DEFAULTS", {"includeTableAccess": False})
    with pytest.raises(ValueError, match="not fields of KeyUserArgs"):
        generate.components_reference()


def test_every_config_key_is_in_the_table() -> None:
    from stack.project import config_schema

    table = generate.config_reference()
    for key in config_schema().values():
        assert f"| `{key.name}` | {key.type} | `{json.dumps(key.default)}` |" in table


def _output_rows(table: str) -> dict[str, list[str]]:
    """The stack-outputs table: output name -> its cells."""
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_output_the_program_exports_is_in_the_table_and_only_those() -> None:
    """The program run under mocks with every group exported (a test principal of kind user; key-loss
    protection and the audit, replica and external outputs are on by default): its outputs are the rows."""
    from sandbox.harness import RecordingMocks, run_program

    exported = run_program({"testPrincipal": "user"}, RecordingMocks()).outputs
    assert set(_output_rows(generate.outputs_reference())) == set(exported)


def test_each_output_says_when_its_group_is_exported() -> None:
    rows = _output_rows(generate.outputs_reference())
    for group, names in generate.output_groups().items():
        for name in names:
            assert rows[name][1] == generate.EXPORTED[group], name
    assert rows["keyProtection"][1].startswith("with `keyLossProtection`")
    assert rows["testUserSecretAccessKey"][3] == "yes"
    assert rows["testPrincipalKind"][2] == "`role`, `user`, `none`"


def test_an_output_added_to_a_group_is_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from stack import outputs

    monkeypatch.setattr(outputs, "FOR_EXTERNAL", (*outputs.FOR_EXTERNAL, "externalAudit"))
    assert _output_rows(generate.outputs_reference())["externalAudit"][1] == generate.EXPORTED["FOR_EXTERNAL"]


def test_an_output_group_the_generator_cannot_describe_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from stack import outputs

    monkeypatch.setattr(outputs, "FOR_BACKUPS", ("backupVaultArn",), raising=False)
    with pytest.raises(ValueError, match=r"say when \['FOR_BACKUPS'\] are exported"):
        generate.outputs_reference()
    monkeypatch.delattr(outputs, "FOR_BACKUPS")
    monkeypatch.delattr(outputs, "FOR_REPLICAS")
    with pytest.raises(ValueError, match=r"drop \['FOR_REPLICAS'\]"):
        generate.outputs_reference()


def test_an_output_in_two_groups_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from stack import outputs

    monkeypatch.setattr(outputs, "WITH_USER", (*outputs.WITH_USER, outputs.REGION))
    with pytest.raises(ValueError, match=r"'region' is in two groups of stack/outputs\.py: ALWAYS, WITH_USER"):
        generate.outputs_reference()


def test_only_the_text_between_the_markers_is_rewritten() -> None:
    text = "before\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nafter\n"
    new = generate.replace_section(text, "x", "new")
    assert new.startswith("before\n<!-- BEGIN GENERATED: x -->\n")
    assert new.endswith("\nnew\n\n<!-- END GENERATED: x -->\nafter\n")
    assert generate.replace_section(new, "x", "new") == new


@pytest.mark.parametrize(
    "text",
    ["no markers\n", "<!-- BEGIN GENERATED: x -->\n<!-- END GENERATED: x -->\n" * 2],
    ids=["missing", "twice"],
)
def test_markers_must_appear_exactly_once(text: str) -> None:
    with pytest.raises(ValueError, match="expected one"):
        generate.replace_section(text, "x", "body")
