"""Checks on whole policy documents, shared by the components, the verifier and the policy pack.

Each returns the labels (documents.statement_label) of the statements that break
its rule, so every report names a statement the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from access.arns import account_of, is_account_principal
from access.documents import (
    Document,
    as_list,
    condition_keys,
    statement_allows_action,
    statement_label,
    statement_principals,
    statements,
)
from access.kms_dynamodb import KEY_DATA_OPERATIONS


def unconditioned_wildcard_statements(policy: Document) -> list[str]:
    """Allow statements open to any principal with no condition.

    A NotPrincipal Allow is open to everyone but the named, so it counts too.
    """
    return [
        statement_label(statement, position)
        for position, statement in enumerate(statements(policy))
        if statement.get("Effect") == "Allow"
        and not statement.get("Condition")
        and ("*" in statement_principals(statement) or "NotPrincipal" in statement)
    ]


def home_account(policy: Document, account_id: str | None = None) -> str | None:
    """The key's own account: the one given, or else the one account the policy's account principals
    name (None when it names several: the policy alone cannot tell which is home)."""
    if account_id is not None:
        return account_id
    accounts = {account_of(p) for s in statements(policy) for p in statement_principals(s) if is_account_principal(p)}
    return accounts.pop() if len(accounts) == 1 else None


def unscoped_key_use_statements(policy: Document, account_id: str | None = None) -> list[str]:
    """Key-policy statements that let a principal use the key outside DynamoDB.

    A statement that allows a data operation to anyone but the key's own account (the
    root delegation, which only hands the decision to that account's IAM) must carry
    kms:ViaService. Another account's root is not exempt: it lets that account's IAM
    decide who uses the key. account_id is the key's account when known (the verifier);
    otherwise the policy's only delegated account counts as home.
    """
    home = home_account(policy, account_id)
    found = []
    for position, statement in enumerate(statements(policy)):
        if not any(statement_allows_action(statement, action) for action in KEY_DATA_OPERATIONS):
            continue
        principals = statement_principals(statement)
        delegates_only = (
            home is not None and bool(principals) and all(is_account_principal(p, home) for p in principals)
        )
        if delegates_only and "NotPrincipal" not in statement:
            continue
        keys = condition_keys(statement)
        if "kms:viaservice" in keys:
            continue
        # An AWS service principal is itself the service (kms:ViaService is set for a service acting for an
        # IAM principal): the encryption context it sends scopes it to that service's resources, as AWS's
        # own statements for services publishing to an encrypted SNS topic do (kms:EncryptionContext:aws:sns:
        # topicArn with aws:SourceArn, https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/
        # queue-notification-sns-sse.html).
        service_only = isinstance(statement.get("Principal"), Mapping) and set(statement["Principal"]) == {"Service"}
        if service_only and any(key.startswith("kms:encryptioncontext:") for key in keys):
            continue
        found.append(statement_label(statement, position))
    return found


def broad_kms_statements(policy: Document) -> list[str]:
    """Identity-policy statements that grant kms:* anywhere, or kms:Decrypt on every key."""
    found = []
    for position, statement in enumerate(statements(policy)):
        # "kms:*" as written, or anything that covers it: "*", "k*", a NotAction that spares kms.
        every_kms_action = statement_allows_action(statement, "kms:*")
        on_everything = "NotResource" in statement or "*" in as_list(statement.get("Resource"))
        if every_kms_action or (statement_allows_action(statement, "kms:Decrypt") and on_everything):
            found.append(statement_label(statement, position))
    return found


def key_policy_administrators(policy: Document) -> list[str]:
    """The principals a key policy lets change it (kms:PutKeyPolicy), sorted, de-duplicated."""
    return sorted(
        {
            principal
            for statement in statements(policy)
            if statement_allows_action(statement, "kms:PutKeyPolicy")
            for principal in statement_principals(statement)
        }
    )


def external_principals(policy: Document, owner_account: str) -> dict[str, list[str]]:
    """The principals of other accounts an Allow statement names (Principal AWS entries whose account is
    not owner_account: role, user, session and account-root ARNs, bare account ids), each with the labels
    of the statements that name it, in document order.

    One reading for every side that must agree on who is external (the table's resource policy, each
    region's key policy, the policy pack, the audit): a principal in one document and not in the other
    is a missing side. "*" and NotPrincipal are not principals of an account (unconditioned_wildcard_
    statements and the audit judge them); Deny statements let nobody in.
    """
    found: dict[str, list[str]] = {}
    for position, statement in enumerate(statements(policy)):
        if statement.get("Effect") != "Allow":
            continue
        for principal in statement_principals(statement):
            account = account_of(principal)
            if account is not None and account != owner_account:
                labels = found.setdefault(principal, [])
                label = statement_label(statement, position)
                if label not in labels:
                    labels.append(label)
    return found
