"""The pack's rules for key-loss protection (issue 20): a table's customer-managed key that any administrator
may disable or schedule for deletion, and a protected key that waits less than the longest AWS allows.

A disabled key makes a table encrypted with it unreadable at once; a key deleted destroys every item, backup
and replica encrypted with it (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html:
"Deleting an AWS KMS key is destructive and potentially dangerous"). Whether a key policy protects the key
is judged by the evaluator, never by statement ids (`key_loss_findings`):

- the administrator nobody named (access.key_protection.unnamed_administrator: a role of the key's account
  that the account's IAM may give kms:*) must be refused every key-loss call (KEY_LOSS_ACTIONS, and
  PutKeyPolicy bypassing the lockout check): a key policy that lets the account's IAM decide, with no Deny,
  lets any administrator lose the key;
- a principal the key policy names (a role or user of the key's account in an Allow statement) may make a
  key-loss call only if a Deny refuses that call to the administrator nobody named: the policy then denies
  it to everyone but the principals it exempts by name, its break-glass principals. A policy that names
  administrators with kms:* and denies nothing lets each of them lose the key. Principals of other
  accounts are not judged: KMS never performs these calls across accounts
  (https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html, "Cross-account
  use": No for DisableKey, ScheduleKeyDeletion, DeleteImportedKeyMaterial, PutKeyPolicy).

Two rules, over the stack:

- `kms-table-key-loss-protection` (advisory): each customer-managed key (aws:kms/key:Key,
  aws:kms/replicaKey:ReplicaKey) that a DynamoDB table, one of its replicas or a TableReplica is
  encrypted with, and whose policy does not protect it. A table names its key by ARN; before the key
  exists that ARN is not known, and the key the table's `serverSideEncryption` (or `replicas`, or a
  TableReplica's `kmsKeyArn`) is derived from (Pulumi's property dependencies) is the one judged. A key
  policy not known yet gets no verdict; a key whose ARN is not known yet is judged in its account and
  region (the accounts of the principals its policy lets administer it; its region, or its provider's)
  under a placeholder key id. An `aws:kms/keyPolicy:KeyPolicy` replaces its key's policy; one whose key is
  not known yet leaves every key without a verdict.
- `kms-protected-key-maximum-deletion-window` (advisory): a key of the stack whose policy protects it and
  whose `deletionWindowInDays` is below the maximum (access.kms_dynamodb.MAX_DELETION_WINDOW_DAYS): the
  window is what is left to undo a break-glass mistake. Unset, the window is the maximum: the provider
  sends no PendingWindowInDays (terraform-provider-aws internal/service/kms/key.go resourceKeyDelete sets
  it only `if v, ok := d.GetOk("deletion_window_in_days")`; replica_key.go declares `Default: 30`), and
  "If you do not include a value, it defaults to 30" (https://docs.aws.amazon.com/kms/latest/APIReference/
  API_ScheduleKeyDeletion.html, PendingWindowInDays).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from access.arns import account_of, is_account_principal
from access.documents import Document, statement_allows_action, statement_principals, statements
from access.evaluator import Decision
from access.key_protection import (
    exempted_principals,
    key_loss_decisions,
    key_loss_exposure,
    unnamed_administrator,
    unnamed_principals,
    worst_key_loss_exposure,
)
from access.kms_dynamodb import KEY_LOSS_ACTIONS, LOCKOUT_BYPASS_ACTION, MAX_DELETION_WINDOW_DAYS
from access.provider_types import DYNAMODB_TABLE, DYNAMODB_TABLE_REPLICA, KMS_KEY, KMS_KEY_POLICY, KMS_REPLICA_KEY
from policy.external_access import StackViolation
from policy.resources import derived_from, document_or_none, known, known_string, region_of

KEY_TYPES = (KMS_KEY, KMS_REPLICA_KEY)
# The key id of a key judged before it exists: only its account, partition and region take part in the
# decisions (the key policy's Resource is the key itself, "*").
PLACEHOLDER_KEY_ID = "not-created-yet"
# The account a key not created yet with AWS's default policy is judged in: that policy lets the account's
# IAM decide in whichever account the key is, so any one gives the same answer.
ANY_ACCOUNT = "000000000000"
# What EncryptedTable calls the protection, for the advice.
COMPONENT_INPUT = "EncryptedTable's key_loss_protection input (with break_glass_principals)"


# -- the verdict, on one key policy -----------------------------------------------------------------


@dataclass(frozen=True)
class KeyLossFinding:
    """A principal that may make key-loss calls the protection keeps from it, and why."""

    principal: str
    calls: tuple[str, ...]
    reason: str


def _denied_by_a_statement(decision: Decision) -> bool:
    return not decision.allowed and decision.statement is not None and decision.statement.get("Effect") == "Deny"


def named_principals(policy: Document, account: str) -> list[str]:
    """The roles and users of the key's account an Allow statement of its policy names, in document order."""
    found: list[str] = []
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        for principal in statement_principals(statement):
            ours = ":iam::" in principal and account_of(principal) == account and not is_account_principal(principal)
            if ours and principal not in found:
                found.append(principal)
    return found


