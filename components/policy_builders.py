"""The policy documents this project writes, built from plain data: no Pulumi, no boto3.

The facts they are made of (statement ids, action sets, the encryption context,
kms:ViaService, the size limit) live in access.kms_dynamodb; the checks they must pass
in access.analyzers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from access.analyzers import unconditioned_wildcard_statements
from access.arns import account_root_arn, parse_table_arn
from access.arns import table_arn as table_arn_in
from access.documents import POLICY_VERSION
from access.errors import ConfigError
from access.kms_dynamodb import (
    ACCESS_KMS_ACTIONS,
    ACCESS_TABLE_ACTIONS,
    CONTEXT_SUBSCRIBER_ID,
    CONTEXT_TABLE_NAME,
    EXTERNAL_ACCESS_KMS_ACTIONS,
    INLINE_POLICY_MAX_CHARACTERS,
    KEY_ADMIN_ACTIONS,
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE_ACTION,
    KEY_POLICY_MAX_BYTES,
    KEY_USER_ACTIONS,
    LOCKOUT_BYPASS_ACTION,
    LOCKOUT_BYPASS_CONDITION_KEY,
    MFA_CONDITION_KEY,
    RESOURCE_POLICY_MAX_BYTES,
    SID_ADMINISTRATION,
    SID_EXTERNAL_KEY_USE,
    SID_EXTERNAL_STREAM_READ,
    SID_EXTERNAL_TABLE_ACCESS,
    SID_IDENTITY_KEY_USE,
    SID_KEY_LOSS_MFA,
    SID_KEY_LOSS_PROTECTION,
    SID_KEY_POLICY_CHANGE,
    SID_KEY_POLICY_CHANGE_MFA,
    SID_KEY_USE_VIA_DYNAMODB,
    SID_LOCKOUT_BYPASS,
    SID_LOCKOUT_BYPASS_MFA,
    SID_ROOT_DELEGATION,
    SID_TABLE_ITEMS,
    SID_TRUST_ACCOUNT,
    STREAM_READ_ACTIONS,
    dynamodb_via_service,
)
from access.operations import Path, Resource, operations_on, path_actions
from components.validation import ExternalPrincipalSpec, KeyProtectionSpec, require_customer_managed_key

# A declared path's statement: this prefix and the path's name ("DeclaredPathStream", "DeclaredPathReKey"),
# and the resource kind when the path's actions act on several ("DeclaredPathRestoreBackup").
SID_DECLARED_PATH = "DeclaredPath"
# Where a path's actions are granted, by the kind of resource the catalogue names first for each: the
# table itself, or its streams, backups, exports (never "*", never another table).
_PATH_RESOURCES: dict[Resource, str] = {
    Resource.TABLE: "{table}",
    Resource.STREAM: "{table}/stream/*",
    Resource.BACKUP: "{table}/backup/*",
    Resource.EXPORT: "{table}/export/*",
}


def via_dynamodb_condition(region: str | Sequence[str], account_id: str) -> dict[str, Any]:
    """Key use only through DynamoDB (of this region, or of any of these), for a caller of this account."""
    services = [dynamodb_via_service(r) for r in ([region] if isinstance(region, str) else region)]
    return {
        "StringEquals": {
            "kms:ViaService": services[0] if len(services) == 1 else services,
            "kms:CallerAccount": account_id,
        }
    }


def build_key_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    admin_arns: Sequence[str],
    key_user_arns: Sequence[str],
    allow_iam_policies: bool = True,
    deployer_arn: str | None = None,
    external_principals: Sequence[ExternalPrincipalSpec] = (),
    table_name: str | None = None,
    key_loss_protection: KeyProtectionSpec | None = None,
) -> dict[str, Any]:
    """The key policy of an EncryptedTable's key (always a customer-managed key: cross-account use of the
    AWS managed key is impossible, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    rbac-considerations.html, "Cross-account considerations").

    - allow_iam_policies: the account root gets kms:*, which is how AWS lets IAM
      identity policies (and so KeyUser's iam-policy mode) grant use of the key.
    - admin_arns: manage the key, never use it on data.
    - key_user_arns: use the key, only through DynamoDB of this account and region.
    - deployer_arn: always kept among the administrators so `pulumi up` can never
      lock itself out of the key it manages.
    - external_principals: those of key_access "key-policy" get external_key_statements (which need
      table_name: the statement is bound to the table's encryption context); "grant" ones get a KeyUser.
    - key_loss_protection: key_loss_statements appended, denying the key-loss calls to all but its break-glass
      principals (the deployer when it names none), who are administrators too (a root break-glass acts
      through the root delegation). None: the policy is exactly what it was without protection.
    """
    break_glass = effective_break_glass(key_loss_protection, deployer_arn) if key_loss_protection else []
    named = [arn for arn in break_glass if not arn.endswith(":root")]
    admins = list(dict.fromkeys([*admin_arns, *([deployer_arn] if deployer_arn else []), *named]))
    if not admins:
        raise ConfigError(
            "key_admins",
            "nobody could administer the key",
            "at least one IAM role or user ARN (the deploying identity is added when known)",
        )
    statements: list[dict[str, Any]] = []
    if allow_iam_policies:
        statements.append(
            {
                "Sid": SID_ROOT_DELEGATION,
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn(partition, account_id)},
                "Action": "kms:*",
                "Resource": "*",
            }
        )
    statements.append(
        {
            "Sid": SID_ADMINISTRATION,
            "Effect": "Allow",
            "Principal": {"AWS": admins},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        }
    )
    users = list(dict.fromkeys(key_user_arns))
    if users:
        statements.append(
            {
                "Sid": SID_KEY_USE_VIA_DYNAMODB,
                "Effect": "Allow",
                "Principal": {"AWS": users},
                "Action": list(KEY_USER_ACTIONS),
                "Resource": "*",
                "Condition": via_dynamodb_condition(region, account_id),
            }
        )
    in_key_policy = [p for p in external_principals if p.key_access == "key-policy"]
    if in_key_policy:
        if table_name is None:
            raise ConfigError(
                "table_name",
                "an external principal's key-policy statement is bound to the table's name (its encryption "
                "context), and an auto-generated name is known only after the key the table is encrypted with",
                "set table_name, or key_access 'grant' for every external principal",
            )
        statements += external_key_statements(
            in_key_policy, region=region, table_name=table_name, owner_account=account_id
        )
    if key_loss_protection is not None:
        statements += key_loss_statements(
            break_glass,
            require_mfa=key_loss_protection.require_mfa,
            policy_managers=[deployer_arn] if deployer_arn else [],
        )
    policy = {"Version": POLICY_VERSION, "Statement": statements}
    wildcards = unconditioned_wildcard_statements(policy)
    if wildcards:  # unreachable through validated ARNs; a guard for future edits
        raise ConfigError(
            "key policy", f"statements {wildcards} allow any principal unconditionally", "named principals"
        )
    return policy


# -- key-loss protection (issue 20) ---------------------------------------------------------------


def effective_break_glass(protection: KeyProtectionSpec, deployer_arn: str | None) -> list[str]:
    """The break-glass principals the key policy excepts: those named, or else the deploying identity (so that
    `pulumi destroy`, which schedules the key's deletion as the deployer, still works)."""
    if protection.break_glass:
        return list(protection.break_glass)
    if deployer_arn is None:
        raise ConfigError(
            "break_glass_principals",
            "none named, and the deploying identity is not known to stand in",
            "IAM role or user ARNs of the table's account",
        )
    return [deployer_arn]


def key_loss_statements(
    break_glass: Sequence[str], *, require_mfa: bool = False, policy_managers: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The key policy's Deny statements that keep a key from being lost (access.kms_dynamodb: the key-loss
    calls, and PutKeyPolicy bypassing the lockout safety check) to all but the break-glass principals.

    - Principal "*" with aws:PrincipalArn ArnNotEquals the break-glass ARNs: a deny for everyone else, however
      empowered (the root delegation, an identity policy of kms:*, a key administrator). A role's sessions
      carry the role's ARN in aws:PrincipalArn (IAM user guide, reference_policies_condition-keys.html
      #condition-keys-principalarn: "For IAM roles, the request context returns the ARN of the role, not the
      ARN of the user that assumed the role").
    - The bypass: PutKeyPolicy stays with the administrators (`pulumi up` needs it, and KMS refuses a policy
      that locks its caller out: key-policy-default.html#prevent-unmanageable-key); only with
      kms:BypassPolicyLockoutSafetyCheck true (conditions-kms.html) is it denied to all but break-glass.
    - PutKeyPolicy itself, to all but the break-glass principals and policy_managers (the deploying identity):
      whoever may replace the policy may drop these denies, then lose the key (access.kms_dynamodb,
      KEY_POLICY_CHANGE_ACTION). Key administrators keep every other right.
    - require_mfa: the same calls denied to everyone (so to break-glass too) without MFA, with BoolIfExists:
      aws:MultiFactorAuthPresent is absent from a request signed with long-term access keys, and a plain Bool
      would then not match and not deny (reference_policies_condition-operators.html#Conditions_IfExists;
      reference_policies_condition-keys.html#condition-keys-multifactorauthpresent). The bypass has a
      statement of its own: a deny's conditions are ANDed.
    A Deny's Principal "*" is not a wildcard grant: access.analyzers flags Allow statements only.
    """
    principals = list(dict.fromkeys(break_glass))
    if not principals:
        raise ConfigError("break_glass_principals", "no break-glass principal", "at least one IAM principal ARN")
    not_break_glass = {"ArnNotEquals": {"aws:PrincipalArn": principals[0] if len(principals) == 1 else principals}}
    bypass = {"Bool": {LOCKOUT_BYPASS_CONDITION_KEY: "true"}}
    managers = list(dict.fromkeys([*principals, *policy_managers]))
    not_manager = {"ArnNotEquals": {"aws:PrincipalArn": managers[0] if len(managers) == 1 else managers}}
    statements: list[dict[str, Any]] = [
        _deny_everyone(SID_KEY_LOSS_PROTECTION, list(KEY_LOSS_ACTIONS), not_break_glass),
        _deny_everyone(SID_KEY_POLICY_CHANGE, KEY_POLICY_CHANGE_ACTION, not_manager),
        _deny_everyone(SID_LOCKOUT_BYPASS, LOCKOUT_BYPASS_ACTION, {**not_break_glass, **bypass}),
    ]
    if require_mfa:
        without_mfa = {"BoolIfExists": {MFA_CONDITION_KEY: "false"}}
        statements += [
            _deny_everyone(SID_KEY_LOSS_MFA, list(KEY_LOSS_ACTIONS), without_mfa),
            _deny_everyone(SID_LOCKOUT_BYPASS_MFA, LOCKOUT_BYPASS_ACTION, {**without_mfa, **bypass}),
        ]
        deployers = list(dict.fromkeys(policy_managers))
        not_deployer = (
            {"ArnNotEquals": {"aws:PrincipalArn": deployers[0] if len(deployers) == 1 else deployers}}
            if deployers
            else {}
        )
        statements.append(
            _deny_everyone(SID_KEY_POLICY_CHANGE_MFA, KEY_POLICY_CHANGE_ACTION, {**without_mfa, **not_deployer})
        )
    return statements


def _deny_everyone(sid: str, actions: str | list[str], condition: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": "*",
        "Condition": dict(condition),
    }


# The key-loss statements, for the size check's blame (key_policy_json).
_KEY_LOSS_SIDS = frozenset(
    {
        SID_KEY_LOSS_PROTECTION,
        SID_KEY_POLICY_CHANGE,
        SID_KEY_POLICY_CHANGE_MFA,
        SID_LOCKOUT_BYPASS,
        SID_KEY_LOSS_MFA,
        SID_LOCKOUT_BYPASS_MFA,
    }
)


def key_policy_json(policy: Mapping[str, Any]) -> str:
    """Serialise a key policy, refusing one KMS would reject for its size."""
    text = json.dumps(policy, indent=2)
    size = len(text.encode())
    if size <= KEY_POLICY_MAX_BYTES:
        return text
    problem = f"the key policy would be {size} bytes, over the KMS limit of {KEY_POLICY_MAX_BYTES}"
    # Blame the list that takes the most room: the administrators' or the key users' statement.
    sizes: dict[str, int] = {}
    for statement in policy.get("Statement", []):
        sid = str(statement.get("Sid"))
        group = SID_EXTERNAL_KEY_USE if sid.startswith(SID_EXTERNAL_KEY_USE) else sid
        group = SID_KEY_LOSS_PROTECTION if sid in _KEY_LOSS_SIDS else group
        sizes[group] = sizes.get(group, 0) + len(json.dumps(statement, indent=2).encode())
    largest = max(
        (SID_ADMINISTRATION, SID_KEY_USE_VIA_DYNAMODB, SID_EXTERNAL_KEY_USE, SID_KEY_LOSS_PROTECTION),
        key=lambda g: sizes.get(g, 0),
    )
    if largest == SID_KEY_LOSS_PROTECTION:
        raise ConfigError(
            "break_glass_principals",
            problem,
            "fewer break_glass_principals: name one or two break-glass roles, and let people assume them",
        )
    if largest == SID_EXTERNAL_KEY_USE:
        raise ConfigError(
            "external_principals",
            problem,
            "fewer external principals with key_access 'key-policy'; give the others key_access 'grant', "
            "which does not grow the key policy",
        )
    if largest == SID_ADMINISTRATION:
        raise ConfigError(
            "key_admins",
            problem,
            "fewer key_admins: name a few administrator roles, and let people assume them",
        )
    raise ConfigError(
        "key_users",
        problem,
        "fewer key_users in the key policy; add the others with KeyUser (mode 'grant' or 'iam-policy'), "
        "which does not grow the key policy",
    )


def key_user_identity_policy(
    *,
    key_arn: str,
    region: str,
    account_id: str,
    access: str,
    table_arn: str | None = None,
    replica_keys: Mapping[str, str] | None = None,
    paths: Sequence[Path] = (),
) -> dict[str, Any]:
    """An identity policy for one key user: this table's keys only, through DynamoDB only.

    replica_keys (region -> key ARN): a global table's replicas, each encrypted with its own
    region's key, are used through DynamoDB of their region. With table_arn, it also grants
    the matching DynamoDB actions on the table (and its replicas) and their indexes, so one
    policy makes a working reader or writer in every region, and the actions of each declared
    path (declared_path_statements).
    """
    if access not in ACCESS_KMS_ACTIONS:
        raise ConfigError("access", f"{access!r} uses no key: no key statement to write", "'read', 'read-write'")
    keys = {region: key_arn, **(replica_keys or {})}
    statements: list[dict[str, Any]] = [
        {
            "Sid": SID_IDENTITY_KEY_USE,
            "Effect": "Allow",
            "Action": list(ACCESS_KMS_ACTIONS[access]),
            "Resource": key_arn if len(keys) == 1 else list(keys.values()),
            "Condition": via_dynamodb_condition(list(keys), account_id),
        }
    ]
    if table_arn is not None:
        tables = [table_arn, *(_in_region(table_arn, r) for r in keys if r != region)]
        statements += [_table_items_statement(tables, access), *declared_path_statements(tables, paths)]
    return {"Version": POLICY_VERSION, "Statement": statements}


def _in_region(arn: str, region: str) -> str:
    """The same table's ARN in another region (a global table's replica has the table's name)."""
    table = parse_table_arn("table_arn", arn)
    return table_arn_in(table.partition, region, table.account, table.name)


def table_access_policy(
    *, table_arn: str, access: str, replica_regions: Sequence[str] = (), paths: Sequence[Path] = ()
) -> dict[str, Any]:
    """DynamoDB item access on one table (and its replicas) and their indexes, and the actions of each
    declared path, no KMS rights. Access "none" (access.operations.NO_ITEM_ACCESS): the paths only."""
    tables = [table_arn, *(_in_region(table_arn, r) for r in replica_regions)]
    items = [_table_items_statement(tables, access)] if access in ACCESS_TABLE_ACTIONS else []
    statements = [*items, *declared_path_statements(tables, paths)]
    if not statements:
        raise ConfigError("access", f"{access!r} with no paths grants nothing", "'read', 'read-write', or paths")
    return {"Version": POLICY_VERSION, "Statement": statements}


def declared_path_statements(tables: Sequence[str], paths: Sequence[Path]) -> list[dict[str, Any]]:
    """For each declared path, the IAM actions that open it (access.operations.path_actions) on these
    tables' resources of the kind each action acts on: stream reads on <table>/stream/*, a restore from
    a backup on <table>/backup/*, the rest on the table. Nothing outside DynamoDB (an export's S3
    bucket, a restore's target table, a Kinesis stream): who declares the path grants those."""
    statements: list[dict[str, Any]] = []
    for path in dict.fromkeys(paths):
        opening = path_actions(path)
        by_kind: dict[Resource, list[str]] = {}
        for operation in operations_on(path):
            if operation.actions[0] in opening:
                by_kind.setdefault(operation.resources[0], []).append(operation.actions[0])
        name = SID_DECLARED_PATH + _sid_part(path.value)
        for kind, actions in by_kind.items():
            statements.append(
                {
                    "Sid": name + (_sid_part(kind.value) if len(by_kind) > 1 else ""),
                    "Effect": "Allow",
                    "Action": sorted(set(actions)),
                    "Resource": [_PATH_RESOURCES[kind].format(table=table) for table in tables],
                }
            )
    return statements


def _sid_part(name: str) -> str:
    """'table policy' -> 'TablePolicy', 're-key' -> 'ReKey': a statement id takes letters and digits only."""
    return "".join(word.capitalize() for word in name.replace("-", " ").split())


def _table_items_statement(tables: Sequence[str], access: str) -> dict[str, Any]:
    return {
        "Sid": SID_TABLE_ITEMS,
        "Effect": "Allow",
        "Action": list(ACCESS_TABLE_ACTIONS[access]),
        "Resource": [arn for table in tables for arn in (table, f"{table}/index/*")],
    }


def trust_account_policy(partition: str, account_id: str) -> dict[str, Any]:
    """A role trust policy: principals of this account (with sts:AssumeRole rights) may assume it."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": SID_TRUST_ACCOUNT,
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn(partition, account_id)},
                "Action": "sts:AssumeRole",
            }
        ],
    }


# -- readers in other accounts (issue 19) --------------------------------------------------------


def external_key_statements(
    principals: Sequence[ExternalPrincipalSpec], *, region: str, table_name: str, owner_account: str
) -> list[dict[str, Any]]:
    """The key policy statements that let principals of other accounts use a key of this region: one per
    access level, the KMS data actions of that level only (EXTERNAL_ACCESS_KMS_ACTIONS: no DescribeKey, which
    carries no encryption context), through DynamoDB of this region, for this table of this account only
    (its encryption context: https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html)."""
    return [
        {
            "Sid": SID_EXTERNAL_KEY_USE + _sid_part(access),
            "Effect": "Allow",
            "Principal": _aws_principal(arns),
            "Action": list(EXTERNAL_ACCESS_KMS_ACTIONS[access]),
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": dynamodb_via_service(region),
                    f"kms:EncryptionContext:{CONTEXT_TABLE_NAME}": table_name,
                    f"kms:EncryptionContext:{CONTEXT_SUBSCRIBER_ID}": owner_account,
                }
            },
        }
        for access, arns in _by_access(principals).items()
    ]


def _by_access(principals: Sequence[ExternalPrincipalSpec]) -> dict[str, list[str]]:
    """The principals' ARNs grouped by access level, in order: one statement per level."""
    by_access: dict[str, list[str]] = {}
    for principal in principals:
        by_access.setdefault(principal.access, []).append(principal.principal)
    return by_access


def _aws_principal(arns: Sequence[str]) -> dict[str, Any]:
    """A Principal element naming these AWS principals: one as a string, several as a list."""
    return {"AWS": arns[0] if len(arns) == 1 else list(arns)}


def table_resource_policy(*, table_arn: str, principals: Sequence[ExternalPrincipalSpec]) -> dict[str, Any]:
    """The resource policy of one table (the primary, or one replica: resource policies are per replica
    table and not replicated, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    globaltables-security.html): per access level, its external principals may call that level's
    DynamoDB actions (ACCESS_TABLE_ACTIONS) on the table and its indexes, which a table's resource policy
    governs (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html)."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": SID_EXTERNAL_TABLE_ACCESS + _sid_part(access),
                "Effect": "Allow",
                "Principal": _aws_principal(arns),
                "Action": list(ACCESS_TABLE_ACTIONS[access]),
                "Resource": [table_arn, f"{table_arn}/index/*"],
            }
            for access, arns in _by_access(principals).items()
        ],
    }


def stream_resource_policy(*, stream_arn: str, principals: Sequence[ExternalPrincipalSpec]) -> dict[str, Any]:
    """The resource policy of a table's stream, which has its own (a table's does not cover it): the
    external principals that asked for the stream may read it (STREAM_READ_ACTIONS) on this stream."""
    arns = [p.principal for p in principals if p.stream]
    if not arns:
        raise ConfigError("external_principals", "no external principal asked for the stream", "stream True on one")
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": SID_EXTERNAL_STREAM_READ,
                "Effect": "Allow",
                "Principal": _aws_principal(arns),
                "Action": list(STREAM_READ_ACTIONS),
                "Resource": stream_arn,
            }
        ],
    }


def resource_policy_json(policy: Mapping[str, Any]) -> str:
    """Serialise a table's or stream's resource policy, compactly: DynamoDB counts whitespace against its
    20 KB limit (rbac-considerations). ConfigError over the limit (check_resource_policy_size names who overflows)."""
    text = json.dumps(policy, separators=(",", ":"))
    size = len(text.encode())
    if size > RESOURCE_POLICY_MAX_BYTES:
        raise ConfigError(
            "external_principals",
            f"the resource policy would be {size} bytes, over DynamoDB's limit of {RESOURCE_POLICY_MAX_BYTES}",
            "fewer external principals (name a role per consuming account and let its people assume it)",
        )
    return text


def check_resource_policy_size(
    build: Callable[[Sequence[ExternalPrincipalSpec]], Mapping[str, Any]], principals: Sequence[ExternalPrincipalSpec]
) -> None:
    """Refuse a resource policy over DynamoDB's limit, naming the external principals that do not fit: those
    from the first whose addition takes the document (built by `build`) over the limit."""
    fits = 0
    for count in range(1, len(principals) + 1):
        if len(json.dumps(build(principals[:count]), separators=(",", ":")).encode()) > RESOURCE_POLICY_MAX_BYTES:
            break
        fits = count
    if fits < len(principals):
        overflow = [p.principal for p in principals[fits:]]
        raise ConfigError(
            "external_principals",
            f"the table's resource policy would be over DynamoDB's limit of {RESOURCE_POLICY_MAX_BYTES} bytes; "
            f"these {len(overflow)} principals do not fit: {overflow}",
            "fewer external principals (name a role per consuming account and let its people assume it)",
        )


def consumer_policy_json(principal: ExternalPrincipalSpec, *, table_arn: str, key_arns: Mapping[str, str]) -> str:
    """consumer_identity_policy as the JSON ConsumerAccess attaches inline; ConfigError, naming the principal,
    when it would not fit IAM's quota on a role's or user's inline policies (INLINE_POLICY_MAX_CHARACTERS,
    whitespace not counted) and the consumer's deploy would fail after the owner's side exists."""
    policy = consumer_identity_policy(principal, table_arn=table_arn, key_arns=key_arns)
    limit = INLINE_POLICY_MAX_CHARACTERS.get(principal.kind)
    size = len(json.dumps(policy, separators=(",", ":")))
    if limit is not None and size > limit:
        raise ConfigError(
            "external_principals",
            f"the identity policy {principal.principal} must attach would be {size} characters, over IAM's limit "
            f"of {limit} for a {principal.kind}'s inline policies",
            "a role rather than a user as the external principal (a role's inline policies may hold 10,240), "
            "fewer replica regions, or no stream",
        )
    return json.dumps(policy)


def consumer_identity_policy(
    principal: ExternalPrincipalSpec, *, table_arn: str, key_arns: Mapping[str, str]
) -> dict[str, Any]:
    """The identity policy the external principal's own account must attach (ConsumerAccess): its access's
    DynamoDB actions on this table, its replicas and their indexes (and the stream reads when asked), and
    its access's KMS data actions on each region's key (key_arns: region -> key ARN, the primary's included)
    through DynamoDB of that region, for a caller of the CONSUMER's account. Cross-account access needs both
    sides: the owner's resource and key policies, and this (IAM user guide, "Cross-account policy evaluation
    logic"). Keys must be customer-managed (require_customer_managed_key)."""
    home = parse_table_arn("table_arn", table_arn)
    if home.region not in key_arns:
        raise ConfigError("key_arns", f"no key for the table's region {home.region!r}", "region -> key ARN")
    keys = [require_customer_managed_key(f"key_arns[{r!r}]", arn) for r, arn in key_arns.items()]
    tables = [table_arn, *(_in_region(table_arn, r) for r in key_arns if r != home.region)]
    statements: list[dict[str, Any]] = [
        _table_items_statement(tables, principal.access),
        {
            "Sid": SID_IDENTITY_KEY_USE,
            "Effect": "Allow",
            "Action": list(EXTERNAL_ACCESS_KMS_ACTIONS[principal.access]),
            "Resource": keys[0] if len(keys) == 1 else keys,
            "Condition": via_dynamodb_condition(list(key_arns), principal.account),
        },
    ]
    if principal.stream:
        statements.append(
            {
                "Sid": SID_EXTERNAL_STREAM_READ,
                "Effect": "Allow",
                "Action": list(STREAM_READ_ACTIONS),
                "Resource": [f"{table}/stream/*" for table in tables],
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}
