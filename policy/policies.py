"""The pack's policies, apart from the PolicyPack so that tests import them without a server.

Each rule is a pure function from a resource's inputs (the camelCase property
names `pulumi preview` hands a policy) to the violations it finds; a thin
ResourceValidationPolicy reports them. The policy-document checks are the
access core's (access.analyzers), so the pack, the components and the
verifier judge a key policy the same way. The rules for principals of other
accounts (policy.external_access) also judge the stack as a whole: a table's
resource policies against its encryption and its key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from access.analyzers import broad_kms_statements, unconditioned_wildcard_statements, unscoped_key_use_statements
from access.arns import KEY_ARN_PATTERN, account_of, is_account_principal
from access.documents import (
    Document,
    PolicyParseError,
    parse_document,
    statement_allows_action,
    statement_principals,
    statements,
)
from access.kms_dynamodb import DELETION_WINDOW_DAYS, KEY_LOSS_ACTIONS, MAX_DELETION_WINDOW_DAYS
from access.provider_types import (
    DYNAMODB_RESOURCE_POLICY,
    DYNAMODB_TABLE,
    IAM_ROLE,
    IDENTITY_POLICY_TYPES,
    KMS_GRANT,
    KMS_KEY,
    KMS_KEY_POLICY,
    KMS_REPLICA_KEY,
)
from policy.external_access import (
    external_principal_key_violations,
    resource_policy_wildcard_violations,
    stack_rule,
    table_key_agreement_violations,
)
from policy.global_tables import provisioned_global_table_violations
from policy.key_protection import protected_key_deletion_window_violations, table_key_loss_violations

MIN_DELETION_WINDOW_DAYS = DELETION_WINDOW_DAYS[0]

Props = Mapping[str, Any]


def _document(text: Any, field: str) -> tuple[Mapping[str, Any] | None, list[str]]:
    """A policy input as a document, or the violation saying it is not one."""
    try:
        return parse_document(text), []
    except PolicyParseError as error:
        return None, [f"{field} is {error}"]


# -- the rules, as pure functions -----------------------------------------------------------------


def table_key_violations(props: Props) -> list[str]:
    sse = props.get("serverSideEncryption") or {}
    if not sse.get("enabled"):
        return [
            "the table uses the AWS-owned key: set serverSideEncryption.enabled and kmsKeyArn to a customer-managed key"
        ]
    key = sse.get("kmsKeyArn")
    if not key:
        return [
            "the table uses the AWS managed key aws/dynamodb: "
            "set serverSideEncryption.kmsKeyArn to a customer-managed key's ARN"
        ]
    if "alias/" in key:
        what = "the AWS managed key" if "alias/aws/" in key else "an alias"
        return [f"serverSideEncryption.kmsKeyArn names {what} ({key}): give a customer-managed key's ARN"]
    if not KEY_ARN_PATTERN.fullmatch(key):
        return [
            f"serverSideEncryption.kmsKeyArn {key!r} is not a KMS key ARN "
            "(arn:<partition>:kms:<region>:<account>:key/<id>)"
        ]
    return []


def replica_key_violations(props: Props) -> list[str]:
    """Each replica of a global table with a customer-managed key of ITS region: DynamoDB encrypts a
    replica with a key in the replica's region (a key of another region cannot serve it)."""
    found = []
    for replica in props.get("replicas") or []:
        region = replica.get("regionName")
        key = replica.get("kmsKeyArn")
        if not key:
            found.append(f"the replica in {region} uses the AWS managed key: set its kmsKeyArn to a CMK of {region}")
        elif "alias/" in key or not KEY_ARN_PATTERN.fullmatch(key):
            found.append(f"the replica in {region} names {key!r}: give a customer-managed key's ARN, not an alias")
        elif key.split(":")[3] != region:
            found.append(f"the replica in {region} names a key of {key.split(':')[3]}: give a key of {region}")
    return found


def replica_point_in_time_recovery_violations(props: Props) -> list[str]:
    return [
        f"point-in-time recovery is off on the replica in {replica.get('regionName')}"
        for replica in props.get("replicas") or []
        if replica.get("pointInTimeRecovery") is not True
    ]


def key_lifecycle_violations(props: Props) -> list[str]:
    found = []
    if props.get("enableKeyRotation") is not True:
        found.append("automatic key rotation is off: set enableKeyRotation to true")
    return found + deletion_window_violations(props)


