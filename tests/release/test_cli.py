"""python -m release as the release workflow runs it: exit codes, what it prints, what it writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from access.version import VERSION
from components.package import NAMESPACE, PACKAGE_NAME, package_schema
from release.__main__ import main
from tests.release.test_changelog import GOOD

ROOT = Path(__file__).resolve().parents[2]


def release(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "release", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )


def test_check_passes_the_tag_of_the_version_and_prints_what_the_workflow_needs() -> None:
    done = release("check", "--tag", f"v{VERSION}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"version={VERSION}", "prerelease=false"]


def test_check_refuses_another_tag_naming_each_problem() -> None:
    done = release("check", "--tag", "v99.0.0")
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"release: tag v99.0.0 names 99.0.0, but access/version.py has VERSION = '{VERSION}'" in done.stderr


def test_notes_print_the_section_of_the_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(GOOD, encoding="utf-8")
    assert main(["notes", "1.0.0", "--changelog", str(changelog)]) == 0
    assert main(["notes", "3.0.0", "--changelog", str(changelog)]) == 1
    assert main(["notes", "latest", "--changelog", str(changelog)]) == 1
    out, err = capsys.readouterr()
    assert out == "### Added\n\n- The first release.\n"
    assert err.splitlines() == [
        "release: CHANGELOG.md has no '## [3.0.0] - YYYY-MM-DD' section",
        "release: 'latest' is not a semantic version (allowed: e.g. 1.2.3)",
    ]


def test_the_projects_notes_for_its_version_are_not_empty() -> None:
    done = release("notes", VERSION)
    assert done.returncode == 0, done.stderr
    assert "### Added" in done.stdout


def test_schema_writes_the_package_schema(tmp_path: Path) -> None:
    """As the workflow runs it; that it equals what the provider serves: tests/components/test_package.py."""
    done = release("schema", str(tmp_path / "schema.json"))
    assert done.returncode == 0, done.stderr
    written = json.loads((tmp_path / "schema.json").read_text(encoding="utf-8"))
    assert (written["name"], written["version"], written["namespace"]) == (PACKAGE_NAME, VERSION, NAMESPACE)
    assert set(written["resources"]) == set(package_schema()["resources"])


def test_artifacts_fails_on_an_empty_folder(tmp_path: Path) -> None:
    assert main(["artifacts", str(tmp_path)]) == 1
