"""EventBridge event patterns, read as EventBridge reads them: does a rule's pattern match an event?

`matches(pattern, event)` answers for one pattern and one event, each a parsed JSON object or its text;
`compile_pattern` reads a pattern once for many events. A pattern this reading does not understand (an
operator it does not know, a shape EventBridge refuses) raises UnsupportedPatternError when compiled,
before any event is tried: a caller that must prove a rule matches never concludes from half a pattern.

The rules, with their sources (Amazon EventBridge user guide; the event-ruler library EventBridge's
matching is published as, https://github.com/aws/event-ruler, README):

- Fields: "For an event pattern to match an event, the event must contain all the field names listed in
  the event pattern. The field names must also appear in the event with the same nesting structure", and
  "EventBridge ignores the fields in the event that aren't included in the event pattern"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html). Fields are AND.
- Values: "the value to match is in a JSON array ... so that you can provide multiple values" (same page):
  the values of one field are OR.
- Exact values follow JSON: strings "exact character-by-character matching without case-folding"; "For
  numbers, EventBridge uses string representation. For example, 300, 300.0, and 3.0e2 are not considered
  equal" (same page; `loads` keeps a number's text so that this holds for patterns read from JSON); true,
  false and null as themselves, and "Null values and empty strings are not interchangeable"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html).
- Arrays in the event: "If the value in the event is an array, then the event pattern matches if the
  intersection of the event pattern array and the event array is non-empty"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html). Objects in an
  array are each matched whole: the array is "crushed out" (nested arrays too), and no match combines
  "two fields ... within JSON objects that are in different elements of the same array" (event-ruler
  README, "JSON Array Matching": the behaviour of rulesForJSONEvent).
- Operators (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html;
  "Comparison operators only work on leaf nodes, with the exception of $or and anything-but"):
  prefix and suffix (string values; with {"equals-ignore-case": ...} inside, ignoring case),
  equals-ignore-case, wildcard ("*" any run of characters; "\\*" a star and "\\\\" a backslash; two
  stars in a row are refused: event-ruler README, "Wildcard matching"), anything-but (a value, a list of
  strings or of numbers, or {prefix | suffix | equals-ignore-case | wildcard}), numeric (JSON numbers;
  "=", "<", "<=", ">", ">=", one comparison or a range of two), exists (true: the field is there as a
  leaf; false: it is not, and "Exists matching only works on leaf nodes", so a field holding an object
  counts as absent: eb-event-patterns-content-based-filtering.html, "Exists matching"), cidr (IPv4 and
  IPv6), and $or (a list of two or more objects, each a pattern, any of which must match; with fewer, or
  an object using an operator's name as a field, "$or" is a plain field name: event-ruler README,
  'The "$or" Primitive').
- A field absent from the event matches only {"exists": false}; anything-but needs a value to differ from
  (event-ruler matches only the values an event has). An empty array holds no value.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import eq, ge, gt, le, lt
from typing import Any


class UnsupportedPatternError(ValueError):
    """A pattern this reading does not understand (an operator it does not know, or a shape EventBridge refuses)."""


@dataclass(frozen=True)
class Number:
    """A JSON number as written: exact matching compares the text (300 is not 300.0), numeric compares the value."""

    text: str
    value: float


def loads(text: str) -> Any:
    """JSON text -> Python values, numbers kept as `Number` (their text and value)."""
    return json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_no_constant)


def _number(text: str) -> Number:
    return Number(text, float(text))


def _no_constant(text: str) -> Any:
    raise UnsupportedPatternError(f"{text} is not a JSON number")


# -- values ----------------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, Number) or (isinstance(value, int | float) and not isinstance(value, bool))


def _number_text(value: Any) -> str:
    return value.text if isinstance(value, Number) else json.dumps(value)


def _number_value(value: Any) -> float:
    return value.value if isinstance(value, Number) else float(value)


def _same(wanted: Any, value: Any) -> bool:
    """Exact match of one JSON value: type and value; numbers by their text."""
    if wanted is None or isinstance(wanted, bool):
        return value is wanted
    if isinstance(wanted, str):
        return isinstance(value, str) and value == wanted
    return _is_number(value) and _number_text(value) == _number_text(wanted)


def _equal_to(wanted: Any) -> Callable[[Any], bool]:
    return lambda got: _same(wanted, got)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | bool) or _is_number(value)


def _flatten(value: Any) -> Iterator[Any]:
    """An event value's elements, arrays of arrays crushed out."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


_ABSENT = object()


def _leaves(value: Any) -> list[Any]:
    """The leaf values an event field holds: none when absent or an object, an array's non-object elements."""
    if value is _ABSENT or isinstance(value, Mapping):
        return []
    return [v for v in _flatten(value) if not isinstance(v, Mapping)]


def _objects(value: Any) -> list[Mapping[str, Any]]:
    """What a nested pattern is matched against: the object, or each object in an array; else nothing in it."""
    found: list[Mapping[str, Any]] = []
    if value is not _ABSENT:
        found = [v for v in _flatten(value) if isinstance(v, Mapping)]
    return found or [{}]


