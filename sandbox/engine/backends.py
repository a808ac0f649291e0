"""Where the handlers' facts come from: invented (plain mocks), or the emulator (`pulumi up` into a Stack).

Both answer the mocks' `register(where, urn, typ, name, inputs) -> (id, state)` for a
custom resource, through the same handler and the same `state()`, in the resource's
region: its `region` input, else the provider's (model.with_region).

An explicit aws provider with a `profile` input deploys its resources with that profile's
credentials, in the profile's account (`provider_account`): the emulator's profile (one
EmulatorCloud per profile), or, invented, the provider's first `allowedAccountIds` entry. As
the real provider does, a provider whose `allowedAccountIds` leaves out the account its
credentials are of fails the deploy, naming both.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from botocore.exceptions import ClientError

from sandbox.engine.errors import NotModelledError, ProviderRefusalError, ResourceOperationError
from sandbox.engine.handlers import handler_for
from sandbox.engine.model import REGION_INPUT, Deployed, Handler, Where, with_region
from sandbox.engine.plan import Action, Change, changed_inputs, plan

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_sts import STSClient


PROFILE_INPUT = "profile"
# The services whose boto3 clients have no type stubs installed (EventBridge, SNS, Application Auto Scaling).
UntypedService = Literal["events", "sns", "application-autoscaling"]
ALLOWED_ACCOUNTS_INPUT = "allowedAccountIds"


class UnresolvedProfileError(NotModelledError):
    """A provider's profile whose account the backend cannot tell."""


class AccountNotAllowedError(ValueError):
    """A provider whose credentials are of an account its allowedAccountIds leaves out."""


def _allowed_accounts(inputs: Mapping[str, Any]) -> list[str]:
    """allowedAccountIds as a provider resource receives it: a JSON-encoded list (the engine passes
    provider configuration that is not a string as JSON text), or a list."""
    given = inputs.get(ALLOWED_ACCOUNTS_INPUT) or []
    if isinstance(given, str):
        given = json.loads(given)
    return [str(a) for a in given]


def check_allowed(name: str, inputs: Mapping[str, Any], account_id: str) -> None:
    """The real provider's check: its credentials' account must be among allowedAccountIds, when given."""
    allowed = _allowed_accounts(inputs)
    if allowed and account_id not in allowed:
        raise AccountNotAllowedError(
            f"provider {name!r}: AWS account ID not allowed: {account_id} "
            f"(its credentials' account; allowedAccountIds: {', '.join(allowed)})"
        )


class InventedBackend:
    """Facts invented from the resource's name and inputs: the same on every run, nothing created."""

    def provider_account(self, name: str, inputs: Mapping[str, Any], where: Where) -> str:
        """The account an explicit provider deploys into: a profile's is its first allowedAccountIds entry."""
        profile = inputs.get(PROFILE_INPUT)
        if not profile:
            check_allowed(name, inputs, where.account_id)
            return where.account_id
        allowed = _allowed_accounts(inputs)
        if not allowed:
            raise UnresolvedProfileError(
                f"provider {name!r}: the plain mocks cannot tell the account of profile {profile!r}; "
                "give the provider allowedAccountIds (its first entry is taken as the profile's account)"
            )
        return allowed[0]

    def register(
        self,
        where: Where,
        urn: str,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        ignore_changes: Sequence[str] = (),
    ) -> tuple[str, dict[str, Any]]:
        handler = handler_for(typ, name)
        inputs = with_region(handler, handler.normalise(inputs), where.region)
        here = where.in_region(inputs[REGION_INPUT]) if handler.regional else where
        resource_id, computed = handler.state(handler.invent(name, inputs, here), inputs)
        return resource_id, {**inputs, **computed}


class Endpoint(Protocol):
    """Where the engine deploys, as the deployer: sandbox.emulator.server.Emulator."""

    @property
    def region(self) -> str: ...
    def session(self, profile: str | None = None) -> Session: ...
    @overload
    def client(self, service: Literal["dynamodb"], session: Session | None = None) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["iam"], session: Session | None = None) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"], session: Session | None = None) -> KMSClient: ...
    @overload
    def client(self, service: Literal["sts"], session: Session | None = None) -> STSClient: ...
    @overload
    def client(self, service: UntypedService, session: Session | None = None) -> Any: ...


