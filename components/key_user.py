"""KeyUser: make one IAM principal a user of an EncryptedTable's key, after the fact.

The key policy has one owner (the EncryptedTable); KeyUser never rewrites it.
It adds a KMS grant (mode "grant") or an identity policy on the principal
(mode "iam-policy"), both limited to this key and this table. It may also declare
other ways to the data (paths: a stream consumer, an exporter, ...), with their
DynamoDB rights when include_table_access is on; access "none" declares those only.
"""

import json
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from access.arns import PRINCIPAL_KINDS, key_arn_for, parse_principal_arn, parse_table_arn
from access.errors import ConfigError, one_of
from access.kms_dynamodb import ACCESS_GRANT_OPERATIONS, table_encryption_context
from components.context import deploy_context
from components.policy_builders import key_user_identity_policy, table_access_policy
from components.validation import KeyUserSpec, check_key_user_account, validate_key_user_args

TOKEN = "encrypted-dynamodb:index:KeyUser"  # noqa: S105 (a Pulumi type token, not a secret)


class KeyUserArgs(TypedDict):
    """Arguments of a KeyUser. Plain values, so other Pulumi languages can pass them."""

    key_arn: pulumi.Input[str]
    """ARN (or id) of the table's customer-managed KMS key."""
    table_name: pulumi.Input[str]
    """Name of the encrypted table; grants are constrained to its encryption context."""
    table_arn: pulumi.Input[str]
    """ARN of the encrypted table."""
    principal_arn: pulumi.Input[str]
    """ARN of the IAM role or user that becomes a key user. Of another account (a reader declared in the
    table's external_principals with key_access 'grant'): mode 'grant' only, without include_table_access."""
    principal_kind: NotRequired[str]
    """'role' or 'user'. Inferred from a known ARN; needed for identity policies when the ARN is an output."""
    mode: NotRequired[str]
    """'grant': a KMS grant; 'iam-policy': an identity policy on the principal."""
    access: NotRequired[str]
    """'read': Decrypt, DescribeKey; 'read-write': also Encrypt, GenerateDataKey*, ReEncrypt*;
    'none': no key use at all (no grant, no key statement), only the declared paths (needs paths)."""
    include_table_access: NotRequired[bool]
    """Also allow the matching DynamoDB actions on the table and its indexes, and those of each path."""
    paths: NotRequired[list[str]]
    """Other ways to the data this principal is declared for: 'stream', 'export', 'backup', 'restore',
    're-key', 'kinesis', 'table policy'. With include_table_access, their DynamoDB actions are granted on
    the table (its streams, its backups); rights outside DynamoDB (an export's S3 bucket, a restore's
    target table, a Kinesis stream) are not. Default: none."""
    replica_key_arns: NotRequired[dict[str, pulumi.Input[str]]]
    """A global table's replica keys, by region (EncryptedTable.replica_key_arns); regions known before deploy."""
    regions: NotRequired[list[str]]
    """Replica regions where the principal may use the table's keys. Default: every replica region;
    an empty list grants the primary region only (AWS CDK TableV2's choice). The primary is always granted."""
    key_allows_iam_policies: NotRequired[bool]
    """Whether the key policy delegates to IAM; 'iam-policy' mode is refused when false."""


def identity_policy_resource(
    name: str,
    kind: str | None,
    principal_arn: pulumi.Output[str],
    document: pulumi.Output[str],
    opts: pulumi.ResourceOptions,
) -> aws.iam.RolePolicy | aws.iam.UserPolicy:
    """An inline policy on the role or user, attached by its name (a path is not part of RoleName/UserName)."""
    principal_name = principal_arn.apply(lambda arn: parse_principal_arn("principal_arn", arn).name)
    if kind == "role":
        return aws.iam.RolePolicy(name, role=principal_name, policy=document, opts=opts)
    if kind == "user":
        return aws.iam.UserPolicy(name, user=principal_name, policy=document, opts=opts)
    # validate_key_user_args asks for the kind whenever an identity policy is needed.
    raise ConfigError("principal_kind", f"{kind!r} cannot own an identity policy", one_of(PRINCIPAL_KINDS))


def _checked_table_arn(arn: str) -> str:
    parse_table_arn("table_arn", arn)
    return arn


