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