# -- the compiled pattern -----------------------------------------------------------------------------

Test = Callable[[Any], bool]


@dataclass(frozen=True)
class _Leaf:
    """The values listed for one field: any may match (OR)."""

    tests: tuple[Test, ...]
    exists: tuple[bool, ...]  # the field's {"exists": ...} values

    def matches(self, value: Any) -> bool:
        leaves = _leaves(value)
        if not leaves:
            return False in self.exists
        if True in self.exists:
            return True
        return any(test(leaf) for test in self.tests for leaf in leaves)


@dataclass(frozen=True)
class Pattern:
    """A compiled event pattern (or one object level of it): every field must match (AND), and one
    alternative of each $or."""

    fields: tuple[tuple[str, _Leaf | Pattern], ...]
    alternatives: tuple[tuple[Pattern, ...], ...] = ()

    def matches(self, event: Mapping[str, Any] | str) -> bool:
        """Does this pattern match the event (a JSON object, or its text)?"""
        parsed = loads(event) if isinstance(event, str) else event
        return isinstance(parsed, Mapping) and self._matches(parsed)

    def _matches(self, event: Mapping[str, Any]) -> bool:
        for name, node in self.fields:
            value = event.get(name, _ABSENT)
            if isinstance(node, _Leaf):
                if not node.matches(value):
                    return False
            elif not any(node._matches(candidate) for candidate in _objects(value)):
                return False
        return all(any(option._matches(event) for option in group) for group in self.alternatives)


def compile_pattern(pattern: Mapping[str, Any] | str) -> Pattern:
    """A pattern (a JSON object, or its text, as DescribeRule returns it) read once; UnsupportedPatternError
    when any part of it is not understood."""
    parsed = loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(parsed, Mapping):
        raise UnsupportedPatternError("an event pattern is a JSON object")
    if not parsed:
        raise UnsupportedPatternError("an event pattern names at least one field")
    return _object(parsed, "")


def matches(pattern: Mapping[str, Any] | str, event: Mapping[str, Any] | str) -> bool:
    """Does the EventBridge event pattern match the event? Each a JSON object or its text."""
    return compile_pattern(pattern).matches(event)


# -- compiling ----------------------------------------------------------------------------------------

OR = "$or"
_OPERATORS = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"}
)


def _is_or(value: Any) -> bool:
    """$or is the OR primitive only with a list of two or more objects that use no operator's name as a field."""
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(o, Mapping) and o and not (set(o) & _OPERATORS) for o in value)
    )


def _object(pattern: Mapping[str, Any], path: str) -> Pattern:
    fields: list[tuple[str, _Leaf | Pattern]] = []
    alternatives: list[tuple[Pattern, ...]] = []
    for name, value in pattern.items():
        where = f"{path}.{name}" if path else str(name)
        if name == OR and _is_or(value):
            alternatives.append(tuple(_object(option, f"{where}[{i}]") for i, option in enumerate(value)))
        elif isinstance(value, Mapping):
            if not value:
                raise UnsupportedPatternError(f"{where}: an empty object matches nothing EventBridge accepts")
            fields.append((str(name), _object(value, where)))
        elif isinstance(value, list):
            fields.append((str(name), _leaf(value, where)))
        else:
            raise UnsupportedPatternError(f"{where}: a field's values are a JSON array, not {value!r}")
    return Pattern(tuple(fields), tuple(alternatives))


def _leaf(values: list[Any], where: str) -> _Leaf:
    if not values:
        raise UnsupportedPatternError(f"{where}: an empty array of values")
    tests: list[Test] = []
    exists: list[bool] = []
    for value in values:
        if _is_scalar(value):
            tests.append(_equal_to(value))
        elif isinstance(value, Mapping) and len(value) == 1:
            operator, argument = next(iter(value.items()))
            if operator == "exists":
                if not isinstance(argument, bool):
                    raise UnsupportedPatternError(f"{where}: exists takes true or false, not {argument!r}")
                exists.append(argument)
            else:
                tests.append(_operator(str(operator), argument, where))
        else:
            raise UnsupportedPatternError(f"{where}: {value!r} is neither a JSON value nor one operator")
    return _Leaf(tuple(tests), tuple(exists))


def _operator(operator: str, argument: Any, where: str) -> Test:
    if operator in ("prefix", "suffix"):
        return _affix(operator, argument, where)
    if operator == "equals-ignore-case":
        return _ignoring_case(_text(argument, where, operator))
    if operator == "wildcard":
        return _wildcard(_text(argument, where, operator), where)
    if operator == "anything-but":
        return _anything_but(argument, where)
    if operator == "numeric":
        return _numeric(argument, where)
    if operator == "cidr":
        return _cidr(argument, where)
    raise UnsupportedPatternError(
        f"{where}: operator {operator!r} is not one this reading knows "
        f"({', '.join(sorted(_OPERATORS))}, $or, or a JSON value)"
    )