def key_loss_findings(policy: Document, key_arn: str) -> list[KeyLossFinding]:
    """Who of the key's account may make which key-loss calls: empty when the policy protects the key."""
    account = key_arn.split(":")[4]
    anyone = key_loss_decisions(policy, key_arn=key_arn, principal_arn=unnamed_administrator(key_arn))
    found: list[KeyLossFinding] = []
    # Any administrator: of every principal form nobody named, and one spared by each wildcard of a Deny's
    # exemptions, in every request it can shape (access.key_protection.worst_key_loss_exposure: a Deny on
    # roles only, by a tag, with MFA only... leaves someone through).
    exposed: dict[str, Decision] = {}
    reason = ""
    witnesses = exempted_principals(policy, key_arn, named_principals(policy, account))
    for principal in (*unnamed_principals(key_arn), *witnesses):
        calls = worst_key_loss_exposure(policy, key_arn=key_arn, principal_arn=principal)
        if calls and not reason:
            first = next(iter(calls.values())).reason
            reason = first if principal == unnamed_administrator(key_arn) else f"as {principal}: {first}"
        exposed |= {label: decision for label, decision in calls.items() if label not in exposed}
    if exposed:
        labels = tuple(label for label in anyone if label in exposed)
        found.append(KeyLossFinding(f"any administrator of account {account} that IAM allows kms:*", labels, reason))
    # Calls refused to the administrator nobody named only because nothing allows them: a principal the
    # policy names may make them with no Deny to exempt it from, so it is not break-glass by design.
    undenied = {
        label for label, decision in anyone.items() if not decision.allowed and not _denied_by_a_statement(decision)
    }
    if undenied:
        for principal in named_principals(policy, account):
            calls = {
                label: decision
                for label, decision in key_loss_exposure(policy, key_arn=key_arn, principal_arn=principal).items()
                if label in undenied
            }
            if calls:
                found.append(KeyLossFinding(principal, tuple(calls), next(iter(calls.values())).reason))
    return found


def _partition_of(policy: Document, account: str) -> str:
    for statement in statements(policy):
        for principal in statement_principals(statement):
            if principal.startswith("arn:") and account_of(principal) == account:
                return principal.split(":")[1]
    return "aws"


def candidate_accounts(policy: Document) -> list[str]:
    """The accounts a key not created yet may be in, as its policy shows: those whose principals it lets
    change the policy (KMS performs PutKeyPolicy only for the key's own account: 'Cross-account use: No'),
    else every account an Allow statement names."""
    administering: list[str] = []
    everyone: list[str] = []
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        for principal in statement_principals(statement):
            account = account_of(principal)
            if account is None:
                continue
            if account not in everyone:
                everyone.append(account)
            if statement_allows_action(statement, LOCKOUT_BYPASS_ACTION) and account not in administering:
                administering.append(account)
    return administering or everyone


def placeholder_key_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:kms:{region}:{account}:key/{PLACEHOLDER_KEY_ID}"


