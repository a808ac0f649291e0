"""Compiled policy documents: each document read once, and every decision made on what was read.

`compiled(document)` reads a policy document into a `CompiledDocument`, or None when the document
holds something only the plain reading of `access.evaluator` reads as it should (an Action that is
not text, a Condition that is not an object, an operator or a condition key that is not text, a
date out of range, an object of a type other than Python's builtin ones); the evaluator then
decides on the plain path, so an odd document is judged exactly as before. `compiled_all` does the
same for the documents of one decision at once.

What is read once, per statement:

- the actions: names without wildcards as a set of lower-cased names, wildcards compiled once
  (`access.documents.wildcard_regex`, shared by every document); which statements can match an
  action is worked out the first time that action is asked and kept (`CompiledDocument.candidates`),
  so a decision visits only the statements that can match its action, by effect;
- the resources: literal names as a set, "*" as a flag, wildcards compiled once
  (`access.variables.literal_regex`), values with a policy variable resolved per request;
- the principal: its names as a set and the accounts it names, so matching is set lookups;
- the condition: one check per (operator, key), typed values parsed and wildcards compiled
  (`access.conditions.compile_condition`); the request context is read lazily
  (`access.context.RequestContext`): a derived key, the clock included, only when a check asks.

The cache is keyed by content, never by identity: a document changed in place is a new key, so it
is never judged by an older compile. The key is the document's `marshal` serialisation (protocol
4), the bytes themselves (a dict hashes them, and a hit compares them in full, so two documents
share a compile only when they are equal in every value, every type and every key's order: True
is not 1, a tuple is not a list). marshal refuses every type but the builtin ones, so a Mapping of
another kind, a str subclass or any object with its own equality is never cached (such a document
goes the plain way). The documents of one decision are also keyed together (`compiled_all`: one
serialisation of them all, where keys shared between documents are written once).

Why marshal and not the canonical JSON (`json.dumps(document, sort_keys=True)`): the key is made on
every decision, for every document in it, and the JSON is what would then dominate. Measured on
this project's key policy (3 statements), JSON 7.9 us, marshal 1.4 us; on a 10-statement identity
policy 18.6 us against 2.0 us. Even so the key is a large share of a decision: with the project's
key policy and 3 grants a decision takes about 6.5 us (53 us before compiling), 1.8 us of it the
key; with a 20-statement key policy and 10 identity policies of 10 statements, 35 us (380 us
before), about 24 us of it the key, so an explicit Deny that ends a decision early gains least
(33 us against 138 us). An identity-keyed memo would be cheaper but unsafe (a dict changed in
place), and one checked by re-serialising costs the serialisation anyway; a memo of recent
documents checked by deep equality (`==`, a third of marshal's time) would take True for 1 and a
str subclass for a str; so every decision pays the marshal: the price of never being stale.

Protocol 4 writes an object shared within the document, or one with more than one reference, as a
back-reference: the same content can so give other bytes (only ever a miss, never a wrong hit: the
bytes decode to one content). A miss is looked up again under protocol 2 (no back-references: far
fewer spellings of one content) before anything is compiled, and the compile reads a private copy
(decoded from those bytes), never the caller's objects, so it holds no reference into the caller's
document (a reference would change those bytes) and cannot see the caller's later changes.

The decision (which statement or grant, the reason, the Decision.statement object, which is looked up
in the caller's document by position) is the plain evaluator's; `tests/access/test_compiled*.py`
checks that on random documents and requests.
"""

from __future__ import annotations

import marshal
import threading
from collections.abc import Mapping
from itertools import islice
from typing import Any

from access.arns import is_account_principal
from access.conditions import Check, NotCompilableError, compile_condition, may_raise
from access.context import RequestContext
from access.documents import (
    Document,
    action_matches,
    as_list,
    aws_principals,
    statement_label,
    statements,
    wildcard_regex,
)
from access.variables import literal_regex, resolve_with, substitutes

NO_MATCH, DIRECT, ACCOUNT = 0, 1, 2
"""How a statement's Principal or NotPrincipal matches the request's principal."""

CACHE_SIZE = 8192
"""Keys kept (a document can have more than one, see above); the oldest quarter goes when it is full."""
SETS_CACHE_SIZE = 512
"""Sets of documents asked together (`compiled_all`) kept; their keys are the documents' bytes."""
ACTIONS_PER_DOCUMENT = 4096
"""Actions whose candidate statements a document keeps."""

_ACTION, _NOT_ACTION, _NO_ACTION = 0, 1, 2
_RESOURCE, _NOT_RESOURCE, _ANY_RESOURCE = 0, 1, 2
_PRINCIPAL, _NOT_PRINCIPAL, _NO_PRINCIPAL = 0, 1, 2
_STATEMENT_LIST, _LONE_STATEMENT, _FILTERED_STATEMENTS = 0, 1, 2


