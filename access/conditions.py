"""IAM condition operators, as AWS documents them.

Sources:
- Condition operators:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- Set operators for multivalued keys:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- Policy variables: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

Implemented: String* (with policy variables and, for the Like operators,
wildcards), Arn* (variables, wildcards per ARN part), Numeric* (integers and
decimals), Date* (W3C ISO 8601 dates and epoch seconds), Bool, BinaryEquals
(base64), IpAddress/NotIpAddress (IPv4 and IPv6 CIDR; an address alone is /32 or
/128), Null; each with ...IfExists (but Null) and the ForAllValues/ForAnyValue
qualifiers.

A condition holds when every operator in it holds, and an operator holds when
every key in it holds; the values listed for one key are alternatives.

A missing key (or an empty set): false, except that a negated operator
(String/ArnNot*, NumericNotEquals, DateNotEquals, NotIpAddress) is true, an
...IfExists operator is true, ForAllValues is true ("returns true if there are
no context keys in the request or if the context key value resolves to a null
dataset") and ForAnyValue is false ("For no matching context key or a null
dataset, the condition returns false").

An operator this module does not know, or a value it cannot read (a policy value
that is no number, date, address or base64, a context value likewise), is not
evaluated: it never makes an Allow apply and always makes a Deny apply (fail
closed).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from operator import eq, ge, gt, le, lt
from typing import Any

from access.context import Context, RequestContext, context_values
from access.documents import as_list
from access.variables import Pattern, literal_arn_regexes, literal_regex, resolve, resolve_with


class UnsupportedConditionError(ValueError):
    """A condition operator the evaluator does not implement, or a value it cannot read."""


class MalformedConditionValueError(UnsupportedConditionError):
    """A value that is not of the operator's type (a number, a date, an IP address, base64)."""


# -- typed values --------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")
# The W3C profile of ISO 8601 (https://www.w3.org/TR/NOTE-datetime): YYYY, YYYY-MM, YYYY-MM-DD,
# then a time hh:mm[:ss[.s]] and a zone (Z or +hh:mm); a time without a zone is read as UTC.
_W3C_DATE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?)?)?)?"
)


def parse_number(text: str) -> Decimal:
    if _NUMBER.fullmatch(text.strip()) is None:
        raise MalformedConditionValueError(f"{text!r} is not a number")
    return Decimal(text.strip())


def parse_date(text: str) -> datetime:
    """A W3C ISO 8601 date/time or epoch seconds, as an aware UTC datetime.

    A bare four-digit value is a year (W3C "YYYY"), as the ISO form is tried first.
    """
    value = text.strip()
    match = _W3C_DATE.fullmatch(value)
    if match is not None:
        try:
            return _w3c_datetime(match)
        except ValueError:
            raise MalformedConditionValueError(f"{text!r} is not a date") from None
    if _EPOCH.fullmatch(value) is not None:
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=float(value))
        except OverflowError:
            raise MalformedConditionValueError(f"{text!r} is not a date") from None
    raise MalformedConditionValueError(f"{text!r} is not a date")


def _w3c_datetime(match: re.Match[str]) -> datetime:
    zone = match["zone"]
    tz = UTC
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    fraction = match["fraction"]
    moment = datetime(
        int(match["year"]),
        int(match["month"] or 1),
        int(match["day"] or 1),
        int(match["hour"] or 0),
        int(match["minute"] or 0),
        int(match["second"] or 0),
        round(float(fraction) * 1_000_000) if fraction else 0,
        tzinfo=tz,
    )
    return moment.astimezone(UTC)


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise MalformedConditionValueError(f"{text!r} is not an IP address or CIDR range") from None


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise MalformedConditionValueError(f"{text!r} is not an IP address") from None