def aws_default_key_policy(partition: str, account: str) -> Document:
    """The policy KMS gives a key created without one: the account's IAM decides, kms:* (https://docs.aws.
    amazon.com/kms/latest/developerguide/key-policy-default.html, "Allows access to the AWS account and
    enables IAM policies")."""
    root = f"arn:{partition}:iam::{account}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}],
    }


# -- reading the stack ------------------------------------------------------------------------------


@dataclass
class _Key:
    resource: PolicyResource
    arn: str | None  # None: not known yet
    ids: set[str]  # the ARN and the key id, as other resources name the key
    region: str | None
    policy_known: bool = True
    policy_text: Any = None  # None or "": the AWS default key policy
    window_known: bool = True
    window: float = MAX_DELETION_WINDOW_DAYS


@dataclass
class _Keys:
    keys: list[_Key] = field(default_factory=list)
    unplaced_key_policy: bool = False  # an aws:kms/keyPolicy whose key is not known yet
    tables: dict[str, list[str]] = field(default_factory=dict)  # key URN -> the tables encrypted with it

    def by_reference(self, reference: str) -> _Key | None:
        return next((key for key in self.keys if reference in key.ids), None)

    def by_urn(self, urn: str) -> _Key | None:
        return next((key for key in self.keys if key.resource.urn == urn), None)


def _read_key(resource: PolicyResource) -> _Key:
    _, arn = known_string(resource, "arn")
    _, key_id = known_string(resource, "keyId")
    key = _Key(resource, arn, {i for i in (arn, key_id) if i}, arn.split(":")[3] if arn else region_of(resource))
    key.policy_known, key.policy_text = known(lambda: resource.props.get("policy"))
    key.window_known, window = known(lambda: resource.props.get("deletionWindowInDays"))
    if isinstance(window, int | float):
        key.window = window
    return key


def _place_key_policy(found: _Keys, resource: PolicyResource) -> None:
    """An aws:kms/keyPolicy replaces the policy of the key it names (by id or ARN, or derived from it)."""
    reference_known, reference = known_string(resource, "keyId")
    if reference_known:
        key = found.by_reference(reference) if reference else None
        if key is None:
            return  # a key outside the stack
    else:
        sources = derived_from(resource, "keyId", KEY_TYPES)
        key = found.by_urn(sources[0].urn) if len(sources) == 1 else None
        if key is None:
            found.unplaced_key_policy = True  # it may replace any key's policy
            return
    key.policy_known, key.policy_text = known(lambda: resource.props.get("policy"))


def _encryption_keys(resource: PolicyResource) -> list[tuple[str, list[str], str]]:
    """(the table as the advice names it, the key ARNs it names, the property they are in) of a table or
    a TableReplica; a key ARN not known yet is left to the property's dependencies."""
    if resource.resource_type == DYNAMODB_TABLE_REPLICA:
        _, table_arn = known_string(resource, "globalTableArn")
        table = table_arn.split(":table/", 1)[-1] if table_arn else resource.name
        region = region_of(resource) or "a region not known yet"
        _, arn = known_string(resource, "kmsKeyArn")
        return [(f"{table} (replica in {region})", [arn] if arn else [], "kmsKeyArn")]
    _, name = known_string(resource, "name")
    table = name or resource.name

    def primary() -> list[str]:
        sse = resource.props.get("serverSideEncryption") or {}
        key = sse.get("kmsKeyArn") if sse.get("enabled") is not False else None
        return [key] if isinstance(key, str) and key else []

    def replicas() -> list[str]:
        return [str(r.get("kmsKeyArn")) for r in resource.props.get("replicas") or [] if r.get("kmsKeyArn")]

    return [
        (table, known(primary)[1] or [], "serverSideEncryption"),
        (f"{table} (its replicas)", known(replicas)[1] or [], "replicas"),
    ]