class Facts:
    """One request, as compiled statements read it."""

    __slots__ = ("_root", "account_id", "context", "principal_arn", "resource", "session", "shown_caller")

    def __init__(
        self, principal_arn: str, caller_arn: str, resource: str, account_id: str, context: RequestContext, /
    ) -> None:
        self.principal_arn = principal_arn
        self.shown_caller = caller_arn or principal_arn
        self.session = caller_arn if caller_arn not in ("", principal_arn) else ""
        self.resource = resource
        self.account_id = account_id
        self.context = context
        self._root: bool | None = None

    @property
    def is_root(self) -> bool:
        """Is the principal its account's root?"""
        if self._root is None:
            self._root = is_account_principal(self.principal_arn, self.account_id)
        return self._root


def _accounts(entries: list[str]) -> frozenset[str]:
    """The account ids a request's account_id can be for `is_account_principal(entry, account_id)` to hold.

    An entry is an account principal when it is 12 digits or arn:<partition>:iam::<12 digits>:root;
    it then names its 12 digits (and a root ARN is also equal to itself).
    """
    accounts: set[str] = set()
    for entry in entries:
        if not is_account_principal(entry):
            continue
        digits = entry[-17:-5] if entry.startswith("arn:") else entry
        if not (is_account_principal(entry, digits) and is_account_principal(entry, entry)):
            raise NotCompilableError(f"{entry!r}: an account principal read otherwise")  # pragma: no cover
        accounts.update((digits, entry))
    return frozenset(accounts)


