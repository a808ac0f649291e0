"""`pulumi up` against the emulator: the stack program under mocks that create real resources.

`__main__.py` runs unchanged, in-process, under the Pulumi SDK's mocks. Each
resource it registers is created in the emulator through boto3, and the mocks
answer with the real ids, ARNs and state. A Stack keeps what was deployed, by
URN, so a second deploy with changed config behaves like `pulumi up`: an
unchanged resource keeps its id, a new one is created, a changed one is updated
in place or replaced (per the provider's replace-on-change fields), and one the
program no longer registers is deleted (a removed grant is retired or revoked,
as the provider does).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pulumi.runtime.mocks import MockResourceArgs

from sandbox.emulator.server import Emulator
from sandbox.mocks import RecordedResource, RecordingMocks, UnsupportedResourceTypeError
from sandbox.program import ProgramRun, run_program


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    SAME = "same"


@dataclass(frozen=True)
class Change:
    action: Action
    typ: str
    name: str
    detail: str = ""


@dataclass
class Deployed:
    urn: str
    typ: str
    name: str
    inputs: dict[str, Any]
    id: str
    state: dict[str, Any]

    @property
    def computed(self) -> dict[str, Any]:
        """What the provider added to the inputs (ids, ARNs, ...)."""
        return {k: v for k, v in self.state.items() if k not in self.inputs}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if _canonical(old.get(k)) != _canonical(new.get(k)))


def _tags(inputs: Mapping[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: str(v)} for k, v in (inputs.get("tags") or {}).items()]


def _int(value: Any) -> int:
    return int(value)  # the SDK hands numbers over as floats


# -- one handler per resource type -------------------------------------------------------------


class Handler:
    """Create, update and delete one resource type in the emulator through boto3."""

    typ = ""
    # Inputs whose change makes the provider replace the resource.
    replace_on: frozenset[str] = frozenset()
    # Replacing needs delete-before-create when the physical name is fixed by an input.
    fixed_name_input = "name"

    def __init__(self, clients: Callable[[str], Any], autoname: Callable[[str, Mapping[str, Any]], str]) -> None:
        self.client = clients
        self.autoname = autoname

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError(self.typ)

    def update(self, old: Deployed, inputs: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        """Apply in-place changes; return the new extra state. Default: nothing to call."""
        return old.computed

    def delete(self, old: Deployed) -> None:
        raise NotImplementedError(self.typ)


class KeyHandler(Handler):
    typ = "aws:kms/key:Key"
    replace_on = frozenset({"customerMasterKeySpec", "keyUsage", "multiRegion"})
    fixed_name_input = ""

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = self.client("kms")
        args: dict[str, Any] = {
            "KeySpec": inputs.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
            "KeyUsage": inputs.get("keyUsage", "ENCRYPT_DECRYPT"),
            "Description": inputs.get("description", ""),
            "Tags": _tags(inputs, "TagKey", "TagValue"),
            "BypassPolicyLockoutSafetyCheck": bool(inputs.get("bypassPolicyLockoutSafetyCheck", False)),
        }
        if inputs.get("policy"):
            args["Policy"] = inputs["policy"]
        meta = kms.create_key(**args)["KeyMetadata"]
        self._rotation(meta["KeyId"], inputs)
        return meta["KeyId"], {"keyId": meta["KeyId"], "arn": meta["Arn"]}

    def _rotation(self, key_id: str, inputs: Mapping[str, Any]) -> None:
        kms = self.client("kms")
        if inputs.get("enableKeyRotation"):
            period = inputs.get("rotationPeriodInDays")
            kms.enable_key_rotation(KeyId=key_id, **({"RotationPeriodInDays": _int(period)} if period else {}))
        else:
            kms.disable_key_rotation(KeyId=key_id)

    def update(self, old: Deployed, inputs: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        kms = self.client("kms")
        if "policy" in changed:
            kms.put_key_policy(KeyId=old.id, PolicyName="default", Policy=inputs["policy"])
        if "description" in changed:
            kms.update_key_description(KeyId=old.id, Description=inputs.get("description", ""))
        if {"enableKeyRotation", "rotationPeriodInDays"} & set(changed):
            self._rotation(old.id, inputs)
        if "isEnabled" in changed:
            (kms.enable_key if inputs.get("isEnabled", True) else kms.disable_key)(KeyId=old.id)
        return super().update(old, inputs, changed)

    def delete(self, old: Deployed) -> None:
        window = _int(old.inputs.get("deletionWindowInDays") or 30)
        self.client("kms").schedule_key_deletion(KeyId=old.id, PendingWindowInDays=window)


class AliasHandler(Handler):
    typ = "aws:kms/alias:Alias"
    replace_on = frozenset({"name", "namePrefix"})

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = self.client("kms")
        kms.create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        return inputs["name"], self._state(inputs)

    def _state(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        key = self.client("kms").describe_key(KeyId=inputs["targetKeyId"])["KeyMetadata"]
        prefix = key["Arn"].split(":key/")[0]
        return {"arn": f"{prefix}:{inputs['name']}", "targetKeyArn": key["Arn"]}

    def update(self, old: Deployed, inputs: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        self.client("kms").update_alias(AliasName=old.id, TargetKeyId=inputs["targetKeyId"])
        return self._state(inputs)

    def delete(self, old: Deployed) -> None:
        self.client("kms").delete_alias(AliasName=old.id)


class GrantHandler(Handler):
    typ = "aws:kms/grant:Grant"
    # Every argument of a grant forces a new one: grants cannot be changed.
    replace_on = frozenset(
        {"keyId", "granteePrincipal", "operations", "constraints", "retiringPrincipal", "grantCreationTokens", "name"}
    )
    fixed_name_input = ""

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        args: dict[str, Any] = {
            "KeyId": inputs["keyId"],
            "GranteePrincipal": inputs["granteePrincipal"],
            "Operations": list(inputs["operations"]),
        }
        constraints: dict[str, Any] = {}
        for constraint in inputs.get("constraints") or []:
            if constraint.get("encryptionContextSubset"):
                constraints["EncryptionContextSubset"] = constraint["encryptionContextSubset"]
            if constraint.get("encryptionContextEquals"):
                constraints["EncryptionContextEquals"] = constraint["encryptionContextEquals"]
        if constraints:
            args["Constraints"] = constraints
        if inputs.get("retiringPrincipal"):
            args["RetiringPrincipal"] = inputs["retiringPrincipal"]
        if inputs.get("name"):
            args["Name"] = inputs["name"]
        made = self.client("kms").create_grant(**args)
        return f"{inputs['keyId']}:{made['GrantId']}", {"grantId": made["GrantId"], "grantToken": made["GrantToken"]}

    def delete(self, old: Deployed) -> None:
        kms = self.client("kms")
        key_id, grant_id = old.inputs["keyId"], old.state["grantId"]
        if old.inputs.get("retireOnDelete"):
            kms.retire_grant(KeyId=key_id, GrantId=grant_id)
        else:
            kms.revoke_grant(KeyId=key_id, GrantId=grant_id)


class TableHandler(Handler):
    typ = "aws:dynamodb/table:Table"
    # The sandbox replaces the table on an index change, where AWS would update it in place.
    replace_on = frozenset(
        {"name", "hashKey", "rangeKey", "attributes", "globalSecondaryIndexes", "localSecondaryIndexes"}
    )

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        table = inputs.get("name") or self.autoname(name, inputs)
        schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
        if inputs.get("rangeKey"):
            schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
        args: dict[str, Any] = {
            "TableName": table,
            "KeySchema": schema,
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
            ],
            "BillingMode": inputs.get("billingMode", "PROVISIONED"),
            "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled", False)),
        }
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = self._throughput(inputs)
        sse = inputs.get("serverSideEncryption") or {}
        if sse.get("enabled"):
            args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
            if sse.get("kmsKeyArn"):
                args["SSESpecification"]["KMSMasterKeyId"] = sse["kmsKeyArn"]
        if inputs.get("streamEnabled"):
            args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}
        if inputs.get("globalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [
                self._index(i, args["BillingMode"]) for i in inputs["globalSecondaryIndexes"]
            ]
        if inputs.get("tags"):
            args["Tags"] = _tags(inputs)
        described = self.client("dynamodb").create_table(**args)["TableDescription"]
        self._backups(table, inputs)
        self._ttl(table, inputs)
        state = {"name": table, "arn": described["TableArn"]}
        if described.get("LatestStreamArn"):
            state["streamArn"] = described["LatestStreamArn"]
        return table, state

    @staticmethod
    def _throughput(inputs: Mapping[str, Any]) -> dict[str, int]:
        return {
            "ReadCapacityUnits": _int(inputs.get("readCapacity") or 0),
            "WriteCapacityUnits": _int(inputs.get("writeCapacity") or 0),
        }

    def _index(self, index: Mapping[str, Any], billing: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "IndexName": index["name"],
            "KeySchema": [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]],
            "Projection": {"ProjectionType": index.get("projectionType", "ALL")},
        }
        if index.get("nonKeyAttributes"):
            spec["Projection"]["NonKeyAttributes"] = list(index["nonKeyAttributes"])
        if billing == "PROVISIONED":
            spec["ProvisionedThroughput"] = self._throughput(index)
        return spec

    def _backups(self, table: str, inputs: Mapping[str, Any]) -> None:
        enabled = bool((inputs.get("pointInTimeRecovery") or {}).get("enabled"))
        self.client("dynamodb").update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled}
        )

    def _ttl(self, table: str, inputs: Mapping[str, Any]) -> None:
        ttl = inputs.get("ttl") or {}
        if ttl.get("attributeName"):
            self.client("dynamodb").update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"AttributeName": ttl["attributeName"], "Enabled": bool(ttl.get("enabled"))},
            )

    def update(self, old: Deployed, inputs: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        dynamodb = self.client("dynamodb")
        args: dict[str, Any] = {}
        if "serverSideEncryption" in changed:
            sse = inputs.get("serverSideEncryption") or {}
            args["SSESpecification"] = (
                {
                    "Enabled": True,
                    "SSEType": "KMS",
                    **({"KMSMasterKeyId": sse["kmsKeyArn"]} if sse.get("kmsKeyArn") else {}),
                }
                if sse.get("enabled")
                else {"Enabled": False}
            )
        if "deletionProtectionEnabled" in changed:
            args["DeletionProtectionEnabled"] = bool(inputs.get("deletionProtectionEnabled"))
        if {"billingMode", "readCapacity", "writeCapacity"} & set(changed):
            args["BillingMode"] = inputs.get("billingMode", "PROVISIONED")
            if args["BillingMode"] == "PROVISIONED":
                args["ProvisionedThroughput"] = self._throughput(inputs)
        if {"streamEnabled", "streamViewType"} & set(changed):
            args["StreamSpecification"] = (
                {"StreamEnabled": True, "StreamViewType": inputs["streamViewType"]}
                if inputs.get("streamEnabled")
                else {"StreamEnabled": False}
            )
        if args:
            dynamodb.update_table(TableName=old.id, **args)
        if "pointInTimeRecovery" in changed:
            self._backups(old.id, inputs)
        if "ttl" in changed:
            self._ttl(old.id, inputs)
        return super().update(old, inputs, changed)

    def delete(self, old: Deployed) -> None:
        # Deletion protection stops this, as it stops the provider.
        self.client("dynamodb").delete_table(TableName=old.id)


class RoleHandler(Handler):
    typ = "aws:iam/role:Role"
    replace_on = frozenset({"name", "namePrefix", "path"})

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        role_name = inputs.get("name") or self.autoname(name, inputs)
        args: dict[str, Any] = {
            "RoleName": role_name,
            "Path": inputs.get("path", "/"),
            "AssumeRolePolicyDocument": inputs["assumeRolePolicy"],
            "Description": inputs.get("description", ""),
        }
        if inputs.get("tags"):
            args["Tags"] = _tags(inputs)
        role = self.client("iam").create_role(**args)["Role"]
        return role_name, {"name": role_name, "arn": role["Arn"], "uniqueId": role["RoleId"]}

    def update(self, old: Deployed, inputs: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        iam = self.client("iam")
        if "assumeRolePolicy" in changed:
            iam.update_assume_role_policy(RoleName=old.id, PolicyDocument=inputs["assumeRolePolicy"])
        if "description" in changed:
            iam.update_role(RoleName=old.id, Description=inputs.get("description", ""))
        return super().update(old, inputs, changed)

    def delete(self, old: Deployed) -> None:
        self.client("iam").delete_role(RoleName=old.id)


class UserHandler(Handler):
    typ = "aws:iam/user:User"
    replace_on = frozenset({"name", "path"})

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        user_name = inputs.get("name") or self.autoname(name, inputs)
        args: dict[str, Any] = {"UserName": user_name, "Path": inputs.get("path", "/")}
        if inputs.get("tags"):
            args["Tags"] = _tags(inputs)
        user = self.client("iam").create_user(**args)["User"]
        return user_name, {"name": user_name, "arn": user["Arn"], "uniqueId": user["UserId"]}

    def delete(self, old: Deployed) -> None:
        self.client("iam").delete_user(UserName=old.id)


class AccessKeyHandler(Handler):
    typ = "aws:iam/accessKey:AccessKey"
    replace_on = frozenset({"user", "pgpKey"})
    fixed_name_input = ""

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        key = self.client("iam").create_access_key(UserName=inputs["user"])["AccessKey"]
        return key["AccessKeyId"], {"secret": key["SecretAccessKey"], "status": key["Status"]}

    def delete(self, old: Deployed) -> None:
        self.client("iam").delete_access_key(UserName=old.inputs["user"], AccessKeyId=old.id)


class InlinePolicyHandler(Handler):
    """RolePolicy and UserPolicy: an inline policy on a role or user."""

    owner_input = ""
    owner_parameter = ""

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        policy_name = inputs.get("name") or self.autoname(name, inputs)
        self._put(inputs[self.owner_input], policy_name, inputs["policy"])
        return f"{inputs[self.owner_input]}:{policy_name}", {"name": policy_name}

    def _put(self, owner: str, policy_name: str, document: str) -> None:
        put = getattr(self.client("iam"), f"put_{self.owner_input}_policy")
        put(**{self.owner_parameter: owner, "PolicyName": policy_name, "PolicyDocument": document})

    def update(self, old: Deployed, inputs: Mapping[str, Any], changed: list[str]) -> dict[str, Any]:
        self._put(inputs[self.owner_input], old.state["name"], inputs["policy"])
        return super().update(old, inputs, changed)

    def delete(self, old: Deployed) -> None:
        remove = getattr(self.client("iam"), f"delete_{self.owner_input}_policy")
        remove(**{self.owner_parameter: old.inputs[self.owner_input], "PolicyName": old.state["name"]})


class RolePolicyHandler(InlinePolicyHandler):
    typ = "aws:iam/rolePolicy:RolePolicy"
    replace_on = frozenset({"name", "namePrefix", "role"})
    owner_input, owner_parameter = "role", "RoleName"


class UserPolicyHandler(InlinePolicyHandler):
    typ = "aws:iam/userPolicy:UserPolicy"
    replace_on = frozenset({"name", "namePrefix", "user"})
    owner_input, owner_parameter = "user", "UserName"


class AttachmentHandler(Handler):
    """RolePolicyAttachment and UserPolicyAttachment: a managed policy attached."""

    owner_input = ""
    owner_parameter = ""
    fixed_name_input = ""

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        attach = getattr(self.client("iam"), f"attach_{self.owner_input}_policy")
        attach(**{self.owner_parameter: inputs[self.owner_input], "PolicyArn": inputs["policyArn"]})
        return f"{inputs[self.owner_input]}-{uuid.uuid4().hex[:8]}", {}

    def delete(self, old: Deployed) -> None:
        detach = getattr(self.client("iam"), f"detach_{self.owner_input}_policy")
        detach(**{self.owner_parameter: old.inputs[self.owner_input], "PolicyArn": old.inputs["policyArn"]})


class RolePolicyAttachmentHandler(AttachmentHandler):
    typ = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    replace_on = frozenset({"role", "policyArn"})
    owner_input, owner_parameter = "role", "RoleName"


class UserPolicyAttachmentHandler(AttachmentHandler):
    typ = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
    replace_on = frozenset({"user", "policyArn"})
    owner_input, owner_parameter = "user", "UserName"


class ProviderHandler(Handler):
    """An explicit aws provider: the emulator is one account and region, so nothing to create."""

    typ = "pulumi:providers:aws"
    fixed_name_input = ""

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        return str(uuid.uuid4()), {}

    def delete(self, old: Deployed) -> None:
        pass


HANDLERS: tuple[type[Handler], ...] = (
    ProviderHandler,
    KeyHandler,
    AliasHandler,
    GrantHandler,
    TableHandler,
    RoleHandler,
    UserHandler,
    AccessKeyHandler,
    RolePolicyHandler,
    UserPolicyHandler,
    RolePolicyAttachmentHandler,
    UserPolicyAttachmentHandler,
)
SUPPORTED_TYPES = frozenset(h.typ for h in HANDLERS)


# -- the stack ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """What is deployed in the emulator, by URN, in creation order: the sandbox's `pulumi` state."""

    emulator: Emulator
    name: str = "dev"
    resources: dict[str, Deployed] = field(default_factory=dict)


