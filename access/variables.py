"""IAM policy variables: `${key}` in Resource, NotResource and string and ARN condition values.

From "IAM policy elements: Variables and tags"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):

- A variable is `${key}`; the key is any single-valued key of the request
  context, case-insensitive (`${aws:username}`, `${aws:PrincipalTag/team}`, ...).
- `${key, 'default'}` stands for the default text when the key has no value; a
  quote inside the default is written `''`.
- `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`.
- Variables exist only in policies whose Version is "2012-10-17": otherwise
  "variables like ${aws:username} are treated as literal strings in the policy".
- "If a variable that has no value in the authorization context is used as part
  of the Resource or NotResource element of a policy, the resource that includes
  a policy variable with no value will not match any resource"; in a condition,
  "operators like StringEquals or StringLike do not match" and "inverted
  condition operators like StringNotEquals or StringNotLike do match against a
  null value". `resolve` returns None for such a value: it matches nothing.

Substitution is one round: what a variable or a default stands for is text, never
a wildcard and never another variable. A `${` without a closing `}` is text; a
`${...}` that is not a key, a key with a default, or one of the three escapes
cannot be resolved (AWS refuses such policies; here they match nothing).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from access.context import Context, single_value

VARIABLES_VERSION = "2012-10-17"

_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLE = re.compile(r"\s*(?P<key>[^\s,'{}]+)\s*(?:,\s*'(?P<default>(?:[^']|'')*)'\s*)?", re.DOTALL)
# Where a `${` ends: after an escape, or after a key with an optional quoted default (which may hold a `}`).
_BODY_END = re.compile(r"(?:[*?$]|\s*[^\s,'{}]+\s*(?:,\s*'(?:[^']|'')*'\s*)?)\}", re.DOTALL)


class Wildcard(enum.Enum):
    """A wildcard the policy's author wrote: * any run of characters, ? exactly one."""

    ANY = "*"
    ONE = "?"


Segment = str | Wildcard


@dataclass(frozen=True)
class Pattern:
    """A policy value after substitution: literal text and the author's wildcards."""

    segments: tuple[Segment, ...]

    def text(self) -> str:
        """The value as text (for the Equals operators, where * and ? are plain characters)."""
        return "".join(s.value if isinstance(s, Wildcard) else s for s in self.segments)

    def regex(self) -> str:
        return "".join(
            (".*" if s is Wildcard.ANY else ".") if isinstance(s, Wildcard) else re.escape(s) for s in self.segments
        )

    def matches(self, value: str, *, ignore_case: bool = False) -> bool:
        """Like-matching: the whole value against the pattern."""
        return compiled_regex(self.regex(), ignore_case).fullmatch(value) is not None

    def equals(self, value: str, *, ignore_case: bool = False) -> bool:
        text = self.text()
        return text.lower() == value.lower() if ignore_case else text == value

    def split(self, separator: str, maxsplit: int) -> list[Pattern]:
        """The pattern cut at its literal separators, as str.split does."""
        parts: list[list[Segment]] = [[]]
        for segment in self.segments:
            if isinstance(segment, Wildcard):
                parts[-1].append(segment)
                continue
            pieces = segment.split(separator, max(0, maxsplit - (len(parts) - 1)))
            parts[-1].append(pieces[0])
            parts.extend([piece] for piece in pieces[1:])
        return [Pattern(tuple(part)) for part in parts]

    def arn_matches(self, arn: str) -> bool:
        """Arn* operators: the six colon-separated parts compared one by one, each with wildcards."""
        if self.segments == (Wildcard.ANY,):
            return True
        wanted, got = self.split(":", 5), arn.split(":", 5)
        if len(wanted) != 6 or len(got) != 6:
            return False
        return all(w.matches(g) for w, g in zip(wanted, got, strict=True))


@functools.lru_cache(maxsize=65536)
def compiled_regex(regex: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A pattern's regex (`Pattern.regex`), compiled once and shared by every document that uses it."""
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@functools.lru_cache(maxsize=65536)
def literal_regex(text: str) -> re.Pattern[str]:
    """A value without variables, Like-matched (`literal_pattern(text).matches`), compiled once."""
    return compiled_regex(literal_pattern(text).regex())


@functools.lru_cache(maxsize=65536)
def literal_arn_regexes(text: str) -> tuple[re.Pattern[str], ...] | None:
    """A value without variables, as `Pattern.arn_matches` reads it: its six parts' regexes, or None
    when it has not six (it matches no ARN). "*" alone matches any value: not for this function."""
    parts = literal_pattern(text).split(":", 5)
    return tuple(compiled_regex(part.regex()) for part in parts) if len(parts) == 6 else None


def literal_pattern(text: str) -> Pattern:
    """A value without variables: * and ? are wildcards, everything else is text."""
    return Pattern(tuple(_authored(text)))


def _authored(text: str) -> Iterator[Segment]:
    run = ""
    for char in text:
        if char in "*?":
            if run:
                yield run
                run = ""
            yield Wildcard(char)
        else:
            run += char
    if run:
        yield run


def substitutes(version: object) -> bool:
    """Does a document of this Version have policy variables?"""
    return version == VARIABLES_VERSION


Lookup = Callable[[str], str | None]
"""lookup(key) -> the value of a single-valued context key (any case), or None (`single_value`)."""


def resolve(text: str, context: Context, *, variables: bool = True) -> Pattern | None:
    """The value with its variables replaced from the context; None if one has no value (and no default)."""
    if not variables or "${" not in text:
        return literal_pattern(text)
    return resolve_with(text, lambda key: single_value(context, key))


def resolve_with(text: str, lookup: Lookup) -> Pattern | None:
    """`resolve` in a 2012-10-17 document, reading each variable's value through lookup."""
    if "${" not in text:
        return literal_pattern(text)
    segments: list[Segment] = []
    rest = text
    while True:
        start = rest.find("${")
        if start < 0 or "}" not in rest[start:]:
            segments.extend(_authored(rest))
            return Pattern(tuple(segments))
        segments.extend(_authored(rest[:start]))
        body_end = _BODY_END.match(rest, start + 2)
        if body_end is None:
            return None  # `${...}` that is no variable: it cannot be resolved
        value = _variable_value(rest[start + 2 : body_end.end() - 1], lookup)
        if value is None:
            return None
        if value:
            segments.append(value)
        rest = rest[body_end.end() :]


def _variable_value(body: str, lookup: Lookup) -> str | None:
    if body in _ESCAPES:
        return _ESCAPES[body]
    match = _VARIABLE.fullmatch(body)
    if match is None:  # pragma: no cover - _BODY_END admitted only what _VARIABLE reads
        return None
    value = lookup(match["key"])
    if value is not None:
        return value
    default = match["default"]
    return None if default is None else default.replace("''", "'")
