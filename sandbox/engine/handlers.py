"""The resource types the sandbox models: one handler each, found by type token."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from access import provider_types
from sandbox.engine.autoscaling import ScalableTargetHandler, ScalingPolicyHandler
from sandbox.engine.dynamodb import ResourcePolicyHandler, TableHandler, TableReplicaHandler
from sandbox.engine.errors import UnsupportedResourceTypeError
from sandbox.engine.events import EventRuleHandler, EventTargetHandler
from sandbox.engine.iam import AccessKeyHandler, InlinePolicyHandler, PolicyAttachmentHandler, RoleHandler, UserHandler
from sandbox.engine.kms import AliasHandler, GrantHandler, KeyHandler, ReplicaKeyHandler
from sandbox.engine.model import Cloud, Deployed, Handler, Inputs, Where, uuid_like
from sandbox.engine.provider_rules import ProviderRules
from sandbox.engine.sns import TopicHandler, TopicPolicyHandler

NO_CHANGE_MODELLED = ProviderRules()


@dataclass(frozen=True)
class ProviderFacts:
    id: str


class ProviderHandler(Handler[ProviderFacts]):
    """An explicit aws provider (e.g. another region): nothing to compute or create; the resources it
    manages are in its `region` (the harness's mocks give them a Where of that region). Any change to
    its inputs stops the deploy."""

    typ = provider_types.PROVIDER
    fixed_name_input = ""
    regional = False  # its `region` input is its configuration, not where it is

    @property
    def rules(self) -> ProviderRules:
        # Not a resource of the provider, so not in its table: the sandbox models no change to it.
        return NO_CHANGE_MODELLED

    def invent(self, name: str, inputs: Inputs, where: Where) -> ProviderFacts:
        return ProviderFacts(uuid_like("provider", name))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> ProviderFacts:
        return ProviderFacts(str(uuid.uuid4()))

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        pass

    def state(self, facts: ProviderFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.id, {}


HANDLERS: Mapping[str, Handler[Any]] = {
    handler.typ: handler
    for handler in (
        ProviderHandler(),
        KeyHandler(),
        ReplicaKeyHandler(),
        AliasHandler(),
        GrantHandler(),
        TableHandler(),
        TableReplicaHandler(),
        ResourcePolicyHandler(),
        ScalableTargetHandler(),
        ScalingPolicyHandler(),
        EventRuleHandler(),
        EventTargetHandler(),
        TopicHandler(),
        TopicPolicyHandler(),
        RoleHandler(),
        UserHandler(),
        AccessKeyHandler(),
        InlinePolicyHandler(provider_types.IAM_ROLE_POLICY, owner_input="role"),
        InlinePolicyHandler(provider_types.IAM_USER_POLICY, owner_input="user"),
        PolicyAttachmentHandler(provider_types.IAM_ROLE_POLICY_ATTACHMENT, owner_input="role"),
        PolicyAttachmentHandler(provider_types.IAM_USER_POLICY_ATTACHMENT, owner_input="user"),
    )
}


def handler_for(typ: str, name: str) -> Handler[Any]:
    handler = HANDLERS.get(typ)
    if handler is None:
        raise UnsupportedResourceTypeError(
            f"resource type {typ!r} (resource {name!r}) is not modelled (not supported by the sandbox); "
            f"supported: {', '.join(sorted(HANDLERS))}"
        )
    return handler
