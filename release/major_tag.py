"""Does a release move its major tag (v1)? Only forward: to the highest release of that major.

GitHub's advice for an action's tags: "For a major version, update the tag to point to the Git ref of the
latest related minor version or patch version" ("Using immutable releases and tags to manage your action's
releases":
https://docs.github.com/en/actions/how-tos/create-and-publish-actions/using-immutable-releases-and-tags-to-manage-your-actions-releases
).
The release workflow runs once per pushed tag, in the order they were pushed, not in version order: a
patch of an older minor (v1.0.1 tagged after v1.1.0) is not the latest of v1 and must leave v1 where it is.

The tags are the repository's (the remote's: `git ls-remote --tags origin`), never the job's checkout:
actions/checkout fetches only the ref it was given (src/ref-helper.ts getRefSpec: `+<sha>:refs/tags/<tag>`,
`fetch-tags` false by default), so `git tag --list` in the release job shows the one tag being released.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from release.semver import TAG_PREFIX, is_prerelease, major_tag, precedence, version_of_tag

REF_PREFIX = "refs/tags/"


@dataclass(frozen=True)
class MajorTagDecision:
    major_tag: str  # "v1"
    move: bool  # point major_tag at the released tag's commit
    why: str  # one line, for the job's log


def tag_names(listing: str) -> list[str]:
    """The tag names in `git ls-remote --tags origin` output ("<sha><TAB>refs/tags/<name>") or in
    `git tag --list` output (one name a line). A peeled line ("refs/tags/v1.0.0^{}") names no release and
    is ignored like every other tag that is not "v<semantic version>"."""
    names = []
    for line in listing.splitlines():
        if line.strip():
            names.append(line.split("\t")[-1].strip().removeprefix(REF_PREFIX))
    return names


def higher_releases(tag: str, tags: Iterable[str]) -> list[str]:
    """The releases of tag's major that come after it in Semantic Versioning precedence (pre-releases are
    not releases: they never move the major tag), highest first (equal ones by name)."""
    version = version_of_tag(tag)
    if version is None:
        raise ValueError(_not_a_release_tag(tag))
    major, own = major_tag(version), precedence(version)
    higher = []
    for other in set(tags):
        other_version = version_of_tag(other)
        if other_version is None or is_prerelease(other_version) or major_tag(other_version) != major:
            continue
        if precedence(other_version) > own:
            higher.append(other)
    return sorted(higher, key=lambda name: (precedence(name.removeprefix(TAG_PREFIX)), name), reverse=True)


def major_tag_decision(tag: str, tags: Iterable[str]) -> MajorTagDecision:
    """Whether releasing `tag` moves its major tag, given every tag of the repository (which holds `tag`:
    it was pushed before its release ran). Moves when `tag` is a release (not a pre-release) and no release
    of its major is higher; an equal one (v1.1.0+build.2 beside v1.1.0) does not hold it back, so a release
    run again moves the tag again. Raises ValueError when `tag` is not a release tag or not among `tags`."""
    version = version_of_tag(tag)
    if version is None:
        raise ValueError(_not_a_release_tag(tag))
    listed = set(tags)
    if tag not in listed:
        raise ValueError(
            f"{tag} is not among the {len(listed)} tags listed (the repository's: `git ls-remote --tags origin`)"
        )
    major = major_tag(version)
    if is_prerelease(version):
        return MajorTagDecision(major, False, f"{major} stays: {tag} is a pre-release")
    higher = higher_releases(tag, listed)
    if higher:
        return MajorTagDecision(major, False, f"{major} stays: {higher[0]} is a higher release than {tag}")
    return MajorTagDecision(major, True, f"{major} moves to {tag}, the highest release of {major}")


def _not_a_release_tag(tag: str) -> str:
    return f"tag {tag!r} is not {TAG_PREFIX}<semantic version> (allowed: e.g. {TAG_PREFIX}1.2.3)"
