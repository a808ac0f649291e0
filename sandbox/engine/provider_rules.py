"""What the real provider does when an input changes, per resource type: the one table the engine plans by.

For each type token: the inputs whose change replaces the resource (terraform-provider-aws
marks them `ForceNew`; pulumi-aws could add more, and for these types adds none:
provider/resource_overrides.go @ 015d3438), the inputs its Update function changes in
place with an API call, and those it only records in the state (read at delete). Each
entry names its source. The handlers read their entry (Handler.rules) and declare no
sets of their own; sandbox.engine.plan decides from it.

An input its type's entry does not name is not modelled: a change to it stops the deploy
(UnmodelledChangeError), rather than be recorded while the emulator keeps the old value.

Every regional type also replaces on `region`, the input pulumi-aws 7 (terraform-provider-aws 6)
adds to each regional resource: terraform-provider-aws internal/provider/sdkv2/region.go
@ 4640a66635ff36287cdb9ce0683daefda6c188c7, forceNewIfRegionChanges (an unset region and the
provider's own are the same: the engine records the effective region, model.with_region).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from access import provider_types


@dataclass(frozen=True)
class KeyedSet:
    """A list input the provider keeps as a set keyed by `key`, whose existing items it never changes.

    Read refills the items from AWS, and CustomizeDiff clears a change that keeps the
    same keys: an item whose other fields changed is planned as no change, and the
    resource keeps the deployed item. Items added or removed are a change.
    """

    key: str
    why: str  # shown with the change that is planned away


@dataclass(frozen=True)
class ProviderRules:
    replace_on: frozenset[str] = frozenset()
    updates: frozenset[str] = frozenset()  # changed in place by an API call
    stored: frozenset[str] = frozenset()  # changed in the state only: no call (read at delete)
    keyed_sets: Mapping[str, KeyedSet] = field(default_factory=lambda: MappingProxyType({}))
    # pulumi-aws deletes the old resource before creating its replacement.
    delete_before_replace: bool = False
    # Inputs holding a policy document: a change to an equivalent document is planned away, as the
    # provider's DiffSuppressFunc (verify.SuppressEquivalentPolicyDiffs) does (engine.documents).
    policy_documents: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        overlap = (self.replace_on & self.updates) | (self.replace_on & self.stored) | (self.updates & self.stored)
        if overlap:
            raise ValueError(f"inputs both replaced on and updated: {sorted(overlap)}")

    @property
    def in_place(self) -> frozenset[str]:
        """Every input a change to which keeps the resource."""
        return self.updates | self.stored


REGION = "region"
# Not (yet) in access.provider_types, which names what the policy pack checks.


def _inputs(*names: str) -> frozenset[str]:
    return frozenset(names)


def _regional(*names: str) -> frozenset[str]:
    """What a regional resource replaces on: these inputs and `region`."""
    return frozenset((*names, REGION))


PROVIDER_RULES: Mapping[str, ProviderRules] = MappingProxyType(
    {
        # terraform-provider-aws internal/service/kms/key.go @ 00a35305dc1b297a6fcdecdfbba33f1e63c3da39
        provider_types.KMS_KEY: ProviderRules(
            replace_on=_regional("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
            updates=_inputs("isEnabled", "enableKeyRotation", "rotationPeriodInDays", "description", "policy", "tags"),
            stored=_inputs("deletionWindowInDays", "bypassPolicyLockoutSafetyCheck"),
        ),
        # terraform-provider-aws internal/service/kms/alias.go
        provider_types.KMS_ALIAS: ProviderRules(
            replace_on=_regional("name", "namePrefix"),
            updates=_inputs("targetKeyId"),
        ),
        # terraform-provider-aws internal/service/kms/replica_key.go
        # @ 06b540fba1eb07c6ecdb72cb8947e818b301c21c: only primary_key_arn is ForceNew; Update
        # changes enabled, description, policy and tags; the deletion window is read at delete and
        # bypass_policy_lockout_safety_check with a policy update. The key is made by ReplicateKey,
        # called in the primary key's region (engine.kms.ReplicaKeyHandler).
        provider_types.KMS_REPLICA_KEY: ProviderRules(
            replace_on=_regional("primaryKeyArn"),
            updates=_inputs("enabled", "description", "policy", "tags"),
            stored=_inputs("deletionWindowInDays", "bypassPolicyLockoutSafetyCheck"),
        ),
        # terraform-provider-aws internal/service/kms/grant.go @ 01f431114674c27cf790fafb67ac274bf8f765e1: no Update,
        # every argument is ForceNew (retireOnDelete included).
        provider_types.KMS_GRANT: ProviderRules(
            replace_on=_regional(
                "constraints",
                "grantCreationTokens",
                "granteePrincipal",
                "keyId",
                "name",
                "operations",
                "retireOnDelete",
                "retiringPrincipal",
            ),
        ),
        # terraform-provider-aws internal/service/dynamodb/table.go
        # @ f583d818dd34f1ee2cdd6664b33ef588c860412a (the newest stored version).
        # Indexes: added and removed in place (UpdateTable GlobalSecondaryIndexUpdates); a
        # changed index's keys or projection recreate that index only. `attributes` never
        # replaces: a change of an attribute's type alone is cleared in CustomizeDiff
        # (pulumi/pulumi-aws#1057, hashicorp/terraform-provider-aws#759, #14889, #22852); new
        # attributes go with the index that uses them. `replicas` (updateReplica): a region
        # added or removed creates or deletes that replica, a changed kmsKeyArn recreates that
        # replica only (terraform-provider-aws PR 29102), a changed pointInTimeRecovery or
        # deletionProtectionEnabled is updated in the replica's region (engine.dynamodb).
        provider_types.DYNAMODB_TABLE: ProviderRules(
            replace_on=_regional(
                "name",
                "hashKey",
                "rangeKey",
                "localSecondaryIndexes",
                "restoreDateTime",
                "restoreToLatestTime",
                "restoreSourceName",
                "restoreSourceTableArn",
            ),
            updates=_inputs(
                "attributes",
                "globalSecondaryIndexes",
                "serverSideEncryption",
                "streamEnabled",
                "streamViewType",
                "billingMode",
                "readCapacity",
                "writeCapacity",
                "deletionProtectionEnabled",
                "tableClass",
                "ttl",
                "pointInTimeRecovery",
                "tags",
                "replicas",
            ),
            keyed_sets=MappingProxyType(
                {"attributes": KeyedSet("name", "attribute types are not updated by the provider")}
            ),
        ),
        # terraform-provider-aws internal/service/dynamodb/resource_policy.go
        # @ 00e6a0d42fadee5e51fb6c47ff31dd7045b4a06f: resource_arn RequiresReplace; Update calls
        # PutResourcePolicy with the plan (policy, confirm_remove_self_resource_access).
        provider_types.DYNAMODB_RESOURCE_POLICY: ProviderRules(
            replace_on=_regional("resourceArn"),
            updates=_inputs("policy", "confirmRemoveSelfResourceAccess"),
        ),
        # Key-loss alarms (issue 20). terraform-provider-aws internal/service/events/rule.go
        # @ 0cdab4ae09a963535e03dde0bff4784afe8e3517: name, name_prefix and event_bus_name are ForceNew;
        # Update calls PutRule with every other argument (state, or the deprecated is_enabled it
        # conflicts with), tags by TagResource/UntagResource; force_destroy is read at delete.
        # event_pattern's StateFunc records it normalised (engine.documents.event_pattern_state).
        provider_types.EVENT_RULE: ProviderRules(
            replace_on=_regional("name", "namePrefix", "eventBusName"),
            updates=_inputs(
                "description", "eventPattern", "scheduleExpression", "roleArn", "state", "isEnabled", "tags"
            ),
            stored=_inputs("forceDestroy"),
        ),
        # terraform-provider-aws internal/service/events/target.go @ 0762c41e2027fcd3cb8340d3e6886c6975fc0a59:
        # rule, target_id and event_bus_name are ForceNew; Update calls PutTargets with the target (the
        # arguments named here are those the sandbox passes; the service-specific blocks, ecs_target
        # and the like, are not modelled); force_destroy is read at delete.
        provider_types.EVENT_TARGET: ProviderRules(
            replace_on=_regional("rule", "targetId", "eventBusName"),
            updates=_inputs(
                "arn", "input", "inputPath", "inputTransformer", "roleArn", "retryPolicy", "deadLetterConfig"
            ),
            stored=_inputs("forceDestroy"),
        ),
        # terraform-provider-aws internal/service/sns/topic.go @ 00a35305dc1b297a6fcdecdfbba33f1e63c3da39:
        # name, name_prefix and fifo_topic are ForceNew; Update sets each changed attribute with
        # SetTopicAttributes (those named here are those the sandbox passes), tags by TagResource.
        # policy is an IAM policy document (equivalent documents are no change), Optional and Computed.
        provider_types.SNS_TOPIC: ProviderRules(
            replace_on=_regional("name", "namePrefix", "fifoTopic"),
            updates=_inputs(
                "displayName", "kmsMasterKeyId", "policy", "deliveryPolicy", "signatureVersion", "tracingConfig", "tags"
            ),
            policy_documents=_inputs("policy"),
        ),
        # terraform-provider-aws internal/service/sns/topic_policy.go @ 00a35305dc1b297a6fcdecdfbba33f1e63c3da39:
        # arn is ForceNew; Create and Update set the Policy attribute; Delete puts back the default
        # policy (a topic's policy cannot be removed).
        provider_types.SNS_TOPIC_POLICY: ProviderRules(
            replace_on=_regional("arn"),
            updates=_inputs("policy"),
            policy_documents=_inputs("policy"),
        ),
        # Provisioned global tables (issue 20). terraform-provider-aws internal/service/appautoscaling/
        # target.go @ 0105d2191ae7e43ba37ba011b916843eddf361ed: resource_id, scalable_dimension and
        # service_namespace are ForceNew; Update calls RegisterScalableTarget again (capacities, role,
        # suspended state), tags by TagResource/UntagResource.
        provider_types.AUTOSCALING_TARGET: ProviderRules(
            replace_on=_regional("resourceId", "scalableDimension", "serviceNamespace"),
            updates=_inputs("minCapacity", "maxCapacity", "roleArn", "suspendedState", "tags"),
        ),
        # terraform-provider-aws internal/service/appautoscaling/policy.go
        # @ 048320e88399c508ae6481be5d8ef6fd6f71a9f6 (and the current resourcePolicyPut, Create and Update
        # alike): name, resource_id, scalable_dimension and service_namespace are ForceNew; Update calls
        # PutScalingPolicy with the policy type and its configuration.
        provider_types.AUTOSCALING_POLICY: ProviderRules(
            replace_on=_regional("name", "resourceId", "scalableDimension", "serviceNamespace"),
            updates=_inputs(
                "policyType",
                "targetTrackingScalingPolicyConfiguration",
                "stepScalingPolicyConfiguration",
                "predictiveScalingPolicyConfiguration",
            ),
        ),
        # terraform-provider-aws internal/service/dynamodb/table_replica.go
        # @ 93bd0baa44a9822dae00fafd00312cd6b6c8ccd3: global_table_arn, kms_key_arn and
        # table_class_override are ForceNew (a new key is a new replica); point_in_time_recovery and tags
        # are set in the replica's region. deletion_protection_enabled (pulumi-aws 7's TableReplica has it,
        # that version does not) is set there too, as the table's own replicas' is (table.go).
        provider_types.DYNAMODB_TABLE_REPLICA: ProviderRules(
            replace_on=_regional("globalTableArn", "kmsKeyArn", "tableClassOverride"),
            updates=_inputs("pointInTimeRecovery", "deletionProtectionEnabled", "tags"),
        ),
        # terraform-provider-aws internal/service/iam/role.go
        provider_types.IAM_ROLE: ProviderRules(
            replace_on=_inputs("name", "namePrefix", "path"),
            updates=_inputs(
                "assumeRolePolicy",
                "description",
                "maxSessionDuration",
                "permissionsBoundary",
                "inlinePolicies",
                "managedPolicyArns",
                "tags",
            ),
            stored=_inputs("forceDetachPolicies"),
        ),
        # terraform-provider-aws internal/service/iam/user.go: name and path by UpdateUser.
        provider_types.IAM_USER: ProviderRules(
            updates=_inputs("name", "path", "permissionsBoundary", "tags"),
            stored=_inputs("forceDestroy"),
        ),
        # terraform-provider-aws internal/service/iam/access_key.go
        provider_types.IAM_ACCESS_KEY: ProviderRules(
            replace_on=_inputs("user", "pgpKey"),
            updates=_inputs("status"),
        ),
        # terraform-provider-aws internal/service/iam/role_policy.go
        provider_types.IAM_ROLE_POLICY: ProviderRules(
            replace_on=_inputs("name", "namePrefix", "role"),
            updates=_inputs("policy"),
        ),
        # terraform-provider-aws internal/service/iam/user_policy.go
        provider_types.IAM_USER_POLICY: ProviderRules(
            replace_on=_inputs("name", "namePrefix", "user"),
            updates=_inputs("policy"),
        ),
        # terraform-provider-aws internal/service/iam/role_policy_attachment.go;
        # pulumi-aws gives it DeleteBeforeReplace.
        provider_types.IAM_ROLE_POLICY_ATTACHMENT: ProviderRules(
            replace_on=_inputs("role", "policyArn"),
            delete_before_replace=True,
        ),
        # terraform-provider-aws internal/service/iam/user_policy_attachment.go
        provider_types.IAM_USER_POLICY_ATTACHMENT: ProviderRules(
            replace_on=_inputs("user", "policyArn"),
        ),
    }
)
