"""Do the tag, the project's version, the CHANGELOG and the component package's schema agree?"""

from __future__ import annotations

from release import changelog
from release.semver import TAG_PREFIX, version_of_tag

VERSION_FILE = "access/version.py"


def agreement_problems(tag: str, version: str, changelog_text: str, schema_version: str) -> list[str]:
    """Every disagreement between what a release tag names and what the repository says, one line each.

    `version` is access/version.py's VERSION; `schema_version` the version of the component package's
    schema (components.package.package_schema()); the CHANGELOG's latest dated release must be `version`
    and the file kept in the keep-a-changelog format. Empty when the release may go ahead.
    """
    found = []
    tagged = version_of_tag(tag)
    if tagged is None:
        examples = f"{TAG_PREFIX}1.2.3, {TAG_PREFIX}1.2.3-rc.1"
        found.append(f"tag {tag!r} is not {TAG_PREFIX}<semantic version> (allowed: e.g. {examples})")
    elif tagged != version:
        found.append(f"tag {tag} names {tagged}, but {VERSION_FILE} has VERSION = {version!r}")
    found += [f"CHANGELOG.md: {problem}" for problem in changelog.problems(changelog_text)]
    latest = changelog.latest_release(changelog_text)
    if latest is None:
        found.append(f"CHANGELOG.md: no released section; add '## [{version}] - YYYY-MM-DD' under [Unreleased]")
    elif latest.name != version:
        found.append(
            f"CHANGELOG.md: the latest release is {latest.name}, but {VERSION_FILE} has {version}"
            f" (move [Unreleased] to '## [{version}] - YYYY-MM-DD')"
        )
    if schema_version != version:
        found.append(f"the component package's schema has version {schema_version}, but {VERSION_FILE} has {version}")
    return found
