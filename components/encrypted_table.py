"""EncryptedTable: a customer-managed KMS key, its alias, and a DynamoDB table encrypted with it."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from access.arns import table_arn
from access.errors import ConfigError
from access.kms_dynamodb import KEY_SPEC, KEY_USAGE
from components.context import deploy_context
from components.key_user import KeyUserArgs
from components.policy_builders import build_key_policy, key_policy_json
from components.validation import (
    KeySpec,
    TableSpec,
    default_alias,
    validate_key_args,
    validate_principal_arns,
    validate_table_args,
)

TOKEN = "encrypted-dynamodb:index:EncryptedTable"  # noqa: S105 (a Pulumi type token, not a secret)

# Worst-case placeholders for checking the key policy size before deploy, when
# the account, partition and region are not known yet.
_LONGEST_PARTITION = "aws-iso-b"
_PLACEHOLDER_ACCOUNT = "000000000000"
_LONGEST_REGION = "ap-southeast-99"


class GlobalSecondaryIndexArgs(TypedDict):
    """One global secondary index of the table."""

    name: str
    """Index name: 3 to 255 characters from a-z, A-Z, 0-9, '_', '-', '.'."""
    partition_key: str
    """Attribute used as the index's partition key."""
    partition_key_type: NotRequired[str]
    """Type of the index partition key: S, N or B."""
    sort_key: NotRequired[str]
    """Attribute used as the index's sort key. Default: none."""
    sort_key_type: NotRequired[str]
    """Type of the index sort key: S, N or B."""
    projection_type: NotRequired[str]
    """ALL, KEYS_ONLY or INCLUDE."""
    non_key_attributes: NotRequired[list[str]]
    """Attributes projected with INCLUDE (required with INCLUDE only)."""
    read_capacity: NotRequired[int]
    """Read capacity units; required with billing mode PROVISIONED."""
    write_capacity: NotRequired[int]
    """Write capacity units; required with billing mode PROVISIONED."""


class ReplicaArgs(TypedDict):
    """One replica of a global table, with its own options."""

    region: str
    """Region of the replica; the replica's own customer-managed key is created there."""
    point_in_time_recovery: NotRequired[bool]
    """Point-in-time recovery for the replica. Default: the table's setting."""
    deletion_protection: NotRequired[bool]
    """Deletion protection for the replica. Default: the table's setting."""
    propagate_tags: NotRequired[bool]
    """Copy the table's tags to the replica."""


class EncryptedTableArgs(TypedDict):
    """Arguments of an EncryptedTable."""

    partition_key: str
    """Name of the table's partition (hash) key attribute."""
    partition_key_type: NotRequired[str]
    """Type of the partition key: S (string), N (number) or B (binary)."""
    sort_key: NotRequired[str]
    """Name of the table's sort (range) key attribute. Default: none."""
    sort_key_type: NotRequired[str]
    """Type of the sort key: S, N or B."""
    table_name: NotRequired[str]
    """Physical table name. Default: auto-named by Pulumi from the component name."""
    billing_mode: NotRequired[str]
    """PAY_PER_REQUEST or PROVISIONED."""
    read_capacity: NotRequired[int]
    """Read capacity units; required with PROVISIONED, refused otherwise."""
    write_capacity: NotRequired[int]
    """Write capacity units; required with PROVISIONED, refused otherwise."""
    point_in_time_recovery: NotRequired[bool]
    """Continuous backups with point-in-time recovery."""
    deletion_protection: NotRequired[bool]
    """Refuse DeleteTable while set; turn off for throwaway stacks."""
    ttl_attribute: NotRequired[str]
    """Attribute holding each item's expiry time (epoch seconds). Default: no TTL."""
    stream_view_type: NotRequired[str]
    """Enable a stream: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES. Default: no stream."""
    global_secondary_indexes: NotRequired[list[GlobalSecondaryIndexArgs]]
    """Global secondary indexes. Default: none."""
    key_description: NotRequired[str]
    """Description of the KMS key."""
    alias: NotRequired[str]
    """KMS alias, 'alias/...'. Default: alias/<project>/<stack>/<name>."""
    enable_key_rotation: NotRequired[bool]
    """Automatic rotation of the key material."""
    rotation_period_days: NotRequired[int]
    """Days between automatic rotations, 90 to 2560. Unset: AWS's default period."""
    deletion_window_days: NotRequired[int]
    """Days a deleted key waits before it is destroyed, 7 to 30."""
    key_admins: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """IAM role or user ARNs that manage the key (never use it). The deploying identity is always added."""
    key_users: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """IAM role or user ARNs named in the key policy as key users, through DynamoDB only."""
    allow_iam_policies: NotRequired[bool]
    """Let IAM identity policies grant use of the key (account-root delegation)."""
    tags: NotRequired[pulumi.Input[dict[str, pulumi.Input[str]]]]
    """Tags for the key and the table."""
    replica_regions: NotRequired[list[str]]
    """Regions of replicas (a global table, version 2019.11.21), each encrypted with a key of its own region."""
    replicas: NotRequired[list[ReplicaArgs]]
    """Replicas with their own options; the same as replica_regions, region by region."""
    multi_region_key: NotRequired[bool]
    """One multi-Region key (a primary key and a replica key in each replica region) instead of independent keys."""
    primary_region: NotRequired[str]
    """The table's own region, to refuse it as a replica before deploy. Default: the stack's aws:region."""