def parse_binary(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedConditionValueError(f"{text!r} is not base64") from None


# -- operators -----------------------------------------------------------------------------------

Test = Callable[[str, str, Context, bool], bool]
"""test(policy value, request value, context, variables) -> does this one pair match?"""


def _string(compare: Callable[[Pattern, str], bool]) -> Test:
    def test(want: str, got: str, context: Context, variables: bool) -> bool:
        pattern = resolve(want, context, variables=variables)
        return pattern is not None and compare(pattern, got)

    return test


def _ordered(parse: Callable[[str], Any], compare: Callable[[Any, Any], bool]) -> Test:
    def test(want: str, got: str, context: Context, variables: bool) -> bool:
        return bool(compare(parse(got), parse(want)))

    return test


def _bool(want: str, got: str, context: Context, variables: bool) -> bool:
    return want.lower() == got.lower()


def _ip(want: str, got: str, context: Context, variables: bool) -> bool:
    return parse_address(got) in parse_network(want)


def _binary(want: str, got: str, context: Context, variables: bool) -> bool:
    return parse_binary(got) == parse_binary(want)


@dataclass(frozen=True)
class Operator:
    test: Test
    """The positive test of one policy value against one request value."""
    negated: bool = False
    """True for the Not operators: no policy value may match (and a missing key matches)."""


def _family(
    prefix: str, parse: Callable[[str], Any], names: Mapping[str, Callable[[Any, Any], bool]]
) -> dict[str, Operator]:
    operators = {f"{prefix}{name}": Operator(_ordered(parse, compare)) for name, compare in names.items()}
    operators[f"{prefix}NotEquals"] = Operator(_ordered(parse, eq), negated=True)
    return operators


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": eq,
    "LessThan": lt,
    "LessThanEquals": le,
    "GreaterThan": gt,
    "GreaterThanEquals": ge,
}

OPERATORS: dict[str, Operator] = {
    "StringEquals": Operator(_string(lambda p, v: p.equals(v))),
    "StringNotEquals": Operator(_string(lambda p, v: p.equals(v)), negated=True),
    "StringEqualsIgnoreCase": Operator(_string(lambda p, v: p.equals(v, ignore_case=True))),
    "StringNotEqualsIgnoreCase": Operator(_string(lambda p, v: p.equals(v, ignore_case=True)), negated=True),
    "StringLike": Operator(_string(lambda p, v: p.matches(v))),
    "StringNotLike": Operator(_string(lambda p, v: p.matches(v)), negated=True),
    # "The ArnEquals and ArnLike condition operators behave identically."
    "ArnEquals": Operator(_string(lambda p, v: p.arn_matches(v))),
    "ArnLike": Operator(_string(lambda p, v: p.arn_matches(v))),
    "ArnNotEquals": Operator(_string(lambda p, v: p.arn_matches(v)), negated=True),
    "ArnNotLike": Operator(_string(lambda p, v: p.arn_matches(v)), negated=True),
    **_family("Numeric", parse_number, _ORDER),
    **_family("Date", parse_date, _ORDER),
    "Bool": Operator(_bool),
    "BinaryEquals": Operator(_binary),
    "IpAddress": Operator(_ip),
    "NotIpAddress": Operator(_ip, negated=True),
}
QUALIFIERS = ("ForAllValues", "ForAnyValue")


def supported(operator: str) -> bool:
    """Does this module evaluate the operator (with its qualifier and IfExists)?"""
    qualifier, _, name = operator.rpartition(":")
    if qualifier and qualifier not in QUALIFIERS:
        return False
    if name == "Null":
        return True
    return name.removesuffix("IfExists") in OPERATORS


