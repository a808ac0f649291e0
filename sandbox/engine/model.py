"""The contract of a resource handler, and what the engine keeps of each deployed resource.

A handler models one resource type once, for both ways the sandbox runs a program:
- `invent(name, inputs, where)`: the physical facts the provider would produce
  (ids, ARNs, generated names), invented deterministically, for the plain mocks of
  the unit tests and `python -m sandbox plan`;
- `create` / `update` / `delete`: the same facts made real in the emulator with boto3;
- `state(facts, inputs)`: the resource's id and what the provider adds to its inputs,
  the same function of the facts whichever way they were obtained.

A regional resource exists in the region its pulumi-aws 7 input `region` names, the
provider's region when unset: the engine gives `invent` a Where, and `create` / `update` /
`delete` a Cloud, of that region (`with_region` records it in the inputs, as the provider
records it in the state).

Which inputs force a replacement and which are updated in place is the provider's,
read from one table (engine.provider_rules) by `Handler.rules`; a handler adds only
`not_modelled`, the in-place updates it cannot make in the emulator. A change to any
other input, or to one of those, stops the deploy (engine.plan).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from sandbox.engine.provider_rules import PROVIDER_RULES, ProviderRules

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient

Inputs = Mapping[str, Any]  # as the program sent them, in the provider's camelCase names


def digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def uuid_like(*parts: str) -> str:
    h = digest(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Where:
    """The account, region and partition the plain mocks invent resources in, and how they name them.

    A record of its own beside access.arns.Location (docs/layout.md): the harness builds it
    positionally in its own order (account, region, partition), and it adds the engine's naming."""

    account_id: str
    region: str
    partition: str
    # The named profile an explicit provider deploys with ("" for the deployer's own credentials): its
    # resources are in the profile's account (account_id).
    profile: str = ""

    def autoname(self, name: str) -> str:
        """A physical name as Pulumi makes one, with a suffix that is the same on every run."""
        return f"{name}-{digest(name, length=7)}"

    def in_region(self, region: str) -> Where:
        return replace(self, region=region)

    def in_account(self, account_id: str, profile: str) -> Where:
        return replace(self, account_id=account_id, profile=profile)


class Cloud(Protocol):
    """Where create, update and delete happen: boto3 clients of the emulator, in one region."""

    @property
    def region(self) -> str: ...
    @property
    def kms(self) -> KMSClient: ...
    @property
    def dynamodb(self) -> DynamoDBClient: ...
    @property
    def iam(self) -> IAMClient: ...
    # EventBridge, SNS and Application Auto Scaling: boto3 clients, untyped (no stubs installed for them).
    @property
    def events(self) -> Any: ...
    @property
    def sns(self) -> Any: ...
    @property
    def autoscaling(self) -> Any: ...
    @property
    def account_id(self) -> str: ...
    def autoname(self, name: str) -> str:
        """A physical name as Pulumi makes one: the logical name and a random suffix."""
        ...

    def in_region(self, region: str) -> Cloud:
        """The same deployer's clients in another region (a replica's, a multi-Region key's primary)."""
        ...


@dataclass
class Deployed:
    """A resource in the sandbox's state, as Pulumi's state keeps it, with its handler's facts."""

    urn: str
    typ: str
    name: str
    inputs: dict[str, Any]
    id: str
    state: dict[str, Any]
    facts: Any  # the handler's facts; each handler knows its own type


F = TypeVar("F")


