"""Reading the project's Markdown pages: code blocks, links, heading anchors."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """README.md and every page in docs/."""
    return [README, *sorted(DOCS.glob("*.md"))]


_FENCE = re.compile(r"^(?P<fence>```|~~~)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(?P<target>[^\s>]+)>?", re.MULTILINE)
_HTML_LINK = re.compile(r"\b(?:href|src)=\"(?P<target>[^\"]+)\"")
_HEADING = re.compile(r"^#{1,6}[ \t]+(?P<text>.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def code_blocks(text: str, language: str) -> list[str]:
    return [m["body"] for m in _FENCE.finditer(text) if m["info"].strip() == language]


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where nothing is a link."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link target written in the page (inline, reference definitions, HTML)."""
    body = prose(text)
    return [m["target"] for pattern in (_INLINE_LINK, _REFERENCE_DEF, _HTML_LINK) for m in pattern.finditer(body)]


def is_external(target: str) -> bool:
    return bool(_EXTERNAL.match(target))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of a page's headings, with GitHub's -1, -2 ... for repeated ones."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", text)):
        base = slug(match["text"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result