def operator_holds(operator: str, key: str, wanted: list[str], context: Context, *, variables: bool = True) -> bool:
    """One operator on one key; raises UnsupportedConditionError when it cannot be evaluated."""
    if not supported(operator):
        raise UnsupportedConditionError(operator)
    qualifier, _, name = operator.rpartition(":")
    got = context_values(context, key)

    if name == "Null":
        want_absent = wanted[0].lower() == "true" if wanted else True
        return (got is None) is want_absent

    if_exists = name.endswith("IfExists")
    spec = OPERATORS[name.removesuffix("IfExists")]
    if got is None:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return spec.negated  # a missing key matches only the Not operators

    def test_one(value: str) -> bool:
        matched = any(spec.test(w, value, context, variables) for w in wanted)
        return not matched if spec.negated else matched

    if qualifier == "ForAllValues":
        return all(test_one(v) for v in got)
    return any(test_one(v) for v in got)  # ForAnyValue, and single-valued keys


def conditions_hold(
    condition: Mapping[str, Any] | None, context: Context, *, for_deny: bool = False, variables: bool = True
) -> bool:
    """Every operator and every key in it must hold; values listed for one key are alternatives.

    An operator that cannot be evaluated fails closed: false in an Allow, true in a
    Deny (for_deny). variables=False reads `${...}` as text (a policy whose
    Version is not 2012-10-17).
    """
    for operator, tests in (condition or {}).items():
        if not isinstance(tests, Mapping):
            if not for_deny:
                return False
            continue
        for key, wanted in tests.items():
            try:
                holds = operator_holds(operator, key, [_text(w) for w in as_list(wanted)], context, variables=variables)
            except UnsupportedConditionError:
                holds = for_deny
            if not holds:
                return False
    return True


def _text(value: object) -> str:
    """A policy value as text: JSON true/false are the strings "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- compiled conditions -------------------------------------------------------------------------
#
# `compile_condition` reads a Condition block once into checks, one per (operator, key) in the
# block's order, that `conditions_hold` would make; each check answers from a RequestContext what
# `operator_holds` answers, and fails closed the same way. Policy values are read once: typed
# values parsed, wildcards compiled (`compiled_regex`, shared), values without variables turned
# into sets; a value with a policy variable is resolved when a request asks.


class NotCompilableError(ValueError):
    """A part of a document that only the plain evaluator reads as AWS would (it is left to it)."""


Check = Callable[[RequestContext], bool]
"""check(request context) -> does this (operator, key) hold?"""
Matcher = Callable[[str, RequestContext], bool]
"""matcher(request value, request context) -> does one of the key's policy values match it (the positive test)?"""


def compile_condition(condition: object, *, for_deny: bool, variables: bool) -> tuple[Check, ...]:
    """The checks `conditions_hold(condition, ..., for_deny=for_deny, variables=variables)` makes, in order.

    Raises NotCompilableError for what the plain reading would trip on (a Condition that is not an
    object, an operator or a key that is not a string, a value no parser can read without error).
    """
    if not condition:
        return ()
    if not isinstance(condition, dict):
        raise NotCompilableError("a Condition that is not an object")
    checks: list[Check] = []
    for operator, tests in condition.items():
        if type(operator) is not str:
            raise NotCompilableError("an operator that is not a string")
        if not isinstance(tests, Mapping):
            checks.append(_constant(for_deny))
            continue
        for key, wanted in tests.items():
            if type(key) is not str:
                raise NotCompilableError("a condition key that is not a string")
            checks.append(_key_check(operator, key, [_text(w) for w in as_list(wanted)], for_deny, variables))
    # A check that always holds changes nothing (no check raises or reads the request before it).
    return tuple(check for check in checks if check is not _ALWAYS)


def _always(_: RequestContext) -> bool:
    return True


def _never(_: RequestContext) -> bool:
    return False


_ALWAYS: Check = _always


def _constant(holds: bool) -> Check:
    return _always if holds else _never


