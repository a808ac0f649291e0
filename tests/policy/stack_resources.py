"""Stack resources as the analyzer hands them to a stack policy: props behind pulumi_policy's unknown-checking
proxy (UNKNOWN is a value not known during preview), a provider with its region, and the property
dependencies Pulumi records (which resources a property's value comes from)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from access.provider_types import PROVIDER
from policy.policies import POLICIES

UNKNOWN = UNKNOWN_STRING_VALUE
STACK_RULES = {p.name: p for p in POLICIES if isinstance(p, StackValidationPolicy)}
OPTIONS = PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
    additional_secret_outputs=[],
)


def provider(region: str | None) -> PolicyProviderResource | None:
    if region is None:
        return None
    props = unknown_checking_proxy({"region": region})
    return PolicyProviderResource(PROVIDER, props, f"urn:pulumi:dev::encrypted-dynamodb::{PROVIDER}::{region}", region)


def urn_of(kind: str, name: str) -> str:
    return f"urn:pulumi:dev::encrypted-dynamodb::{kind}::{name}"


def resource(
    kind: str,
    name: str,
    props: dict[str, Any],
    *,
    region: str | None = "us-east-1",
    derived: dict[str, Sequence[PolicyResource]] | None = None,
) -> PolicyResource:
    """A resource of the stack; region: its provider's (None: no provider); derived: property -> the
    resources its value comes from."""
    dependencies = {name: list(sources) for name, sources in (derived or {}).items()}
    return PolicyResource(
        kind,
        unknown_checking_proxy(props),
        urn_of(kind, name),
        name,
        OPTIONS,
        provider(region),
        None,
        [r for sources in dependencies.values() for r in sources],
        dependencies,
    )


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def reported(rule: str, resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    """(message, urn) the named stack rule reported, as the analyzer runs it."""
    found: list[tuple[str, str | None]] = []
    STACK_RULES[rule].validate(
        StackValidationArgs(resources),
        lambda message, urn=None: found.append((message, urn)),
    )
    return found
