"""Judge: records -> findings. Pure functions, no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta

from access.analyzers import (
    key_policy_administrators,
    unconditioned_wildcard_statements,
    unscoped_key_use_statements,
)
from access.documents import PolicyParseError, parse_document, statement_label, statements
from access.kms_dynamodb import (
    DISABLED_KEY_STATE,
    INACCESSIBLE_TABLE_ARCHIVE_DAYS,
    KEY_MANAGER_CUSTOMER,
    KEY_SPEC,
    KEY_USAGE,
    PENDING_DELETION_KEY_STATE,
    USABLE_KEY_STATE,
)
from verify.collect import AliasRecord, KeyRecord, TableRecord
from verify.findings import Finding, expect, statement_text
from verify.inputs import StackOutputs

UP = "run `pulumi up` for this stack, then verify again"


# -- a key that is not usable: the commands, and the deadlines -----------------------------------------
# One place for both the primary's checks and each replica's (replicas.inaccessible_advice).


def key_fix(region: str, key_arn: str, key_state: str) -> str:
    """The AWS CLI commands that make a disabled or pending-deletion key usable again, runnable as printed;
    "" for any other state. EnableKey and CancelKeyDeletion take the key ARN (API reference, KeyId: "Specify
    the key ID or key ARN"). "After you cancel the pending deletion of a KMS key, the key state of the KMS
    key is Disabled" (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-cancelling-key-
    deletion.html), so enable-key follows cancel-key-deletion. Key-loss protection denies neither call."""
    where = f"--region {region} --key-id {key_arn}"
    if key_state == PENDING_DELETION_KEY_STATE:
        return f"aws kms cancel-key-deletion {where} && aws kms enable-key {where}"
    if key_state == DISABLED_KEY_STATE:
        return f"aws kms enable-key {where}"
    return ""


def _moment(text: str) -> datetime | None:
    """A timestamp as the records keep it (str of boto3's datetime), or None."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def archive_deadline(inaccessible_since: str) -> str:
    """When DynamoDB archives a table whose key stays inaccessible: "DynamoDB will initiate the table archival
    process when table's AWS KMS key remains inaccessible for more than seven days from this date"
    (SSEDescription.InaccessibleEncryptionDateTime, access.kms_dynamodb.INACCESSIBLE_TABLE_ARCHIVE_DAYS)."""
    days = INACCESSIBLE_TABLE_ARCHIVE_DAYS
    since = _moment(inaccessible_since) if inaccessible_since else None
    if since is None:
        return (
            f"DynamoDB archives the table once its key has been inaccessible for more than {days} days "
            "(from SSEDescription.InaccessibleEncryptionDateTime)"
        )
    return (
        f"DynamoDB archives the table after {since + timedelta(days=days)} ({days} days after "
        f"InaccessibleEncryptionDateTime {inaccessible_since})"
    )


def deletion_deadline(deletion_date: str) -> str:
    """What a pending deletion ends in: "After a KMS key is deleted, you can no longer decrypt the data that
    was encrypted under that KMS key, which means that data becomes unrecoverable"
    (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)."""
    when = f"on {deletion_date}" if deletion_date else "at the end of its waiting period (DescribeKey DeletionDate)"
    return f"KMS deletes the key {when}; after that every item, backup and replica encrypted under it is unrecoverable"


def key_state_advice(region: str, key: KeyRecord, inaccessible_since: str = "") -> str:
    """What to do about the key of a region that is not Enabled, with the deadlines that apply."""
    fix = key_fix(region, key.arn, key.state)
    if key.state == PENDING_DELETION_KEY_STATE:
        deadline = deletion_deadline(key.deletion_date)
        steps = f"cancel the key's deletion, which leaves it Disabled, then enable it: {fix}; {deadline}"
    elif fix:
        steps = f"enable the key: {fix}"
    else:
        steps = f"the key is {key.state}: DynamoDB can use only an Enabled key; see the KMS key states (key-state.html)"
    return f"{steps}; until then the table's data is unreadable, and {archive_deadline(inaccessible_since)}"


def judge_table(table: TableRecord, want: StackOutputs, key: KeyRecord | None = None) -> list[Finding]:
    if not table.exists:
        return [
            Finding.failed(
                "table.exists",
                f"table {want.table_name!r} not found in {want.region}",
                "check the stack and region; " + UP,
            )
        ]
    found = [
        expect(
            "table.active",
            table.status == "ACTIVE",
            f"TableStatus={table.status}",
            "wait for the table to become ACTIVE",
        ),
        expect(
            "table.encryption",
            table.sse_status == "ENABLED" and table.sse_type == "KMS",
            f"SSEDescription Status={table.sse_status or 'absent'} SSEType={table.sse_type or 'absent'}"
            + (" (AWS owned key)" if not table.sse_type else ""),
            "encrypt the table with the customer-managed key (EncryptedTable does); " + UP,
        ),
        expect(
            "table.key",
            table.kms_key_arn == want.key_arn,
            f"KMSMasterKeyArn={table.kms_key_arn or 'absent'}, expected {want.key_arn}",
            "the table is encrypted with another key (AWS managed or foreign); " + UP,
        ),
        expect(
            "table.key_accessible",
            not table.inaccessible_since,
            f"InaccessibleEncryptionDateTime={table.inaccessible_since}"
            if table.inaccessible_since
            else "key accessible",
            _inaccessible_table_advice(table, want, key),
        ),
    ]
    if want.point_in_time_recovery is not None:
        on = table.point_in_time_recovery == "ENABLED"
        found.append(
            expect(
                "table.point_in_time_recovery",
                on == want.point_in_time_recovery,
                f"PointInTimeRecoveryStatus={table.point_in_time_recovery}, configured {want.point_in_time_recovery}",
                UP,
            )
        )
    if want.deletion_protection is not None:
        found.append(
            expect(
                "table.deletion_protection",
                table.deletion_protection == want.deletion_protection,
                f"DeletionProtectionEnabled={table.deletion_protection}, configured {want.deletion_protection}",
                UP,
            )
        )
    return found


def _inaccessible_table_advice(table: TableRecord, want: StackOutputs, key: KeyRecord | None) -> str:
    if key is not None and key.exists and key_fix(want.region, key.arn, key.state):
        return key_state_advice(want.region, key, table.inaccessible_since)
    return (
        "make the key usable by DynamoDB again (enabled, not pending deletion, its key policy still letting "
        f"DynamoDB use it, DynamoDB's grants not revoked); {archive_deadline(table.inaccessible_since)}"
    )


def judge_key(
    key: KeyRecord, alias: AliasRecord, want: StackOutputs, table: TableRecord | None = None
) -> list[Finding]:
    """The key's checks; `table` (its DescribeTable) dates the archive deadline of a key that is not usable."""
    if not key.exists:
        return [Finding.failed("key.exists", f"key {want.key_id} not found", "check the stack and region; " + UP)]
    pending = f", DeletionDate={key.deletion_date}" if key.deletion_date else ""
    return [
        expect("key.arn", key.arn == want.key_arn, f"Arn={key.arn}", "the outputs name another key; " + UP),
        expect(
            "key.enabled",
            key.state == USABLE_KEY_STATE,
            f"KeyState={key.state}{pending}",
            key_state_advice(want.region, key, table.inaccessible_since if table is not None else ""),
        ),
        expect(
            "key.customer_managed",
            key.manager == KEY_MANAGER_CUSTOMER,
            f"KeyManager={key.manager}",
            "use a customer-managed key; AWS managed keys let every principal of the account with DynamoDB rights read",
        ),
        expect(
            "key.symmetric",
            key.spec == KEY_SPEC and key.usage == KEY_USAGE,
            f"KeySpec={key.spec} KeyUsage={key.usage}",
            "DynamoDB needs a SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT key",
        ),
        expect(
            "key.rotation",
            key.rotation_enabled,
            f"KeyRotationEnabled={key.rotation_enabled}",
            "turn rotation on (EncryptedTable enable_key_rotation, the default)",
        ),
        expect(
            "key.alias",
            alias.target_key_arn == key.arn,
            f"{alias.name} -> {alias.target_key_arn or 'not found'}",
            "point the alias at the table's key; " + UP,
        ),
    ]


def judge_key_policy(policy_text: str, account_id: str | None = None) -> list[Finding]:
    try:
        policy = parse_document(policy_text)
    except PolicyParseError as error:
        return [Finding.failed("key_policy.parses", str(error), "inspect the key policy")]
    if "Statement" not in policy:
        return [Finding.failed("key_policy.parses", "no Statement element", "inspect the key policy")]
    wildcards = unconditioned_wildcard_statements(policy)
    unscoped = unscoped_key_use_statements(policy, account_id)
    admins = key_policy_administrators(policy)
    # The findings' statement names each as Finding.statement says (its Sid, or its compact JSON), not by its
    # position ("#3"), which a statement added before it changes: the SARIF fingerprint reads it.
    named = {statement_label(s, position): statement_text(s) for position, s in enumerate(statements(policy))}
    return [
        Finding.passed("key_policy.parses", f"{len(statements(policy))} statements"),
        expect(
            "key_policy.no_wildcard_principal",
            not wildcards,
            f"unconditioned wildcard principal in {wildcards}" if wildcards else "every Allow names its principals",
            "name the principals; never Principal '*' without conditions",
        ).about(statement=", ".join(named[label] for label in wildcards)),
        expect(
            "key_policy.key_users_via_dynamodb",
            not unscoped,
            f"key use without kms:ViaService in {unscoped}"
            if unscoped
            else "every key-user statement carries kms:ViaService",
            "scope key users with kms:ViaService = dynamodb.<region>.amazonaws.com",
        ).about(statement=", ".join(named[label] for label in unscoped)),
        expect(
            "key_policy.administrable",
            bool(admins),
            f"administered by {admins}" if admins else "no principal may change the key policy",
            "someone must hold kms:PutKeyPolicy, or the key can never be managed again",
        ),
    ]
