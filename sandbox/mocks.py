"""Pulumi mocks that record every resource and fill in what AWS would compute.

Used by the unit tests (tests/conftest.py) and by `python -m sandbox plan`.
Only the computed values are invented (ids, ARNs, names); every input is kept
as the program sent it, in the provider's camelCase names.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from sandbox.emulator.account import ACCOUNT_ID, PARTITION, REGION

# The deployer as `aws sts get-caller-identity` shows a CI role: an STS session
# of a role that has a path. The key policy must name the role, path included.
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/Deployer/ci-session"
ISSUER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/platform/Deployer"


class UnsupportedResourceTypeError(Exception):
    """The program asked for a resource type or invoke the mocks do not model."""


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


def _digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid_like(*parts: str) -> str:
    h = _digest(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    account_id: str = ACCOUNT_ID
    region: str = REGION
    partition: str = PARTITION
    caller_arn: str = CALLER_ARN
    issuer_arn: str = ISSUER_ARN
    resources: list[RecordedResource] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # (urn, parent urn) of the registration in progress, per thread: the SDK
    # registers resources concurrently from a thread pool, and RecordingMonitor
    # sets this on the thread that then calls new_resource.
    registering: threading.local = field(default_factory=threading.local)

    # -- resources -----------------------------------------------------------

    def _autoname(self, inputs: dict[str, Any], name: str) -> str:
        return inputs.get("name") or f"{name}-{_digest(name, length=7)}"

    def _computed(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """What the provider would add to the inputs: (id, extra state)."""
        acct, region, part = self.account_id, self.region, self.partition
        handlers: dict[str, Callable[[], tuple[str, dict[str, Any]]]] = {
            "aws:kms/key:Key": lambda: (
                key_id := _uuid_like("key", name),
                {"keyId": key_id, "arn": f"arn:{part}:kms:{region}:{acct}:key/{key_id}"},
            ),
            "aws:kms/alias:Alias": lambda: (
                inputs["name"],
                {
                    "arn": f"arn:{part}:kms:{region}:{acct}:{inputs['name']}",
                    "targetKeyArn": f"arn:{part}:kms:{region}:{acct}:key/{inputs.get('targetKeyId')}",
                },
            ),
            "aws:kms/grant:Grant": lambda: (
                f"{inputs.get('keyId')}:{(grant_id := _digest('grant', name, length=64))}",
                {"grantId": grant_id, "grantToken": _digest("token", name, length=64)},
            ),
            "aws:dynamodb/table:Table": lambda: (
                table := self._autoname(inputs, name),
                {"name": table, "arn": f"arn:{part}:dynamodb:{region}:{acct}:table/{table}"},
            ),
            "aws:iam/role:Role": lambda: (
                role := self._autoname(inputs, name),
                {
                    "name": role,
                    "arn": f"arn:{part}:iam::{acct}:role{inputs.get('path', '/')}{role}",
                    "uniqueId": "AROA" + _digest(name, length=16).upper(),
                },
            ),
            "aws:iam/user:User": lambda: (
                user := self._autoname(inputs, name),
                {
                    "name": user,
                    "arn": f"arn:{part}:iam::{acct}:user{inputs.get('path', '/')}{user}",
                    "uniqueId": "AIDA" + _digest(name, length=16).upper(),
                },
            ),
            "aws:iam/accessKey:AccessKey": lambda: (
                "AKIA" + _digest("akid", name, length=16).upper(),
                {"secret": _digest("secret", name, length=40), "status": "Active"},
            ),
            "aws:iam/rolePolicy:RolePolicy": lambda: (
                f"{inputs.get('role')}:{(policy := self._autoname(inputs, name))}",
                {"name": policy},
            ),
            "aws:iam/userPolicy:UserPolicy": lambda: (
                f"{inputs.get('user')}:{(policy := self._autoname(inputs, name))}",
                {"name": policy},
            ),
            # An explicit provider (e.g. another region): nothing to compute.
            "pulumi:providers:aws": lambda: (_uuid_like("provider", name), {}),
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda: (f"{inputs.get('role')}-{_digest(name)}", {}),
            "aws:iam/userPolicyAttachment:UserPolicyAttachment": lambda: (f"{inputs.get('user')}-{_digest(name)}", {}),
        }
        handler = handlers.get(typ)
        if handler is None:
            raise UnsupportedResourceTypeError(
                f"resource type {typ!r} (resource {name!r}) is not modelled by the mocks"
            )
        return handler()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        urn, parent = getattr(self.registering, "current", ("", ""))
        if args.custom:
            resource_id, extra = self._computed(args.typ, args.name, args.inputs)
            state = {**args.inputs, **extra}
        else:  # a component: nothing to compute
            resource_id, state = "", {}
        self.resources.append(
            RecordedResource(urn, args.typ, args.name, parent, bool(args.custom), dict(args.inputs), resource_id, state)
        )
        return resource_id, state

    # -- invokes -------------------------------------------------------------

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
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
            raise UnsupportedResourceTypeError(f"invoke {args.token!r} is not modelled by the mocks")
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
        self.mocks.registering.current = (self.make_urn(request.parent, request.type, request.name), request.parent)
        return super().RegisterResource(request)
