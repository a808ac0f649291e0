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
from typing import Any

from access.context import Context, context_values
from access.documents import as_list
from access.variables import Pattern, resolve


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
    operators[f"{prefix}NotEquals"] = Operator(_ordered(parse, lambda got, want: got == want), negated=True)
    return operators


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda got, want: got == want,
    "LessThan": lambda got, want: got < want,
    "LessThanEquals": lambda got, want: got <= want,
    "GreaterThan": lambda got, want: got > want,
    "GreaterThanEquals": lambda got, want: got >= want,
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


__all__ = [
    "OPERATORS",
    "Context",
    "MalformedConditionValueError",
    "Operator",
    "UnsupportedConditionError",
    "conditions_hold",
    "operator_holds",
    "parse_date",
    "supported",
]
