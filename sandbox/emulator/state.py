"""moto's backends read into plain records: keys and their grants, identity policies, callers, tables' keys.

One of the modules that touch moto (sandbox/emulator/__init__.py lists them) (5.2.x, pinned), and it only reads. What it
returns is plain data the decisions are made from.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodbstreams.models import dynamodbstreams_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.kms.utils import _deserialize_ciphertext_blob
from moto.sts.models import sts_backends

from access.arns import table_name_of
from access.documents import NamedPolicy, parse_policy
from access.evaluator import Grant
from access.kms_dynamodb import AUTOSCALING_NAMESPACE, AUTOSCALING_POLICY_TYPE, KEY_MANAGER_CUSTOMER
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
    temporary: bool = False  # signed with temporary credentials (an STS session), not an access key


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


def _key_access(key: Any) -> KeyAccess:
    return KeyAccess(
        arn=key.arn,
        state=key.key_state,
        policy=json.loads(key.policy) if key.policy else {},
        grants=tuple(
            Grant(g.id, g.grantee_principal, tuple(g.operations), dict(g.constraints or {}))
            for g in list(key.grants.values())
        ),
    )


def read_state(account_id: str, region: str) -> AccessState:
    """A snapshot of keys, grants and identity policies."""
    keys = {key.id: _key_access(key) for key in list(kms_backends[account_id][region].keys.values())}
    return AccessState(keys, read_identity_policies(account_id))


def read_key(account_id: str, region: str, key_id: str) -> KeyAccess | None:
    """One key and its grants, now; None if there is no such key."""
    key = kms_backends[account_id][region].keys.get(key_id)
    return None if key is None else _key_access(key)


def read_policies_of(account_id: str, identity_arn: str) -> tuple[NamedPolicy, ...]:
    """One user's (with its groups') or role's identity policies, now; () for no such identity."""
    iam = iam_backends[account_id]["global"]
    for user in list(iam.users.values()):
        if user.arn == identity_arn:
            policies = _owned_policies("user", user)
            for group in iam.get_groups_for_user(user.name):
                policies += _owned_policies("group", group)
            return tuple(policies)
    role = next((r for r in list(iam.roles.values()) if r.arn == identity_arn), None)
    return () if role is None else tuple(_owned_policies("role", role))


@dataclass(frozen=True)
class Issued:
    """Credentials the emulator issued: whose they are, the secret that signs with them, whether expired."""

    caller: Caller
    secret_access_key: str = field(repr=False)
    expired: bool = False


def issued_credentials(accounts: Iterable[str], access_key_id: str, session_token: str | None) -> Issued | None:
    """The caller and secret behind an access key id (and session token), in whichever of these accounts
    issued it; None if the emulator did not issue them.

    An IAM user's key counts while it is Active; a session's key only with its own token, and
    an IAM user's key never with a token. A session belongs to its role's account: moto's STS
    files it (and its temporary key) under the account of the role ARN, whoever assumed it.
    """
    for account_id in accounts:
        found = _issued_in(account_id, access_key_id, session_token)
        if found is not None:
            return found
    return None


def _issued_in(account_id: str, access_key_id: str, session_token: str | None) -> Issued | None:
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
                caller = Caller(role.arn, session, account_id, temporary=True)
                return Issued(caller, assumed.secret_access_key, expired)
        return None
    for user in list(iam.users.values()):
        for key in user.access_keys:
            if key.access_key_id == access_key_id and key.status == "Active":
                return Issued(Caller(user.arn, user.arn, account_id), key.secret_access_key)
    return None


def resolve_caller(account_id: str, access_key_id: str, session_token: str | None) -> Caller | None:
    """Who signed a request of this account, from its access key id; None if the account did not issue it."""
    issued = issued_credentials((account_id,), access_key_id, session_token)
    return issued.caller if issued is not None else None


def _customer_key_of(account_id: str, region: str, table: Any) -> str | None:
    """Id of the customer-managed key a moto table (or a backup's copy of one) is encrypted with, or None."""
    sse = getattr(table, "sse_specification", None) or {}
    if not sse.get("Enabled") or not sse.get("KMSMasterKeyId"):
        return None
    found = key_id_of(account_id, region, str(sse["KMSMasterKeyId"]))
    if found is None:
        return str(sse["KMSMasterKeyId"])  # a key that does not exist: the table's data is inaccessible
    key = kms_backends[account_id][region].keys[found]
    return str(key.id) if key.key_manager == KEY_MANAGER_CUSTOMER else None


