"""The request context: the condition keys of one request, as policies read them.

Condition keys are case-insensitive ("Key names are case-insensitive. For example,
aws:CurrentTime is equivalent to AWS:currenttime",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
A boolean is read as "true"/"false"; a list is a multivalued key; an empty list
is a null data set, read as a missing key.

`derived_context` adds the keys AWS always puts in the request of an IAM
principal and that can be read off its ARN (aws:PrincipalArn,
aws:PrincipalAccount, aws:PrincipalType, aws:username for an IAM user) and the
clock (aws:CurrentTime, aws:EpochTime); the caller's own context wins. Keys that
need IAM's records (aws:userid, aws:PrincipalTag/*) or the network
(aws:SourceIp) come only from the caller.

`RequestContext` reads the same context by key without building it: a compiled
decision (`access.compiled`) asks for a few keys, and the clock is read only when
a policy asks for the time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

Context = Mapping[str, str | bool | Sequence[str]]

_STS_SESSION = ":assumed-role/"


def context_values(context: Context, key: str) -> list[str] | None:
    """The values of a key (case-insensitive), or None when the request has none."""
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            if isinstance(value, bool):
                return ["true" if value else "false"]
            if isinstance(value, str):
                return [value]
            values = [str(v) for v in value]
            return values or None
    return None


def single_value(context: Context, key: str) -> str | None:
    """The value of a single-valued key, for a policy variable; None when missing, empty or multivalued.

    "You can use any single-valued condition key as a variable. You can't use a
    multivalued condition key as a variable." (IAM policy variables.)
    """
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, str):
                return value or None
            return None
    return None


def principal_type(principal_arn: str, caller_arn: str = "") -> str:
    """aws:PrincipalType of an IAM principal: Account (the root), User, AssumedRole (a role's session), or ''."""
    resource = principal_arn.split(":", 5)[-1]
    if resource == "root":
        return "Account"
    if resource.startswith("role/") or _STS_SESSION in principal_arn or _STS_SESSION in caller_arn:
        return "AssumedRole"
    if resource.startswith("user/"):
        return "User"
    return ""


_DERIVED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        "aws:currenttime",
        "aws:epochtime",
    }
)
_ABSENT = object()


_READ_AS_CONTEXT = frozenset({str, bool, list, tuple})
_NAMES = frozenset({str})


class RequestContext:
    """`derived_context(...)` read by key, as `context_values` and `single_value` read it, built lazily.

    The caller's keys are indexed by lower-cased name when a key is first asked for (the first
    spelling of a name wins, as a scan of the context finds it); the derived keys are computed when
    asked for, the clock once.
    """

    __slots__ = ("_account_id", "_caller_arn", "_context", "_given", "_moment", "_now", "_principal_arn")

    def __init__(
        self,
        context: dict[str, str | bool | Sequence[str]],
        principal_arn: str,
        account_id: str,
        caller_arn: str,
        now: datetime | None,
        /,
    ) -> None:
        self._context = context
        self._given: dict[str, object] | None = None
        self._principal_arn = principal_arn
        self._account_id = account_id
        self._caller_arn = caller_arn
        self._now = now
        # The moment of the request, read once when it is made, as the plain reading (derived_context)
        # reads it: a decision near a second's boundary must not depend on when a condition asks.
        self._moment: datetime | None = now or datetime.now(UTC)

    @classmethod
    def of(
        cls, context: Context, principal_arn: str, account_id: str, caller_arn: str = "", now: datetime | None = None
    ) -> RequestContext | None:
        """The context of one request; None when it holds what `Context` does not describe (a key that is
        not a string, a value that is not a string, a boolean, a list or a tuple, a Mapping that is not a
        dict): such a context is left to `derived_context` and the functions that read it."""
        if type(context) is not dict:
            return None
        if not (_READ_AS_CONTEXT.issuperset(map(type, context.values())) and _NAMES.issuperset(map(type, context))):
            return None
        # A list of anything but strings: the plain reading turns each item into a string when a statement
        # reads the key, which can raise; left to it, so that both raise (or not) alike.
        if any(type(v) in (list, tuple) and any(type(i) is not str for i in v) for v in context.values()):
            return None
        return cls(context, principal_arn, account_id, caller_arn, now)

    def _value(self, key: str) -> object:
        """The raw value of a lower-cased key, or _ABSENT."""
        given = self._given
        if given is None:
            # The first spelling of a name wins: the reversed items are written last to first.
            given = self._given = {name.lower(): raw for name, raw in reversed(self._context.items())}
        value = given.get(key, _ABSENT)
        if value is not _ABSENT or key not in _DERIVED_KEYS:
            return value
        if key == "aws:principalarn":
            return self._principal_arn
        if key == "aws:principalaccount":
            return self._account_id
        if key in ("aws:currenttime", "aws:epochtime"):
            if self._moment is None:
                self._moment = self._now or datetime.now(UTC)
            if key == "aws:currenttime":
                return self._moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            return str(int(self._moment.timestamp()))
        kind = principal_type(self._principal_arn, self._caller_arn)
        if key == "aws:principaltype":
            return kind or _ABSENT
        return self._principal_arn.rsplit("/", 1)[-1] if kind == "User" else _ABSENT

    def values(self, key: str) -> list[str] | None:
        """`context_values` of a lower-cased key."""
        value = self._value(key)
        if value is _ABSENT:
            return None
        if value is True or value is False:
            return ["true" if value else "false"]
        if type(value) is str:
            return [value]
        return [str(v) for v in value] or None  # type: ignore[attr-defined]

    def single(self, key: str) -> str | None:
        """`single_value` of a key in any case."""
        value = self._value(key.lower())
        if value is True or value is False:
            return "true" if value else "false"
        if type(value) is str:
            return value or None
        return None


def derived_context(
    context: Context, *, principal_arn: str, account_id: str, caller_arn: str = "", now: datetime | None = None
) -> dict[str, str | bool | Sequence[str]]:
    """The request's context with the keys AWS derives from the principal and the clock added under it."""
    moment = now or datetime.now(UTC)
    kind = principal_type(principal_arn, caller_arn)
    derived: dict[str, str | bool | Sequence[str]] = {
        "aws:PrincipalArn": principal_arn,
        "aws:PrincipalAccount": account_id,
        "aws:CurrentTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(moment.timestamp())),
    }
    if kind:
        derived["aws:PrincipalType"] = kind
    if kind == "User":
        # The friendly name: the last part of the user ARN, without its path.
        derived["aws:username"] = principal_arn.rsplit("/", 1)[-1]
    given = {name.lower() for name in context}
    merged = {name: value for name, value in derived.items() if name.lower() not in given}
    merged.update(context)
    return merged
