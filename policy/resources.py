"""Reading a stack's resources as `pulumi preview` and `pulumi up` hand them to a stack policy.

During a preview an input or output not known yet (an ARN of a resource not created yet) is a sentinel
behind pulumi_policy's unknown-checking proxy, which raises UnknownValueError when read. Every rule reads
through `known`, so a value not known yet is never guessed: the rule skips what depends on it, and runs
again with the real values. What a value is derived from is still known then: Pulumi hands each resource's
property dependencies (`PolicyResource.property_dependencies`, by top-level property), which is how a rule
places an unknown key ARN on the key it comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from access.documents import Document, PolicyParseError, parse_document

T = TypeVar("T")


def known(read: Callable[[], T]) -> tuple[bool, T | None]:
    """(True, the value) when every input it reads is known, else (False, None): not judged in preview."""
    try:
        return True, read()
    except UnknownValueError:
        return False, None


def document_or_none(text: Any) -> Document | None:
    """A policy input as a document; None when it is absent or not one (other rules, and AWS, refuse that)."""
    if text in (None, ""):
        return None
    try:
        return parse_document(text)
    except PolicyParseError:
        return None


def known_string(resource: PolicyResource, name: str) -> tuple[bool, str | None]:
    """A top-level string property: (known, the value or None when absent or not a string)."""
    is_known, value = known(lambda: resource.props.get(name))
    return is_known, value if isinstance(value, str) and value else None


def region_of(resource: PolicyResource) -> str | None:
    """The region a resource is in: its own `region` (pulumi-aws 7 takes one on each resource), else its
    provider's; None when neither is known. An unknown `region` reads as the provider's: in a preview the
    property is computed even when the program left it unset, and a region is a literal in practice."""
    is_known, region = known_string(resource, "region")
    if is_known and region:
        return region
    if resource.provider is not None:
        provider = resource.provider
        is_known, value = known(lambda: provider.props.get("region"))
        if is_known and isinstance(value, str) and value:
            return value
    return None


def derived_from(resource: PolicyResource, name: str, kinds: Iterable[str]) -> list[PolicyResource]:
    """The resources of these types a property's value comes from (Pulumi's property dependencies)."""
    wanted = set(kinds)
    return [r for r in resource.property_dependencies.get(name, []) if r.resource_type in wanted]


__all__ = ["derived_from", "document_or_none", "known", "known_string", "region_of"]
