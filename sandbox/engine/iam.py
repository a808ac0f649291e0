"""IAM resources: roles, users, access keys, inline policies and managed policy attachments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from access import provider_types
from sandbox.engine.model import Cloud, Deployed, Handler, Inputs, Where, digest, physical_name, tag_list


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
        return args

    def state(self, facts: PrincipalFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.name, {"name": facts.name, "arn": facts.arn, "uniqueId": facts.unique_id}


class RoleHandler(_PrincipalHandler):
    typ = provider_types.IAM_ROLE
    kind, unique_id_prefix = "role", "AROA"
    replace_on = frozenset({"name", "namePrefix", "path"})
    updates = frozenset({"assumeRolePolicy", "description"})

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> PrincipalFacts:
        role_name = physical_name(name, inputs, cloud)
        role = cloud.iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            Description=inputs.get("description", ""),
            **self._create_args(inputs),
        )["Role"]
        return PrincipalFacts(role_name, role["Arn"], role["RoleId"])

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> PrincipalFacts:
        if "assumeRolePolicy" in changed:
            cloud.iam.update_assume_role_policy(RoleName=old.id, PolicyDocument=inputs["assumeRolePolicy"])
        if "description" in changed:
            cloud.iam.update_role(RoleName=old.id, Description=inputs.get("description", ""))
        return super().update(old, inputs, changed, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        cloud.iam.delete_role(RoleName=old.id)


class UserHandler(_PrincipalHandler):
    typ = provider_types.IAM_USER
    kind, unique_id_prefix = "user", "AIDA"
    replace_on = frozenset({"name", "path"})

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> PrincipalFacts:
        user_name = physical_name(name, inputs, cloud)
        user = cloud.iam.create_user(UserName=user_name, **self._create_args(inputs))["User"]
        return PrincipalFacts(user_name, user["Arn"], user["UserId"])

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        cloud.iam.delete_user(UserName=old.id)


class AccessKeyHandler(Handler[AccessKeyFacts]):
    typ = provider_types.IAM_ACCESS_KEY
    replace_on = frozenset({"user", "pgpKey"})
    fixed_name_input = ""

    def invent(self, name: str, inputs: Inputs, where: Where) -> AccessKeyFacts:
        return AccessKeyFacts(
            "AKIA" + digest("akid", name, length=16).upper(), digest("secret", name, length=40), "Active"
        )

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> AccessKeyFacts:
        key = cloud.iam.create_access_key(UserName=inputs["user"])["AccessKey"]
        return AccessKeyFacts(key["AccessKeyId"], key["SecretAccessKey"], key["Status"])

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

    updates = frozenset({"policy"})

    def __init__(self, typ: str, owner_input: str) -> None:
        self.typ, self.owner_input = typ, owner_input
        self.replace_on = frozenset({"name", "namePrefix", owner_input})

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

    def __init__(self, typ: str, owner_input: str) -> None:
        self.typ, self.owner_input = typ, owner_input
        self.replace_on = frozenset({owner_input, "policyArn"})

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
