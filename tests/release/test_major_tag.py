"""release/major_tag.py: a release moves its major tag only when it is the highest release of that major."""

from __future__ import annotations

import io
import re

import pytest

from release.__main__ import main
from release.major_tag import higher_releases, major_tag_decision, tag_names

TAGS = ["v1", "v1.0.0", "v1.0.1", "v1.1.0", "v1.2.0-rc.1", "v2.0.0", "latest"]


@pytest.mark.parametrize(
    ("tag", "move", "why"),
    [
        ("v1.1.0", True, "v1 moves to v1.1.0, the highest release of v1"),
        ("v1.0.1", False, "v1 stays: v1.1.0 is a higher release than v1.0.1"),
        ("v1.0.0", False, "v1 stays: v1.1.0 is a higher release than v1.0.0"),
        ("v1.2.0-rc.1", False, "v1 stays: v1.2.0-rc.1 is a pre-release"),
        ("v2.0.0", True, "v2 moves to v2.0.0, the highest release of v2"),
    ],
)
def test_the_decision(tag: str, move: bool, why: str) -> None:
    decision = major_tag_decision(tag, TAGS)
    assert (decision.major_tag, decision.move, decision.why) == (tag[:2], move, why)


def test_an_equal_release_does_not_hold_it_back() -> None:
    """Build metadata does not count in precedence (semver.org item 10): v1.1.0+build.2 is as high as v1.1.0,
    and a release run again (its own tag listed) moves the tag again."""
    tags = [*TAGS, "v1.1.0+build.2"]
    assert major_tag_decision("v1.1.0+build.2", tags).move
    assert major_tag_decision("v1.1.0", tags).move
    assert higher_releases("v1.0.1", tags) == ["v1.1.0+build.2", "v1.1.0"]  # the same order every time


def test_precedence_not_text_order() -> None:
    """v1.10.0 is higher than v1.9.0 (sorted as text, it would not be)."""
    assert major_tag_decision("v1.10.0", ["v1.9.0", "v1.10.0"]).move
    assert not major_tag_decision("v1.9.0", ["v1.9.0", "v1.10.0"]).move


def test_pre_releases_and_other_majors_do_not_hold_a_release_back() -> None:
    assert major_tag_decision("v1.1.0", ["v1.1.0", "v1.2.0-rc.1", "v2.0.0", "v10.0.0"]).move
    assert higher_releases("v1.0.0", ["v1.0.0", "v1.0.1", "v1.2.0", "v1.1.0", "v2.0.0"]) == [
        "v1.2.0",
        "v1.1.0",
        "v1.0.1",
    ]


@pytest.mark.parametrize(
    ("tag", "tags", "problem"),
    [
        ("v1.1.0", ["v1.0.0"], "v1.1.0 is not among the 1 tags listed"),
        ("v1.1.0", [], "v1.1.0 is not among the 0 tags listed"),
        ("v1.1", ["v1.1"], "tag 'v1.1' is not v<semantic version>"),
        ("1.1.0", ["1.1.0"], "tag '1.1.0' is not v<semantic version>"),
    ],
)
def test_a_tag_that_cannot_be_judged_is_refused(tag: str, tags: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(problem)):
        major_tag_decision(tag, tags)


def test_tag_names_of_ls_remote_and_tag_list_output() -> None:
    ls_remote = (
        "1111111111111111111111111111111111111111\trefs/tags/v1\n"
        "2222222222222222222222222222222222222222\trefs/tags/v1.0.0\n"
        "3333333333333333333333333333333333333333\trefs/tags/v1.0.0^{}\n"
        "\n"
    )
    assert tag_names(ls_remote) == ["v1", "v1.0.0", "v1.0.0^{}"]
    assert tag_names("v1\nv1.0.0\n") == ["v1", "v1.0.0"]
    # The peeled line names no release: it neither counts nor holds anything back.
    assert major_tag_decision("v1.0.0", tag_names(ls_remote)).move


def test_the_command_prints_the_tag_to_move_or_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = "".join(f"{index:040x}\trefs/tags/{tag}\n" for index, tag in enumerate(TAGS))
    for tag, printed in (("v1.1.0", "v1\n"), ("v1.0.1", ""), ("v1.2.0-rc.1", "")):
        monkeypatch.setattr("sys.stdin", io.StringIO(listing))
        assert main(["major-tag", "--tag", tag]) == 0
        out, err = capsys.readouterr()
        assert out == printed
        assert err == f"release: {major_tag_decision(tag, TAGS).why}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(listing))
    assert main(["major-tag", "--tag", "v1.3.0"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"release: v1.3.0 is not among the {len(TAGS)} tags listed (the repository's: `git ls-remote --tags origin`)\n",
    )
