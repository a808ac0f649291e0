"""PartiQL statements classified: the verb and the one table (and index) a statement touches, or refused.

DynamoDB's PartiQL subset, read token by token (double-quoted identifiers with "" inside,
single-quoted strings with '' inside, -- and /* */ comments):
- SELECT <projection> FROM <table>[.<index>] [WHERE ...] [ORDER BY ...]
- INSERT INTO <table> VALUE {...}
- UPDATE <table> SET|REMOVE ... [WHERE ...]
- DELETE FROM <table> [WHERE ...]
A statement of any other shape (a second FROM or SELECT, a subquery, several tables, EXISTS,
EXPLAIN, an unterminated quote) cannot be classified and is refused (ValidationException).

The statement is then cross-checked against what moto will run: moto executes PartiQL with
py-partiql-parser, which splits a SELECT on the text " FROM " wherever it stands (inside a
quoted identifier or a comment too) and is handed every table of the account. The parser is
dry-run here on a recording stand-in for the tables; if it would touch a table other than
the one this reading found, the statement is refused, never waved through. No maintained
PyPI parser reads DynamoDB's subset (VALUE {...}, REMOVE, "table"."index") and none could
say what moto's own parser will do, so this is a small tokenizer plus that cross-check.

Pure: py-partiql-parser is not moto; nothing here touches moto's state.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from py_partiql_parser import DynamoDBStatementParser  # type: ignore[import-untyped]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<comment>--[^\n]*|/\*.*?\*/)
    |(?P<ident>"(?:[^"]|"")*")
    |(?P<string>'(?:[^']|'')*')
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    |(?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    |(?P<symbol><<|>>|<=|>=|<>|!=|\|\||[-+*/%=<>.,;:?()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)
VERB_ACTIONS = {
    "SELECT": "dynamodb:PartiQLSelect",
    "INSERT": "dynamodb:PartiQLInsert",
    "UPDATE": "dynamodb:PartiQLUpdate",
    "DELETE": "dynamodb:PartiQLDelete",
}
# Keywords that start or join a statement: seen anywhere but their own place, a second statement hides.
_STATEMENT_WORDS = frozenset({"SELECT", "FROM", "INTO", "INSERT", "UPDATE", "DELETE", "EXISTS", "JOIN"})
# A name moto could hold a document under: a table name, or "<table>.<index>".
_DOCUMENT_NAME = re.compile(r"[A-Za-z0-9_.-]+", re.ASCII)
_OPENING, _CLOSING = "([{", ")]}"


class UnclassifiableStatementError(ValueError):
    """A statement this reading cannot classify, or that moto would run against another table."""


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "string", "word", "number", "symbol"
    text: str
    depth: int  # nesting in (), [] and {} before the token

    @property
    def value(self) -> str:
        """An identifier's or string's content, a word in upper case, a symbol as written."""
        if self.kind in ("ident", "string"):
            quote = self.text[0]
            return self.text[1:-1].replace(quote * 2, quote)
        return self.text.upper() if self.kind == "word" else self.text


@dataclass(frozen=True)
class Statement:
    verb: str  # "SELECT", "INSERT", "UPDATE", "DELETE"
    table: str
    index: str | None = None

    @property
    def action(self) -> str:
        return VERB_ACTIONS[self.verb]


def tokens(statement: str) -> list[Token]:
    """The statement's tokens, without spaces and comments; refused on any character outside the language."""
    found: list[Token] = []
    depth, position = 0, 0
    while position < len(statement):
        match = _TOKEN.match(statement, position)
        if match is None:
            raise UnclassifiableStatementError(f"unexpected {statement[position]!r} at position {position}")
        position = match.end()
        kind = str(match.lastgroup)
        if kind in ("space", "comment"):
            continue
        text = match.group()
        if text in _CLOSING:
            depth -= 1
            if depth < 0:
                raise UnclassifiableStatementError(f"unbalanced {text!r}")
        found.append(Token(kind, text, depth))
        if text in _OPENING:
            depth += 1
    if depth:
        raise UnclassifiableStatementError("unbalanced brackets")
    return found


def _name(token: Token | None) -> str:
    if token is None or token.kind not in ("ident", "word") or not token.value:
        raise UnclassifiableStatementError("expected a table name")
    return token.value if token.kind == "ident" else token.text  # a bare name as written


def _table_reference(rest: Sequence[Token], *, index_allowed: bool) -> tuple[str, str | None, int]:
    """<table>[.<index>] at the start of `rest`: (table, index, tokens used)."""
    table = _name(rest[0] if rest else None)
    if index_allowed and len(rest) > 1 and rest[1].text == ".":
        return table, _name(rest[2] if len(rest) > 2 else None), 3
    return table, None, 1


