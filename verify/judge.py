"""Judge: records -> findings. Pure functions, no AWS."""

from __future__ import annotations

from access.analyzers import (
    key_policy_administrators,
    unconditioned_wildcard_statements,
    unscoped_key_use_statements,
)
from access.documents import PolicyParseError, parse_document, statements
from access.kms_dynamodb import KEY_MANAGER_CUSTOMER, KEY_SPEC, KEY_USAGE, USABLE_KEY_STATE
from verify.collect import AliasRecord, KeyRecord, TableRecord
from verify.findings import Finding, expect
from verify.inputs import StackOutputs

UP = "run `pulumi up` for this stack, then verify again"


def judge_table(table: TableRecord, want: StackOutputs) -> list[Finding]:
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
            "the key is disabled, pending deletion or its grants are gone: re-enable the key within 7 days "
            "or DynamoDB archives the table",
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


def judge_key(key: KeyRecord, alias: AliasRecord, want: StackOutputs) -> list[Finding]:
    if not key.exists:
        return [Finding.failed("key.exists", f"key {want.key_id} not found", "check the stack and region; " + UP)]
    return [
        expect("key.arn", key.arn == want.key_arn, f"Arn={key.arn}", "the outputs name another key; " + UP),
        expect(
            "key.enabled",
            key.state == USABLE_KEY_STATE,
            f"KeyState={key.state}",
            "enable the key (`aws kms enable-key`) or cancel its deletion; until then the table's data is unreadable",
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
    return [
        Finding.passed("key_policy.parses", f"{len(statements(policy))} statements"),
        expect(
            "key_policy.no_wildcard_principal",
            not wildcards,
            f"unconditioned wildcard principal in {wildcards}" if wildcards else "every Allow names its principals",
            "name the principals; never Principal '*' without conditions",
        ),
        expect(
            "key_policy.key_users_via_dynamodb",
            not unscoped,
            f"key use without kms:ViaService in {unscoped}"
            if unscoped
            else "every key-user statement carries kms:ViaService",
            "scope key users with kms:ViaService = dynamodb.<region>.amazonaws.com",
        ),
        expect(
            "key_policy.administrable",
            bool(admins),
            f"administered by {admins}" if admins else "no principal may change the key policy",
            "someone must hold kms:PutKeyPolicy, or the key can never be managed again",
        ),
    ]