def deletion_window_violations(props: Props) -> list[str]:
    """A multi-Region replica key has no rotation of its own (it follows its primary): only its window."""
    found = []
    window = props.get("deletionWindowInDays")
    if window is not None and window < MIN_DELETION_WINDOW_DAYS:
        found.append(
            f"deletionWindowInDays is {window:g}; at least {MIN_DELETION_WINDOW_DAYS} days, so a mistake can be undone"
        )
    return found


def administering_account(policy: Document) -> str | None:
    """The key's own account, as its policy shows it: the one account whose root (or id) an Allow
    statement lets change the policy (kms:PutKeyPolicy). KMS performs PutKeyPolicy only for a principal
    of the key's account (access.cross_account: "Cross-account use: No"), so a policy that also lets a
    reader's account in (an external account's root, with kms:ViaService) still shows which account is
    home. None unless exactly one account is so named (the analyzer then guesses as it always did)."""
    accounts = {
        account_of(principal)
        for statement in statements(policy)
        if statement.get("Effect") == "Allow" and statement_allows_action(statement, "kms:PutKeyPolicy")
        for principal in statement_principals(statement)
        if is_account_principal(principal)
    }
    return accounts.pop() if len(accounts) == 1 else None


def unscoped_key_use_in_key_policy(policy: Document) -> list[str]:
    """unscoped_key_use_statements, with the key's account read from who administers it."""
    return unscoped_key_use_statements(policy, administering_account(policy))


# (analyzer, what its statements do and what to do instead), per kind of document.
KEY_POLICY_CHECKS: tuple[tuple[Callable[[Mapping[str, Any]], list[str]], str], ...] = (
    (unconditioned_wildcard_statements, "allow any principal with no condition: name the principals"),
    (
        unscoped_key_use_in_key_policy,
        "let principals use the key outside DynamoDB: "
        "add the condition kms:ViaService = dynamodb.<region>.amazonaws.com",
    ),
)
IDENTITY_POLICY_CHECKS: tuple[tuple[Callable[[Mapping[str, Any]], list[str]], str], ...] = (
    (broad_kms_statements, "grant kms:* or kms:Decrypt on every key: name the key ARNs and the actions (see KeyUser)"),
)


def _document_violations(
    field: str, text: Any, checks: tuple[tuple[Callable[[Mapping[str, Any]], list[str]], str], ...]
) -> list[str]:
    document, problems = _document(text, field)
    if document is None:
        return problems
    return [f"{field} statements {labels} {message}" for check, message in checks if (labels := check(document))]


def key_policy_violations(props: Props) -> list[str]:
    if props.get("policy") in (None, ""):
        return []  # AWS's default key policy: the account root only
    return _document_violations("policy", props["policy"], KEY_POLICY_CHECKS)


def grant_violations(props: Props) -> list[str]:
    for constraint in props.get("constraints") or []:
        if constraint.get("encryptionContextSubset") or constraint.get("encryptionContextEquals"):
            return []
    return [
        "the grant has no encryption-context constraint, so it opens every use of the key: constrain it to the "
        "table's context (aws:dynamodb:tableName, aws:dynamodb:subscriberId)"
    ]


def identity_policy_violations(props: Props) -> list[str]:
    documents: list[tuple[str, Any]] = []
    if props.get("policy") not in (None, ""):
        documents.append(("policy", props["policy"]))
    for index, inline in enumerate(props.get("inlinePolicies") or []):
        if inline.get("policy"):
            documents.append((f"inlinePolicies[{index}]", inline["policy"]))
    return [found for field, text in documents for found in _document_violations(field, text, IDENTITY_POLICY_CHECKS)]


def point_in_time_recovery_violations(props: Props) -> list[str]:
    if (props.get("pointInTimeRecovery") or {}).get("enabled") is True:
        return []
    return ["point-in-time recovery is off: a bad write cannot be rolled back"]


def deletion_protection_violations(props: Props) -> list[str]:
    if props.get("deletionProtectionEnabled") is True:
        return []
    return ["deletion protection is off: one `pulumi destroy` deletes the data"]


# -- the policies -------------------------------------------------------------------------------


def _policy(
    name: str,
    description: str,
    types: tuple[str, ...],
    rule: Callable[[Props], list[str]],
    level: EnforcementLevel,
) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in types:
            for message in rule(args.props):
                report_violation(message, args.urn)

    return ResourceValidationPolicy(name=name, description=description, validate=validate, enforcement_level=level)


MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