class Handler(ABC, Generic[F]):
    """One resource type: its facts invented, or made real in the emulator, and its state from them."""

    typ: str
    # Inputs the provider updates in place that this handler cannot change in the
    # emulator, with why: a change to one stops the deploy.
    not_modelled: Mapping[str, str] = MappingProxyType({})
    # Replacing deletes the old resource first when this input fixes its physical name.
    fixed_name_input: str = "name"
    # A regional resource takes the pulumi-aws 7 input `region` (default: the provider's region) and
    # exists there; IAM is global.
    regional: bool = True

    @property
    def rules(self) -> ProviderRules:
        """What the provider replaces on, updates in place and only stores (engine.provider_rules)."""
        return PROVIDER_RULES[self.typ]

    @abstractmethod
    def invent(self, name: str, inputs: Inputs, where: Where) -> F:
        """The facts the provider would produce, invented deterministically (plain mocks)."""

    @abstractmethod
    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> F:
        """Create the resource in the emulator; its facts."""

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> F:
        """Apply the changed inputs (all of them in `rules.in_place`) in place; the new facts.

        Default: nothing to call, the facts stay (inputs the provider only stores).
        """
        return cast(F, old.facts)

    @abstractmethod
    def delete(self, old: Deployed, cloud: Cloud) -> None:
        """Delete the resource from the emulator."""

    @abstractmethod
    def state(self, facts: F, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        """(id, what the provider adds to the inputs) of a resource with these facts."""

    def normalise(self, inputs: Inputs) -> dict[str, Any]:
        """The inputs as the provider records them in its plan and state (its StateFuncs).

        Default: as the program gave them."""
        return dict(inputs)

    def read(self, old: Deployed, cloud: Cloud) -> dict[str, Any] | None:
        """`pulumi refresh`: the deployed inputs with what the provider's Read finds in the emulator in place
        of what it reads back, or None when the resource is gone (the provider removes it from the state).

        Default: nothing read (the sandbox models no drift of this type): the deployed inputs."""
        return dict(old.inputs)

    def refusal_hint(self, operation: str, code: str) -> str:
        """What to do when AWS refuses `operation` ("creating", "updating", "deleting") with `code`; "" if
        nothing more than AWS's message can be said."""
        return ""


REGION_INPUT = "region"


def with_region(handler: Handler[Any], inputs: Mapping[str, Any], default: str) -> dict[str, Any]:
    """The inputs with a regional resource's effective region, as the provider records it: the `region`
    input, else the provider's region (so that leaving it unset or naming the provider's region is the
    same resource, as the provider's CustomizeDiff says)."""
    if not handler.regional:
        return dict(inputs)
    return {**inputs, REGION_INPUT: inputs.get(REGION_INPUT) or default}


def physical_name(name: str, inputs: Inputs, namer: Where | Cloud) -> str:
    """The `name` input if the program gave one, else a name Pulumi would generate."""
    return str(inputs.get("name") or namer.autoname(name))


def tag_list(inputs: Inputs, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: str(v)} for k, v in (inputs.get("tags") or {}).items()]


@dataclass(frozen=True)
class TagChange:
    """What the provider's tag update calls: tag with the new or changed tags, untag the removed keys."""

    set: dict[str, str]
    removed: list[str]

    def tags(self, key: str = "Key", value: str = "Value") -> list[Any]:
        """As each service's TagResource takes them (boto3 types each service's tags apart)."""
        return [{key: k, value: v} for k, v in self.set.items()]

    def apply(self, untag: Callable[..., object], tag: Callable[..., object], *, tags: Any = None, **on: str) -> None:
        """The update through a service's UntagResource and TagResource, `on` naming the resource as that service
        does (ResourceArn=..., KeyId=...): the removed keys untagged, then the new or changed tags set, in the
        form `tags` gives (default: a Key/Value list)."""
        if self.removed:
            untag(**on, TagKeys=self.removed)
        if self.set:
            tag(**on, Tags=self.tags() if tags is None else tags)


def tag_change(old: Inputs, new: Inputs) -> TagChange:
    before = {k: str(v) for k, v in (old.get("tags") or {}).items()}
    after = {k: str(v) for k, v in (new.get("tags") or {}).items()}
    return TagChange(
        {k: v for k, v in after.items() if before.get(k) != v}, sorted(k for k in before if k not in after)
    )


def as_int(value: Any) -> int:
    return int(value)  # the SDK hands numbers over as floats
