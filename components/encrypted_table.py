"""EncryptedTable: a customer-managed KMS key, its alias, and a DynamoDB table encrypted with it."""

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from access.arns import PARTITION_OF_REGION, table_arn
from access.errors import ConfigError, one_of
from access.kms_dynamodb import KEY_SPEC, KEY_USAGE
from components.autoscaling import (
    AutoScalingArgs,
    ReplicaPlace,
    add_replicas,
    replica_stream_arn,
    replicas_need_own_resources,
    scale,
    scaling_targets,
    table_ignored_changes,
)
from components.context import DeployContext, deploy_context
from components.key_alarms import RegionAlarms, alarm_topic_key_policy, region_alarms
from components.key_user import KeyUserArgs
from components.policy_builders import (
    build_key_policy,
    check_resource_policy_size,
    consumer_policy_json,
    effective_break_glass,
    key_policy_json,
    resource_policy_json,
    stream_resource_policy,
    table_resource_policy,
)
from components.validation import (
    KEY_USER_DEFAULTS,
    ExternalPrincipalSpec,
    KeyProtectionSpec,
    KeySpec,
    TableSpec,
    check_key_protection_at_deploy,
    default_alias,
    validate_external_principals,
    validate_key_args,
    validate_key_protection,
    validate_principal_arns,
    validate_table_args,
)

TOKEN = "encrypted-dynamodb:index:EncryptedTable"  # noqa: S105 (a Pulumi type token, not a secret)

# Worst-case placeholders for checking the key policy size before deploy, when
# the account, partition and region are not known yet.
_LONGEST_PARTITION = "aws-iso-b"
_PLACEHOLDER_ACCOUNT = "000000000000"
_LONGEST_REGION = "ap-southeast-99"
_LONGEST_TABLE_NAME = "t" * 255  # an auto-named table's name is unknown before deploy
# A stream ARN ends in its label, an ISO 8601 timestamp of milliseconds (DescribeStream's StreamLabel).
_PLACEHOLDER_STREAM_LABEL = "2026-12-06T00:00:00.000"
_LONGEST_KEY_ID = "mrk-" + "0" * 32  # a multi-Region key's id, as long as a single-Region key's UUID


class ExternalPrincipalArgs(TypedDict):
    """A principal of another account that may read (or write) the table: a statement of the table's
    resource policy (and its stream's), and key use by the key policy or by a KeyUser's grant."""

    principal: str
    """Role or user ARN of another account; with allow_external_accounts also an account id or its root ARN."""
    access: NotRequired[str]
    """'read': the table's read actions and kms:Decrypt; 'read-write': also the write actions and Encrypt,
    GenerateDataKey*, ReEncrypt*."""
    key_access: NotRequired[str]
    """'key-policy': a statement in each region's key policy (needs table_name); 'grant': none, pair it with
    KeyUser(table.key_user_args(principal, mode="grant")), which grants in each region."""
    stream: NotRequired[bool]
    """Also read the table's stream (its own resource policy); needs the table's stream enabled."""


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
    external_principals: NotRequired[list[ExternalPrincipalArgs]]
    """Principals of other accounts that may read (or write) the table and use its keys. The component then
    owns the table's resource policy (and its replicas' and stream's): attach no other. Default: none."""
    allow_external_accounts: NotRequired[bool]
    """Let external_principals name a whole account (its id or root ARN), delegating to its administrators."""
    autoscaling: NotRequired[AutoScalingArgs]
    """Auto scaling of a PROVISIONED table's capacities (and its indexes'); write auto scaling is required with
    replicas. Default: none, the capacities stay as set."""
    key_loss_protection: NotRequired[bool]
    """Deny, in every region's key policy, the calls that make the key unusable or its material unrecoverable
    (DisableKey, ScheduleKeyDeletion, DeleteImportedKeyMaterial, PutKeyPolicy bypassing the lockout check) to
    all but the break-glass principals, and replacing the key policy to all but them and the deploying
    identity; and alarm on the calls that endanger the key (EventBridge rules to an SNS topic per key region).
    Off: the key policy is exactly as without it."""
    break_glass_principals: NotRequired[list[str]]
    """With key_loss_protection: the only principals that may still disable, delete or lock the key; IAM role
    or user ARNs of the table's account, or its root ARN. Default: the deploying identity (so `pulumi destroy`
    works); name a dedicated break-glass role instead."""
    break_glass_require_mfa: NotRequired[bool]
    """With key_loss_protection: the break-glass principals too are refused those calls without MFA."""
    alarm_topic_arns: NotRequired[dict[str, str]]
    """With key_loss_protection: region -> the SNS topic ARN (of that region and the table's account) the key's
    alarms publish to, for every key region. Default: a topic per region, encrypted with a key of its own."""


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
    external: Sequence[ExternalPrincipalSpec] = (),
    table_name: str | None = None,
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
            external_principals=external,
            table_name=table_name,
            key_loss_protection=spec.protection,
        )
    )


