"""Pulumi mocks that record every resource and invoke, and ask a backend what AWS would compute.

Used by the unit tests (tests/conftest.py), by `python -m sandbox plan` and, with the
engine's emulator backend, by `pulumi up` into the emulator (sandbox.harness.deploy).
Every input is kept as the program sent it, in the provider's camelCase names; only
the computed values (ids, ARNs, names) come from the backend: invented by default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from access import provider_types
from sandbox.emulator.account import ACCOUNT_ID, PARTITION, REGION
from sandbox.engine import InventedBackend, NotModelledError, Where

# The deployer as `aws sts get-caller-identity` shows a CI role: an STS session
# of a role that has a path. The key policy must name the role, path included.
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/Deployer/ci-session"
ISSUER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/platform/Deployer"


class UnsupportedInvokeError(NotModelledError):
    """The program called an invoke the mocks do not answer."""


class Backend(Protocol):
    """What gives a custom resource its id and state: invented, or deployed (sandbox.engine)."""

    def register(
        self,
        where: Where,
        urn: str,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        ignore_changes: Sequence[str] = (),
    ) -> tuple[str, dict[str, Any]]: ...

    def provider_account(self, name: str, inputs: dict[str, Any], where: Where) -> str:
        """The account an explicit aws provider deploys into (its `profile`'s, checked against allowedAccountIds)."""
        ...


@dataclass(frozen=True)
class RecordedResource:
    urn: str
    typ: str
    name: str
    parent: str  # parent URN; "" for the stack's direct children
    custom: bool
    inputs: dict[str, Any]
    id: str
    state: dict[str, Any]


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Records each resource and invoke; answers the invokes as the deployer in this account and region."""

    account_id: str = ACCOUNT_ID
    region: str = REGION
    partition: str = PARTITION
    caller_arn: str = CALLER_ARN
    issuer_arn: str = ISSUER_ARN
    backend: Backend = field(default_factory=InventedBackend)
    resources: list[RecordedResource] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # (urn, parent urn) of the registration in progress, per thread: the SDK
    # registers resources concurrently from a thread pool, and RecordingMonitor
    # sets this on the thread that then calls new_resource.
    registering: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Where each explicit aws provider puts its resources, by provider reference ("<urn>::<id>"): its
    # region (a resource it manages is there unless its own `region` input names another), its profile
    # and that profile's account.
    provider_places: dict[str, Where] = field(default_factory=dict)

    @property
    def where(self) -> Where:
        return Where(self.account_id, self.region, self.partition)

    # -- resources -----------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        urn, parent, ignore_changes = getattr(self.registering, "current", ("", "", ()))
        inputs = dict(args.inputs)
        if args.custom:
            with self.lock:
                where = self.provider_places.get(args.provider or "", self.where)
            if args.typ == provider_types.PROVIDER:
                # Checked before anything is registered, as the real provider fails to configure.
                account = self.backend.provider_account(args.name, inputs, where)
            resource_id, state = self.backend.register(where, urn, args.typ, args.name, inputs, ignore_changes)
            if args.typ == provider_types.PROVIDER:
                place = self.where.in_account(account, str(inputs.get("profile") or ""))
                if inputs.get("region"):
                    place = place.in_region(str(inputs["region"]))
                with self.lock:
                    self.provider_places[f"{urn}::{resource_id}"] = place
        else:  # a component: nothing to compute
            resource_id, state = "", {}
        with self.lock:
            self.resources.append(
                RecordedResource(urn, args.typ, args.name, parent, bool(args.custom), inputs, resource_id, state)
            )
        return resource_id, state

    # -- invokes -------------------------------------------------------------

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        with self.lock:
            self.invokes.append((args.token, dict(args.args)))
        answers: dict[str, Callable[[], dict[str, Any]]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
                "accountId": self.account_id,
                "arn": self.caller_arn,
                "userId": "AROAEXAMPLE:ci-session",
                "id": self.account_id,
            },
            "aws:index/getRegion:getRegion": lambda: {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            },
            "aws:index/getPartition:getPartition": lambda: {
                "partition": self.partition,
                "dnsSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
                "id": self.partition,
                "reverseDnsPrefix": "com.amazonaws",
            },
            "aws:iam/getSessionContext:getSessionContext": lambda: {
                "arn": args.args.get("arn"),
                "issuerArn": self.issuer_arn if args.args.get("arn") == self.caller_arn else args.args.get("arn"),
                "issuerName": self.issuer_arn.rsplit("/", 1)[-1],
                "id": args.args.get("arn"),
            },
        }
        answer = answers.get(args.token)
        if answer is None:
            raise UnsupportedInvokeError(f"invoke {args.token!r} is not modelled by the mocks")
        return answer(), []

    # -- queries for tests and the plan --------------------------------------

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> RecordedResource:
        found = self.of_type(typ)
        if len(found) != 1:
            raise AssertionError(f"expected one {typ}, found {[r.name for r in found]}")
        return found[0]


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, telling the mocks each resource's URN and parent."""

    mocks: RecordingMocks

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.mocks.registering.current = (urn, request.parent, tuple(request.ignoreChanges))
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]