def _all_plain(values: Any) -> bool:
    return isinstance(values, list | tuple) and all(isinstance(v, str) for v in values)


def _render_key_policy(
    spec: KeySpec,
    partition: str,
    account_id: str,
    region: str,
    deployer_arn: str,
    admins: Sequence[str],
    users: Sequence[str],
) -> str:
    """The key policy JSON for these principals; ConfigError if an ARN is bad or it is too large."""
    return key_policy_json(
        build_key_policy(
            partition=partition,
            account_id=account_id,
            region=region,
            admin_arns=validate_principal_arns("key_admins", admins),
            key_user_arns=validate_principal_arns("key_users", users, named_only=True),
            allow_iam_policies=spec.allow_iam_policies,
            deployer_arn=deployer_arn,
        )
    )


def _check_policy_size_now(spec: KeySpec, admins: Any, users: Any) -> None:
    """Refuse an oversized key policy before deploy when the ARNs are known now."""
    if _all_plain(admins) and _all_plain(users):
        deployer = f"arn:{_LONGEST_PARTITION}:iam::{_PLACEHOLDER_ACCOUNT}:role/deployer"
        _render_key_policy(
            spec,
            _LONGEST_PARTITION,
            _PLACEHOLDER_ACCOUNT,
            _LONGEST_REGION,
            deployer,
            admins,
            users,
        )


def validate_encrypted_table_args(name: str, args: EncryptedTableArgs) -> tuple[KeySpec, TableSpec]:
    """All the checks EncryptedTable makes before deploy; raises ConfigError.

    A program can call it first to refuse bad input before creating anything else.
    """
    key_spec = validate_key_args(args, default_alias(pulumi.get_project(), pulumi.get_stack(), name))
    configured_region = pulumi.Config("aws").get("region")
    if "primary_region" not in args and configured_region and (args.get("replica_regions") or args.get("replicas")):
        args = {**args, "primary_region": configured_region}
    table_spec = validate_table_args(args)
    _check_policy_size_now(key_spec, args.get("key_admins") or [], args.get("key_users") or [])
    return key_spec, table_spec


def _table_inputs(spec: TableSpec) -> dict[str, Any]:
    """Table arguments that follow from the validated spec alone."""
    inputs: dict[str, Any] = {
        "attributes": [{"name": n, "type": t} for n, t in spec.attributes.items()],
        "hash_key": spec.partition_key,
        "range_key": spec.sort_key,
        "billing_mode": spec.billing_mode,
        "read_capacity": spec.read_capacity,
        "write_capacity": spec.write_capacity,
        "point_in_time_recovery": {"enabled": spec.point_in_time_recovery},
        "deletion_protection_enabled": spec.deletion_protection,
    }
    if spec.ttl_attribute:
        inputs["ttl"] = {"attribute_name": spec.ttl_attribute, "enabled": True}
    if spec.stream_view_type:
        inputs["stream_enabled"] = True
        inputs["stream_view_type"] = spec.stream_view_type
    if spec.indexes:
        inputs["global_secondary_indexes"] = [
            {
                "name": index.name,
                "key_schemas": [{"attribute_name": index.partition_key, "key_type": "HASH"}]
                + ([{"attribute_name": index.sort_key, "key_type": "RANGE"}] if index.sort_key else []),
                "projection_type": index.projection_type,
                "non_key_attributes": list(index.non_key_attributes) or None,
                "read_capacity": index.read_capacity,
                "write_capacity": index.write_capacity,
            }
            for index in spec.indexes
        ]
    return inputs


