"""Pure builders of the policy documents this project writes, and the action lists.

Data in, dicts out: no Pulumi, no boto3. The components, the verifier and the
policy pack all read the action lists and checks from here, so there is one
place for each fact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.errors import ConfigError

POLICY_VERSION = "2012-10-17"
KEY_POLICY_MAX_BYTES = 32 * 1024

# Statement ids, read back by the verifier and the policy pack.
SID_ROOT_DELEGATION = "EnableIamPolicies"
SID_ADMINISTRATION = "AllowKeyAdministration"
SID_KEY_USE_VIA_DYNAMODB = "AllowKeyUseThroughDynamoDB"

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

# What DynamoDB needs of a caller's key rights (AWS's documented minimum, less
# CreateGrant, which only the table creator needs).
KEY_USER_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)

# Actions that touch plaintext or ciphertext: an administrator must hold none.
KEY_DATA_ACTIONS: frozenset[str] = frozenset(
    {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey*",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:*",
    }
)

# KeyUser access levels, as IAM actions, as KMS grant operations, and as the
# DynamoDB actions that make the principal a working reader or writer.
ACCESS_KMS_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("kms:Decrypt", "kms:DescribeKey"),
    "read-write": ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"),
}
ACCESS_GRANT_OPERATIONS: dict[str, tuple[str, ...]] = {
    "read": ("Decrypt", "DescribeKey"),
    "read-write": (
        "Decrypt",
        "DescribeKey",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    ),
}
_TABLE_READ_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
ACCESS_TABLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": _TABLE_READ_ACTIONS,
    "read-write": (
        *_TABLE_READ_ACTIONS,
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ),
}

# The encryption context DynamoDB sends with every KMS call for a table.
CONTEXT_TABLE_NAME = "aws:dynamodb:tableName"
CONTEXT_SUBSCRIBER_ID = "aws:dynamodb:subscriberId"


def dynamodb_service(region: str, dns_suffix: str = "amazonaws.com") -> str:
    """The kms:ViaService value for DynamoDB in a region."""
    return f"dynamodb.{region}.{dns_suffix}"


def via_dynamodb_condition(region: str, account_id: str, dns_suffix: str = "amazonaws.com") -> dict[str, Any]:
    """Key use only through DynamoDB, on behalf of a caller of this account."""
    return {
        "StringEquals": {
            "kms:ViaService": dynamodb_service(region, dns_suffix),
            "kms:CallerAccount": account_id,
        }
    }


def account_root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def build_key_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    admin_arns: Sequence[str],
    key_user_arns: Sequence[str],
    allow_iam_policies: bool = True,
    deployer_arn: str | None = None,
    dns_suffix: str = "amazonaws.com",
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
                "Condition": via_dynamodb_condition(region, account_id, dns_suffix),
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
    if size > KEY_POLICY_MAX_BYTES:
        raise ConfigError(
            "key_users",
            f"the key policy would be {size} bytes, over the KMS limit of {KEY_POLICY_MAX_BYTES}",
            "fewer key_users in the key policy; add the others with KeyUser (mode 'grant' or 'iam-policy'), "
            "which does not grow the key policy",
        )
    return text


def as_list(value: Any) -> list[Any]:
    """A policy element as a list: IAM lets one value stand for a list of one."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statement_principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal a statement names, flattened ("*" stays "*")."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    return [p for values in principal.values() for p in as_list(values)]


def unconditioned_wildcard_statements(policy: Mapping[str, Any]) -> list[str]:
    """Sids (or positions) of Allow statements open to any principal with no condition.

    A NotPrincipal Allow is open to everyone but the named, so it counts too.
    """
    found = []
    for position, statement in enumerate(as_list(policy.get("Statement"))):
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        if "*" in statement_principals(statement) or "NotPrincipal" in statement:
            found.append(str(statement.get("Sid", f"#{position}")))
    return found


def iam_wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards: * any run of characters, ? one character; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL
    return re.fullmatch(regex, value, flags) is not None