POLICIES: list[Policy] = [
    _policy(
        "dynamodb-table-customer-managed-key",
        "DynamoDB tables are encrypted with a customer-managed KMS key, named by its ARN.",
        (DYNAMODB_TABLE,),
        table_key_violations,
        MANDATORY,
    ),
    _policy(
        "dynamodb-replica-customer-managed-key-in-region",
        "Every replica of a global table is encrypted with a customer-managed key of the replica's region.",
        (DYNAMODB_TABLE,),
        replica_key_violations,
        MANDATORY,
    ),
    _policy(
        "dynamodb-replica-point-in-time-recovery",
        "Every replica of a global table keeps continuous backups (point-in-time recovery).",
        (DYNAMODB_TABLE,),
        replica_point_in_time_recovery_violations,
        ADVISORY,
    ),
    _policy(
        "kms-replica-key-deletion-window",
        f"Multi-Region replica keys wait at least {MIN_DELETION_WINDOW_DAYS} days before deletion.",
        (KMS_REPLICA_KEY,),
        deletion_window_violations,
        MANDATORY,
    ),
    _policy(
        "kms-key-rotation-and-deletion-window",
        f"KMS keys rotate automatically and wait at least {MIN_DELETION_WINDOW_DAYS} days before deletion.",
        (KMS_KEY,),
        key_lifecycle_violations,
        MANDATORY,
    ),
    _policy(
        "kms-key-policy-names-its-users",
        "Key policies allow no unconditioned wildcard principal, and key users only through DynamoDB (kms:ViaService).",
        (KMS_KEY, KMS_KEY_POLICY, KMS_REPLICA_KEY),
        key_policy_violations,
        MANDATORY,
    ),
    _policy(
        "kms-grant-encryption-context",
        "KMS grants are constrained to an encryption context.",
        (KMS_GRANT,),
        grant_violations,
        MANDATORY,
    ),
    _policy(
        "iam-no-broad-kms",
        "Identity policies never grant kms:*, nor kms:Decrypt on every key.",
        (*IDENTITY_POLICY_TYPES, IAM_ROLE),
        identity_policy_violations,
        MANDATORY,
    ),
    _policy(
        "dynamodb-resource-policy-names-its-principals",
        "DynamoDB resource policies (tables and streams) allow no unconditioned wildcard principal.",
        (DYNAMODB_RESOURCE_POLICY,),
        resource_policy_wildcard_violations,
        MANDATORY,
    ),
    StackValidationPolicy(
        name="dynamodb-external-principals-need-customer-managed-key",
        description=(
            "A table whose resource policy lets in a principal of another account is encrypted with a "
            "customer-managed key (the AWS managed key cannot be used across accounts)."
        ),
        validate=stack_rule(external_principal_key_violations),
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="dynamodb-table-and-key-agree-on-external-principals",
        description=(
            "The principals of other accounts a table's resource policies let in are the ones its key's "
            "policy or grants let use the key, and no others."
        ),
        validate=stack_rule(table_key_agreement_violations),
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="dynamodb-provisioned-global-table-auto-scaling",
        description=(
            "A global table is on-demand, or provisioned with its write capacity (and each global secondary "
            "index's) under auto scaling: an Application Auto Scaling target and policy in the table's region."
        ),
        validate=stack_rule(provisioned_global_table_violations),
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="kms-table-key-loss-protection",
        description=(
            "The customer-managed key of every table and replica denies "
            f"{', '.join(a.split(':', 1)[1] for a in KEY_LOSS_ACTIONS)} and the lockout-check bypass to all "
            "but named break-glass principals (judged by the evaluator)."
        ),
        validate=stack_rule(table_key_loss_violations),
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="kms-protected-key-maximum-deletion-window",
        description=f"A key protected from loss waits the maximum {MAX_DELETION_WINDOW_DAYS} days before deletion.",
        validate=stack_rule(protected_key_deletion_window_violations),
        enforcement_level=ADVISORY,
    ),
    _policy(
        "dynamodb-table-point-in-time-recovery",
        "DynamoDB tables keep continuous backups (point-in-time recovery).",
        (DYNAMODB_TABLE,),
        point_in_time_recovery_violations,
        ADVISORY,
    ),
    _policy(
        "dynamodb-table-deletion-protection",
        "DynamoDB tables are protected from deletion.",
        (DYNAMODB_TABLE,),
        deletion_protection_violations,
        ADVISORY,
    ),
]