def _key_check(operator: str, key: str, wanted: list[str], for_deny: bool, variables: bool) -> Check:
    """`operator_holds(operator, key, wanted, ...)` as a check; an UnsupportedConditionError is for_deny."""
    if not supported(operator):
        return _constant(for_deny)
    qualifier, _, name = operator.rpartition(":")
    lowered = key.lower()

    if name == "Null":
        want_absent = wanted[0].lower() == "true" if wanted else True

        def null(context: RequestContext) -> bool:
            return (context.values(lowered) is None) is want_absent

        return null

    base = name.removesuffix("IfExists")
    negated = OPERATORS[base].negated
    if name.endswith("IfExists") or qualifier == "ForAllValues":
        missing = True
    elif qualifier == "ForAnyValue":
        missing = False
    else:
        missing = negated
    matcher = _MATCHERS[base](wanted, variables)
    every = qualifier == "ForAllValues"

    def check(context: RequestContext) -> bool:
        got = context.values(lowered)
        if got is None:
            return missing
        try:
            if every:
                for value in got:  # noqa: SIM110 (a loop: no generator on every decision)
                    if matcher(value, context) is negated:
                        return False
                return True
            for value in got:  # noqa: SIM110 (a loop: no generator on every decision)
                if matcher(value, context) is not negated:
                    return True
            return False
        except UnsupportedConditionError:
            return for_deny

    return check


def _strings(
    static: Callable[[list[str]], Callable[[str], bool]], dynamic: Callable[[Pattern, str], bool]
) -> Callable[[list[str], bool], Matcher]:
    """A String or Arn operator: values without variables tested by static(values)(request value), in
    one go (no test raises, so the order of the values does not matter); the others resolved per request."""

    def compile_values(wanted: list[str], variables: bool) -> Matcher:
        resolved = [w for w in wanted if variables and "${" in w]
        test = static([w for w in wanted if not (variables and "${" in w)])
        if not resolved:
            return lambda value, context: test(value)

        def matcher(value: str, context: RequestContext) -> bool:
            if test(value):
                return True
            for want in resolved:
                pattern = resolve_with(want, context.single)
                if pattern is not None and dynamic(pattern, value):
                    return True
            return False

        return matcher

    return compile_values


def _equal_to(wanted: list[str]) -> Callable[[str], bool]:
    return frozenset(wanted).__contains__


def _equal_ignoring_case(wanted: list[str]) -> Callable[[str], bool]:
    lowered = frozenset(w.lower() for w in wanted)
    return lambda value: value.lower() in lowered


def _like(wanted: list[str]) -> Callable[[str], bool]:
    """StringLike: a value without wildcards matches itself only; the others as compiled regexes."""
    exact = frozenset(w for w in wanted if "*" not in w and "?" not in w)
    regexes = tuple(literal_regex(w) for w in wanted if w not in exact)
    if not regexes:
        return exact.__contains__
    return lambda value: value in exact or any(r.fullmatch(value) for r in regexes)


def _arn_like(wanted: list[str]) -> Callable[[str], bool]:
    """Arn*: "*" matches anything; otherwise the six parts, each with its wildcards (`Pattern.arn_matches`)."""
    if "*" in wanted:
        return lambda value: True
    parted = [regexes for regexes in map(literal_arn_regexes, wanted) if regexes is not None]
    if not parted:
        return lambda value: False

    def test(value: str) -> bool:
        got = value.split(":", 5)
        if len(got) != 6:
            return False
        return any(all(r.fullmatch(g) for r, g in zip(regexes, got, strict=True)) for regexes in parted)

    return test


def _bool_values(wanted: list[str], variables: bool) -> Matcher:
    lowered = frozenset(w.lower() for w in wanted)
    return lambda value, context: value.lower() in lowered


_FAILED = object()