def _table_resource_name(name: str) -> str:
    return f"{name}-table"


def _default_autoname(resource_name: str) -> str:
    """As long as Pulumi's default auto-name of a resource: its logical name, '-' and 7 random characters."""
    return f"{resource_name}-{'x' * 7}"


def _check_policy_size_now(
    spec: KeySpec,
    admins: Any,
    users: Any,
    external: Sequence[ExternalPrincipalSpec],
    table_name: str | None,
    replica_regions: Sequence[str] = (),
    home_region: str | None = None,
    auto_table_name: str = _LONGEST_TABLE_NAME,
) -> None:
    """Refuse an oversized key policy (or table or stream resource policy, or consumer identity policy)
    before deploy when the ARNs are known now, with the longest partition, region and table name they
    could be deployed with."""
    if external:
        table = table_arn(_LONGEST_PARTITION, _LONGEST_REGION, _PLACEHOLDER_ACCOUNT, table_name or _LONGEST_TABLE_NAME)
        # The consumer's policy in the stack's own region and partition when they are known, and an auto-named
        # table as long as Pulumi's default auto-name: IAM's quota on a user's inline policies is small enough
        # that the longest placeholders would refuse what fits. consumer_policy_json checks it again, exactly,
        # at deploy (a custom autonaming pattern may name the table longer).
        partition = PARTITION_OF_REGION.get(home_region or "", _LONGEST_PARTITION)
        region = home_region or _LONGEST_REGION
        consumer_table = table_arn(partition, region, _PLACEHOLDER_ACCOUNT, table_name or auto_table_name)
        key_arns = {
            r: f"arn:{partition}:kms:{r}:{_PLACEHOLDER_ACCOUNT}:key/{_LONGEST_KEY_ID}"
            for r in (region, *replica_regions)
        }
        for principal in external:
            consumer_policy_json(principal, table_arn=consumer_table, key_arns=key_arns)
        check_resource_policy_size(lambda some: table_resource_policy(table_arn=table, principals=some), external)
        stream = f"{table}/stream/{_PLACEHOLDER_STREAM_LABEL}"
        readers = [p for p in external if p.stream]
        if readers:
            check_resource_policy_size(lambda some: stream_resource_policy(stream_arn=stream, principals=some), readers)
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
            external,
            table_name,
        )


