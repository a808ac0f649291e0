"""KMS resources: the key, a multi-Region key's replica, its alias, grants; each in its region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from access import provider_types
from access.arns import key_arn
from access.kms_dynamodb import KEY_SPEC, KEY_USAGE, SID_KEY_LOSS_PROTECTION
from access.provider_types import KMS_REPLICA_KEY
from sandbox.engine.model import (
    Cloud,
    Deployed,
    Handler,
    Inputs,
    Where,
    as_int,
    digest,
    tag_change,
    tag_list,
    uuid_like,
)

DEFAULT_DELETION_WINDOW_DAYS = 30  # the provider's default
ACCESS_DENIED = "AccessDeniedException"  # KMS's code for a call a policy refuses
MULTI_REGION_KEY_PREFIX = "mrk-"  # KMS begins a multi-Region key's id with it, the same id in every region


@dataclass(frozen=True)
class KeyFacts:
    key_id: str
    arn: str


@dataclass(frozen=True)
class AliasFacts:
    arn: str
    target_key_arn: str


@dataclass(frozen=True)
class GrantFacts:
    grant_id: str
    grant_token: str


class _KeyLike(Handler[KeyFacts]):
    """What a key and a multi-Region replica key share: scheduled deletion, and their id and ARN."""

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        _schedule_deletion(old, cloud)

    def state(self, facts: KeyFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return facts.key_id, {"keyId": facts.key_id, "arn": facts.arn}

    def refusal_hint(self, operation: str, code: str) -> str:
        if code != ACCESS_DENIED:
            return ""
        if operation == "deleting":
            return (
                f"the deployer may not schedule this key's deletion: a key policy with key-loss protection "
                f"({SID_KEY_LOSS_PROTECTION}) denies kms:ScheduleKeyDeletion to every principal but its "
                "break-glass ones; destroy as one of them (the stack's default break-glass principal is the "
                "deployer), or deploy without the protection first"
            )
        if operation == "updating":
            return (
                f"if the change disables the key: a key policy with key-loss protection ({SID_KEY_LOSS_PROTECTION}) "
                "denies kms:DisableKey to every principal but its break-glass ones; deploy as one of them"
            )
        return ""


class KeyHandler(_KeyLike):
    typ = provider_types.KMS_KEY
    fixed_name_input = ""

    def invent(self, name: str, inputs: Inputs, where: Where) -> KeyFacts:
        key_id = uuid_like("key", name)
        if inputs.get("multiRegion"):
            key_id = MULTI_REGION_KEY_PREFIX + key_id.replace("-", "")
        return KeyFacts(key_id, key_arn(where.partition, where.region, where.account_id, key_id))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> KeyFacts:
        args: dict[str, Any] = {
            "KeySpec": inputs.get("customerMasterKeySpec", KEY_SPEC),
            "KeyUsage": inputs.get("keyUsage", KEY_USAGE),
            "Description": inputs.get("description", ""),
            "Tags": tag_list(inputs, "TagKey", "TagValue"),
            **_bypass(inputs),
        }
        if inputs.get("policy"):
            args["Policy"] = inputs["policy"]
        if inputs.get("multiRegion"):
            args["MultiRegion"] = True
        meta = cloud.kms.create_key(**args)["KeyMetadata"]
        self._rotation(meta["KeyId"], inputs, cloud)
        if inputs.get("isEnabled", True) is False:
            cloud.kms.disable_key(KeyId=meta["KeyId"])
        return KeyFacts(meta["KeyId"], meta["Arn"])

    @staticmethod
    def _rotation(key_id: str, inputs: Inputs, cloud: Cloud) -> None:
        if inputs.get("enableKeyRotation"):
            period = inputs.get("rotationPeriodInDays")
            cloud.kms.enable_key_rotation(KeyId=key_id, **({"RotationPeriodInDays": as_int(period)} if period else {}))
        else:
            cloud.kms.disable_key_rotation(KeyId=key_id)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> KeyFacts:
        if "policy" in changed:
            cloud.kms.put_key_policy(KeyId=old.id, PolicyName="default", Policy=inputs["policy"])
        if "description" in changed:
            cloud.kms.update_key_description(KeyId=old.id, Description=inputs.get("description", ""))
        if {"enableKeyRotation", "rotationPeriodInDays"} & changed:
            self._rotation(old.id, inputs, cloud)
        if "isEnabled" in changed:
            (cloud.kms.enable_key if inputs.get("isEnabled", True) else cloud.kms.disable_key)(KeyId=old.id)
        if "tags" in changed:
            _retag(old, inputs, cloud)
        return super().update(old, inputs, changed, cloud)


def _bypass(inputs: Inputs) -> dict[str, bool]:
    """BypassPolicyLockoutSafetyCheck as the provider sends it: only when true (aws-sdk-go-v2 leaves a false
    bool out of the request), so that a key policy's condition on kms:BypassPolicyLockoutSafetyCheck (Null
    included) sees what KMS sees from the real provider."""
    return {"BypassPolicyLockoutSafetyCheck": True} if inputs.get("bypassPolicyLockoutSafetyCheck") else {}


def _retag(old: Deployed, inputs: Inputs, cloud: Cloud) -> None:
    tags = tag_change(old.inputs, inputs)
    tags.apply(cloud.kms.untag_resource, cloud.kms.tag_resource, tags=tags.tags("TagKey", "TagValue"), KeyId=old.id)


def _schedule_deletion(old: Deployed, cloud: Cloud) -> None:
    window = as_int(old.inputs.get("deletionWindowInDays") or DEFAULT_DELETION_WINDOW_DAYS)
    cloud.kms.schedule_key_deletion(KeyId=old.id, PendingWindowInDays=window)


def _region_of(arn: str) -> str:
    """The region field of an ARN (arn:partition:service:region:account:resource)."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[3]:
        raise ValueError(f"{arn!r} is not a regional ARN")
    return parts[3]


