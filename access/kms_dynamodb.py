"""The facts of a DynamoDB table encrypted with a customer-managed KMS key, in one place.

Action sets are composed from smaller ones, as AWS CDK's aws-dynamodb/lib/perms.ts
builds its read-write lists from its read lists; grant operations are derived from
the same sets, so a KeyUser's grant and its identity policy cannot disagree.

Sources:
- How DynamoDB uses KMS (encryption context, kms:ViaService, the key user's actions):
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
  and https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
- kms:ViaService names: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
- Grant operations: https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations
- Limits: https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html (key policy
  32 KB), the CreateKey, ScheduleKeyDeletion, EnableKeyRotation and CreateAlias API references.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from access import operations
from access.documents import action_matches

# -- statement ids this project writes, read back by the verifier and the policy pack ------------
SID_ROOT_DELEGATION = "EnableIamPolicies"
SID_ADMINISTRATION = "AllowKeyAdministration"
SID_KEY_USE_VIA_DYNAMODB = "AllowKeyUseThroughDynamoDB"
SID_IDENTITY_KEY_USE = "UseTableKeyThroughDynamoDB"
SID_TABLE_ITEMS = "AccessTableItems"
SID_TRUST_ACCOUNT = "AssumableByThisAccount"
# Readers in other accounts (issue 19): the key policy's statement for each access level's external
# principals ("ExternalKeyUseRead", "ExternalKeyUseReadWrite"), the table resource policy's statement
# for each external principal's access ("ExternalTableRead", ...), and the stream resource policy's.
SID_EXTERNAL_KEY_USE = "ExternalKeyUse"
SID_EXTERNAL_TABLE_ACCESS = "ExternalTable"
SID_EXTERNAL_STREAM_READ = "ExternalStreamRead"

# -- KMS ---------------------------------------------------------------------------------------
KEY_SPEC = "SYMMETRIC_DEFAULT"  # DynamoDB accepts only symmetric encryption keys
KEY_USAGE = "ENCRYPT_DECRYPT"
KEY_MANAGER_CUSTOMER = "CUSTOMER"
# Key states (DescribeKey KeyMetadata.KeyState, KMS API reference): a table's data is usable only
# with its key Enabled; these make it inaccessible.
USABLE_KEY_STATE = "Enabled"
DISABLED_KEY_STATE = "Disabled"
PENDING_DELETION_KEY_STATE = "PendingDeletion"
UNUSABLE_KEY_STATES = frozenset(
    {DISABLED_KEY_STATE, PENDING_DELETION_KEY_STATE, "PendingReplicaDeletion", "Unavailable"}
)
# The key DynamoDB manages for an account (KMS-managed, "aws/dynamodb"): any principal of the account
# with DynamoDB rights may use it, so it is never this project's boundary.
AWS_MANAGED_KEY_ALIAS = "alias/aws/dynamodb"
KEY_POLICY_MAX_BYTES = 32 * 1024
DELETION_WINDOW_DAYS = (7, 30)  # ScheduleKeyDeletion PendingWindowInDays
ROTATION_PERIOD_DAYS = (90, 2560)  # EnableKeyRotation RotationPeriodInDays
DEFAULT_ROTATION_PERIOD_DAYS = 365
# Alias names: terraform-provider-aws internal/service/kms/alias.go validates `^alias/[0-9A-Za-z_/-]+$`
# (the KMS API model also admits ':', which KMS itself and the provider refuse).
ALIAS_PREFIX = "alias/"
ALIAS_NAME_CHARACTERS = "a-z, A-Z, 0-9, '/', '_', '-'"
RESERVED_ALIAS_PREFIX = "alias/aws/"
ALIAS_MAX_LENGTH = 256
# terraform-provider-aws internal/service/kms/key.go: description StringLenBetween(0, 8192),
# deletion_window_in_days IntBetween(7, 30), rotation_period_in_days IntBetween(90, 2560).
KEY_DESCRIPTION_MAX_LENGTH = 8192

# Management only: spelled out (no "kms:Create*"-style wildcards) so that no data
# action can slip in. CreateGrant, RevokeGrant and RetireGrant are here because
# DynamoDB needs the table creator to create its grants, and KeyUser grants are
# created and retired by the deployer.
KEY_ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)

# A key user's actions, as the DynamoDB guide's key policy writes them (less
# kms:CreateGrant, which only the table's creator needs).
KEY_READ_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")
KEY_WRITE_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
KEY_USER_ACTIONS: tuple[str, ...] = (*KEY_READ_ACTIONS, *KEY_WRITE_ACTIONS)
# A principal of another account: the KMS *data* actions only. Its key-policy statement carries the
# table's encryption context as a condition, and a DescribeKey request carries no encryption context, so
# the condition would never match it; DynamoDB calls DescribeKey as the table's creator, not as a reader
# (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html, "How Amazon DynamoDB
# uses AWS KMS").
EXTERNAL_KEY_READ_ACTIONS: tuple[str, ...] = tuple(a for a in KEY_READ_ACTIONS if a != "kms:DescribeKey")
EXTERNAL_KEY_USER_ACTIONS: tuple[str, ...] = (*EXTERNAL_KEY_READ_ACTIONS, *KEY_WRITE_ACTIONS)

# Operations that touch plaintext or ciphertext (the KMS cryptographic operations
# of a symmetric key): an administrator must hold none of them.
KEY_DATA_OPERATIONS: tuple[str, ...] = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
# The KMS operations DynamoDB performs with a table's key on a caller's behalf, as
# grant operations name them.
DYNAMODB_KEY_OPERATIONS: tuple[str, ...] = (
    "Decrypt",
    "DescribeKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
)


def covered_operations(actions: Iterable[str], operations: Iterable[str] = DYNAMODB_KEY_OPERATIONS) -> tuple[str, ...]:
    """The grant operations (of those given) that IAM action patterns cover, in the given order."""
    patterns = list(actions)
    return tuple(op for op in operations if any(action_matches(p, f"kms:{op}") for p in patterns))


# -- DynamoDB ------------------------------------------------------------------------------------
# Naming rules (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html)
# and the CreateTable API reference: table and index names 3-255 of a-z A-Z 0-9 _ - .; key and
# projected attribute names (AttributeDefinition, TimeToLiveSpecification) 1-255 bytes of UTF-8.
TABLE_NAME_LENGTH = (3, 255)
TABLE_NAME_CHARACTERS = "a-z, A-Z, 0-9, '_', '-', '.'"
KEY_ATTRIBUTE_NAME_BYTES = (1, 255)
# ProvisionedThroughput Read/WriteCapacityUnits: a Long of at least 1 (API reference). The account's
# per-table quota (40,000 by default, adjustable) is not a fixed limit, so the API type bounds it here.
CAPACITY_UNITS = (1, 2**63 - 1)
# Service quotas: NonKeyAttributes summed over all of a table's secondary indexes.
MAX_PROJECTED_ATTRIBUTES = 100
# The table's actions by use (reads, writes, the item paths of the audit) and the API calls DynamoDB
# serves as the caller with the table's key: derived from the catalogue of operations.
TABLE_READ_ACTIONS = operations.TABLE_READ_ACTIONS
TABLE_WRITE_ACTIONS = operations.TABLE_WRITE_ACTIONS
ITEM_READ_ACTIONS = operations.ITEM_READ_ACTIONS
ITEM_WRITE_ACTIONS = operations.ITEM_WRITE_ACTIONS
DATA_PLANE_OPERATIONS = operations.DATA_PLANE_OPERATIONS

# Who holds one of these on the key can move the boundary: rewrite who may use it, add a
# way in, or make the data unreadable for everyone.
KEY_BOUNDARY_ACTIONS: tuple[str, ...] = (
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
)
# ... or move the table itself off its key, or rewrite who passes its IAM layer (the catalogue's
# boundary-changing operations: UpdateTable, Put/DeleteResourcePolicy).
TABLE_BOUNDARY_ACTIONS = operations.TABLE_BOUNDARY_ACTIONS
# ... and who may rewrite a key user's own identity policies, by the kind of principal.
IDENTITY_POLICY_WRITE_ACTIONS: dict[str, tuple[str, ...]] = {
    "role": ("iam:PutRolePolicy", "iam:AttachRolePolicy"),
    "user": ("iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:AddUserToGroup"),
}


# DynamoDB's own grants on a table's key: grantee and retiring principal are the service in the
# table's region (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html).
def dynamodb_service_principal(region: str) -> str:
    return f"dynamodb.{region}.amazonaws.com"


# -- a KeyUser's access levels, as key actions, grant operations and table actions ----------------
ACCESS_LEVELS = (operations.READ, operations.READ_WRITE)
ACCESS_KMS_ACTIONS: dict[str, tuple[str, ...]] = {"read": KEY_READ_ACTIONS, "read-write": KEY_USER_ACTIONS}
ACCESS_GRANT_OPERATIONS: dict[str, tuple[str, ...]] = {
    level: covered_operations(actions) for level, actions in ACCESS_KMS_ACTIONS.items()
}
ACCESS_TABLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": TABLE_READ_ACTIONS,
    "read-write": (*TABLE_READ_ACTIONS, *TABLE_WRITE_ACTIONS),
}
EXTERNAL_ACCESS_KMS_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": EXTERNAL_KEY_READ_ACTIONS,
    "read-write": EXTERNAL_KEY_USER_ACTIONS,
}

# -- readers in other accounts: resource policies (issue 19) ------------------------------------
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html: "The maximum
# size supported for a resource-based policy document is 20 KB. DynamoDB counts whitespaces"; and
# (Cross-account considerations) cross-account access "doesn't support encrypted tables with AWS managed
# keys because you can't grant cross-account access to the AWS managed KMS policy".
RESOURCE_POLICY_MAX_BYTES = 20 * 1024
# IAM's quota on the inline policies of one identity, all of them together, in characters, whitespace not
# counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: "Role policy size
# cannot exceed 10,240 characters", "User policy size cannot exceed 2,048 characters"): what a consumer
# account's inline policy for an external principal (ConsumerAccess) must fit in.
INLINE_POLICY_MAX_CHARACTERS: dict[str, int] = {"role": 10_240, "user": 2_048}
# The same page on customer managed policies: a policy document holds at most 6,144 characters ("IAM does
# not count white space when calculating the size of a policy against this quota"), and "Managed policies
# attached to an IAM role" / "... to an IAM user": 10 by default (a quota increase raises it to 20). What
# the verifier's own rights are split into (verify.permissions.managed_policy_documents).
MANAGED_POLICY_MAX_CHARACTERS = 6_144
MANAGED_POLICIES_PER_IDENTITY = 10
# How an external principal's key use is allowed: a statement of each region's key policy, or a grant.
EXTERNAL_KEY_ACCESS_MODES = ("key-policy", "grant")
# The stream reads a table's stream resource policy allows: every DynamoDB Streams action on the stream
# itself (DescribeStream, GetRecords, GetShardIterator); ListStreams acts on no stream.
STREAM_READ_ACTIONS: tuple[str, ...] = tuple(
    sorted(
        op.actions[0]
        for op in operations.OPERATIONS
        if op.service == "dynamodbstreams" and op.resources == (operations.Resource.STREAM,)
    )
)

# Global tables: the version whose replicas take a customer-managed key per region (DescribeTable
# GlobalTableVersion), and the status of a table or replica whose key is unusable (TableStatus /
# ReplicaStatus, DynamoDB API reference: "INACCESSIBLE_ENCRYPTION_CREDENTIALS - The KMS key used to
# encrypt the table is inaccessible").
GLOBAL_TABLE_VERSION = "2019.11.21"
INACCESSIBLE_STATUS = "INACCESSIBLE_ENCRYPTION_CREDENTIALS"

# -- key-loss protection (issue 20) ----------------------------------------------------------------
# The calls that make a key unusable, or its material unrecoverable, denied in the key policy to every
# principal but the named break-glass ones (https://docs.aws.amazon.com/kms/latest/developerguide/
# deleting-keys.html: "Deleting an AWS KMS key is destructive and potentially dangerous ... you can use
# a key policy to ... deny ScheduleKeyDeletion"; enabling-keys.html: a disabled key "cannot be used in any
# cryptographic operation"; importing-keys-delete-key-material.html: DeleteImportedKeyMaterial makes a key
# with imported material unusable at once). Denied whatever origin the key has: a deny of a call that
# cannot apply costs nothing, and a key's origin is not ours to assume.
KEY_LOSS_ACTIONS: tuple[str, ...] = ("kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:ScheduleKeyDeletion")
# A key policy that nobody can change again is a lost key too: PutKeyPolicy with the lockout safety check
# bypassed (condition key kms:BypassPolicyLockoutSafetyCheck, conditions-kms.html) is denied to all but
# the break-glass principals. PutKeyPolicy itself stays with the administrators: `pulumi up` needs it, and
# KMS refuses a policy that would lock its caller out (key-policy-default.html#prevent-unmanageable-key).
LOCKOUT_BYPASS_ACTION = "kms:PutKeyPolicy"
LOCKOUT_BYPASS_CONDITION_KEY = "kms:BypassPolicyLockoutSafetyCheck"
# Whoever may replace a key policy may drop the Deny and then lose the key (two calls, each allowed): the
# policy IS the key's access control ("Every KMS key must have exactly one key policy ... the primary way to
# control access", https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html). So PutKeyPolicy
# itself is denied to all but the break-glass principals and the identity that deploys the policy (`pulumi
# up` writes it, and KMS's lockout check refuses a CreateKey/PutKeyPolicy whose caller could not call
# PutKeyPolicy again: key-policy-default.html#prevent-unmanageable-key). That deployer is declared
# (outputs.DEPLOYER_ARN) and its every PutKeyPolicy is reported by the key-changes alarm.
KEY_POLICY_CHANGE_ACTION = "kms:PutKeyPolicy"
SID_KEY_POLICY_CHANGE = "DenyKeyPolicyChangeExceptBreakGlassAndDeployer"
# With MFA required, break-glass replaces the policy only with MFA too; the deployer (a pipeline) without.
SID_KEY_POLICY_CHANGE_MFA = "DenyKeyPolicyChangeWithoutMfaExceptDeployer"
SID_KEY_LOSS_PROTECTION = "DenyKeyLossExceptBreakGlass"
SID_KEY_LOSS_MFA = "DenyKeyLossWithoutMfa"
SID_LOCKOUT_BYPASS = "DenyLockoutBypassExceptBreakGlass"
# With MFA required, the bypass without MFA is denied in a statement of its own: a deny's conditions are
# ANDed, and PutKeyPolicy itself (no bypass) must stay open to `pulumi up` without MFA.
SID_LOCKOUT_BYPASS_MFA = "DenyLockoutBypassWithoutMfa"
MFA_CONDITION_KEY = "aws:MultiFactorAuthPresent"
# ScheduleKeyDeletion PendingWindowInDays: a protected key waits the longest AWS allows.
MAX_DELETION_WINDOW_DAYS = DELETION_WINDOW_DAYS[1]
# A table whose key stays disabled or pending deletion: "DynamoDB will initiate the table archival process
# when table's AWS KMS key remains inaccessible for more than seven days from this date" (DynamoDB API
# reference, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html,
# InaccessibleEncryptionDateTime; ArchivalSummary: "archived due to the table's AWS KMS key being
# inaccessible for more than seven days").
INACCESSIBLE_TABLE_ARCHIVE_DAYS = 7

# -- provisioned capacity under auto scaling; global tables (issue 20) ------------------------------
# "A global table must have throughput capacity configured one of two ways: On-demand capacity mode ...
# Provisioned capacity mode with auto scaling" (https://docs.aws.amazon.com/amazondynamodb/latest/
# developerguide/V2globaltables_reqs_bestpractices.html). DynamoDB refuses a replica of a PROVISIONED
# table whose write capacity (and each global secondary index's) has no Application Auto Scaling target
# and target-tracking policy, with these messages (UpdateTable ReplicaUpdates Create, ValidationException).
GLOBAL_TABLE_WRITE_CAPACITY_ERROR = "Table write capacity should either be Pay-Per-Request or AutoScaled."
GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR = "GSI write capacity should either be Pay-Per-Request or AutoScaled."
# Application Auto Scaling's names for a table's and a global secondary index's capacity
# (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html:
# ServiceNamespace "dynamodb"; ResourceId "table/my-table", "table/my-table/index/my-table-index";
# ScalableDimension dynamodb:table:ReadCapacityUnits ... dynamodb:index:WriteCapacityUnits) and the
# target-tracking metric of each capacity (API_PredefinedMetricSpecification.html).
AUTOSCALING_NAMESPACE = "dynamodb"
AUTOSCALING_POLICY_TYPE = "TargetTrackingScaling"
CAPACITY_KINDS = ("write", "read")
SCALABLE_DIMENSIONS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("table", "write"): "dynamodb:table:WriteCapacityUnits",
        ("table", "read"): "dynamodb:table:ReadCapacityUnits",
        ("index", "write"): "dynamodb:index:WriteCapacityUnits",
        ("index", "read"): "dynamodb:index:ReadCapacityUnits",
    }
)
UTILIZATION_METRICS: Mapping[str, str] = MappingProxyType(
    {"write": "DynamoDBWriteCapacityUtilization", "read": "DynamoDBReadCapacityUtilization"}
)
# "You can set the auto scaling target utilization values between 20% and 90% for your read and write
# capacity" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html).
TARGET_UTILIZATION_PERCENT = (20, 90)
# RegisterScalableTarget MinCapacity / MaxCapacity are Integers; "For all other resources [than those
# listed, DynamoDB not among them], the minimum value allowed is 1" (API_RegisterScalableTarget.html).
AUTOSCALING_CAPACITY_UNITS = (1, 2**31 - 1)


def autoscaling_resource_id(table_name: str, index_name: str | None = None) -> str:
    """The Application Auto Scaling ResourceId of a table, or of one of its global secondary indexes."""
    return f"table/{table_name}" if index_name is None else f"table/{table_name}/index/{index_name}"


# -- what DynamoDB sends to KMS -----------------------------------------------------------------
CONTEXT_TABLE_NAME = "aws:dynamodb:tableName"
CONTEXT_SUBSCRIBER_ID = "aws:dynamodb:subscriberId"


def table_encryption_context(table_name: str, account_id: str) -> dict[str, str]:
    """The encryption context DynamoDB sends to KMS for this table's data."""
    return {CONTEXT_TABLE_NAME: table_name, CONTEXT_SUBSCRIBER_ID: account_id}


def dynamodb_via_service(region: str) -> str:
    """The kms:ViaService value for DynamoDB in a region.

    `.amazonaws.com` in every partition, China's included: the KMS guide's
    kms:ViaService table says to use that suffix in all AWS partitions, although the
    service endpoints in aws-cn end in `.amazonaws.com.cn`.
    """
    return f"dynamodb.{region}.amazonaws.com"


def iam_policy_characters(document: Mapping[str, Any]) -> int:
    """A policy document's size as IAM counts it against these quotas: its characters as JSON, white space
    not counted (inside strings neither: IAM's sentence names no exception)."""
    return sum(1 for character in json.dumps(document, ensure_ascii=False) if not character.isspace())
