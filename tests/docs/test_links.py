"""Every relative link in README.md and docs/*.md points at something that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.markdown import ROOT, anchors, is_external, links, pages


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if is_external(target):
            continue
        path_part, _, fragment = target.partition("#")
        path = (page.parent / path_part).resolve() if path_part else page
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif fragment and path.suffix == ".md" and fragment not in anchors(path.read_text(encoding="utf-8")):
            broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files(page: Path) -> None:
    assert not broken_links(page), f"{page.relative_to(ROOT)} has broken links:\n" + "\n".join(broken_links(page))


def test_the_pages_have_links_to_check() -> None:
    """The link reader finds links at all (a broken regex would pass every page)."""
    found = {page.name: links(page.read_text(encoding="utf-8")) for page in pages()}
    assert all(found.values()), {name: targets for name, targets in found.items() if not targets}
    assert "docs/components.md" in found["README.md"]


def test_the_checker_finds_a_broken_link(tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("# A heading\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md) [ok](other.md#a-heading) [web](https://example.com)\n"
        "[gone](missing.md) [anchor](other.md#no-such-heading)\n"
        "`[not a link](nowhere.md)`\n\n```sh\n[not a link either](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["missing.md: no such file", "other.md#no-such-heading: no such heading"]