class KeyUser(pulumi.ComponentResource):
    """One IAM principal allowed to use an EncryptedTable's key for that table's data."""

    # Class-level annotations are the schema outputs; the child resources
    # (self.grant, self.policy) are Python-only attributes.
    principal_arn: pulumi.Output[str]
    """The principal that became a key user."""
    key_arn: pulumi.Output[str]
    """The key it may use."""
    grant_id: pulumi.Output[str] | None
    """Id of the KMS grant (mode 'grant')."""
    access: pulumi.Output[str]
    """'read', 'read-write' or 'none': what the principal may do with the table's items."""
    paths: pulumi.Output[list[str]]
    """The other ways to the data it is declared for (paths), sorted; empty when none."""

    def __init__(
        self,
        name: str,
        args: KeyUserArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        region_providers: Mapping[str, pulumi.ProviderResource] | None = None,
    ) -> None:
        """region_providers (Python only): as EncryptedTable's, a provider per replica region for the grants."""
        spec: KeyUserSpec = validate_key_user_args(args)  # before anything is registered
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        providers = dict(region_providers or {})
        replica_keys = {r: pulumi.Output.from_input(args["replica_key_arns"][r]) for r in spec.regions}

        table_arn = pulumi.Output.from_input(args["table_arn"]).apply(_checked_table_arn)

        def checked_principal(values: list[str]) -> str:
            """The principal's ARN, refused (as before deploy when both were known) in mode 'iam-policy' if it
            is of another account than the table's. (include_table_access is checked before deploy only: the
            documented examples name principals of an account other than the mocks' own.)"""
            parsed = parse_principal_arn("principal_arn", values[0])
            if spec.mode == "iam-policy":
                check_key_user_account(spec.mode, spec.include_table_access, parsed.account, values[1])
            return parsed.arn

        principal_arn = pulumi.Output.all(pulumi.Output.from_input(args["principal_arn"]), table_arn).apply(
            checked_principal
        )
        key_arn = pulumi.Output.all(pulumi.Output.from_input(args["key_arn"]), table_arn).apply(
            lambda values: key_arn_for(values[0], values[1])
        )

        where = deploy_context(self)
        self.grant: aws.kms.Grant | None = None
        self.replica_grants: dict[str, aws.kms.Grant] = {}
        self.grant_id = None
        self.policy: aws.iam.RolePolicy | aws.iam.UserPolicy | None = None

        def table_access() -> aws.iam.RolePolicy | aws.iam.UserPolicy:
            """The principal's DynamoDB rights on the table (its level's and its declared paths')."""
            document = table_arn.apply(
                lambda arn: json.dumps(
                    table_access_policy(
                        table_arn=arn, access=spec.access, replica_regions=spec.regions, paths=spec.paths
                    )
                )
            )
            return identity_policy_resource(f"{name}-table-access", spec.principal_kind, principal_arn, document, child)

        if not spec.uses_key:
            # Access "none": no grant and no key statement, whatever the mode; only the paths' table rights.
            if spec.include_table_access:
                self.policy = table_access()
        elif spec.mode == "grant":
            context = pulumi.Output.all(pulumi.Output.from_input(args["table_name"]), table_arn).apply(
                lambda values: table_encryption_context(values[0], parse_table_arn("table_arn", values[1]).account)
            )

            def grant(resource_name: str, key: pulumi.Input[str], region: str | None) -> aws.kms.Grant:
                """A grant on the table's key in one region, constrained to the table's context. Retired,
                not revoked, on delete: the deployer is the retiring principal so it holds the right to."""
                return aws.kms.Grant(
                    resource_name,
                    key_id=key,
                    grantee_principal=principal_arn,
                    operations=list(ACCESS_GRANT_OPERATIONS[spec.access]),
                    constraints=[{"encryption_context_subset": context}],
                    retiring_principal=where.deployer_arn,
                    retire_on_delete=True,
                    region=None if region is None or region in providers else region,
                    opts=pulumi.ResourceOptions(parent=self, provider=providers.get(region or "")),
                )

            self.grant = grant(f"{name}-grant", key_arn, None)
            self.grant_id = self.grant.grant_id
            # One grant per replica region, on that region's key.
            self.replica_grants = {
                region: grant(f"{name}-grant-{region}", replica_key, region)
                for region, replica_key in replica_keys.items()
            }
            if spec.include_table_access:
                self.policy = table_access()
        else:

            def render(values: list[Any]) -> str:
                key, table, replicas = values
                parts = parse_table_arn("table_arn", table)
                return json.dumps(
                    key_user_identity_policy(
                        key_arn=key,
                        region=parts.region,
                        account_id=parts.account,
                        access=spec.access,
                        table_arn=table if spec.include_table_access else None,
                        replica_keys=replicas,
                        paths=spec.paths,
                    )
                )

            document = pulumi.Output.all(key_arn, table_arn, pulumi.Output.all(**replica_keys)).apply(render)
            self.policy = identity_policy_resource(
                f"{name}-policy", spec.principal_kind, principal_arn, document, child
            )

        self.principal_arn = principal_arn
        self.key_arn = key_arn
        self.access = pulumi.Output.from_input(spec.access)
        self.paths = pulumi.Output.from_input([path.value for path in spec.paths])
        outputs: dict[str, Any] = {
            "principal_arn": principal_arn,
            "key_arn": key_arn,
            "access": self.access,
            "paths": self.paths,
        }
        if self.grant_id is not None:
            outputs["grant_id"] = self.grant_id
        self.register_outputs(outputs)
