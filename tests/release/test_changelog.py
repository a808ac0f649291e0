"""The CHANGELOG in the keep-a-changelog format: read by hand (release/changelog.py), and the project's own kept so."""

from __future__ import annotations

from pathlib import Path

import pytest

from release import changelog
from tests.docs.markdown import is_external, links

ROOT = Path(__file__).resolve().parents[2]

GOOD = """# Changelog

## [Unreleased]

### Fixed

- Something not yet released.

## [1.1.0] - 2026-12-24

### Added

- A feature.

### Security

- A hole closed.

## [1.0.0] - 2026-12-06

### Added

- The first release.

[Unreleased]: https://github.com/<org>/encrypted-dynamodb/compare/v1.1.0...HEAD
[1.1.0]: https://github.com/<org>/encrypted-dynamodb/compare/v1.0.0...v1.1.0
[1.0.0]: https://github.com/<org>/encrypted-dynamodb/releases/tag/v1.0.0
"""


def test_sections_in_file_order_with_their_dates() -> None:
    found = [(s.name, s.date) for s in changelog.sections(GOOD)]
    assert found == [("Unreleased", None), ("1.1.0", "2026-12-24"), ("1.0.0", "2026-12-06")]
    latest = changelog.latest_release(GOOD)
    assert latest is not None
    assert latest.name == "1.1.0"


def test_the_notes_are_the_section_as_written_without_the_link_definitions() -> None:
    assert changelog.notes(GOOD, "1.1.0") == "### Added\n\n- A feature.\n\n### Security\n\n- A hole closed."
    assert changelog.notes(GOOD, "1.0.0") == "### Added\n\n- The first release."
    assert changelog.notes(GOOD, "Unreleased") is None, "never the notes of a release"
    assert changelog.notes(GOOD, "2.0.0") is None


def test_a_well_kept_changelog_has_no_problems() -> None:
    assert changelog.problems(GOOD) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("## [Unreleased]\n", "", "the first section must be '## [Unreleased]'"),
        ("## [1.1.0] - 2026-12-24", "## [1.1.0]", "'## [1.1.0]': no release date"),
        ("## [1.1.0] - 2026-12-24", "## [1.1.0] - 2026-13-40", "'2026-13-40' is no calendar date"),
        ("## [1.1.0] - 2026-12-24", "## [1.1] - 2026-12-24", "'1.1' is not a semantic version"),
        ("## [1.1.0] - 2026-12-24", "## [0.9.0] - 2026-12-24", "not older than 0.9.0 above it"),
        ("## [1.1.0] - 2026-12-24", "## [1.0.0] - 2026-12-24", "a second section for 1.0.0"),
        ("### Security", "### Improvements", "'### Improvements' is no type of change"),
        ("[1.1.0]: https", "[1.1]: https", "no link definition '[1.1.0]: <url>'"),
        ("## [1.0.0] - 2026-12-06", "## 1.0.0 - 2026-12-06", "not '## [X.Y.Z] - YYYY-MM-DD'"),
    ],
)
def test_each_departure_from_the_format_is_named(old: str, new: str, problem: str) -> None:
    assert old in GOOD
    found = changelog.problems(GOOD.replace(old, new, 1))
    assert any(problem in line for line in found), found


def test_a_pre_release_is_older_than_its_release() -> None:
    text = GOOD.replace("## [1.0.0] - 2026-12-06", "## [1.1.0-rc.1] - 2026-12-06").replace("[1.0.0]:", "[1.1.0-rc.1]:")
    assert changelog.problems(text) == []
    assert changelog.problems(text.replace("[1.1.0-rc.1]", "[1.1.0-rc.10]").replace("[1.1.0]", "[1.1.0-rc.2]")) != []


def test_the_projects_changelog_is_kept_and_its_links_resolve() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.problems(text) == []
    local = [t.partition("#")[0] for t in links(text) if not is_external(t)]
    assert local, "the changelog links to the version file and the release guide"
    assert [t for t in local if not (ROOT / t).exists()] == []
