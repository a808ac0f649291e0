"""Every version of this project written in the docs, the README and the examples agrees with VERSION.

A reference to the project is its name (`encrypted-dynamodb`, optionally `.git` and a path inside it)
followed by `@` and a tag or version: `uses: <org>/encrypted-dynamodb@v1`,
`pulumi package add https://github.com/<org>/encrypted-dynamodb/components@v1.0.0`,
`git+https://github.com/<org>/encrypted-dynamodb@v1.0.0`. A full version must be VERSION; a major tag
(`@v1`) VERSION's major. A Pulumi package reference must name a full version: Pulumi reads `@v1` as
1.0.0 and checks out the tag v1.0.0, never the moving major tag (pulumi/pulumi
sdk/go/common/workspace/plugins.go: semver.ParseTolerant, then "refs/tags/v" + version.String()).
A Go consumer's go.mod requires the generated SDK's module at a version too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from release.semver import SEMVER

_REFERENCE = re.compile(
    r"encrypted-dynamodb(?:\.git)?(?P<path>/[\w./-]*)?@(?P<ref>v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)"
)
# A Go program's go.mod: `require github.com/<namespace>/pulumi-encrypted-dynamodb/sdk/go v1.0.0`.
_GO_REQUIRE = re.compile(r"/pulumi-encrypted-dynamodb/sdk/go(?:/v\d+)?\s+(?P<ref>v\S+)")
PULUMI_PACKAGE_PATH = "/components"


@dataclass(frozen=True)
class Written:
    """One version of the project written somewhere: the text around it and what it names."""

    text: str
    ref: str
    pulumi_package: bool


def written_versions(text: str) -> list[Written]:
    found = [
        Written(m.group(0), m["ref"], (m["path"] or "").rstrip("/").endswith(PULUMI_PACKAGE_PATH))
        for m in _REFERENCE.finditer(text)
    ]
    return found + [Written(m.group(0), m["ref"], True) for m in _GO_REQUIRE.finditer(text)]


def version_problems(text: str, version: str) -> list[str]:
    """Each version written in `text` that disagrees with `version`, one line each."""
    major = SEMVER.match(version)
    if major is None:
        raise ValueError(f"{version!r} is not a semantic version")
    found = []
    for written in written_versions(text):
        bare = written.ref.removeprefix("v")
        if SEMVER.match(bare):
            if bare != version:
                found.append(f"{written.text!r} names {bare}, but access/version.py has {version}")
        elif written.pulumi_package:
            padded = ".".join([*bare.split("."), "0", "0"][:3])
            found.append(f"{written.text!r}: Pulumi reads it as {padded}; name the full version v{version}")
        elif bare != major["major"]:
            found.append(f"{written.text!r} is major {bare}, but access/version.py has {version}")
    return found
