"""What AWS lets a principal do to a resource of another account, whatever the policies say.

KMS: only some operations work on a key of another account. The KMS developer guide's permissions
table (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html,
column "Cross-account use") and the "Cross-account use" paragraph of each operation's page in the
KMS API reference (https://docs.aws.amazon.com/kms/latest/APIReference/API_<Operation>.html; the
same text is in botocore's KMS service model, checked at botocore 1.44.18) mark these "Yes". For
every other operation "If you grant a principal in a different account a permission that cannot
be used on a cross-account resource, that permission is not effective" (the guide's column
description; key-policy-modifying-external-accounts.html gives kms:ScheduleKeyDeletion in a key
policy as its example).

Left out on purpose: GenerateRandom ("Not applicable": it uses no key), ListRetirableGrants (it
names a principal of the caller's own account, not a key), and every operation the pages mark
"No": the key's management (PutKeyPolicy, GetKeyPolicy, ScheduleKeyDeletion, CancelKeyDeletion,
EnableKey, DisableKey, Enable/DisableKeyRotation, RotateKeyOnDemand, ListKeyRotations,
TagResource, UntagResource, ListResourceTags, UpdateKeyDescription, ReplicateKey,
UpdatePrimaryRegion, ImportKeyMaterial, DeleteImportedKeyMaterial, GetParametersForImport,
GetKeyLastUsage, ListKeyPolicies), aliases, custom key stores, CreateKey, ListKeys, ListAliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from access.kms_dynamodb import KEY_DATA_OPERATIONS

KMS_CROSS_ACCOUNT_ACTIONS: frozenset[str] = frozenset(
    {
        # the symmetric key's cryptographic operations; ReEncrypt is authorized as kms:ReEncryptFrom on the
        # source key and kms:ReEncryptTo on the destination: "Either or both KMS keys can be in a different
        # account than the caller" (API_ReEncrypt)
        *KEY_DATA_OPERATIONS,
        # the other key specs' cryptographic operations
        "kms:Sign",
        "kms:Verify",
        "kms:GenerateMac",
        "kms:VerifyMac",
        "kms:GetPublicKey",
        "kms:DeriveSharedSecret",
        "kms:Encapsulate",
        "kms:Decapsulate",
        # reading the key's metadata
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        # grants
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:RetireGrant",
        "kms:RevokeGrant",
    }
)
"""The KMS actions (as IAM names them, kms:<Operation>) a principal may perform on a key of another account."""


@dataclass(frozen=True)
class CrossAccountLimit:
    """The only actions a service performs for a principal of another account, and the rule that says so."""

    actions: frozenset[str]
    rule: str
    """Why an action outside the list is refused, with where the rule is written: a decision quotes it."""
    _lowered: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lowered", frozenset(action.lower() for action in self.actions))

    def allows(self, action: object) -> bool:
        """May a principal of another account be allowed this action? Action names ignore case, as they
        do in a policy's Action element; a request whose action is not text is never allowed."""
        return isinstance(action, str) and action.lower() in self._lowered


KMS_CROSS_ACCOUNT = CrossAccountLimit(
    KMS_CROSS_ACCOUNT_ACTIONS,
    "KMS performs only some operations on a key of another account, whatever its key policy and grants say "
    "(https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html, "
    "'Cross-account use')",
)


__all__ = ["KMS_CROSS_ACCOUNT", "KMS_CROSS_ACCOUNT_ACTIONS", "CrossAccountLimit"]