def _read_keys(resources: Iterable[PolicyResource]) -> _Keys:
    resources = list(resources)
    found = _Keys(keys=[_read_key(r) for r in resources if r.resource_type in KEY_TYPES])
    for resource in resources:
        if resource.resource_type == KMS_KEY_POLICY:
            _place_key_policy(found, resource)
    for resource in resources:
        if resource.resource_type not in (DYNAMODB_TABLE, DYNAMODB_TABLE_REPLICA):
            continue
        for table, arns, prop in _encryption_keys(resource):
            keys = [found.by_reference(arn) for arn in arns]
            keys += [found.by_urn(source.urn) for source in derived_from(resource, prop, KEY_TYPES)]
            for key in keys:
                if key is not None and table not in found.tables.setdefault(key.resource.urn, []):
                    found.tables[key.resource.urn].append(table)
    return found


def _findings(key: _Key, keys: _Keys) -> list[KeyLossFinding] | None:
    """The key-loss findings of a key; None when its policy (or where it is) is not known yet."""
    if not key.policy_known or keys.unplaced_key_policy:
        return None
    document = document_or_none(key.policy_text)
    if document is None and key.policy_text not in (None, ""):
        return None  # not a policy document: kms-key-policy-names-its-users says so
    if key.arn is not None:
        partition, account = key.arn.split(":")[1], key.arn.split(":")[4]
        policy = document if document is not None else aws_default_key_policy(partition, account)
        return key_loss_findings(policy, key.arn)
    if key.region is None:
        return None
    if document is None:
        arn = placeholder_key_arn("aws", key.region, ANY_ACCOUNT)
        return key_loss_findings(aws_default_key_policy("aws", ANY_ACCOUNT), arn)
    accounts = candidate_accounts(document)
    if not accounts:
        return None
    findings: list[KeyLossFinding] = []
    for account in accounts:
        arn = placeholder_key_arn(_partition_of(document, account), key.region, account)
        findings += [f for f in key_loss_findings(document, arn) if f not in findings]
    return findings


def _what(key: _Key) -> str:
    return f"{key.arn} ({key.resource.name})" if key.arn else key.resource.name


# -- the rules ------------------------------------------------------------------------------------


def table_key_loss_violations(resources: Iterable[PolicyResource]) -> list[StackViolation]:
    """Each customer-managed key of a table (or replica) of the stack whose policy does not protect it."""
    keys = _read_keys(resources)
    found: list[StackViolation] = []
    for key in keys.keys:
        tables = keys.tables.get(key.resource.urn)
        if not tables:
            continue
        findings = _findings(key, keys)
        if not findings:
            continue
        who = "; ".join(f"{f.principal} may {', '.join(f.calls)} ({f.reason})" for f in findings)
        policy = "AWS's default key policy" if document_or_none(key.policy_text) is None else "its key policy"
        found.append(
            StackViolation(
                f"the key {_what(key)} of {', '.join(tables)} is not protected from loss by {policy}: {who}. "
                "A disabled key makes the table unreadable at once; a deleted one destroys every item, backup and "
                f"replica encrypted with it. Deny {', '.join(KEY_LOSS_ACTIONS)} (and {LOCKOUT_BYPASS_ACTION} "
                f"bypassing the lockout check) to all but named break-glass principals: {COMPONENT_INPUT}",
                key.resource.urn,
            )
        )
    return found


def protected_key_deletion_window_violations(resources: Iterable[PolicyResource]) -> list[StackViolation]:
    """Each key of the stack whose policy protects it from loss and that waits less than the maximum."""
    keys = _read_keys(resources)
    found: list[StackViolation] = []
    for key in keys.keys:
        if not key.window_known or key.window >= MAX_DELETION_WINDOW_DAYS:
            continue
        if _findings(key, keys) != []:
            continue  # not protected (the other rule says so), or not known yet
        found.append(
            StackViolation(
                f"the key {_what(key)} is protected from loss but waits {key.window:g} days before deletion: set "
                f"deletionWindowInDays to {MAX_DELETION_WINDOW_DAYS} (the maximum, and KMS's default), the longest "
                "time to cancel a deletion scheduled by mistake (aws kms cancel-key-deletion)",
                key.resource.urn,
            )
        )
    return found


__all__ = [
    "KeyLossFinding",
    "aws_default_key_policy",
    "candidate_accounts",
    "key_loss_findings",
    "named_principals",
    "placeholder_key_arn",
    "protected_key_deletion_window_violations",
    "table_key_loss_violations",
]
