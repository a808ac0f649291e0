"""The version agrees everywhere it is written: the docs, the README, the examples, the action and the
workflows, pyproject's comments (release/versions.py), and the CHANGELOG's latest release and links."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.version import VERSION
from release import changelog
from release.versions import version_problems, written_versions

ROOT = Path(__file__).resolve().parents[2]
# Where people read (and copy) a version of the project; CHANGELOG.md is checked apart, since its older
# sections name older versions by design.
SCANNED = ("README.md", "docs/*.md", "examples/**/*", "action.yml", ".github/**/*.yml", "pyproject.toml")
TEXT_SUFFIXES = {
    ".md",
    ".yml",
    ".yaml",
    ".toml",
    ".txt",
    ".json",
    ".py",
    ".ts",
    ".go",
    ".mod",
    ".cs",
    ".csproj",
    ".java",
    ".xml",
}


def scanned_files() -> list[Path]:
    files = {p for pattern in SCANNED for p in ROOT.glob(pattern) if p.is_file()}
    skipped = ("node_modules", "sdks", "venv", "target", "bin", "obj")
    return sorted(p for p in files if p.suffix in TEXT_SUFFIXES and not set(p.relative_to(ROOT).parts) & set(skipped))


def test_every_version_written_is_the_projects() -> None:
    problems = {
        str(path.relative_to(ROOT)): found
        for path in scanned_files()
        if (found := version_problems(path.read_text(encoding="utf-8"), VERSION))
    }
    assert problems == {}


def test_the_scan_sees_the_references_it_must() -> None:
    """Where the project is pinned today: the docs' `pulumi package add`, each example's pin, the action."""
    seen = {str(p.relative_to(ROOT)): written_versions(p.read_text(encoding="utf-8")) for p in scanned_files()}
    pinned = {name for name, found in seen.items() if found}
    assert {"docs/components.md", "docs/release.md"} <= pinned
    examples = {
        Path(name).parts[1] for name in pinned if Path(name).parts[0] == "examples" and len(Path(name).parts) > 2
    }
    assert examples == {"csharp", "go", "java", "python", "typescript", "yaml"}


def test_the_changelog_points_unreleased_at_the_versions_tag() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    latest = changelog.latest_release(text)
    assert latest is not None
    assert latest.name == VERSION
    links = changelog.link_definitions(text)
    assert links["Unreleased"].endswith(f"/compare/v{VERSION}...HEAD")
    assert links[VERSION].endswith(f"/v{VERSION}")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("uses: <org>/encrypted-dynamodb@v2", "is major 2, but access/version.py has 1.4.2"),
        ("pip install git+https://github.com/o/encrypted-dynamodb@v1.4.1", "names 1.4.1, but access/version.py"),
        ("pulumi package add https://github.com/o/encrypted-dynamodb/components@v1", "Pulumi reads it as 1.0.0"),
        ("pulumi package add github.com/o/encrypted-dynamodb.git/components@1.3.0", "names 1.3.0"),
        ("require github.com/platform/pulumi-encrypted-dynamodb/sdk/go v1.0.0", "names 1.0.0"),
        ("encrypted-dynamodb: https://github.com/o/encrypted-dynamodb/components@v1.4.2-rc.1", "names 1.4.2-rc.1"),
    ],
)
def test_a_stale_version_is_named(text: str, problem: str) -> None:
    found = version_problems(text, "1.4.2")
    assert len(found) == 1
    assert problem in found[0], found


def test_the_current_forms_pass() -> None:
    text = """
      - uses: <org>/encrypted-dynamodb@v1
      pulumi package add https://github.com/<org>/encrypted-dynamodb/components@v1.4.2
      encrypted-dynamodb @ git+https://github.com/<org>/encrypted-dynamodb@v1.4.2
      require github.com/platform/pulumi-encrypted-dynamodb/sdk/go v1.4.2
      actions/checkout@v4 and pulumi/actions@v7 are other projects
    """
    assert len(written_versions(text)) == 4
    assert version_problems(text, "1.4.2") == []