class CompiledStatement:
    """One statement of a document, read once."""

    __slots__ = (
        "_accounts",
        "_action_mode",
        "_action_patterns",
        "_checks",
        "_dynamic",
        "_exact_actions",
        "_exact_resources",
        "_names",
        "_other_actions",
        "_principal_mode",
        "_resource_mode",
        "_star_principal",
        "_star_resource",
        "_wild_actions",
        "_wild_resources",
        "deny",
        "effect",
        "has_resource",
        "label",
        "may_raise",
        "position",
    )

    def __init__(self, statement: Mapping[str, Any], position: int, variables: bool) -> None:
        self.position = position
        """The statement's index in `statements(document)`."""
        self.label = statement_label(statement, position)
        effect = statement.get("Effect")
        self.effect = "Allow" if effect == "Allow" else "Deny" if effect == "Deny" else ""
        """"Allow", "Deny", or "" for a statement no decision reads."""
        self.deny = self.effect == "Deny"
        self.has_resource = "Resource" in statement
        self.may_raise = False
        if not self.effect:
            self._action_mode = _NO_ACTION
            return
        self._compile_actions(statement)
        self._compile_resources(statement, variables)
        self._compile_principal(statement)
        condition = statement.get("Condition")
        self._checks: tuple[Check, ...] = compile_condition(condition, for_deny=self.deny, variables=variables)
        self.may_raise = bool(self._checks) and may_raise(condition)
        """Could its condition raise on a request's value (where the plain reading would raise too)?"""

    def _compile_actions(self, statement: Mapping[str, Any]) -> None:
        if "Action" in statement:
            self._action_mode, patterns = _ACTION, as_list(statement["Action"])
        elif "NotAction" in statement:
            self._action_mode, patterns = _NOT_ACTION, as_list(statement["NotAction"])
        else:
            self._action_mode, patterns = _NO_ACTION, []
        if any(type(p) is not str for p in patterns):
            raise NotCompilableError("an action that is not a string")
        self._action_patterns = tuple(patterns)
        # Action names ignore case: for ASCII names that is lower-casing; a wildcard, or a name outside
        # ASCII (where a regex's case folding is not lower-casing), is matched as action_matches does.
        exact = [p for p in patterns if p.isascii() and "*" not in p and "?" not in p]
        self._exact_actions = frozenset(p.lower() for p in exact)
        self._wild_actions = tuple(wildcard_regex(p, True) for p in patterns if p.isascii() and p not in exact)
        self._other_actions = tuple(p for p in patterns if not p.isascii())

    def _compile_resources(self, statement: Mapping[str, Any], variables: bool) -> None:
        if "Resource" in statement:
            self._resource_mode, values = _RESOURCE, as_list(statement["Resource"])
        elif "NotResource" in statement:
            self._resource_mode, values = _NOT_RESOURCE, as_list(statement["NotResource"])
        else:
            self._resource_mode, values = _ANY_RESOURCE, []
        texts = [str(value) for value in values]
        dynamic = [t for t in texts if variables and "${" in t]
        static = [t for t in texts if not (variables and "${" in t)]
        self._dynamic = tuple(dynamic)
        self._star_resource = "*" in static
        self._exact_resources = frozenset(t for t in static if "*" not in t and "?" not in t)
        self._wild_resources = tuple(literal_regex(t) for t in static if t not in self._exact_resources and t != "*")

    def _compile_principal(self, statement: Mapping[str, Any]) -> None:
        if "Principal" in statement:
            raw = statement["Principal"]
            entries = aws_principals(raw)
            self._principal_mode = _PRINCIPAL
            self._star_principal = raw == "*" or "*" in entries
        elif "NotPrincipal" in statement:
            entries = aws_principals(statement["NotPrincipal"])
            self._principal_mode = _NOT_PRINCIPAL
            self._star_principal = "*" in entries
        else:
            entries = []
            self._principal_mode = _NO_PRINCIPAL
            self._star_principal = False
        self._names = frozenset(entries)
        self._accounts = _accounts(entries)

    # -- per action (once per document and action) --

    def covers_action(self, action: str, lowered: str | None, need_action_and_resource: bool) -> bool:
        """Action/NotAction, and (for a KMS key policy) the Resource element's presence.

        lowered is action.lower() for an ASCII action, else None.
        """
        if self._action_mode == _ACTION:
            covered = self._matches_action(action, lowered)
        elif self._action_mode == _NOT_ACTION and not need_action_and_resource:
            covered = not self._matches_action(action, lowered)
        else:
            return False
        return covered and (self.has_resource or not need_action_and_resource)

    def _matches_action(self, action: str, lowered: str | None) -> bool:
        if lowered is None:
            return any(action_matches(p, action) for p in self._action_patterns)
        if lowered in self._exact_actions or any(r.fullmatch(action) for r in self._wild_actions):
            return True
        return any(action_matches(p, action) for p in self._other_actions)

    # -- per request --

    def covers_resource(self, facts: Facts) -> bool:
        mode = self._resource_mode
        if mode == _ANY_RESOURCE:
            return True
        return self._names_resource(facts) if mode == _RESOURCE else not self._names_resource(facts)

    def _names_resource(self, facts: Facts) -> bool:
        resource = facts.resource
        if self._star_resource or resource in self._exact_resources:
            return True
        for regex in self._wild_resources:
            if regex.fullmatch(resource):
                return True
        return any(self._resolved_matches(text, facts) for text in self._dynamic)

    @staticmethod
    def _resolved_matches(text: str, facts: Facts) -> bool:
        # "the resource that includes a policy variable with no value will not match any resource"
        pattern = resolve_with(text, facts.context.single)
        return pattern is not None and pattern.matches(facts.resource)

    def principal_match(self, facts: Facts) -> int:
        mode = self._principal_mode
        if mode == _PRINCIPAL:
            if self._star_principal or facts.principal_arn in self._names or facts.shown_caller in self._names:
                return DIRECT
            return ACCOUNT if facts.account_id in self._accounts else NO_MATCH
        if mode == _NO_PRINCIPAL or self._star_principal:
            return NO_MATCH
        # NotPrincipal: see access.evaluator._not_principal_applies.
        account_named = facts.account_id in self._accounts
        identity_named = account_named if facts.is_root else facts.principal_arn in self._names
        session = facts.session
        if self.deny:
            spared = account_named and identity_named and (not session or session in self._names)
            return NO_MATCH if spared else DIRECT
        return NO_MATCH if identity_named or (session and session in self._names) else DIRECT

    def conditions_hold(self, facts: Facts) -> bool:
        context = facts.context
        for check in self._checks:  # noqa: SIM110 (a loop: no generator on every decision)
            if not check(context):
                return False
        return True


Candidates = tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]
"""(Deny statements, Allow statements) that can match one action, in document order."""