def _text(argument: Any, where: str, operator: str) -> str:
    if not isinstance(argument, str):
        raise UnsupportedPatternError(f"{where}: {operator} takes a string, not {argument!r}")
    return argument


def _affix(operator: str, argument: Any, where: str) -> Test:
    """prefix / suffix, optionally {"equals-ignore-case": ...} inside."""
    fold = False
    if isinstance(argument, Mapping) and set(argument) == {"equals-ignore-case"}:
        fold, argument = True, argument["equals-ignore-case"]
    text = _text(argument, where, operator)
    wanted = text.lower() if fold else text

    def test(got: Any) -> bool:
        if not isinstance(got, str):
            return False
        value = got.lower() if fold else got
        return value.startswith(wanted) if operator == "prefix" else value.endswith(wanted)

    return test


def _ignoring_case(wanted: str) -> Test:
    folded = wanted.lower()
    return lambda got: isinstance(got, str) and got.lower() == folded


def _wildcard(text: str, where: str) -> Test:
    """'*' any run of characters; '\\*' a star, '\\\\' a backslash; anything else literal."""
    regex, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            if escaped not in ("*", "\\"):
                raise UnsupportedPatternError(f"{where}: wildcard {text!r}: a backslash escapes only * or \\")
            regex.append(re.escape(escaped))
            index += 2
            continue
        if char == "*":
            if text[index + 1 : index + 2] == "*":
                raise UnsupportedPatternError(f"{where}: wildcard {text!r}: consecutive wildcard characters")
            regex.append(".*")
        else:
            regex.append(re.escape(char))
        index += 1
    compiled = re.compile("".join(regex), re.DOTALL)
    return lambda got: isinstance(got, str) and compiled.fullmatch(got) is not None


def _anything_but(argument: Any, where: str) -> Test:
    """Matches a value none of the excluded match (a value to differ from is needed: _Leaf gives only present ones)."""
    excluded: list[Test]
    if _is_scalar(argument):
        excluded = [_equal_to(argument)]
    elif isinstance(argument, list):
        if not argument or not all(_is_scalar(v) and v is not None and not isinstance(v, bool) for v in argument):
            raise UnsupportedPatternError(f"{where}: anything-but takes a list of strings or of numbers")
        if len({isinstance(v, str) for v in argument}) > 1:
            raise UnsupportedPatternError(f"{where}: anything-but's list holds only strings or only numbers")
        excluded = [_equal_to(v) for v in argument]
    elif isinstance(argument, Mapping) and len(argument) == 1:
        operator, inner = next(iter(argument.items()))
        if operator in ("prefix", "suffix"):
            excluded = [_affix(str(operator), v, where) for v in _one_or_many(inner, where, str(operator))]
        elif operator == "equals-ignore-case":
            excluded = [_ignoring_case(_text(v, where, operator)) for v in _one_or_many(inner, where, operator)]
        elif operator == "wildcard":
            excluded = [_wildcard(_text(v, where, operator), where) for v in _one_or_many(inner, where, operator)]
        else:
            raise UnsupportedPatternError(
                f"{where}: anything-but with {operator!r} is not one this reading knows "
                "(prefix, suffix, equals-ignore-case, wildcard)"
            )
    else:
        raise UnsupportedPatternError(f"{where}: anything-but takes a value, a list or one operator, not {argument!r}")
    return lambda got: not any(test(got) for test in excluded)


def _one_or_many(value: Any, where: str, operator: str) -> Sequence[Any]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise UnsupportedPatternError(f"{where}: anything-but {operator} with an empty list")
    return values


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "=": eq,
    "<": lt,
    "<=": le,
    ">": gt,
    ">=": ge,
}


def _numeric(argument: Any, where: str) -> Test:
    """["<op>", n] or a range ["<op>", n, "<op>", n]: every comparison holds, on JSON numbers only."""
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        raise UnsupportedPatternError(f"{where}: numeric takes [op, number] or [op, number, op, number]")
    checks: list[tuple[Callable[[float, float], bool], float]] = []
    for operator, bound in zip(argument[::2], argument[1::2], strict=True):
        if operator not in _COMPARISONS or not _is_number(bound):
            raise UnsupportedPatternError(
                f"{where}: numeric {operator!r} {bound!r}: an operator of {', '.join(_COMPARISONS)} and a number"
            )
        checks.append((_COMPARISONS[operator], _number_value(bound)))
    return lambda got: _is_number(got) and all(compare(_number_value(got), bound) for compare, bound in checks)


def _cidr(argument: Any, where: str) -> Test:
    try:
        network = ipaddress.ip_network(_text(argument, where, "cidr"), strict=False)
    except ValueError:
        raise UnsupportedPatternError(f"{where}: cidr {argument!r} is not an IP address range") from None

    def test(got: Any) -> bool:
        if not isinstance(got, str):
            return False
        try:
            return ipaddress.ip_address(got) in network
        except ValueError:
            return False

    return test
