"""Where the handlers' facts come from: invented (plain mocks), or the emulator (`pulumi up` into a Stack).

Both answer the mocks' `register(where, urn, typ, name, inputs) -> (id, state)` for a
custom resource, through the same handler and the same `state()`.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from sandbox.engine.handlers import handler_for
from sandbox.engine.model import Deployed, Where
from sandbox.engine.plan import Action, Change, plan

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sts import STSClient


class InventedBackend:
    """Facts invented from the resource's name and inputs: the same on every run, nothing created."""

    def register(
        self, where: Where, urn: str, typ: str, name: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        handler = handler_for(typ, name)
        resource_id, computed = handler.state(handler.invent(name, inputs, where), inputs)
        return resource_id, {**inputs, **computed}


class Endpoint(Protocol):
    """Where the engine deploys, as the deployer: sandbox.emulator.server.Emulator."""

    @property
    def region(self) -> str: ...
    def session(self) -> Session: ...
    @overload
    def client(self, service: Literal["dynamodb"], session: Session | None = None) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["iam"], session: Session | None = None) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"], session: Session | None = None) -> KMSClient: ...
    @overload
    def client(self, service: Literal["sts"], session: Session | None = None) -> STSClient: ...


@dataclass
class Stack:
    """What is deployed in the emulator, by URN, in creation order: the sandbox's `pulumi` state."""

    emulator: Endpoint
    name: str = "dev"
    resources: dict[str, Deployed] = field(default_factory=dict)


class EmulatorCloud:
    """The handlers' clients of the emulator, as the deployer; made up front (boto3 sessions are not thread-safe)."""

    def __init__(self, emulator: Endpoint) -> None:
        session = emulator.session()
        self.kms: KMSClient = emulator.client("kms", session)
        self.dynamodb: DynamoDBClient = emulator.client("dynamodb", session)
        self.iam: IAMClient = emulator.client("iam", session)
        identity = emulator.client("sts", session).get_caller_identity()
        self.account_id: str = identity["Account"]
        self.deployer_arn: str = identity["Arn"]

    def autoname(self, name: str) -> str:
        # As Pulumi: the logical name and a random suffix, new for each physical resource.
        return f"{name}-{uuid.uuid4().hex[:7]}"


@dataclass
class EmulatorBackend:
    """`pulumi up` into the emulator: each resource created, kept, updated or replaced against the Stack.

    finish() then deletes what was replaced and what the program no longer registers.
    """

    stack: Stack
    cloud: EmulatorCloud
    changes: list[Change] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    # Replaced resources: deleted once the program has run, as Pulumi does.
    replaced: list[Deployed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_stack(cls, stack: Stack) -> EmulatorBackend:
        return cls(stack, EmulatorCloud(stack.emulator))

    def register(
        self, where: Where, urn: str, typ: str, name: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        handler = handler_for(typ, name)
        before = self.stack.resources.get(urn)
        step = plan(handler, before, name, inputs)
        recorded = dict(step.inputs)  # as the provider records them
        if before is None:
            facts = handler.create(name, recorded, self.cloud)
        elif step.action is Action.SAME:
            facts = before.facts
        elif step.action is Action.REPLACE:
            fixed_name = handler.fixed_name_input and recorded.get(handler.fixed_name_input)
            if fixed_name or handler.rules.delete_before_replace:
                handler.delete(before, self.cloud)  # a fixed name is taken until the old one goes
            else:
                with self.lock:
                    self.replaced.append(before)
            facts = handler.create(name, recorded, self.cloud)
        else:
            facts = handler.update(before, recorded, step.changed, self.cloud)
        resource_id, computed = handler.state(facts, recorded)
        state = {**recorded, **computed}
        with self.lock:
            self.stack.resources[urn] = Deployed(urn, typ, name, recorded, resource_id, state, facts)
            self.seen.add(urn)
            self.changes.append(Change(step.action, typ, name, step.detail))
        return resource_id, state

    def finish(self) -> None:
        """Delete what was replaced, then what the program no longer registers, newest first."""
        for old in reversed(self.replaced):
            handler_for(old.typ, old.name).delete(old, self.cloud)
        for urn in reversed(list(self.stack.resources)):
            if urn in self.seen:
                continue
            gone = self.stack.resources.pop(urn)
            handler_for(gone.typ, gone.name).delete(gone, self.cloud)
            self.changes.append(Change(Action.DELETE, gone.typ, gone.name))
