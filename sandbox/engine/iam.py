"""IAM resources: roles, users, access keys, inline policies and managed policy attachments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from access import provider_types
from sandbox.engine.model import (
    Cloud,
    Deployed,
    Handler,
    Inputs,
    Where,
    as_int,
    digest,
    physical_name,
    tag_change,
    tag_list,
)

ACTIVE = "Active"
DEFAULT_MAX_SESSION_SECONDS = 3600  # IAM's and the provider's default


@dataclass(frozen=True)
class PrincipalFacts:
    name: str
    arn: str
    unique_id: str


@dataclass(frozen=True)
class AccessKeyFacts:
    access_key_id: str
    secret: str
    status: str


@dataclass(frozen=True)
class InlinePolicyFacts:
    name: str


@dataclass(frozen=True)
class AttachmentFacts:
    suffix: str  # the provider's id is the owner's name and a generated suffix


class _PrincipalHandler(Handler[PrincipalFacts]):
    """A role or a user."""

    regional = False

    kind: ClassVar[str]  # as in its ARN: "role" or "user"
    unique_id_prefix: ClassVar[str]  # as IAM begins its unique ids

    def invent(self, name: str, inputs: Inputs, where: Where) -> PrincipalFacts:
        principal = physical_name(name, inputs, where)
        arn = f"arn:{where.partition}:iam::{where.account_id}:{self.kind}{inputs.get('path', '/')}{principal}"
        return PrincipalFacts(principal, arn, self.unique_id_prefix + digest(name, length=16).upper())

    @staticmethod
    def _create_args(inputs: Inputs) -> dict[str, Any]:
        args: dict[str, Any] = {"Path": inputs.get("path", "/")}
        if inputs.get("tags"):
            args["Tags"] = tag_list(inputs)
        if inputs.get("permissionsBoundary"):
            args["PermissionsBoundary"] = inputs["permissionsBoundary"]
        return args

    def _call(self, cloud: Cloud, operation: str, principal: str, **args: Any) -> None:
        """IAM names a role's and a user's operations alike: "tag_{}" is tag_role(RoleName=...) or
        tag_user(UserName=...)."""
        getattr(cloud.iam, operation.format(self.kind))(**{f"{self.kind.capitalize()}Name": principal}, **args)

    def _update_common(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> None:
        """Permissions boundary and tags: the same calls for a role and a user."""
        if "permissionsBoundary" in changed:
            if inputs.get("permissionsBoundary"):
                boundary = inputs["permissionsBoundary"]
                self._call(cloud, "put_{}_permissions_boundary", old.id, PermissionsBoundary=boundary)
            else:
                self._call(cloud, "delete_{}_permissions_boundary", old.id)
        if {"tags", "path"} & changed:
            # After a new path too: moto keys a principal's tags by its ARN, which the path is part of.
            tags = tag_change(old.inputs, inputs)
            if tags.removed:
                self._call(cloud, "untag_{}", old.id, TagKeys=tags.removed)
            if inputs.get("tags"):
                self._call(cloud, "tag_{}", old.id, Tags=tag_list(inputs))

    def state(self, facts: PrincipalFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.name, {"name": facts.name, "arn": facts.arn, "uniqueId": facts.unique_id}


def _inline_policies(inputs: Inputs) -> dict[str, str]:
    return {p["name"]: p["policy"] for p in inputs.get("inlinePolicies") or [] if p.get("name")}


class RoleHandler(_PrincipalHandler):
    typ = provider_types.IAM_ROLE
    kind, unique_id_prefix = "role", "AROA"

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> PrincipalFacts:
        role_name = physical_name(name, inputs, cloud)
        args = self._create_args(inputs)
        if inputs.get("maxSessionDuration"):
            args["MaxSessionDuration"] = as_int(inputs["maxSessionDuration"])
        role = cloud.iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            Description=inputs.get("description", ""),
            **args,
        )["Role"]
        self._policies(role_name, {}, inputs, cloud)
        return PrincipalFacts(role_name, role["Arn"], role["RoleId"])

    @staticmethod
    def _policies(role: str, old: Inputs, new: Inputs, cloud: Cloud) -> None:
        """inlinePolicies and managedPolicyArns, as the provider keeps them: exactly those."""
        before, after = _inline_policies(old), _inline_policies(new)
        for policy_name in before.keys() - after.keys():
            cloud.iam.delete_role_policy(RoleName=role, PolicyName=policy_name)
        for policy_name, document in after.items():
            if before.get(policy_name) != document:
                cloud.iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=document)
        attached, wanted = set(old.get("managedPolicyArns") or []), set(new.get("managedPolicyArns") or [])
        for arn in sorted(attached - wanted):
            cloud.iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        for arn in sorted(wanted - attached):
            cloud.iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> PrincipalFacts:
        if "assumeRolePolicy" in changed:
            cloud.iam.update_assume_role_policy(RoleName=old.id, PolicyDocument=inputs["assumeRolePolicy"])
        if {"description", "maxSessionDuration"} & changed:
            # Both: moto's UpdateRole resets whichever is not sent.
            cloud.iam.update_role(
                RoleName=old.id,
                Description=inputs.get("description", ""),
                MaxSessionDuration=as_int(inputs.get("maxSessionDuration") or DEFAULT_MAX_SESSION_SECONDS),
            )
        if {"inlinePolicies", "managedPolicyArns"} & changed:
            self._policies(old.id, old.inputs, inputs, cloud)
        self._update_common(old, inputs, changed, cloud)
        return super().update(old, inputs, changed, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        # As the provider: the role's policies go first when it manages them or forceDetachPolicies says so.
        force = bool(old.inputs.get("forceDetachPolicies"))
        if force or old.inputs.get("managedPolicyArns"):
            for attached in cloud.iam.list_attached_role_policies(RoleName=old.id)["AttachedPolicies"]:
                cloud.iam.detach_role_policy(RoleName=old.id, PolicyArn=attached["PolicyArn"])
        if force or _inline_policies(old.inputs):
            for policy_name in cloud.iam.list_role_policies(RoleName=old.id)["PolicyNames"]:
                cloud.iam.delete_role_policy(RoleName=old.id, PolicyName=policy_name)
        cloud.iam.delete_role(RoleName=old.id)


class UserHandler(_PrincipalHandler):
    typ = provider_types.IAM_USER
    kind, unique_id_prefix = "user", "AIDA"
    not_modelled = MappingProxyType(
        {
            "name": "a renamed user keeps its access keys and policies, which the sandbox's state "
            "still records under the old name"
        }
    )

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> PrincipalFacts:
        user_name = physical_name(name, inputs, cloud)
        user = cloud.iam.create_user(UserName=user_name, **self._create_args(inputs))["User"]
        return PrincipalFacts(user_name, user["Arn"], user["UserId"])

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> PrincipalFacts:
        facts: PrincipalFacts = old.facts
        if "path" in changed:
            cloud.iam.update_user(UserName=old.id, NewPath=inputs.get("path", "/"))
            facts = replace(facts, arn=cloud.iam.get_user(UserName=old.id)["User"]["Arn"])
        self._update_common(old, inputs, changed, cloud)
        return facts

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        if old.inputs.get("forceDestroy"):
            # As the provider: what would stop DeleteUser goes first.
            for key in cloud.iam.list_access_keys(UserName=old.id)["AccessKeyMetadata"]:
                cloud.iam.delete_access_key(UserName=old.id, AccessKeyId=key["AccessKeyId"])
            for attached in cloud.iam.list_attached_user_policies(UserName=old.id)["AttachedPolicies"]:
                cloud.iam.detach_user_policy(UserName=old.id, PolicyArn=attached["PolicyArn"])
            for policy_name in cloud.iam.list_user_policies(UserName=old.id)["PolicyNames"]:
                cloud.iam.delete_user_policy(UserName=old.id, PolicyName=policy_name)
        cloud.iam.delete_user(UserName=old.id)


class AccessKeyHandler(Handler[AccessKeyFacts]):
    typ = provider_types.IAM_ACCESS_KEY
    fixed_name_input = ""
    regional = False

    def invent(self, name: str, inputs: Inputs, where: Where) -> AccessKeyFacts:
        return AccessKeyFacts(
            "AKIA" + digest("akid", name, length=16).upper(),
            digest("secret", name, length=40),
            inputs.get("status") or ACTIVE,
        )

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> AccessKeyFacts:
        key = cloud.iam.create_access_key(UserName=inputs["user"])["AccessKey"]
        facts = AccessKeyFacts(key["AccessKeyId"], key["SecretAccessKey"], key["Status"])
        if (inputs.get("status") or ACTIVE) != facts.status:
            return self._status(facts, inputs, cloud)
        return facts

    @staticmethod
    def _status(facts: AccessKeyFacts, inputs: Inputs, cloud: Cloud) -> AccessKeyFacts:
        status: Literal["Active", "Inactive"] = "Inactive" if inputs.get("status") == "Inactive" else "Active"
        cloud.iam.update_access_key(UserName=inputs["user"], AccessKeyId=facts.access_key_id, Status=status)
        return replace(facts, status=status)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> AccessKeyFacts:
        return self._status(old.facts, inputs, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        cloud.iam.delete_access_key(UserName=old.inputs["user"], AccessKeyId=old.id)

    def state(self, facts: AccessKeyFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.access_key_id, {"secret": facts.secret, "status": facts.status}


def _owner_call(cloud: Cloud, action: str, owner_input: str, owner: str, **args: str) -> None:
    """An IAM call on a role's or a user's policies: IAM names them alike.

    put_role_policy(RoleName=...) and put_user_policy(UserName=...), attach_role_policy
    and attach_user_policy, ...: `action` is put, delete, attach or detach.
    """
    call = getattr(cloud.iam, f"{action}_{owner_input}_policy")
    call(**{f"{owner_input.capitalize()}Name": owner}, **args)


class InlinePolicyHandler(Handler[InlinePolicyFacts]):
    """RolePolicy or UserPolicy: an inline policy of the role or user its `role` or `user` input names."""

    regional = False

    def __init__(self, typ: str, owner_input: str) -> None:
        self.typ, self.owner_input = typ, owner_input

    def _put(self, cloud: Cloud, inputs: Inputs, policy_name: str) -> None:
        owner = inputs[self.owner_input]
        _owner_call(cloud, "put", self.owner_input, owner, PolicyName=policy_name, PolicyDocument=inputs["policy"])

    def invent(self, name: str, inputs: Inputs, where: Where) -> InlinePolicyFacts:
        return InlinePolicyFacts(physical_name(name, inputs, where))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> InlinePolicyFacts:
        facts = InlinePolicyFacts(physical_name(name, inputs, cloud))
        self._put(cloud, inputs, facts.name)
        return facts

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> InlinePolicyFacts:
        self._put(cloud, inputs, old.facts.name)
        return super().update(old, inputs, changed, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        _owner_call(cloud, "delete", self.owner_input, old.inputs[self.owner_input], PolicyName=old.facts.name)

    def state(self, facts: InlinePolicyFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return f"{inputs.get(self.owner_input)}:{facts.name}", {"name": facts.name}


class PolicyAttachmentHandler(Handler[AttachmentFacts]):
    """RolePolicyAttachment or UserPolicyAttachment: a managed policy attached to a role or user."""

    fixed_name_input = ""
    regional = False

    def __init__(self, typ: str, owner_input: str) -> None:
        self.typ, self.owner_input = typ, owner_input

    def invent(self, name: str, inputs: Inputs, where: Where) -> AttachmentFacts:
        return AttachmentFacts(digest(name))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> AttachmentFacts:
        _owner_call(cloud, "attach", self.owner_input, inputs[self.owner_input], PolicyArn=inputs["policyArn"])
        return AttachmentFacts(uuid.uuid4().hex[:8])

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        owner = old.inputs[self.owner_input]
        _owner_call(cloud, "detach", self.owner_input, owner, PolicyArn=old.inputs["policyArn"])

    def state(self, facts: AttachmentFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return f"{inputs.get(self.owner_input)}-{facts.suffix}", {}
