"""The policy documents this project writes, built from plain data: no Pulumi, no boto3.

The facts they are made of (statement ids, action sets, the encryption context,
kms:ViaService, the size limit) live in access.kms_dynamodb; the checks they must pass
in access.analyzers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from access.analyzers import unconditioned_wildcard_statements
from access.arns import account_root_arn, parse_table_arn
from access.arns import table_arn as table_arn_in
from access.documents import POLICY_VERSION
from access.errors import ConfigError
from access.kms_dynamodb import (
    ACCESS_KMS_ACTIONS,
    ACCESS_TABLE_ACTIONS,
    KEY_ADMIN_ACTIONS,
    KEY_POLICY_MAX_BYTES,
    KEY_USER_ACTIONS,
    SID_ADMINISTRATION,
    SID_IDENTITY_KEY_USE,
    SID_KEY_USE_VIA_DYNAMODB,
    SID_ROOT_DELEGATION,
    SID_TABLE_ITEMS,
    SID_TRUST_ACCOUNT,
    dynamodb_via_service,
)
from access.operations import Path, Resource, operations_on, path_actions

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
) -> dict[str, Any]:
    """The key policy of an EncryptedTable's key.

    - allow_iam_policies: the account root gets kms:*, which is how AWS lets IAM
      identity policies (and so KeyUser's iam-policy mode) grant use of the key.
    - admin_arns: manage the key, never use it on data.
    - key_user_arns: use the key, only through DynamoDB of this account and region.
    - deployer_arn: always kept among the administrators so `pulumi up` can never
      lock itself out of the key it manages.
    """
    admins = list(dict.fromkeys([*admin_arns, *([deployer_arn] if deployer_arn else [])]))
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
    policy = {"Version": POLICY_VERSION, "Statement": statements}
    wildcards = unconditioned_wildcard_statements(policy)
    if wildcards:  # unreachable through validated ARNs; a guard for future edits
        raise ConfigError(
            "key policy", f"statements {wildcards} allow any principal unconditionally", "named principals"
        )
    return policy


def key_policy_json(policy: Mapping[str, Any]) -> str:
    """Serialise a key policy, refusing one KMS would reject for its size."""
    text = json.dumps(policy, indent=2)
    size = len(text.encode())
    if size <= KEY_POLICY_MAX_BYTES:
        return text
    problem = f"the key policy would be {size} bytes, over the KMS limit of {KEY_POLICY_MAX_BYTES}"
    # Blame the list that takes the most room: the administrators' or the key users' statement.
    sizes = {
        str(s.get("Sid")): len(json.dumps(s, indent=2).encode())
        for s in policy.get("Statement", [])
        if s.get("Sid") in (SID_ADMINISTRATION, SID_KEY_USE_VIA_DYNAMODB)
    }
    if sizes.get(SID_ADMINISTRATION, 0) > sizes.get(SID_KEY_USE_VIA_DYNAMODB, 0):
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
