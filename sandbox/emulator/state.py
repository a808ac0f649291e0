"""moto's backends read into plain records: keys and their grants, identity policies, callers, tables' keys.

One of the three modules that touch moto (5.2.x, pinned), and it only reads. What it
returns is plain data the decisions are made from.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.sts.models import sts_backends

from access.arns import table_name_of
from access.documents import NamedPolicy, parse_policy
from access.evaluator import Grant
from access.kms_dynamodb import KEY_MANAGER_CUSTOMER
from sandbox.emulator.account import PARTITION


@dataclass(frozen=True)
class KeyAccess:
    arn: str
    state: str
    policy: Mapping[str, Any]
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Caller:
    identity_arn: str  # user ARN, or the role ARN (with path) behind a session
    caller_arn: str  # as AWS names the caller in errors: the session ARN for a role
    account_id: str


@dataclass(frozen=True)
class AccessState:
    """Everything key access depends on, at one moment."""

    keys: Mapping[str, KeyAccess]  # by key id
    identity_policies: Mapping[str, tuple[NamedPolicy, ...]]  # by identity ARN


def _default_document(policy: Any) -> str | Mapping[str, Any]:
    document: str | Mapping[str, Any] = next(v for v in policy.versions if v.is_default).document
    return document


def _owned_policies(kind: str, owner: Any) -> list[NamedPolicy]:
    """A moto user, group or role's inline and attached managed policies."""
    found = [parse_policy(doc, f"inline policy {name} of {kind} {owner.name}") for name, doc in owner.policies.items()]
    found += [parse_policy(_default_document(p), f"managed policy {p.name}") for p in owner.managed_policies.values()]
    return found


def read_identity_policies(account_id: str) -> dict[str, tuple[NamedPolicy, ...]]:
    """Every user's (with its groups') and every role's identity policies, by ARN."""
    iam = iam_backends[account_id]["global"]
    identity: dict[str, tuple[NamedPolicy, ...]] = {}
    for user in list(iam.users.values()):
        policies = _owned_policies("user", user)
        for group in iam.get_groups_for_user(user.name):
            policies += _owned_policies("group", group)
        identity[user.arn] = tuple(policies)
    for role in list(iam.roles.values()):
        identity[role.arn] = tuple(_owned_policies("role", role))
    return identity


def read_state(account_id: str, region: str) -> AccessState:
    """A snapshot of keys, grants and identity policies."""
    keys = {
        key.id: KeyAccess(
            arn=key.arn,
            state=key.key_state,
            policy=json.loads(key.policy) if key.policy else {},
            grants=tuple(
                Grant(g.id, g.grantee_principal, tuple(g.operations), dict(g.constraints or {}))
                for g in key.grants.values()
            ),
        )
        for key in list(kms_backends[account_id][region].keys.values())
    }
    return AccessState(keys, read_identity_policies(account_id))


@dataclass(frozen=True)
class Issued:
    """Credentials the emulator issued: whose they are, the secret that signs with them, whether expired."""

    caller: Caller
    secret_access_key: str = field(repr=False)
    expired: bool = False


def issued_credentials(account_id: str, access_key_id: str, session_token: str | None) -> Issued | None:
    """The caller and secret behind an access key id (and session token); None if the emulator did not issue them.

    An IAM user's key counts while it is Active; a session's key only with its own token, and
    an IAM user's key never with a token.
    """
    iam = iam_backends[account_id]["global"]
    if session_token:
        for assumed in list(sts_backends[account_id]["global"].assumed_roles):
            if assumed.access_key_id == access_key_id and assumed.session_token == session_token:
                try:
                    role = iam.get_role_by_arn(assumed.role_arn)
                except Exception:
                    return None  # the role is gone: its sessions are no longer honoured
                session = f"arn:{PARTITION}:sts::{account_id}:assumed-role/{role.name}/{assumed.session_name}"
                expired = assumed.expiration <= datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
                return Issued(Caller(role.arn, session, account_id), assumed.secret_access_key, expired)
        return None
    for user in list(iam.users.values()):
        for key in user.access_keys:
            if key.access_key_id == access_key_id and key.status == "Active":
                return Issued(Caller(user.arn, user.arn, account_id), key.secret_access_key)
    return None


def resolve_caller(account_id: str, access_key_id: str, session_token: str | None) -> Caller | None:
    """Who signed a request, from its access key id; None if the emulator did not issue it."""
    issued = issued_credentials(account_id, access_key_id, session_token)
    return issued.caller if issued is not None else None


def table_key_id(account_id: str, region: str, table_name: str) -> str | None:
    """Id of the customer-managed key a table (by name or ARN) is encrypted with, or None."""
    table = dynamodb_backends[account_id][region].tables.get(table_name_of(table_name))
    sse = getattr(table, "sse_specification", None) or {}
    if not sse.get("Enabled") or not sse.get("KMSMasterKeyId"):
        return None
    try:
        key = kms_backends[account_id][region].describe_key(sse["KMSMasterKeyId"])
    except Exception:
        return str(sse["KMSMasterKeyId"])  # a key that does not exist: the table's data is inaccessible
    return str(key.id) if key.key_manager == KEY_MANAGER_CUSTOMER else None


def trust_policy(account_id: str, role_arn: str) -> NamedPolicy:
    """A role's trust policy."""
    role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    return parse_policy(role.assume_role_policy_document, f"trust policy of role {role.name}")
