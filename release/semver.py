"""Semantic versions and the release tags that name them."""

from __future__ import annotations

import re

# The regular expression semver.org gives for a version (Semantic Versioning 2.0.0, "Is there a suggested
# regular expression (RegEx) to check a SemVer string?"), with named groups.
SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# A release tag is "v" and the version: the form Pulumi resolves a git package's version to
# (pulumi/pulumi sdk/go/common/workspace/plugins.go: ref "refs/tags/v" + version) and GitHub Actions users pin.
TAG_PREFIX = "v"

PreReleaseField = tuple[int, int | str]
Precedence = tuple[int, int, int, int, tuple[PreReleaseField, ...]]


def is_version(text: str) -> bool:
    return SEMVER.match(text) is not None


def version_of_tag(tag: str) -> str | None:
    """The version a release tag names ("v1.2.3" -> "1.2.3"), or None when it is no "v<semantic version>"."""
    if not tag.startswith(TAG_PREFIX) or not is_version(tag[len(TAG_PREFIX) :]):
        return None
    return tag[len(TAG_PREFIX) :]


def tag_of(version: str) -> str:
    return TAG_PREFIX + version


def major_tag(version: str) -> str:
    """The moving major tag a release updates ("1.2.3" -> "v1"): what `@v1` pins follow."""
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a semantic version")
    return f"{TAG_PREFIX}{match['major']}"


def is_prerelease(version: str) -> bool:
    match = SEMVER.match(version)
    return match is not None and match["prerelease"] is not None


def precedence(version: str) -> Precedence:
    """A sort key in Semantic Versioning precedence (semver.org, item 11): major, minor, patch; a pre-release
    sorts before its release, numeric identifiers before alphanumeric ones; build metadata is ignored."""
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a semantic version")
    pre = match["prerelease"]
    fields: tuple[PreReleaseField, ...] = (
        tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    )
    return (int(match["major"]), int(match["minor"]), int(match["patch"]), 0 if pre else 1, fields)