@dataclass
class Stack:
    """What is deployed in the emulator, by URN, in creation order: the sandbox's `pulumi` state."""

    emulator: Endpoint
    name: str = "dev"
    resources: dict[str, Deployed] = field(default_factory=dict)
    # Replaced resources whose deletion AWS refused: deleted first by the next finish (as Pulumi keeps
    # them in its state, marked for deletion).
    pending_deletes: list[Deployed] = field(default_factory=list)
    # The profile each resource was deployed with, by URN, for those deployed through a provider's profile.
    profiles: dict[str, str] = field(default_factory=dict)


class EmulatorCloud:
    """The handlers' clients of the emulator in one region, as the deployer.

    Those of the emulator's region are made up front, those of another region (a resource's
    `region` input) on its first use, under a lock: boto3 sessions are not thread-safe and the
    program registers resources from a thread pool. Every region's clients share one registry.
    """

    def __init__(
        self, emulator: Endpoint, *, home: EmulatorCloud | None = None, region: str = "", profile: str = ""
    ) -> None:
        self._emulator = emulator
        self.profile = profile
        if home is None:
            self._session = emulator.session(profile or None)
            self.region: str = emulator.region
            identity = emulator.client("sts", self._session).get_caller_identity()
            self.account_id: str = identity["Account"]
            self.deployer_arn: str = identity["Arn"]
            self._regions: dict[str, EmulatorCloud] = {self.region: self}
            self._profiles: dict[str, EmulatorCloud] = {}  # other profiles' clouds, by profile
            self._lock = threading.Lock()
        else:
            self._session = home._session_in(region)
            self.profile = home.profile
            self.region = region
            self.account_id, self.deployer_arn = home.account_id, home.deployer_arn
            self._regions, self._profiles, self._lock = home._regions, home._profiles, home._lock
        self.kms: KMSClient = emulator.client("kms", self._session)
        self.dynamodb: DynamoDBClient = emulator.client("dynamodb", self._session)
        self.iam: IAMClient = emulator.client("iam", self._session)
        self._more_clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def _client(self, service: UntypedService) -> Any:
        """A client of a service only some handlers call, made on first use (a boto3 client takes time)."""
        with self._clients_lock:
            client = self._more_clients.get(service)
            if client is None:
                client = self._more_clients[service] = self._emulator.client(service, self._session)
            return client

    @property
    def events(self) -> Any:
        return self._client("events")

    @property
    def sns(self) -> Any:
        return self._client("sns")

    @property
    def autoscaling(self) -> Any:
        return self._client("application-autoscaling")

    def _session_in(self, region: str) -> Session:
        """A session of the same deployer for another region (the emulator serves every region of its partition)."""
        import boto3

        credentials = self._session.get_credentials()
        if credentials is None:
            raise RuntimeError("the deployer's session has no credentials")
        frozen = credentials.get_frozen_credentials()
        return boto3.session.Session(
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
            region_name=region,
        )

    def in_region(self, region: str) -> EmulatorCloud:
        """The deployer's clients in that region."""
        with self._lock:
            cloud = self._regions.get(region)
            if cloud is None:
                cloud = self._regions[region] = EmulatorCloud(self._emulator, home=self, region=region)
            return cloud

    def for_profile(self, profile: str) -> EmulatorCloud:
        """The clients of another profile's account (made once per profile); this cloud for ""."""
        if not profile or profile == self.profile:
            return self
        with self._lock:
            cloud = self._profiles.get(profile)
        if cloud is None:
            try:
                cloud = EmulatorCloud(self._emulator, profile=profile)
            except ValueError as unknown:  # the emulator's UnknownProfileError
                raise UnresolvedProfileError(f"the emulator cannot resolve profile {profile!r}: {unknown}") from None
            with self._lock:
                cloud = self._profiles.setdefault(profile, cloud)
        return cloud

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
    # Deleted before a resource they depend on was deleted to be replaced: made again as a replacement.
    dependents_deleted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_stack(cls, stack: Stack) -> EmulatorBackend:
        return cls(stack, EmulatorCloud(stack.emulator))

    def provider_account(self, name: str, inputs: Mapping[str, Any], where: Where) -> str:
        """The account of the credentials an explicit provider deploys with (its profile's, else the deployer's)."""
        account = self.cloud.for_profile(str(inputs.get(PROFILE_INPUT) or "")).account_id
        check_allowed(name, inputs, account)
        return account

    def register(
        self,
        where: Where,
        urn: str,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        ignore_changes: Sequence[str] = (),
    ) -> tuple[str, dict[str, Any]]:
        handler = handler_for(typ, name)
        before = self.stack.resources.get(urn)
        step = plan(
            handler, before, name, with_region(handler, handler.normalise(inputs), where.region), ignore_changes
        )
        recorded = dict(step.inputs)  # as the provider records them
        profile = self.stack.profiles.get(urn, where.profile) if before is not None else where.profile
        cloud = self._cloud(handler, recorded, profile)
        if before is None:
            with refused("creating", handler, name):
                facts = handler.create(name, recorded, cloud)
        elif step.action is Action.SAME:
            facts = before.facts
        elif step.action is Action.REPLACE:
            fixed_name = handler.fixed_name_input and recorded.get(handler.fixed_name_input)
            if fixed_name or handler.rules.delete_before_replace:
                # A fixed name is taken until the old one goes; what depends on it goes first.
                self._delete_dependents(before)
                with refused("deleting", handler, name, before.id):
                    handler.delete(before, self._cloud(handler, before.inputs, profile))
            else:
                with self.lock:
                    self.replaced.append(before)
            with refused("creating", handler, name):
                facts = handler.create(name, recorded, cloud)
        else:
            with refused("updating", handler, name, before.id):
                facts = handler.update(before, recorded, step.changed, cloud)
        resource_id, computed = handler.state(facts, recorded)
        state = {**recorded, **computed}
        with self.lock:
            self.stack.resources[urn] = Deployed(urn, typ, name, recorded, resource_id, state, facts)
            if profile:
                self.stack.profiles[urn] = profile
            self.seen.add(urn)
            if urn in self.dependents_deleted:
                self.changes.append(Change(Action.REPLACE, typ, name, "depends on a resource replaced"))
            else:
                self.changes.append(Change(step.action, typ, name, step.detail))
        return resource_id, state

    def _delete_dependents(self, replaced: Deployed) -> None:
        """Before a resource is deleted to be replaced (delete before replace), the deployed resources that
        a replacement of it replaces too, newest first, as Pulumi's dependent replacements go first: those
        with an input their provider replaces on holding the replaced one's id, ARN or name, and theirs in
        turn. They are created again when the program registers them (shown as replaced)."""
        with self.lock:
            deployed = list(self.stack.resources.values())
        going: list[Deployed] = []
        frontier = [replaced]
        while frontier:
            current = frontier.pop()
            handler = handler_for(current.typ, current.name)
            _, computed = handler.state(current.facts, current.inputs)
            values = {current.id, *(str(computed[k]) for k in ("arn", "name") if computed.get(k))} - {""}
            for other in deployed:
                if other.urn in {replaced.urn, *(g.urn for g in going)}:
                    continue
                rules = handler_for(other.typ, other.name).rules
                held = (other.inputs.get(k) for k in rules.replace_on - {REGION_INPUT})
                if any(isinstance(value, str) and value in values for value in held):
                    going.append(other)
                    frontier.append(other)
        order = {d.urn: position for position, d in enumerate(deployed)}
        for dependent in sorted(going, key=lambda d: order[d.urn], reverse=True):
            handler = handler_for(dependent.typ, dependent.name)
            profile = self.stack.profiles.get(dependent.urn, "")
            with refused("deleting", handler, dependent.name, dependent.id):
                handler.delete(dependent, self._cloud(handler, dependent.inputs, profile))
            with self.lock:
                self.stack.resources.pop(dependent.urn, None)
                self.stack.profiles.pop(dependent.urn, None)
                self.dependents_deleted.add(dependent.urn)

    def _cloud(self, handler: Handler[Any], inputs: Mapping[str, Any], profile: str = "") -> EmulatorCloud:
        """The clients of the account (profile) and region the resource is (or is to be) in."""
        cloud = self.cloud.for_profile(profile)
        region = inputs.get(REGION_INPUT) if handler.regional else None
        return cloud.in_region(str(region)) if region else cloud

    def finish(self) -> None:
        """Delete what was replaced, then what the program no longer registers, newest first, each in its region.

        A delete AWS refuses stops there (ResourceOperationError), as `pulumi up` stops: a resource the
        program no longer registers stays in the state, a replaced one waits in Stack.pending_deletes;
        the next finish tries them again, first."""
        earlier = {id(old) for old in self.stack.pending_deletes}
        pending, self.stack.pending_deletes = [*self.stack.pending_deletes, *reversed(self.replaced)], []
        self.replaced = []
        for position, old in enumerate(pending):
            handler = handler_for(old.typ, old.name)
            try:
                with refused("deleting", handler, old.name, old.id):
                    handler.delete(old, self._cloud(handler, old.inputs, self.stack.profiles.get(old.urn, "")))
            except ResourceOperationError:
                self.stack.pending_deletes = pending[position:]
                raise
            if id(old) in earlier:
                self.changes.append(Change(Action.DELETE, old.typ, old.name, f"replaced earlier ({old.id})"))
        for urn in reversed(list(self.stack.resources)):
            if urn in self.seen:
                continue
            gone = self.stack.resources[urn]
            handler = handler_for(gone.typ, gone.name)
            with refused("deleting", handler, gone.name, gone.id):
                handler.delete(gone, self._cloud(handler, gone.inputs, self.stack.profiles.get(urn, "")))
            del self.stack.resources[urn]
            self.stack.profiles.pop(urn, None)
            self.changes.append(Change(Action.DELETE, gone.typ, gone.name))

    def destroy(self) -> list[Change]:
        """`pulumi destroy`: every resource of the stack deleted, newest first, each as its deployer in its
        region (a key's deletion scheduled: engine.kms); the changes."""
        self.seen.clear()
        self.finish()
        return self.changes

    def refresh(self) -> list[Change]:
        """`pulumi refresh`: each resource read back from the emulator (Handler.read), in creation order.

        One gone is removed from the state (the provider's Read finds nothing), as the next `up` then
        creates it again; one changed out of band has its state's inputs replaced by what was read, so
        that the next `up` plans the change back (an update in place, or a replacement). Types whose
        handler reads nothing keep their state. The changes, as `pulumi refresh` lists them."""
        found: list[Change] = []
        for urn, old in list(self.stack.resources.items()):
            handler = handler_for(old.typ, old.name)
            with refused("reading", handler, old.name, old.id):
                read = handler.read(old, self._cloud(handler, old.inputs, self.stack.profiles.get(urn, "")))
            if read is None:
                del self.stack.resources[urn]
                self.stack.profiles.pop(urn, None)
                found.append(Change(Action.DELETE, old.typ, old.name, "deleted out of band"))
                continue
            drifted = changed_inputs(old.inputs, read)
            if not drifted:
                found.append(Change(Action.SAME, old.typ, old.name))
                continue
            resource_id, computed = handler.state(old.facts, read)
            self.stack.resources[urn] = replace(old, inputs=read, id=resource_id, state={**read, **computed})
            found.append(Change(Action.UPDATE, old.typ, old.name, f"changed out of band: {', '.join(sorted(drifted))}"))
        return found


@contextmanager
def refused(operation: str, handler: Handler[Any], name: str, resource_id: str = "") -> Iterator[None]:
    """AWS's refusal (a ClientError) or the provider's, as the ResourceOperationError that stops the deploy."""
    try:
        yield
    except ClientError as error:
        detail = error.response.get("Error", {})
        code, message = str(detail.get("Code", "")), str(detail.get("Message", ""))
        hint = handler.refusal_hint(operation, code)
        raise ResourceOperationError(operation, handler.typ, name, resource_id, code, message, hint) from error
    except ProviderRefusalError as error:
        raise ResourceOperationError(operation, handler.typ, name, resource_id, "", str(error)) from error