def validate_encrypted_table_args(
    name: str, args: EncryptedTableArgs
) -> tuple[KeySpec, TableSpec, tuple[ExternalPrincipalSpec, ...]]:
    """All the checks EncryptedTable makes before deploy; raises ConfigError.

    A program can call it first to refuse bad input before creating anything else.
    """
    key_spec = validate_key_args(args, default_alias(pulumi.get_project(), pulumi.get_stack(), name))
    configured_region = pulumi.Config("aws").get("region")
    if "primary_region" not in args and configured_region and (args.get("replica_regions") or args.get("replicas")):
        args = {**args, "primary_region": configured_region}
    table_spec = validate_table_args(args)
    protection = validate_key_protection(
        args,
        replica_regions=[r.region for r in table_spec.replicas],
        primary_region=args.get("primary_region") or configured_region,
        allow_iam_policies=key_spec.allow_iam_policies,
    )
    key_spec = dataclasses.replace(key_spec, protection=protection)
    external = validate_external_principals(args, stream_enabled=table_spec.stream_view_type is not None)
    if any(p.key_access == "key-policy" for p in external) and table_spec.name is None:
        # The key policy's statement is bound to the table's encryption context, its name; an auto-generated
        # name is known only once the table exists, and the table needs its key first.
        raise ConfigError(
            "table_name",
            "external principals with key_access 'key-policy' need the table's name before deploy",
            "set table_name, or key_access 'grant' for every external principal",
        )
    _check_policy_size_now(
        key_spec,
        args.get("key_admins") or [],
        args.get("key_users") or [],
        external,
        table_spec.name,
        [r.region for r in table_spec.replicas],
        args.get("primary_region") or configured_region,
        _default_autoname(_table_resource_name(name)),
    )
    return key_spec, table_spec, external