class ReplicaKeyHandler(_KeyLike):
    """A replica of a multi-Region key, in its `region`: ReplicateKey called in the primary key's region,
    as the provider calls it (KeyId the primary's id, ReplicaRegion the resource's region).

    It has the primary's key id (a multi-Region key's id is the same in every region), its own ARN,
    policy, description, tags and state; rotation is the primary's.
    """

    typ = KMS_REPLICA_KEY
    fixed_name_input = ""

    def invent(self, name: str, inputs: Inputs, where: Where) -> KeyFacts:
        primary = str(inputs.get("primaryKeyArn") or "")
        key_id = primary.split(":key/")[-1] if ":key/" in primary else uuid_like("replica-key", name)
        return KeyFacts(key_id, key_arn(where.partition, where.region, where.account_id, key_id))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> KeyFacts:
        primary = str(inputs["primaryKeyArn"])
        args: dict[str, Any] = {
            "KeyId": primary.split(":key/")[-1],
            "ReplicaRegion": cloud.region,
            **_bypass(inputs),
        }
        if inputs.get("description"):
            args["Description"] = inputs["description"]
        if inputs.get("policy"):
            args["Policy"] = inputs["policy"]
        if inputs.get("tags"):
            args["Tags"] = tag_list(inputs, "TagKey", "TagValue")
        meta = cloud.in_region(_region_of(primary)).kms.replicate_key(**args)["ReplicaKeyMetadata"]
        if inputs.get("enabled", True) is False:
            cloud.kms.disable_key(KeyId=meta["KeyId"])
        return KeyFacts(meta["KeyId"], meta["Arn"])

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> KeyFacts:
        enabled = inputs.get("enabled", True) is not False
        if "enabled" in changed and enabled:
            cloud.kms.enable_key(KeyId=old.id)  # before anything else: a disabled key cannot be changed
        if "description" in changed:
            cloud.kms.update_key_description(KeyId=old.id, Description=inputs.get("description", ""))
        if "policy" in changed:
            cloud.kms.put_key_policy(
                KeyId=old.id,
                PolicyName="default",
                Policy=inputs["policy"],
                **_bypass(inputs),
            )
        if "enabled" in changed and not enabled:
            cloud.kms.disable_key(KeyId=old.id)  # after everything else
        if "tags" in changed:
            _retag(old, inputs, cloud)
        return super().update(old, inputs, changed, cloud)


def _alias_facts(target_key_arn: str, inputs: Inputs) -> AliasFacts:
    """An alias's ARN is its key's, with the alias name in place of `key/<id>`."""
    return AliasFacts(target_key_arn.split(":key/")[0] + f":{inputs['name']}", target_key_arn)


class AliasHandler(Handler[AliasFacts]):
    typ = provider_types.KMS_ALIAS

    def invent(self, name: str, inputs: Inputs, where: Where) -> AliasFacts:
        target = key_arn(where.partition, where.region, where.account_id, str(inputs.get("targetKeyId")))
        return _alias_facts(target, inputs)

    def _facts(self, inputs: Inputs, cloud: Cloud) -> AliasFacts:
        return _alias_facts(cloud.kms.describe_key(KeyId=inputs["targetKeyId"])["KeyMetadata"]["Arn"], inputs)

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> AliasFacts:
        cloud.kms.create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        return self._facts(inputs, cloud)

    def update(self, old: Deployed, inputs: Inputs, changed: frozenset[str], cloud: Cloud) -> AliasFacts:
        cloud.kms.update_alias(AliasName=old.id, TargetKeyId=inputs["targetKeyId"])
        return self._facts(inputs, cloud)

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        cloud.kms.delete_alias(AliasName=old.id)

    def state(self, facts: AliasFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return inputs["name"], {"arn": facts.arn, "targetKeyArn": facts.target_key_arn}


class GrantHandler(Handler[GrantFacts]):
    """A grant cannot be changed: every argument forces a new one, retireOnDelete included.

    retireOnDelete decides how the grant goes: retired (RetireGrant) or revoked (RevokeGrant).
    """

    typ = provider_types.KMS_GRANT
    fixed_name_input = ""  # grant names are not unique

    def invent(self, name: str, inputs: Inputs, where: Where) -> GrantFacts:
        return GrantFacts(digest("grant", name, length=64), digest("token", name, length=64))

    def create(self, name: str, inputs: Inputs, cloud: Cloud) -> GrantFacts:
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
        made = cloud.kms.create_grant(**args)
        return GrantFacts(made["GrantId"], made["GrantToken"])

    def delete(self, old: Deployed, cloud: Cloud) -> None:
        key_id, grant_id = old.inputs["keyId"], old.facts.grant_id
        if old.inputs.get("retireOnDelete"):
            cloud.kms.retire_grant(KeyId=key_id, GrantId=grant_id)
        else:
            cloud.kms.revoke_grant(KeyId=key_id, GrantId=grant_id)

    def state(self, facts: GrantFacts, inputs: Inputs) -> tuple[str, dict[str, Any]]:
        return f"{inputs.get('keyId')}:{facts.grant_id}", {"grantId": facts.grant_id, "grantToken": facts.grant_token}
