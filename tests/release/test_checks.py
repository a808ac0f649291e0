"""The tag, access/version.py, the CHANGELOG and the component package's schema agree (release/checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.version import VERSION
from components.package import package_schema
from release import semver
from release.checks import agreement_problems
from tests.release.test_changelog import GOOD

ROOT = Path(__file__).resolve().parents[2]


def test_the_repository_agrees_with_the_tag_of_its_version() -> None:
    """What the release job checks first, checked on every pull request: bump VERSION without a CHANGELOG
    section (or the other way round) and `make test` fails here, not at the tag."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert agreement_problems(semver.tag_of(VERSION), VERSION, text, package_schema()["version"]) == []


def test_agreement_on_a_well_kept_changelog() -> None:
    assert agreement_problems("v1.1.0", "1.1.0", GOOD, "1.1.0") == []


@pytest.mark.parametrize(
    ("tag", "version", "schema_version", "problem"),
    [
        ("v1.2.0", "1.1.0", "1.1.0", "tag v1.2.0 names 1.2.0, but access/version.py has VERSION = '1.1.0'"),
        ("1.1.0", "1.1.0", "1.1.0", "tag '1.1.0' is not v<semantic version>"),
        ("v1.1", "1.1.0", "1.1.0", "tag 'v1.1' is not v<semantic version>"),
        ("v01.1.0", "1.1.0", "1.1.0", "tag 'v01.1.0' is not v<semantic version>"),
        ("v1.1.0", "1.1.0", "0.0.0", "the component package's schema has version 0.0.0, but access/version.py"),
        ("v1.2.0", "1.2.0", "1.2.0", "CHANGELOG.md: the latest release is 1.1.0, but access/version.py has 1.2.0"),
    ],
)
def test_each_disagreement_is_named(tag: str, version: str, schema_version: str, problem: str) -> None:
    found = agreement_problems(tag, version, GOOD, schema_version)
    assert any(problem in line for line in found), found


def test_a_changelog_without_a_release_or_badly_kept_fails_the_check() -> None:
    unreleased = GOOD[: GOOD.index("## [1.1.0]")]
    assert any("no released section" in p for p in agreement_problems("v1.1.0", "1.1.0", unreleased, "1.1.0"))
    badly_kept = GOOD.replace("### Security", "### Improvements")
    assert any(p.startswith("CHANGELOG.md: ") for p in agreement_problems("v1.1.0", "1.1.0", badly_kept, "1.1.0"))


@pytest.mark.parametrize(
    ("version", "major", "prerelease"),
    [("1.0.0", "v1", False), ("2.3.4-rc.1", "v2", True), ("0.9.0+build.7", "v0", False)],
)
def test_the_major_tag_and_pre_releases(version: str, major: str, prerelease: bool) -> None:
    assert semver.major_tag(version) == major
    assert semver.is_prerelease(version) is prerelease
    assert semver.version_of_tag(f"v{version}") == version


def test_semantic_version_precedence() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.0.1"]
    assert sorted(ordered, key=semver.precedence) == ordered  # semver.org item 11's own example, and a patch
    assert semver.precedence("1.0.0+build") == semver.precedence("1.0.0")
