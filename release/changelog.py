"""The CHANGELOG in the keep-a-changelog 1.1.0 format, read and checked by hand.

The format (https://keepachangelog.com/en/1.1.0/): "## [Unreleased]" at the top, then one "## [X.Y.Z] -
YYYY-MM-DD" section per release, latest first; inside, "### " groups of one of the six types of changes; at
the bottom a link reference definition per section heading. The PyPI `keepachangelog` library would parse
it too, but only into entries: the release notes need each section's Markdown as written, and the few
lines below need no dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from release.semver import is_version, precedence

UNRELEASED = "Unreleased"
# "Types of changes": Added, Changed, Deprecated, Removed, Fixed, Security (keepachangelog.com/en/1.1.0).
CHANGE_TYPES = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")

_SECTION = re.compile(r"^## (?P<heading>.*?)[ \t]*$", re.MULTILINE)
_HEADING = re.compile(r"^\[(?P<name>[^\]]+)\](?:[ \t]+-[ \t]+(?P<date>\S+))?$")
_GROUP = re.compile(r"^### (?P<type>.*?)[ \t]*$", re.MULTILINE)
_LINK_DEF = re.compile(r"^\[(?P<name>[^\]]+)\]:[ \t]*(?P<url>\S+)[ \t]*$", re.MULTILINE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Section:
    """One "## " section: its name (a version, or Unreleased), its date, and its Markdown body."""

    heading: str
    name: str | None
    date: str | None
    body: str


def sections(text: str) -> list[Section]:
    """Every "## " section in file order; a body ends at the next section or the link definitions."""
    found = list(_SECTION.finditer(text))
    result = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        body = _LINK_DEF.sub("", text[match.end() : end]).strip()
        heading = _HEADING.match(match["heading"])
        result.append(
            Section(
                heading=match["heading"],
                name=heading["name"] if heading else None,
                date=heading["date"] if heading else None,
                body=body,
            )
        )
    return result


def link_definitions(text: str) -> dict[str, str]:
    """The link reference definitions ("[1.0.0]: https://..."), by label."""
    return {m["name"]: m["url"] for m in _LINK_DEF.finditer(text)}


def releases(text: str) -> list[Section]:
    """The released sections, in file order (latest first in a well-kept changelog)."""
    return [s for s in sections(text) if s.name is not None and s.name != UNRELEASED]


def latest_release(text: str) -> Section | None:
    """The first dated release section, or None when the changelog has none yet."""
    found = releases(text)
    return found[0] if found else None


def notes(text: str, version: str) -> str | None:
    """The release notes of `version`: its section's Markdown as written, or None if it has no section."""
    for section in releases(text):
        if section.name == version:
            return section.body
    return None


def problems(text: str) -> list[str]:
    """What keeps the changelog from the keep-a-changelog format, one line each (empty when well kept)."""
    found: list[str] = []
    all_sections = sections(text)
    if not all_sections or all_sections[0].name != UNRELEASED or all_sections[0].date is not None:
        found.append(f"the first section must be '## [{UNRELEASED}]' (changes not yet released)")
    links = link_definitions(text)
    seen: set[str] = set()
    previous: Section | None = None
    for section in all_sections:
        where = f"'## {section.heading}'"
        if section.name is None:
            found.append(f"{where}: not '## [X.Y.Z] - YYYY-MM-DD' nor '## [{UNRELEASED}]'")
            continue
        if section.name in seen:
            found.append(f"{where}: a second section for {section.name}")
        seen.add(section.name)
        if section.name not in links:
            found.append(f"{where}: no link definition '[{section.name}]: <url>' at the bottom")
        for group in _GROUP.finditer(section.body):
            if group["type"] not in CHANGE_TYPES:
                found.append(
                    f"{where}: '### {group['type']}' is no type of change (allowed: {', '.join(CHANGE_TYPES)})"
                )
        if section.name == UNRELEASED:
            continue
        if not is_version(section.name):
            found.append(f"{where}: {section.name!r} is not a semantic version (X.Y.Z)")
            continue
        if section.date is None or not _ISO_DATE.match(section.date):
            found.append(f"{where}: no release date 'YYYY-MM-DD' after ' - '")
        else:
            try:
                date.fromisoformat(section.date)
            except ValueError:
                found.append(f"{where}: {section.date!r} is no calendar date")
        if previous is not None and previous.name is not None and precedence(section.name) >= precedence(previous.name):
            found.append(f"{where}: not older than {previous.name} above it (latest release first)")
        previous = section
    return found