def table_key_id(account_id: str, region: str, table_name: str) -> str | None:
    """Id of the customer-managed key a table (by name or ARN) is encrypted with, or None."""
    table = dynamodb_backends[account_id][region].tables.get(table_name_of(table_name))
    return _customer_key_of(account_id, region, table)


# A table's resource policy also governs its indexes; a stream has a policy of its own
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html).
_POLICY_OWNER = re.compile(
    r"(arn:[^:]+:dynamodb:[^:]+:[0-9]{12}:table/[^/]+(?:/stream/[^/]+)?)(?:/index/.*)?", re.DOTALL
)


def resource_policy(account_id: str, region: str, resource_arn: str) -> NamedPolicy | None:
    """The DynamoDB resource policy that governs a table, index or stream ARN, if one is set."""
    match = _POLICY_OWNER.fullmatch(resource_arn)
    if match is None:
        return None
    stored = dynamodb_backends[account_id][region].resource_policies.get(match.group(1))
    if stored is None:
        return None
    kind = "stream" if "/stream/" in match.group(1) else "table"
    return NamedPolicy(f"{kind} resource policy", json.loads(stored.policy_doc))


def key_id_of(account_id: str, region: str, reference: str) -> str | None:
    """The id of the key a KeyId names (key id, key ARN, alias name or alias ARN) in this account and region;
    None if none exists. An ARN of another region or account names no key here, even a multi-Region key's
    (whose replicas share its key id).

    Read only: moto's own resolution would create the AWS managed key of an alias/aws/* name.
    """
    kms = kms_backends[account_id][region]
    name = reference
    if reference.startswith("arn:") and reference.count(":") >= 5:
        _arn, _partition, _service, arn_region, arn_account, name = reference.split(":", 5)
        if (arn_region, arn_account) != (region, account_id):
            return None
    if name.startswith("alias/"):
        return next((str(key.id) for key in list(kms.keys.values()) if name in key.aliases), None)
    key_id = name.removeprefix("key/")
    return key_id if key_id in kms.keys else None


def ciphertext_key_id(blob: str) -> str | None:
    """The key a (base64) ciphertext blob of moto's KMS was made with; None if it is not one."""
    try:
        return str(_deserialize_ciphertext_blob(base64.b64decode(blob, validate=True)).key_id)
    except Exception:
        return None


@dataclass(frozen=True)
class DataSource:
    """Whose data a backup or a stream holds: the table's name, and its customer-managed key (or None)."""

    table_name: str
    key_id: str | None
    stream_arn: str = ""


def backup_data(account_id: str, region: str, backup_arn: str) -> DataSource | None:
    """The table a backup was taken of, with the key its copy is encrypted with; None if no such backup."""
    backup = dynamodb_backends[account_id][region].backups.get(backup_arn)
    if backup is None:
        return None
    return DataSource(str(backup.table.name), _customer_key_of(account_id, region, backup.table))


def iterator_account(accounts: Iterable[str], region: str, iterator: str) -> str | None:
    """The account whose DynamoDB Streams issued a shard iterator (the stream's owner); None if none did."""
    for account_id in accounts:
        if iterator in dynamodbstreams_backends[account_id][region].shard_iterators:
            return account_id
    return None


def stream_data(account_id: str, region: str, iterator: str) -> DataSource | None:
    """The table (and stream) a shard iterator reads, with the table's key; None if no such iterator."""
    shard_iterator = dynamodbstreams_backends[account_id][region].shard_iterators.get(iterator)
    if shard_iterator is None:
        return None
    table = shard_iterator.stream_shard.table
    stream = f"{table.table_arn}/stream/{table.latest_stream_label}"
    return DataSource(str(table.name), _customer_key_of(account_id, region, table), stream)


def trust_policy(account_id: str, role_arn: str) -> NamedPolicy:
    """A role's trust policy."""
    role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    return parse_policy(role.assume_role_policy_document, f"trust policy of role {role.name}")


def auto_scaled(account_id: str, region: str, resource_id: str, dimension: str) -> bool:
    """Does Application Auto Scaling of this region scale this DynamoDB capacity: a scalable target, and a
    target-tracking scaling policy on it?"""
    backend = applicationautoscaling_backends[account_id][region]
    target = backend.targets.get(dimension, {}).get(resource_id)
    if target is None or target.service_namespace != AUTOSCALING_NAMESPACE:
        return False
    return any(
        (p.service_namespace, p.resource_id, p.scalable_dimension, p.policy_type)
        == (AUTOSCALING_NAMESPACE, resource_id, dimension, AUTOSCALING_POLICY_TYPE)
        for p in list(backend.policies.values())
    )