class CompiledDocument:
    """A policy document, read once: its statements and, per action asked, those that can match it."""

    __slots__ = ("_by_action", "_shape", "statements", "variables")

    def __init__(self, document: Document) -> None:
        self.variables = substitutes(document.get("Version"))
        self.statements = tuple(
            CompiledStatement(statement, position, self.variables)
            for position, statement in enumerate(statements(document))
        )
        self._by_action: tuple[dict[str, Candidates], dict[str, Candidates]] = ({}, {})
        raw = document.get("Statement")
        if type(raw) is dict:
            self._shape = _LONE_STATEMENT
        elif isinstance(raw, list | tuple) and all(type(statement) is dict for statement in raw):
            self._shape = _STATEMENT_LIST
        else:
            self._shape = _FILTERED_STATEMENTS

    def statement_in(self, document: Document, position: int) -> Mapping[str, Any]:
        """`statements(document)[position]` of a document equal to the one compiled (the caller's own object)."""
        if self._shape == _STATEMENT_LIST:
            return document["Statement"][position]  # type: ignore[no-any-return]
        if self._shape == _LONE_STATEMENT:
            return document["Statement"]  # type: ignore[no-any-return]
        return statements(document)[position]

    def candidates(self, action: str, need_action_and_resource: bool) -> Candidates:
        """The statements of each effect whose Action/NotAction (and Resource, if needed) cover the action."""
        memo = self._by_action[need_action_and_resource]
        found = memo.get(action)
        if found is None:
            lowered = action.lower() if action.isascii() else None
            deny: list[CompiledStatement] = []
            allow: list[CompiledStatement] = []
            for statement in self.statements:
                if statement.effect and statement.covers_action(action, lowered, need_action_and_resource):
                    (deny if statement.deny else allow).append(statement)
            found = (tuple(deny), tuple(allow))
            if len(memo) >= ACTIONS_PER_DOCUMENT:
                memo.clear()
            memo[action] = found
        return found


# -- the cache ---------------------------------------------------------------------------------------

_NOT_COMPILED = object()
_cache: dict[bytes, Any] = {}
"""marshal bytes (protocol 4, or 2) -> CompiledDocument, or _NOT_COMPILED."""
_sets: dict[bytes, Any] = {}
"""marshal bytes of a tuple of documents -> their CompiledDocuments, or None."""
_lock = threading.Lock()


def compiled(document: object) -> CompiledDocument | None:
    """The document compiled (from the cache when its content was seen); None: decide it the plain way."""
    try:
        key = marshal.dumps(document)  # type: ignore[arg-type]
    except ValueError:  # not builtin types only (or nested beyond marshal's depth)
        return None
    found = _cache.get(key)
    if found is None:
        found = _compile(key)
    return None if found is _NOT_COMPILED else found


def compiled_all(documents: tuple[object, ...]) -> tuple[CompiledDocument, ...] | None:
    """The documents of one decision compiled, in order; None if one of them is left to the plain reading.

    One key for them all (the marshal bytes of the tuple): the same policies are asked together
    again and again (a principal's, with a key policy), and one serialisation of them all costs less
    than one of each (shared keys are written once). The documents themselves come from `compiled`.
    """
    try:
        key = marshal.dumps(documents)  # type: ignore[arg-type]
    except ValueError:
        return None
    found = _sets.get(key, _NOT_COMPILED)
    if found is _NOT_COMPILED:
        each = [compiled(document) for document in documents]
        found = None if None in each else tuple(each)
        with _lock:
            if len(_sets) >= SETS_CACHE_SIZE:
                for old in list(islice(_sets, SETS_CACHE_SIZE // 4)):
                    _sets.pop(old, None)
            _sets[key] = found
    return found  # type: ignore[no-any-return]


def _compile(key: bytes) -> Any:
    copy = marshal.loads(key)  # noqa: S302 - bytes this module just wrote
    try:
        canonical: bytes | None = marshal.dumps(copy, 2)
    except ValueError:  # a document that refers to itself: protocol 2 cannot write it
        canonical = None
    found = None if canonical is None else _cache.get(canonical)
    if found is None:
        try:
            # Only JSON's types: marshal writes a bytearray as bytes and may reorder a set, so a document
            # holding other types would be compiled from a copy unlike it (the plain reading takes it).
            found = CompiledDocument(copy) if _json_shaped(copy) else _NOT_COMPILED
        except Exception:  # anything the compile cannot read is left to the plain reading
            found = _NOT_COMPILED
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            for old in list(islice(_cache, CACHE_SIZE // 4)):
                _cache.pop(old, None)
        if canonical is not None:
            _cache[canonical] = found
        _cache[key] = found
    return found


_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_shaped(value: Any, depth: int = 0) -> bool:
    """Is a value made of JSON's types only (dict with str keys, list or tuple, str, number, bool, None)?"""
    if depth > 64:  # deeper than any policy document: left to the plain reading
        return False
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is dict:
        return all(type(k) is str and _json_shaped(v, depth + 1) for k, v in value.items())
    if kind in (list, tuple):
        return all(_json_shaped(v, depth + 1) for v in value)
    return False


def clear_cache() -> None:
    """Forget every compiled document (tests, benchmarks of a cold start)."""
    with _lock:
        _cache.clear()
        _sets.clear()


def cached_documents() -> int:
    """How many keys the cache holds."""
    return len(_cache)


__all__ = [
    "ACCOUNT",
    "DIRECT",
    "NO_MATCH",
    "CompiledDocument",
    "CompiledStatement",
    "Facts",
    "cached_documents",
    "clear_cache",
    "compiled",
    "compiled_all",
]