def _no_statement_words(rest: Sequence[Token]) -> None:
    for token in rest:
        if token.kind == "word" and token.value in _STATEMENT_WORDS:
            raise UnclassifiableStatementError(f"{token.text!r} where it cannot be part of this statement")


def _words(found: Sequence[Token], *expected: str) -> bool:
    return len(found) >= len(expected) and all(
        t.kind == "word" and t.value == word for t, word in zip(found, expected, strict=False)
    )


def read(statement: str) -> Statement:
    """The verb and table of one PartiQL statement of DynamoDB's subset; raises UnclassifiableStatementError."""
    found = tokens(statement)
    if found and found[-1].text == ";":
        found = found[:-1]
    if not found or found[0].kind != "word" or found[0].value not in VERB_ACTIONS:
        raise UnclassifiableStatementError("a statement starts with SELECT, INSERT, UPDATE or DELETE")
    verb = found[0].value
    if verb == "SELECT":
        froms = [i for i, t in enumerate(found) if t.kind == "word" and t.value == "FROM"]
        if len(froms) != 1 or found[froms[0]].depth != 0:
            raise UnclassifiableStatementError("a SELECT has exactly one FROM, outside brackets")
        _no_statement_words(found[1 : froms[0]])
        table, index, used = _table_reference(found[froms[0] + 1 :], index_allowed=True)
        rest = found[froms[0] + 1 + used :]
        if rest and not (_words(rest, "WHERE") or _words(rest, "ORDER", "BY")):
            raise UnclassifiableStatementError(f"{rest[0].text!r} after the table")
    elif verb == "INSERT":
        if not _words(found, "INSERT", "INTO"):
            raise UnclassifiableStatementError("INSERT INTO <table> VALUE {...}")
        table, index, used = _table_reference(found[2:], index_allowed=False)
        rest = found[2 + used :]
        if not _words(rest, "VALUE"):
            raise UnclassifiableStatementError("INSERT INTO <table> VALUE {...}")
    elif verb == "UPDATE":
        table, index, used = _table_reference(found[1:], index_allowed=False)
        rest = found[1 + used :]
        if not (_words(rest, "SET") or _words(rest, "REMOVE")):
            raise UnclassifiableStatementError("UPDATE <table> SET|REMOVE ...")
    else:
        if not _words(found, "DELETE", "FROM"):
            raise UnclassifiableStatementError("DELETE FROM <table> WHERE ...")
        table, index, used = _table_reference(found[2:], index_allowed=False)
        rest = found[2 + used :]
        if rest and not _words(rest, "WHERE"):
            raise UnclassifiableStatementError(f"{rest[0].text!r} after the table")
    _no_statement_words(rest)
    return Statement(verb, table, index)


class _Recorder(dict[str, list[Any]]):
    """Stands in for moto's tables in a dry run: every name looked up is recorded, and holds nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: list[str] = []

    def __contains__(self, name: object) -> bool:
        self.touched.append(str(name))
        return True

    def __getitem__(self, name: str) -> list[Any]:
        self.touched.append(str(name))
        return []


def moto_touches(statement: str, parameters: Sequence[Any] = ()) -> set[str]:
    """The names of the tables (or '<table>.<index>') moto's PartiQL executor would read or write."""
    parser = DynamoDBStatementParser({})
    recorder = _Recorder()
    parser.documents = recorder
    touched: set[str] = set()
    try:
        result = parser.parse(statement, copy.deepcopy(list(parameters)))
    except Exception:
        result = None
    if result is not None:
        touched.update(str(name) for name in result[1])
    touched.update(recorder.touched)
    return touched


def classify(statement: str, parameters: Sequence[Any] = ()) -> Statement:
    """The statement as DynamoDB reads it, refused unless moto would touch that table (or index) only."""
    read_as = read(statement)
    if not statement.lower().startswith(read_as.verb.lower()):
        raise UnclassifiableStatementError(f"the emulator runs a statement that starts with its verb ({read_as.verb})")
    allowed = {read_as.table} | ({f"{read_as.table}.{read_as.index}"} if read_as.index else set())
    # A name that cannot be a document's is a lookup moto fails: it touches nothing.
    elsewhere = {n for n in moto_touches(statement, parameters) if _DOCUMENT_NAME.fullmatch(n)} - allowed
    if elsewhere:
        raise UnclassifiableStatementError(
            f"the emulator would run it against {', '.join(sorted(elsewhere))}, not {read_as.table}"
        )
    return read_as


def statements(params: Mapping[str, Any], key: str) -> Iterator[tuple[str, Sequence[Any]]]:
    """(statement, parameters) of each entry of a BatchExecuteStatement or ExecuteTransaction request."""
    for entry in params.get(key) or []:
        if not isinstance(entry, Mapping):
            raise UnclassifiableStatementError(f"each of {key} is an object with a Statement")
        yield str(entry.get("Statement", "")), list(entry.get("Parameters") or [])