def _typed(
    parse_got: Callable[[str], Any], parse_want: Callable[[str], Any], compare: Callable[[Any, Any], bool]
) -> Callable[[list[str], bool], Matcher]:
    """Numeric, Date, Binary and IP operators: compare(parse_got(request value), parse_want(policy value)),
    the request value read first, the policy values in order, as `_ordered` reads them: a value that cannot
    be read raises MalformedConditionValueError when the plain reading would reach it."""

    def compile_values(wanted: list[str], variables: bool) -> Matcher:
        parsed: list[Any] = []
        for want in wanted:
            try:
                parsed.append(parse_want(want))
            except MalformedConditionValueError:
                parsed.append(_FAILED)
            except Exception as error:  # e.g. a date out of range: left to the plain reading
                raise NotCompilableError(f"{want!r}: {error}") from None
        if not parsed:
            return lambda value, context: False

        def matcher(value: str, context: RequestContext) -> bool:
            got = parse_got(value)
            for want in parsed:
                if want is _FAILED:
                    raise MalformedConditionValueError("a policy value of the wrong type")
                if compare(got, want):
                    return True
            return False

        return matcher

    return compile_values


def _contains(got: Any, want: Any) -> bool:
    return bool(got in want)


def _same(got: Any, want: Any) -> bool:
    return bool(got == want)


def _typed_family(prefix: str, parse: Callable[[str], Any]) -> dict[str, Callable[[list[str], bool], Matcher]]:
    compilers = {f"{prefix}{name}": _typed(parse, parse, compare) for name, compare in _ORDER.items()}
    compilers[f"{prefix}NotEquals"] = _typed(parse, parse, _same)
    return compilers


_MATCHERS: dict[str, Callable[[list[str], bool], Matcher]] = {
    "StringEquals": _strings(_equal_to, lambda p, v: p.equals(v)),
    "StringNotEquals": _strings(_equal_to, lambda p, v: p.equals(v)),
    "StringEqualsIgnoreCase": _strings(_equal_ignoring_case, lambda p, v: p.equals(v, ignore_case=True)),
    "StringNotEqualsIgnoreCase": _strings(_equal_ignoring_case, lambda p, v: p.equals(v, ignore_case=True)),
    "StringLike": _strings(_like, lambda p, v: p.matches(v)),
    "StringNotLike": _strings(_like, lambda p, v: p.matches(v)),
    "ArnEquals": _strings(_arn_like, lambda p, v: p.arn_matches(v)),
    "ArnLike": _strings(_arn_like, lambda p, v: p.arn_matches(v)),
    "ArnNotEquals": _strings(_arn_like, lambda p, v: p.arn_matches(v)),
    "ArnNotLike": _strings(_arn_like, lambda p, v: p.arn_matches(v)),
    **_typed_family("Numeric", parse_number),
    **_typed_family("Date", parse_date),
    "Bool": _bool_values,
    "BinaryEquals": _typed(parse_binary, parse_binary, _same),
    "IpAddress": _typed(parse_address, parse_network, _contains),
    "NotIpAddress": _typed(parse_address, parse_network, _contains),
}
if _MATCHERS.keys() != OPERATORS.keys():  # pragma: no cover - a new operator needs its compiled form
    raise RuntimeError("every condition operator needs a compiled form in _MATCHERS")

# Checks that may raise something other than UnsupportedConditionError on a request's value (a date
# out of range): the evaluator must make them wherever the plain reading would.
MAY_RAISE_OPERATORS = frozenset(name for name in OPERATORS if name.startswith("Date"))


def may_raise(condition: object) -> bool:
    """Could reading this (compiled) Condition raise on some request value? Date operators only."""
    if not isinstance(condition, dict):
        return False
    for operator in condition:
        name = operator.rpartition(":")[2].removesuffix("IfExists")
        if name in MAY_RAISE_OPERATORS and supported(operator):
            return True
    return False


__all__ = [
    "MAY_RAISE_OPERATORS",
    "OPERATORS",
    "Check",
    "Context",
    "MalformedConditionValueError",
    "NotCompilableError",
    "Operator",
    "UnsupportedConditionError",
    "compile_condition",
    "conditions_hold",
    "may_raise",
    "operator_holds",
    "parse_date",
    "supported",
]