class EncryptedTable(pulumi.ComponentResource):
    """A DynamoDB table encrypted at rest with its own customer-managed KMS key.

    The key is symmetric (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT), rotates, and its
    policy names who administers it and who may use it (only through DynamoDB).
    Add further key users after the fact with KeyUser, never by rewriting the policy.
    """

    # Class-level annotations are the component's schema outputs (other Pulumi
    # languages see them); the child resources (self.key, self.alias, self.table)
    # are Python-only attributes, annotated where they are set.
    key_id: pulumi.Output[str]
    """Id of the customer-managed KMS key."""
    key_arn: pulumi.Output[str]
    """ARN of the customer-managed KMS key (what the table is encrypted with)."""
    alias_name: pulumi.Output[str]
    """Alias of the key, 'alias/...'."""
    table_name: pulumi.Output[str]
    """Name of the DynamoDB table."""
    table_arn: pulumi.Output[str]
    """ARN of the DynamoDB table."""
    region: pulumi.Output[str]
    """Region of the key and the table."""
    account_id: pulumi.Output[str]
    """Account that owns the key and the table."""
    key_admin_arns: pulumi.Output[list[str]]
    """Who administers the key (never uses it): key_admins and the deploying identity."""
    key_user_arns: pulumi.Output[list[str]]
    """Who the key policy names as key users (through DynamoDB only); KeyUsers come on top."""
    deployer_arn: pulumi.Output[str]
    """The deploying identity, as the key policy names it (the role behind an STS session)."""
    replica_key_arns: pulumi.Output[dict[str, str]]
    """Each replica region's key ARN, by region (empty without replicas)."""
    replica_alias_names: pulumi.Output[dict[str, str]]
    """Each replica region's key alias, by region."""
    replica_arns: pulumi.Output[dict[str, str]]
    """Each replica's table ARN, by region."""

    def __init__(
        self,
        name: str,
        args: EncryptedTableArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        region_providers: Mapping[str, pulumi.ProviderResource] | None = None,
    ) -> None:
        """region_providers (Python only): an aws provider per replica region, for replicas that need other
        credentials than the component's provider. Without one, a replica's key and alias are managed by the
        component's own provider with the resource's `region` argument (pulumi-aws 7), which keeps its
        credentials, profile and assumed role, and creates no provider of its own."""
        # Every check on plain values runs before anything, this component included, is registered.
        key_spec, table_spec = validate_encrypted_table_args(name, args)
        providers = dict(region_providers or {})
        unknown = sorted(set(providers) - {r.region for r in table_spec.replicas})
        if unknown:
            raise ConfigError(
                "region_providers", f"{unknown} are not replica regions", "one provider per replica region"
            )
        admins_in = args.get("key_admins") or []
        users_in = args.get("key_users") or []
        super().__init__(TOKEN, name, None, opts)
        self.allow_iam_policies: bool = key_spec.allow_iam_policies

        where = deploy_context(self)

        def policy_in(region: pulumi.Input[str]) -> pulumi.Output[str]:
            """The key policy of the key in `region`: the same principals, key use through DynamoDB there."""
            return pulumi.Output.all(
                where.partition,
                where.account_id,
                pulumi.Output.from_input(region),
                where.deployer_arn,
                pulumi.Output.from_input(admins_in),
                pulumi.Output.from_input(users_in),
            ).apply(lambda values: _render_key_policy(key_spec, *values))

        tags = args.get("tags")

        def new_key(
            resource_name: str, policy_region: str | None, opts: pulumi.ResourceOptions, **extra: Any
        ) -> aws.kms.Key:
            return aws.kms.Key(
                resource_name,
                description=key_spec.description,
                customer_master_key_spec=KEY_SPEC,
                key_usage=KEY_USAGE,
                enable_key_rotation=key_spec.enable_rotation,
                rotation_period_in_days=key_spec.rotation_period_days,
                deletion_window_in_days=key_spec.deletion_window_days,
                policy=policy_in(policy_region or where.region),
                tags=tags,
                opts=opts,
                **extra,
            )

        child = pulumi.ResourceOptions(parent=self)
        self.key: aws.kms.Key = new_key(
            f"{name}-key", None, child, **({"multi_region": True} if key_spec.multi_region else {})
        )
        # A key in each replica's region: DynamoDB encrypts a replica with a key of its own region and
        # calls KMS there, as the caller (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
        # globaltables-security.html). Each key policy scopes use to DynamoDB of ITS region: that key is
        # only ever used there, so the guide's sample `dynamodb.*.amazonaws.com` would allow more than needed.
        self.replica_keys: dict[str, aws.kms.Key | aws.kms.ReplicaKey] = {}
        self.replica_aliases: dict[str, aws.kms.Alias] = {}
        for replica in table_spec.replicas:
            region = replica.region
            in_region = pulumi.ResourceOptions(parent=self, provider=providers.get(region))
            region_argument = None if region in providers else region
            replica_key: aws.kms.Key | aws.kms.ReplicaKey
            if key_spec.multi_region:
                # Rotation is the primary's: a multi-Region key's replicas rotate with it.
                replica_key = aws.kms.ReplicaKey(
                    f"{name}-key-{region}",
                    primary_key_arn=self.key.arn,
                    description=key_spec.description,
                    deletion_window_in_days=key_spec.deletion_window_days,
                    policy=policy_in(region),
                    tags=tags,
                    region=region_argument,
                    opts=in_region,
                )
            else:
                replica_key = new_key(f"{name}-key-{region}", region, in_region, region=region_argument)
            self.replica_keys[region] = replica_key
            self.replica_aliases[region] = aws.kms.Alias(
                f"{name}-alias-{region}",
                name=key_spec.alias,
                target_key_id=replica_key.key_id,
                region=region_argument,
                opts=in_region,
            )
        self.alias: aws.kms.Alias = aws.kms.Alias(
            f"{name}-alias",
            name=key_spec.alias,
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.table: aws.dynamodb.Table = aws.dynamodb.Table(
            f"{name}-table",
            name=table_spec.name,
            # The key ARN, never an alias: an alias makes the provider diff forever.
            server_side_encryption={"enabled": True, "kms_key_arn": self.key.arn},
            # Changing a replica's key recreates that replica (terraform-provider-aws PR 29102): its data is
            # copied again from the other regions.
            replicas=[
                {
                    "region_name": r.region,
                    "kms_key_arn": self.replica_keys[r.region].arn,
                    "point_in_time_recovery": r.point_in_time_recovery,
                    "deletion_protection_enabled": r.deletion_protection,
                    "propagate_tags": r.propagate_tags,
                }
                for r in table_spec.replicas
            ]
            or None,
            tags=tags,
            opts=child,
            **_table_inputs(table_spec),
        )

        self.key_id = self.key.key_id
        self.key_arn = self.key.arn
        self.alias_name = self.alias.name
        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.region = where.region
        self.account_id = where.account_id
        self.key_admin_arns = pulumi.Output.all(where.deployer_arn, pulumi.Output.from_input(admins_in)).apply(
            lambda values: validate_principal_arns("key_admins", [*values[1], values[0]])
        )
        self.deployer_arn = where.deployer_arn
        self.key_user_arns = pulumi.Output.from_input(users_in).apply(
            lambda users: validate_principal_arns("key_users", users, named_only=True)
        )
        self.replica_regions = [r.region for r in table_spec.replicas]
        self.replica_key_arns = pulumi.Output.all(
            **{region: key.arn for region, key in self.replica_keys.items()}
        ).apply(lambda arns: dict(arns))
        self.replica_alias_names = pulumi.Output.all(
            **{region: alias.name for region, alias in self.replica_aliases.items()}
        ).apply(lambda names: dict(names))
        # A replica has the table's name in its own region.
        self.replica_arns = pulumi.Output.all(where.partition, where.account_id, self.table.name).apply(
            lambda values: {r: table_arn(values[0], r, values[1], values[2]) for r in self.replica_regions}
        )
        self.register_outputs(
            {
                "region": self.region,
                "account_id": self.account_id,
                "key_admin_arns": self.key_admin_arns,
                "key_user_arns": self.key_user_arns,
                "deployer_arn": self.deployer_arn,
                "key_id": self.key_id,
                "key_arn": self.key_arn,
                "alias_name": self.alias_name,
                "table_name": self.table_name,
                "table_arn": self.table_arn,
                "replica_key_arns": self.replica_key_arns,
                "replica_alias_names": self.replica_alias_names,
                "replica_arns": self.replica_arns,
            }
        )

    def key_user_args(
        self,
        principal_arn: pulumi.Input[str],
        *,
        mode: str = "grant",
        access: str = "read",
        include_table_access: bool = False,
        principal_kind: str | None = None,
        paths: Sequence[str] = (),
    ) -> KeyUserArgs:
        """KeyUser arguments that make principal_arn a user of this table's key (and of its declared paths)."""
        args: KeyUserArgs = {
            "key_arn": self.key_arn,
            "table_name": self.table_name,
            "table_arn": self.table_arn,
            "principal_arn": principal_arn,
            "mode": mode,
            "access": access,
            "include_table_access": include_table_access,
            "key_allows_iam_policies": self.allow_iam_policies,
        }
        if self.replica_keys:
            args["replica_key_arns"] = {region: key.arn for region, key in self.replica_keys.items()}
        if principal_kind is not None:
            args["principal_kind"] = principal_kind
        if paths:
            args["paths"] = list(paths)
        return args
