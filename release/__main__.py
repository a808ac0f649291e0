"""python -m release: check a release tag, print its notes, write the package schema, check the artefacts.

    python -m release check --tag v1.2.3     the tag, access/version.py, CHANGELOG.md and the schema agree
    python -m release notes 1.2.3            CHANGELOG.md's section of 1.2.3 (the GitHub release's body)
    python -m release schema schema.json     the component package's schema, as the provider serves it
    python -m release artifacts dist         dist/ holds the wheel and sdist of VERSION with what they must
    git ls-remote --tags origin | python -m release major-tag --tag v1.2.3
                                             the major tag (v1) to move to v1.2.3, or nothing: only forward

Exit 0 when all is well; 1 with one line per problem on stderr; 2 for bad usage. `check` prints what the
workflow needs next (version, whether it is a pre-release) as key=value lines for $GITHUB_OUTPUT.
`major-tag` reads the repository's tags (`git ls-remote --tags` or `git tag --list` output) from --tags
(default: stdin), prints the major tag when the release is the highest of its major and not a
pre-release, nothing otherwise, and says why on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from access.version import VERSION
from release import changelog
from release.artifacts import artifact_problems
from release.checks import agreement_problems
from release.major_tag import major_tag_decision, tag_names
from release.semver import is_prerelease, is_version

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = ROOT / "CHANGELOG.md"


def schema() -> dict[str, object]:
    """The component package's schema: loads the Pulumi SDK and the components, so only when asked."""
    from components.package import package_schema

    return package_schema()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m release", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="the tag, VERSION, CHANGELOG.md and the schema agree")
    check.add_argument("--tag", required=True, help="the release tag, e.g. v1.2.3 ($GITHUB_REF_NAME)")
    notes = commands.add_parser("notes", help="CHANGELOG.md's section of VERSION")
    notes.add_argument("version", help="a released version, e.g. 1.2.3")
    write = commands.add_parser("schema", help="write the component package's schema JSON")
    write.add_argument("path", type=Path)
    built = commands.add_parser("artifacts", help="check the wheel and sdist of VERSION in DIR")
    built.add_argument("dist", type=Path)
    move = commands.add_parser("major-tag", help="the major tag to move to this release, if any (only forward)")
    move.add_argument("--tag", required=True, help="the release tag, e.g. v1.2.3 ($GITHUB_REF_NAME)")
    move.add_argument(
        "--tags",
        type=argparse.FileType("r", encoding="utf-8"),
        default="-",
        help="the repository's tags: `git ls-remote --tags origin` or `git tag --list` output (default: stdin)",
    )
    for command in (check, notes):
        command.add_argument("--changelog", type=Path, default=CHANGELOG, help="default: %(default)s")
    return root


def fail(problems: list[str]) -> int:
    for problem in problems:
        print(f"release: {problem}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "check":
        schema_version = str(schema()["version"])
        problems = agreement_problems(args.tag, VERSION, args.changelog.read_text(encoding="utf-8"), schema_version)
        if problems:
            return fail(problems)
        print(f"version={VERSION}")
        print(f"prerelease={str(is_prerelease(VERSION)).lower()}")
        return 0
    if args.command == "notes":
        if not is_version(args.version):
            return fail([f"{args.version!r} is not a semantic version (allowed: e.g. 1.2.3)"])
        body = changelog.notes(args.changelog.read_text(encoding="utf-8"), args.version)
        if body is None:
            return fail([f"{args.changelog.name} has no '## [{args.version}] - YYYY-MM-DD' section"])
        print(body)
        return 0
    if args.command == "major-tag":
        with args.tags as listing:
            tags = tag_names(listing.read())
        try:
            decision = major_tag_decision(args.tag, tags)
        except ValueError as error:
            return fail([str(error)])
        print(f"release: {decision.why}", file=sys.stderr)
        if decision.move:
            print(decision.major_tag)
        return 0
    if args.command == "schema":
        args.path.write_text(json.dumps(schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return 0
    problems = artifact_problems(args.dist, ROOT, VERSION)
    return fail(problems) if problems else 0


if __name__ == "__main__":
    sys.exit(main())