def statement_allows_action(statement: Mapping[str, Any], action: str) -> bool:
    """Does an Allow statement cover this action (Action or NotAction; action names ignore case)?"""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(iam_wildcard_match(p, action, ignore_case=True) for p in as_list(statement["NotAction"]))
    return any(iam_wildcard_match(p, action, ignore_case=True) for p in as_list(statement.get("Action")))


_ACCOUNT_PRINCIPAL = re.compile(r"^(?:\d{12}|arn:[\w-]+:iam::\d{12}:root)$")
# Data actions as KMS names them, to test statements (with wildcards) against.
_KEY_DATA_OPERATIONS = tuple(sorted(a for a in KEY_DATA_ACTIONS if "*" not in a))


def _label(statement: Mapping[str, Any], position: int) -> str:
    return str(statement.get("Sid") or f"#{position}")


def unscoped_key_use_statements(policy: Mapping[str, Any]) -> list[str]:
    """Sids (or positions) of key-policy statements that let a principal use the key outside DynamoDB.

    A statement that allows a data action to anyone but the account itself (the
    root delegation, which only hands the decision to IAM) must carry kms:ViaService.
    """
    found = []
    for position, statement in enumerate(as_list(policy.get("Statement"))):
        if not any(statement_allows_action(statement, action) for action in _KEY_DATA_OPERATIONS):
            continue
        principals = statement_principals(statement)
        if principals and all(_ACCOUNT_PRINCIPAL.match(p) for p in principals) and "NotPrincipal" not in statement:
            continue
        keys = {k.lower() for block in (statement.get("Condition") or {}).values() for k in block}
        if "kms:viaservice" not in keys:
            found.append(_label(statement, position))
    return found


def broad_kms_statements(policy: Mapping[str, Any]) -> list[str]:
    """Sids (or positions) of identity-policy statements that grant kms:* anywhere, or kms:Decrypt on every key."""
    found = []
    for position, statement in enumerate(as_list(policy.get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        # "kms:*" as written, or anything that covers it: "*", "k*", a NotAction that spares kms.
        every_kms_action = statement_allows_action(statement, "kms:*")
        on_everything = "NotResource" in statement or "*" in as_list(statement.get("Resource"))
        if every_kms_action or (statement_allows_action(statement, "kms:Decrypt") and on_everything):
            found.append(_label(statement, position))
    return found


def key_user_identity_policy(
    *,
    key_arn: str,
    region: str,
    account_id: str,
    access: str,
    table_arn: str | None = None,
    dns_suffix: str = "amazonaws.com",
) -> dict[str, Any]:
    """An identity policy for one key user: this key only, through DynamoDB only.

    With table_arn, it also grants the matching DynamoDB actions on the table and
    its indexes, so one policy makes a working reader or writer.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "UseTableKeyThroughDynamoDB",
            "Effect": "Allow",
            "Action": list(ACCESS_KMS_ACTIONS[access]),
            "Resource": key_arn,
            "Condition": via_dynamodb_condition(region, account_id, dns_suffix),
        }
    ]
    if table_arn is not None:
        statements.append(_table_items_statement(table_arn, access))
    return {"Version": POLICY_VERSION, "Statement": statements}


def table_access_policy(*, table_arn: str, access: str) -> dict[str, Any]:
    """DynamoDB item access on one table and its indexes, no KMS rights."""
    return {"Version": POLICY_VERSION, "Statement": [_table_items_statement(table_arn, access)]}


def _table_items_statement(table_arn: str, access: str) -> dict[str, Any]:
    return {
        "Sid": "AccessTableItems",
        "Effect": "Allow",
        "Action": list(ACCESS_TABLE_ACTIONS[access]),
        "Resource": [table_arn, f"{table_arn}/index/*"],
    }


def table_encryption_context(table_name: str, account_id: str) -> dict[str, str]:
    """The encryption context DynamoDB sends to KMS for this table's data."""
    return {CONTEXT_TABLE_NAME: table_name, CONTEXT_SUBSCRIBER_ID: account_id}


def trust_account_policy(partition: str, account_id: str) -> dict[str, Any]:
    """A role trust policy: principals of this account (with sts:AssumeRole rights) may assume it."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AssumableByThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn(partition, account_id)},
                "Action": "sts:AssumeRole",
            }
        ],
    }