def _replica_stream_arn(replicas: Any, region: str) -> str:
    """A replica's latest stream ARN from the table's `replicas` output (objects or mappings, as the SDK
    hands nested outputs over)."""
    for replica in replicas or []:

        def field(snake: str, camel: str, replica: Any = replica) -> Any:
            # The SDK's output types are Mappings that warn on a camelCase key: read the property first.
            if hasattr(replica, snake):
                return getattr(replica, snake)
            if isinstance(replica, Mapping):
                return replica[snake] if snake in replica else replica.get(camel)
            return None

        if field("region_name", "regionName") == region:
            return str(field("stream_arn", "streamArn"))
    raise ConfigError("replica_regions", f"the table reports no replica in {region!r}", "a replica region")


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
    external_principals: pulumi.Output[list[dict[str, Any]]]
    """The external principals as validated: principal, account, access, key_access, stream (empty when none)."""
    consumer_policies: pulumi.Output[dict[str, str]]
    """Each external principal's identity policy (JSON), which its own account must attach (ConsumerAccess)."""
    table_policy: pulumi.Output[str]
    """The primary table's resource policy (JSON); empty without external principals."""
    key_protection: pulumi.Output[dict[str, Any]]
    """With key_loss_protection: break_glass (the principals excepted), require_mfa, deletion_window_days, and
    alarms, one per key region (the table's first): region, key_arn, topic_arn, rules (alarm kind -> EventBridge
    rule name). Empty when off."""

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
        key_spec, table_spec, external = validate_encrypted_table_args(name, args)
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
        self.external_specs: tuple[ExternalPrincipalSpec, ...] = external

        where = deploy_context(self)

        @functools.cache
        def external_of(account_id: str) -> tuple[ExternalPrincipalSpec, ...]:
            """The external principals, checked again now that the table's own account is known (once: every
            region's key, table and stream policy and the outputs ask)."""
            return validate_external_principals(
                args, stream_enabled=table_spec.stream_view_type is not None, owner_account=account_id
            )

        def protection_checked(account_id: str, home_region: str) -> None:
            """Key-loss protection against the table's account and region, once they are known (every key)."""
            if key_spec.protection is not None:
                check_key_protection_at_deploy(key_spec.protection, account_id=account_id, region=home_region)

        def policy_in(region: pulumi.Input[str]) -> pulumi.Output[str]:
            """The key policy of the key in `region`: the same principals, key use through DynamoDB there."""
            return pulumi.Output.all(
                where.partition,
                where.account_id,
                pulumi.Output.from_input(region),
                where.deployer_arn,
                pulumi.Output.from_input(admins_in),
                pulumi.Output.from_input(users_in),
                where.region,
            ).apply(render_key_policy)

        def render_key_policy(values: list[Any]) -> str:
            protection_checked(values[1], values[6])
            return _render_key_policy(
                key_spec,
                values[0],
                values[1],
                values[2],
                values[3],
                values[4],
                values[5],
                external_of(values[1]),
                table_spec.name,
            )

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
        # A PROVISIONED global table gets its replicas after its write auto scaling (components/autoscaling.py).
        replicas_apart = replicas_need_own_resources(table_spec)
        self.table: aws.dynamodb.Table = aws.dynamodb.Table(
            _table_resource_name(name),
            name=table_spec.name,
            # The key ARN, never an alias: an alias makes the provider diff forever.
            server_side_encryption={"enabled": True, "kms_key_arn": self.key.arn},
            # Changing a replica's key recreates that replica (terraform-provider-aws PR 29102): its data is
            # copied again from the other regions.
            replicas=None
            if replicas_apart
            else [
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
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=table_ignored_changes(table_spec) or None),
            **_table_inputs(table_spec),
        )
        # Auto scaling in the table's region; with replicas apart, each replica after it, then its region's.
        self.scaling_policies: list[aws.appautoscaling.Policy] = scale(
            name, self.table.name, scaling_targets(table_spec), opts=child
        )
        replica_places = {
            r.region: ReplicaPlace(r.region, None if r.region in providers else r.region, providers.get(r.region))
            for r in table_spec.replicas
        }
        self.table_replicas: dict[str, aws.dynamodb.TableReplica] = {}
        self.replica_scaling_policies: dict[str, list[aws.appautoscaling.Policy]] = {}
        if replicas_apart:
            self.table_replicas, self.replica_scaling_policies = add_replicas(
                name,
                self,
                self.table,
                table_spec,
                key_arns={region: key.arn for region, key in self.replica_keys.items()},
                places=replica_places,
                tags=tags,
                after=self.scaling_policies,
            )

        # Readers in other accounts: a resource policy on each region's table (resource policies are per
        # replica table and not replicated: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
        # globaltables-security.html, rbac-considerations.html), and on each region's stream when asked
        # (a stream has its own). This component owns them: nobody else may attach a resource policy to the
        # table, or the two would overwrite each other (one owner, as for the key policy).
        self.table_policy_resources: dict[str, aws.dynamodb.ResourcePolicy] = {}
        self.stream_policy_resources: dict[str, aws.dynamodb.ResourcePolicy] = {}
        if external:

            def table_policy_json(arn: str, account_id: str) -> str:
                return resource_policy_json(table_resource_policy(table_arn=arn, principals=external_of(account_id)))

            def stream_policy_json(arn: str, account_id: str) -> str:
                return resource_policy_json(stream_resource_policy(stream_arn=arn, principals=external_of(account_id)))

            def replica_arn_in(region: str) -> pulumi.Output[str]:
                return pulumi.Output.all(where.partition, where.account_id, self.table.name).apply(
                    lambda values: table_arn(values[0], region, values[1], values[2])
                )

            def replica_stream_in(region: str) -> pulumi.Output[str]:
                if region in self.table_replicas:
                    return replica_stream_arn(
                        self.table.name, self.table_replicas[region], replica_places[region], self
                    )
                return self.table.replicas.apply(lambda replicas: _replica_stream_arn(replicas, region))

            wants_stream = any(p.stream for p in external)
            places: list[tuple[str | None, pulumi.Output[str], pulumi.Output[str], pulumi.ResourceOptions]] = [
                (None, self.table.arn, self.table.stream_arn, child)
            ]
            for replica in table_spec.replicas:
                places.append(
                    (
                        replica.region,
                        replica_arn_in(replica.region),
                        replica_stream_in(replica.region),
                        pulumi.ResourceOptions(
                            parent=self,
                            provider=providers.get(replica.region),
                            # A replica made apart exists once its TableReplica does, not with the table.
                            depends_on=[self.table_replicas[replica.region]] if replicas_apart else None,
                        ),
                    )
                )
            for place, arn, stream_arn, options in places:
                suffix = f"-{place}" if place else ""
                in_place = None if place is None or place in providers else place
                policy = aws.dynamodb.ResourcePolicy(
                    f"{name}-table-policy{suffix}",
                    resource_arn=arn,
                    policy=pulumi.Output.all(arn, where.account_id).apply(lambda v: table_policy_json(v[0], v[1])),
                    region=in_place,
                    opts=options,
                )
                self.table_policy_resources[place or ""] = policy
                if wants_stream:
                    self.stream_policy_resources[place or ""] = aws.dynamodb.ResourcePolicy(
                        f"{name}-stream-policy{suffix}",
                        resource_arn=stream_arn,
                        policy=pulumi.Output.all(stream_arn, where.account_id).apply(
                            lambda v: stream_policy_json(v[0], v[1])
                        ),
                        region=in_place,
                        opts=options,
                    )

        # Key-loss alarms, in every key region (components/key_alarms.py).
        self.key_alarms: list[RegionAlarms] = []
        if key_spec.protection is not None:
            self.key_alarms = self._key_alarms(name, key_spec, key_spec.protection, where, admins_in, providers, tags)

        self.key_id = self.key.key_id
        self.key_arn = self.key.arn
        self.alias_name = self.alias.name
        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.region = where.region
        self.account_id = where.account_id
        # As build_key_policy names them: key_admins, the deployer, and the break-glass roles and users.
        named_break_glass = [
            arn for arn in (key_spec.protection.break_glass if key_spec.protection else ()) if not arn.endswith(":root")
        ]
        self.key_admin_arns = pulumi.Output.all(where.deployer_arn, pulumi.Output.from_input(admins_in)).apply(
            lambda values: validate_principal_arns("key_admins", [*values[1], values[0], *named_break_glass])
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
        self.external_principals = where.account_id.apply(
            lambda account_id: [
                {
                    "principal": p.principal,
                    "account": p.account,
                    "access": p.access,
                    "key_access": p.key_access,
                    "stream": p.stream,
                }
                for p in external_of(account_id)
            ]
        )
        all_key_arns = pulumi.Output.all(where.region, self.key.arn, self.replica_key_arns).apply(
            lambda values: {values[0]: values[1], **values[2]}
        )
        self.consumer_policies = pulumi.Output.all(self.table.arn, all_key_arns, where.account_id).apply(
            lambda values: {
                p.principal: consumer_policy_json(p, table_arn=values[0], key_arns=values[1])
                for p in external_of(values[2])
            }
        )
        self.table_policy = self.table_policy_resources[""].policy if external else pulumi.Output.from_input("")
        protection = key_spec.protection
        self.key_protection = (
            pulumi.Output.all(where.deployer_arn, *(alarms.summary() for alarms in self.key_alarms)).apply(
                lambda values: {
                    "break_glass": effective_break_glass(protection, values[0]),
                    "require_mfa": protection.require_mfa,
                    "deletion_window_days": key_spec.deletion_window_days,
                    "alarms": list(values[1:]),
                }
            )
            if protection is not None
            else pulumi.Output.from_input({})
        )
        self.register_outputs(
            {
                "key_protection": self.key_protection,
                "external_principals": self.external_principals,
                "consumer_policies": self.consumer_policies,
                "table_policy": self.table_policy,
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

    def _key_alarms(
        self,
        name: str,
        key_spec: KeySpec,
        protection: KeyProtectionSpec,
        where: DeployContext,
        admins_in: Any,
        providers: Mapping[str, pulumi.ProviderResource],
        tags: Any,
    ) -> list[RegionAlarms]:
        """The alarms of every key region, the table's first, placed as that region's key is."""

        def topic_key_policy_in(region: pulumi.Input[str]) -> pulumi.Output[str]:
            return pulumi.Output.all(
                where.partition,
                where.account_id,
                pulumi.Output.from_input(region),
                where.deployer_arn,
                pulumi.Output.from_input(admins_in),
            ).apply(
                lambda values: key_policy_json(
                    alarm_topic_key_policy(
                        partition=values[0],
                        account_id=values[1],
                        region=values[2],
                        admin_arns=validate_principal_arns("key_admins", values[4]),
                        deployer_arn=values[3],
                        protection=protection,
                    )
                )
            )

        given = protection.alarm_topic_arns
        # The table's own region is the one alarm_topic_arns names besides the replicas' (checked at deploy).
        home_topic = next((arn for r, arn in given.items() if r not in self.replica_keys), None)
        places: list[
            tuple[str, pulumi.Input[str], str | None, pulumi.Output[str], str | None, pulumi.ResourceOptions]
        ] = [("", where.region, None, self.key.arn, home_topic, pulumi.ResourceOptions(parent=self))]
        for replica_region, key in self.replica_keys.items():
            places.append(
                (
                    f"-{replica_region}",
                    replica_region,
                    None if replica_region in providers else replica_region,
                    key.arn,
                    given.get(replica_region),
                    pulumi.ResourceOptions(parent=self, provider=providers.get(replica_region)),
                )
            )
        alarms = []
        for suffix, region, region_argument, key_arn, topic, opts in places:
            alarms.append(
                region_alarms(
                    name,
                    suffix=suffix,
                    region=region,
                    region_argument=region_argument,
                    key_arn=key_arn,
                    topic_arn=topic,
                    topic_key_policy=topic_key_policy_in(region),
                    partition=where.partition,
                    account_id=where.account_id,
                    deletion_window_days=key_spec.deletion_window_days,
                    tags=tags,
                    opts=opts,
                )
            )
        return alarms

    def consumer_policy(self, principal: str) -> pulumi.Output[str]:
        """The identity policy (JSON) an external principal's own account must attach (ConsumerAccess's policy)."""
        if principal not in {p.principal for p in self.external_specs}:
            raise ConfigError(
                "principal",
                f"{principal!r} is not among external_principals",
                one_of(p.principal for p in self.external_specs),
            )
        return self.consumer_policies.apply(lambda policies: policies[principal])

    def key_user_args(
        self,
        principal_arn: pulumi.Input[str],
        *,
        mode: str = "grant",
        access: str | None = None,
        include_table_access: bool = False,
        principal_kind: str | None = None,
        paths: Sequence[str] = (),
    ) -> KeyUserArgs:
        """KeyUser arguments that make principal_arn a user of this table's key (and of its declared paths).

        access: default 'read', or, for a principal declared in external_principals with key_access 'grant',
        its declared access (the grant in each region pairs with its table resource-policy statement)."""
        declared = next((p for p in self.external_specs if p.principal == principal_arn), None)
        if declared is not None:
            if declared.key_access != "grant":
                raise ConfigError(
                    "principal_arn",
                    f"{declared.principal!r} is an external principal with key_access {declared.key_access!r}: "
                    "the key policy already lets it in",
                    "an external principal declared with key_access 'grant', or a principal of this account",
                )
            if access is not None and access != declared.access:
                raise ConfigError(
                    "access",
                    f"{access!r} differs from the {declared.access!r} external_principals declares for it",
                    repr(declared.access),
                )
            access = declared.access
        args: KeyUserArgs = {
            "key_arn": self.key_arn,
            "table_name": self.table_name,
            "table_arn": self.table_arn,
            "principal_arn": principal_arn,
            "mode": mode,
            "access": access or str(KEY_USER_DEFAULTS["access"]),
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