@dataclass
class EmulatorMocks(RecordingMocks):
    """Mocks that deploy into the emulator instead of inventing values."""

    stack: Stack | None = None
    changes: list[Change] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    handlers: dict[str, Handler] = field(default_factory=dict)
    # Replaced resources: deleted once the program has run, as Pulumi does.
    replaced: list[Deployed] = field(default_factory=list)

    @classmethod
    def for_stack(cls, stack: Stack) -> EmulatorMocks:
        emulator = stack.emulator
        session = emulator.session()
        clients: dict[str, Any] = {}
        clients_lock = threading.Lock()

        def client(service: str) -> Any:
            with clients_lock:  # boto3 sessions are not thread-safe; clients are
                if service not in clients:
                    clients[service] = emulator.client(service, session)  # type: ignore[call-overload]
                return clients[service]

        identity = client("sts").get_caller_identity()
        mocks = cls(
            account_id=identity["Account"],
            region=emulator.region,
            caller_arn=identity["Arn"],
            issuer_arn=identity["Arn"],  # the deployer is an IAM user: it is its own issuer
            stack=stack,
        )
        mocks.handlers = {h.typ: h(client, mocks._new_autoname) for h in HANDLERS}
        return mocks

    @staticmethod
    def _new_autoname(name: str, inputs: Mapping[str, Any]) -> str:
        # As Pulumi: the logical name and a random suffix, new for each physical resource.
        return f"{name}-{uuid.uuid4().hex[:7]}"

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        urn, parent = getattr(self.registering, "current", ("", ""))
        if not args.custom:
            with self.lock:
                self.seen.add(urn)
                self.resources.append(
                    RecordedResource(urn, args.typ, args.name, parent, False, dict(args.inputs), "", {})
                )
            return "", {}
        assert self.stack is not None
        handler = self.handlers.get(args.typ)
        if handler is None:
            raise UnsupportedResourceTypeError(
                f"resource type {args.typ!r} (resource {args.name!r}) is not supported by the sandbox; "
                f"supported: {', '.join(sorted(SUPPORTED_TYPES))}"
            )
        inputs = dict(args.inputs)
        before = self.stack.resources.get(urn)
        if before is None:
            resource_id, extra = handler.create(args.name, inputs)
            change = Change(Action.CREATE, args.typ, args.name)
        else:
            changed = _changed(before.inputs, inputs)
            if not changed:
                resource_id, extra = before.id, before.computed
                change = Change(Action.SAME, args.typ, args.name)
            elif set(changed) & handler.replace_on:
                if handler.fixed_name_input and inputs.get(handler.fixed_name_input):
                    handler.delete(before)  # the name is taken until the old one goes
                else:
                    with self.lock:
                        self.replaced.append(before)
                resource_id, extra = handler.create(args.name, inputs)
                change = Change(
                    Action.REPLACE, args.typ, args.name, ", ".join(sorted(set(changed) & handler.replace_on))
                )
            else:
                extra = handler.update(before, inputs, changed)
                resource_id = before.id
                change = Change(Action.UPDATE, args.typ, args.name, ", ".join(changed))
        state = {**inputs, **extra}
        with self.lock:
            self.stack.resources[urn] = Deployed(urn, args.typ, args.name, inputs, resource_id, state)
            self.seen.add(urn)
            self.changes.append(change)
            self.resources.append(RecordedResource(urn, args.typ, args.name, parent, True, inputs, resource_id, state))
        return resource_id, state

    def finish(self) -> None:
        """Delete what was replaced, then what the program no longer registers, newest first."""
        assert self.stack is not None
        for old in reversed(self.replaced):
            self.handlers[old.typ].delete(old)
        for urn in reversed(list(self.stack.resources)):
            if urn in self.seen:
                continue
            gone = self.stack.resources.pop(urn)
            if gone.typ in self.handlers:
                self.handlers[gone.typ].delete(gone)
            self.changes.append(Change(Action.DELETE, gone.typ, gone.name))


@dataclass(frozen=True)
class Deployment:
    run: ProgramRun
    changes: list[Change]

    @property
    def outputs(self) -> dict[str, Any]:
        return self.run.outputs


def deploy(stack: Stack, config: Mapping[str, Any]) -> Deployment:
    """`pulumi up` of the stack program with this config, into the emulator."""
    mocks = EmulatorMocks.for_stack(stack)
    run = run_program(dict(config), mocks, stack=stack.name)
    mocks.finish()
    return Deployment(run, mocks.changes)
