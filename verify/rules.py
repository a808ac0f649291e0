"""The verifier's rules: one per check and per audit finding kind, for the reports that need more than a
check's name (SARIF's reportingDescriptor objects, the docs' table of rule ids).

A check's name says where and about whom it is: `replica[eu-west-1].key.rotation`,
`key_protection.alarm[key-changes]`, `boundary_probe.session[ops].denied`,
`external.policies_agree[arn:aws:iam::444455556666:role/reader]`. Its rule id must be the same on every run
and for every region, principal and parameter (GitHub code scanning: "The ruleID for a result has to be
the same across analysis", https://docs.github.com/en/code-security/code-scanning/integrating-with-code-
scanning/sarif-support-for-code-scanning), so `rule_id` strips the replica's region and every bracketed
parameter; the region, the resource and the principal travel in the finding's own fields (verify/locate.py).
A replica's own names map back to the primary's rule where they mean the same (verify.replicas
REPLICA_TABLE_CHECKS: `replica[r].sse_key` is `table.key`'s rule).

Every name a judge can emit has a rule: tests/verify/test_rules.py proves it from every place a finding is
made in verify/ (a census of those call sites) and from the judges' and the emulator's runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from access.version import VERSION
from verify.findings import Finding, Status
from verify.replicas import REPLICA_TABLE_CHECKS

# The project's repository (the placeholder the docs use until the project is published under an org).
PROJECT_URL = "https://github.com/<org>/encrypted-dynamodb"
DOCS_PAGE = "docs/verify.md"

# The check a run that could not happen reports (python -m verify --markdown/--sarif on exit 2, 130, 143).
COULD_NOT_VERIFY = "could_not_verify"


def uri(text: str) -> str:
    """A URL as a URI: the placeholder's angle brackets are not URI characters (RFC 3986), so they are
    percent-encoded wherever a report must hold a URI (SARIF informationUri, a Markdown link's target)."""
    return quote(text, safe=":/#?=&%.-_~")


def docs_url(anchor: str = "") -> str:
    """docs/verify.md of this version's tag, at `anchor`."""
    return uri(f"{PROJECT_URL}/blob/v{VERSION}/{DOCS_PAGE}" + (f"#{anchor}" if anchor else ""))


class Level(StrEnum):
    """SARIF's result levels, as code scanning reads them (error, warning, note)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Subject(StrEnum):
    """The resource a finding of a rule is about, unless the finding names its own (verify.locate)."""

    TABLE = "table"  # the table, or the replica of the finding's region
    KEY = "key"  # the key of the finding's region
    ALARM_RULE = "alarm rule"  # the EventBridge rule of the finding's alarm kind, in its region
    TOPIC = "topic"  # the alarm topic of the finding's region


def severity_label(score: float) -> str:
    """How GitHub shows a security-severity: "over 9.0 is critical, from 7.0 to 8.9 is high, from 4.0 to
    6.9 is medium and from 0.1 to 3.9 is low" (SARIF support for code scanning, reportingDescriptor
    object, properties.security-severity)."""
    if score > 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


# Anchors of docs/verify.md (tests/verify/test_rules.py checks each exists).
CHECKS = "what-it-checks"
REPLICAS = "global-tables-replicas"
EXTERNAL = "readers-in-other-accounts"
KEY_LOSS = "key-loss-protection"
KEY_STATE = "a-key-disabled-or-pending-deletion"
AUDIT = "the-access-audit-who-can-read-this-table"
PATHS = "every-path-to-the-data-every-form-of-principal"
COULD_NOT_RUN = "exit-codes-and-could-not-run"


@dataclass(frozen=True)
class Rule:
    id: str
    short: str  # shortDescription: one line, what must hold
    full: str  # fullDescription: what the check proves, and what a failure means
    why: str  # why it matters
    fix: str  # what to do about a failure
    severity: float  # GitHub's security-severity, 0.1 to 10.0 (severity_label)
    level: Level  # SARIF's default level for its results
    subject: Subject
    anchor: str  # where docs/verify.md explains it
    tags: tuple[str, ...]

    @property
    def name(self) -> str:
        """SARIF's rule name, an identifier: `table.key_accessible` is TableKeyAccessible."""
        return "".join(part.capitalize() for part in re.split(r"[._]", self.id))

    @property
    def security_severity(self) -> str:
        return f"{self.severity:.1f}"

    @property
    def help_text(self) -> str:
        return f"{self.full}\n\nWhy it matters: {self.why}\n\nHow to fix: {self.fix}\n\nSee {docs_url(self.anchor)}"

    @property
    def help_markdown(self) -> str:
        return (
            f"{self.full}\n\n**Why it matters.** {self.why}\n\n**How to fix.** {self.fix}\n\n"
            f"Check `{self.id}`, severity {severity_label(self.severity)} ({self.security_severity}): "
            f"[docs/verify.md]({docs_url(self.anchor)})"
        )


def _rule(
    rule_id: str,
    short: str,
    full: str,
    why: str,
    fix: str,
    *,
    severity: float,
    subject: Subject,
    anchor: str,
    tags: tuple[str, ...],
    level: Level | None = None,
) -> Rule:
    """A rule; its level follows its severity unless given: error from high up, warning for medium, note
    for low."""
    if level is None:
        level = Level.ERROR if severity >= 7.0 else Level.WARNING if severity >= 4.0 else Level.NOTE
    return Rule(rule_id, short, full, why, fix, severity, level, subject, anchor, ("security", *tags))


UP = "Run `pulumi up` for the stack, which restores what it declares, and verify again."
T, K, A, P = Subject.TABLE, Subject.KEY, Subject.ALARM_RULE, Subject.TOPIC
ENC, KMS, DDB, IAM = "encryption", "kms", "dynamodb", "access-control"

RULES: tuple[Rule, ...] = (
    # -- the table -------------------------------------------------------------------------------------
    _rule(
        "table.exists",
        "The table named by the stack's outputs exists in its region",
        "DescribeTable finds the table the outputs name (in a replica's region, that region's replica).",
        "Nothing else can be verified about a table that is not there; the outputs may name another stack.",
        "Check the stack and the region the outputs come from. " + UP,
        severity=6.5,
        subject=T,
        anchor=CHECKS,
        tags=(DDB,),
    ),
    _rule(
        "table.active",
        "The table is ACTIVE",
        "DescribeTable's TableStatus is ACTIVE.",
        "A table still creating or updating may change its encryption settings before it settles.",
        "Wait for the table to become ACTIVE and verify again.",
        severity=4.0,
        subject=T,
        anchor=CHECKS,
        tags=(DDB,),
    ),
    _rule(
        "table.encryption",
        "The table is encrypted with a KMS key, not the AWS owned key",
        "SSEDescription shows Status ENABLED and SSEType KMS: the table's data is encrypted under a KMS key the "
        "account controls, not the AWS owned key DynamoDB uses by default.",
        "Under the AWS owned key no key policy and no grant decides who reads: IAM alone does, and the "
        "customer-managed key's boundary is gone.",
        "Encrypt the table with the stack's customer-managed key (EncryptedTable does). " + UP,
        severity=9.1,
        subject=T,
        anchor=CHECKS,
        tags=(ENC, DDB),
    ),
    _rule(
        "table.key",
        "The table is encrypted with the stack's own customer-managed key",
        "The table's KMSMasterKeyArn is the key ARN the outputs name (aliases resolved); a replica's is its own "
        "region's key, neither the primary's nor the AWS managed alias/aws/dynamodb.",
        "Another key's policy decides who reads: the AWS managed key lets every principal of the account with "
        "DynamoDB rights read, a foreign key lets its owner decide.",
        "Encrypt the table (or the replica) with the stack's key for its region. " + UP,
        severity=8.6,
        subject=T,
        anchor=CHECKS,
        tags=(ENC, KMS, DDB),
    ),
    _rule(
        "table.key_accessible",
        "DynamoDB can use the table's key",
        "The table has no InaccessibleEncryptionDateTime and, for a replica, its key is enabled and its "
        "ReplicaStatus is not INACCESSIBLE_ENCRYPTION_CREDENTIALS.",
        "An inaccessible key makes the table unreadable at once; DynamoDB archives the table after seven days, "
        "and removes a replica from its replication group after about 20 hours.",
        "Make the key usable again (the finding gives the commands: enable-key, cancel-key-deletion) before the "
        "deadline the finding names.",
        severity=8.2,
        subject=T,
        anchor=KEY_STATE,
        tags=(ENC, KMS, "availability"),
    ),
    _rule(
        "table.point_in_time_recovery",
        "Point-in-time recovery is as the stack configured it",
        "DescribeContinuousBackups' PointInTimeRecoveryStatus matches the stack's pointInTimeRecovery output.",
        "A table without the recovery the stack declares cannot be restored after a bad write or a deletion.",
        UP,
        severity=4.3,
        subject=T,
        anchor=CHECKS,
        tags=(DDB, "availability"),
    ),
    _rule(
        "table.deletion_protection",
        "Deletion protection is as the stack configured it",
        "DescribeTable's DeletionProtectionEnabled matches the stack's deletionProtection output.",
        "A table the stack protects should not be deletable by a single call.",
        UP,
        severity=4.3,
        subject=T,
        anchor=CHECKS,
        tags=(DDB, "availability"),
    ),
    # -- the key ----------------------------------------------------------------------------------------
    _rule(
        "key.exists",
        "The key named by the stack's outputs exists",
        "DescribeKey finds the key the outputs name, in the region of the table it encrypts.",
        "A missing key is either the wrong outputs or a deleted key, and a deleted key's data cannot be read.",
        "Check the outputs. " + UP,
        severity=6.5,
        subject=K,
        anchor=CHECKS,
        tags=(KMS,),
    ),
    _rule(
        "key.arn",
        "The key is the one the outputs name",
        "DescribeKey's Arn is the keyArn output.",
        "The verifier would judge another key than the one that protects the table.",
        UP,
        severity=4.3,
        subject=K,
        anchor=CHECKS,
        tags=(KMS,),
    ),
    _rule(
        "key.enabled",
        "The key is Enabled",
        "DescribeKey's KeyState is Enabled: not Disabled, not PendingDeletion.",
        "DynamoDB can use only an Enabled key: the table's data is unreadable until it is enabled again, and a "
        "key whose scheduled deletion runs out takes every item, backup and replica encrypted with it.",
        "Run the commands the finding gives (aws kms cancel-key-deletion, aws kms enable-key) before the "
        "deadlines it names.",
        severity=8.2,
        subject=K,
        anchor=KEY_STATE,
        tags=(KMS, "availability"),
    ),
    _rule(
        "key.customer_managed",
        "The key is customer-managed",
        "DescribeKey's KeyManager is CUSTOMER.",
        "An AWS managed key's policy lets every principal of the account with DynamoDB rights read: no named key "
        "users, no boundary.",
        "Use a customer-managed key (EncryptedTable creates one). " + UP,
        severity=8.6,
        subject=K,
        anchor=CHECKS,
        tags=(KMS, ENC),
    ),
    _rule(
        "key.symmetric",
        "The key is a symmetric encryption key",
        "DescribeKey shows KeySpec SYMMETRIC_DEFAULT and KeyUsage ENCRYPT_DECRYPT, the only kind DynamoDB uses.",
        "DynamoDB cannot encrypt a table with any other kind of key.",
        "Use a SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT key. " + UP,
        severity=4.0,
        subject=K,
        anchor=CHECKS,
        tags=(KMS,),
    ),
    _rule(
        "key.rotation",
        "Automatic key rotation is on",
        "GetKeyRotationStatus shows KeyRotationEnabled.",
        "Rotation limits how much data one key version protects, as the stack promises.",
        "Turn rotation on (EncryptedTable enable_key_rotation, the default). " + UP,
        severity=4.3,
        subject=K,
        anchor=CHECKS,
        tags=(KMS,),
    ),
    _rule(
        "key.alias",
        "The stack's alias points at the table's key",
        "ListAliases shows the outputs' keyAlias targeting the table's key.",
        "Tools and people that name the key by its alias would act on another key.",
        "Point the alias at the table's key. " + UP,
        severity=4.0,
        subject=K,
        anchor=CHECKS,
        tags=(KMS,),
    ),
    # -- the key policy ---------------------------------------------------------------------------------
    _rule(
        "key_policy.parses",
        "The key policy is a policy document",
        "GetKeyPolicy's document parses as JSON with a Statement element.",
        "A policy the verifier cannot read cannot be judged: nothing about who may use the key is proved.",
        "Inspect the key policy. " + UP,
        severity=6.0,
        subject=K,
        anchor=CHECKS,
        tags=(KMS, IAM),
    ),
    _rule(
        "key_policy.no_wildcard_principal",
        "No key policy statement allows Principal '*' without conditions",
        "Every Allow statement of the key policy names its principals, or carries a condition; a NotPrincipal "
        "Allow counts as a wildcard. The finding names the statements.",
        "Principal '*' with no condition lets any principal of any account use the key as the statement allows: "
        "the key's boundary is open.",
        "Name the principals in the statement; never Principal '*' without conditions. " + UP,
        severity=9.3,
        subject=K,
        anchor=CHECKS,
        tags=(KMS, IAM),
    ),
    _rule(
        "key_policy.key_users_via_dynamodb",
        "Key users may use the key only through DynamoDB",
        "Every key policy statement that lets a principal other than the account's root delegation use the key "
        "for data carries kms:ViaService = dynamodb.<region>.amazonaws.com. The finding names the statements.",
        "Without kms:ViaService a key user can call kms:Decrypt directly, outside DynamoDB and its table-level "
        "access control, on anything encrypted under the key.",
        "Scope key-user statements with kms:ViaService = dynamodb.<region>.amazonaws.com (EncryptedTable does). " + UP,
        severity=7.5,
        subject=K,
        anchor=CHECKS,
        tags=(KMS, IAM),
    ),
    _rule(
        "key_policy.administrable",
        "Someone may still administer the key",
        "At least one principal holds kms:PutKeyPolicy by the key policy.",
        "A key nobody may administer can never have its policy corrected; only AWS support can help.",
        "Keep a key administrator (EncryptedTable key_admins, or the account's root delegation). " + UP,
        severity=7.0,
        subject=K,
        anchor=CHECKS,
        tags=(KMS, IAM, "availability"),
    ),
    # -- key-loss protection ---------------------------------------------------------------------------
    _rule(
        "key_protection",
        "The stack protects its keys from loss",
        "Reported (as a skip, never a failure) when the outputs carry no keyProtection: the stack was deployed "
        "with keyLossProtection off.",
        "Without it any key administrator, and any principal the account's IAM allows kms:*, may disable a key "
        "or schedule its deletion, and no alarm reports it.",
        "Turn keyLossProtection on and run `pulumi up`.",
        severity=3.9,
        subject=K,
        anchor=KEY_LOSS,
        tags=(KMS, "key-loss"),
    ),
    _rule(
        "key_protection.deny",
        "The key policy refuses the key-loss calls to all but break-glass",
        "Judged by the policy evaluator at its worst (an identity policy of kms:*, every MFA state, every value "
        "a caller chooses): ScheduleKeyDeletion, DisableKey, DeleteImportedKeyMaterial, PutKeyPolicy and the "
        "lockout bypass are refused to every key administrator that is not break-glass, to an administrator "
        "nobody named in every principal form, and to break-glass without MFA when MFA is required.",
        "One call from the wrong principal makes the table unreadable, and a deletion that runs out makes every "
        "item, backup and replica unrecoverable.",
        "Restore the key policy's key-loss denies (the finding names the principals, the calls and the "
        "statement that lets them through). " + UP,
        severity=8.1,
        subject=K,
        anchor=KEY_LOSS,
        tags=(KMS, IAM, "key-loss"),
    ),
    _rule(
        "key_protection.alarm",
        "The key-loss alarm rule reports every event of its kind",
        "The EventBridge rule of each alarm kind exists, is in a state that sees the events its kind needs, its "
        "live EventPattern matches every event it must report for this key (as EventBridge matches), and it "
        "targets the alarm topic.",
        "A deleted, disabled or narrowed rule lets a key be disabled or scheduled for deletion unnoticed.",
        "Restore the rule (the finding gives the command when only its state is wrong). " + UP,
        severity=6.1,
        subject=A,
        anchor=KEY_LOSS,
        tags=(KMS, "key-loss", "monitoring"),
    ),
    _rule(
        "key_protection.topic",
        "The alarm topic can receive the alarms",
        "The SNS topic exists, is encrypted with a customer-managed key (EventBridge cannot publish under "
        "alias/aws/sns), and its policy lets events.amazonaws.com publish for each alarm rule.",
        "Alarms that cannot reach the topic reach nobody.",
        UP,
        severity=6.1,
        subject=P,
        anchor=KEY_LOSS,
        tags=("key-loss", "monitoring"),
    ),
    # -- global tables ------------------------------------------------------------------------------------
    _rule(
        "replicas.global_table_version",
        "The replicas form a version 2019.11.21 global table",
        "The primary's DescribeTable shows GlobalTableVersion 2019.11.21 when the outputs declare replicas.",
        "The stack verifies replicas the way version 2019.11.21 keeps them (on the table itself, each with its "
        "region's key).",
        "Upgrade a 2017.11.29 global table. " + UP,
        severity=4.0,
        subject=T,
        anchor=REPLICAS,
        tags=(DDB, "replication"),
    ),
    _rule(
        "replicas.as_declared",
        "The table replicates only to the regions the stack declares",
        "The primary's Replicas list no region the outputs do not declare.",
        "Data copied to an undeclared region sits under a key and an access policy nobody verifies.",
        "Declare the region (replicaRegions) and deploy, or remove the replica.",
        severity=8.1,
        subject=T,
        anchor=REPLICAS,
        tags=(DDB, "replication", ENC),
    ),
    _rule(
        "replica.listed",
        "The primary lists the replica ACTIVE with its region's key",
        "The primary's DescribeTable Replicas list the declared region ACTIVE, encrypted with that region's key.",
        "A replica outside the replication group does not hold the data; one under another key is not the "
        "stack's boundary.",
        "Add the replica (replicaRegions). " + UP,
        severity=6.1,
        subject=T,
        anchor=REPLICAS,
        tags=(DDB, "replication"),
    ),
    _rule(
        "replica.canary_replicated",
        "The canary written in the primary reaches the replica",
        "The item the verifier writes in the primary is read back in the replica's region within the wait.",
        "Replication that does not work leaves the replica's readers on stale data, and hides a replica key "
        "DynamoDB cannot use.",
        "See the replica's ReplicaStatus, its key, and the table's ReplicationLatency metric.",
        severity=4.3,
        subject=T,
        anchor=REPLICAS,
        tags=(DDB, "replication", "availability"),
    ),
    # -- readers in other accounts ------------------------------------------------------------------------
    _rule(
        "external.policies_agree",
        "Each declared reader of another account is let in on both sides the owner writes",
        "In each region, the table's resource policy and the key side its keyAccess declares (a key policy "
        "statement or a grant), and its stream's policy when it reads the stream, name the declared principal.",
        "A side that names it alone is an edit outside the stack: the principal cannot read as declared, or is "
        "half let in by something nobody reviews.",
        "Run `pulumi up` (EncryptedTable writes both sides per region), and look for a side edited outside the stack.",
        severity=5.3,
        subject=T,
        anchor=EXTERNAL,
        tags=(IAM, "cross-account"),
    ),
    # -- the canary and the probes ------------------------------------------------------------------------
    _rule(
        "round_trip",
        "The deployer writes and reads the table through its key",
        "As the deploying identity, the verifier writes a canary item, reads it back strongly consistent and "
        "compares: DynamoDB used the key for a key user.",
        "If the deployer cannot use the key through DynamoDB, neither the stack's readers can.",
        "Check the key, its policy and its grants.",
        severity=5.3,
        subject=T,
        anchor=CHECKS,
        tags=(KMS, DDB, "availability"),
    ),
    _rule(
        "canary_removed",
        "The verifier's canary item was deleted",
        "The canary written for the round trip was deleted once the probes were done.",
        "A canary left behind is an item of the verifier's in the table (and on its stream).",
        "Delete it with the command the finding gives, once the key is usable again.",
        severity=2.0,
        subject=T,
        anchor=CHECKS,
        tags=(DDB,),
    ),
    _rule(
        "boundary_probe",
        "The boundary probe ran",
        "Reported (as a skip) when the probe cannot run: the stack has no test principal, no table, no canary, "
        "or the canary did not reach the replica.",
        "The boundary is then proved by the audit alone, not by a real read.",
        "Deploy with a test principal (testPrincipal) to have the boundary probed.",
        severity=2.0,
        subject=T,
        anchor=CHECKS,
        tags=(IAM, KMS),
    ),
    _rule(
        "boundary_probe.denied",
        "The test principal, not a key user, is refused the data by KMS",
        "GetItem on the canary as the test principal (a fresh session each attempt, waiting out propagation) is "
        "refused by KMS: IAM lets it read the table, the key does not let it see the data.",
        "The principal reads plaintext it must not: a grant, an identity policy with kms:Decrypt or a key "
        "policy statement lets it in (the finding says which, from the live policies).",
        "Revoke the grant, or remove the statement that lets the test principal use the key.",
        severity=9.6,
        subject=T,
        anchor=CHECKS,
        tags=(KMS, IAM),
    ),
    _rule(
        "boundary_probe.read",
        "The test principal, a key user, reads the data",
        "GetItem on the canary as the test principal returns its plaintext.",
        "A declared key user that cannot read means the grant or policy the stack declares is not in force.",
        "Check the test principal's grant or policy, and wait for propagation.",
        severity=4.3,
        subject=T,
        anchor=CHECKS,
        tags=(KMS, IAM, "availability"),
    ),
    _rule(
        "boundary_probe.session.denied",
        "A session of the test role named by the key is refused as the role is",
        "The probe runs again as each session of the test role that the key policy or a grant names, and KMS "
        "refuses it as it refuses the role.",
        "A key policy statement or grant naming one session lets that session read what the role may not.",
        "Revoke the grant, or remove the session from the key policy.",
        severity=9.6,
        subject=T,
        anchor=CHECKS,
        tags=(KMS, IAM),
    ),
    _rule(
        "boundary_probe.session.read",
        "A session of the test role named by the key reads as the role does",
        "The probe as each session of the test role the key names reads the canary, as the role does.",
        "A Deny naming the session keeps a declared reader out.",
        "Look for a Deny naming the session, and wait for propagation.",
        severity=4.3,
        subject=T,
        anchor=CHECKS,
        tags=(KMS, IAM, "availability"),
    ),
    _rule(
        "boundary_probe.stream",
        "The stream probe ran",
        "Reported (as a skip) when the table's stream cannot be probed: the stack has no test principal.",
        "The audit then counts every stream consumer a possible reader.",
        "Deploy with a test principal (testPrincipal) to have the stream probed.",
        severity=2.0,
        subject=T,
        anchor=PATHS,
        tags=(DDB, "stream"),
    ),
    _rule(
        "boundary_probe.stream.denied",
        "The test principal cannot read the canary on the table's stream",
        "Reading the table's stream as the test principal does not give it the canary's image.",
        "A stream consumer reads every new and old image of the items: if DynamoDB does not ask its kms:Decrypt, "
        "the stream is a way around the key.",
        "Take dynamodb:GetRecords away from principals that must not read.",
        severity=8.8,
        subject=T,
        anchor=PATHS,
        tags=(DDB, "stream", KMS),
    ),
    _rule(
        "boundary_probe.stream.read",
        "The test principal reads the table's stream as it reads the items",
        "Reading the stream as the test principal, a key user, gives it the canary's image.",
        "A declared reader that cannot read the stream has lost a path the stack declares.",
        "Check its stream rights, and wait for propagation.",
        severity=4.0,
        subject=T,
        anchor=PATHS,
        tags=(DDB, "stream", "availability"),
    ),
    _rule(
        "boundary_probe.external",
        "The probe as a declared reader of another account ran",
        "Reported (as a skip) when the verifier has no credentials for a declared external principal.",
        "Its access is then proved on the owner's side only (external.policies_agree), not by a real read.",
        "Pass --consumer-profile PRINCIPAL=PROFILE (or ACCOUNT=PROFILE).",
        severity=2.0,
        subject=T,
        anchor=EXTERNAL,
        tags=(IAM, "cross-account"),
    ),
    _rule(
        "boundary_probe.external.denied",
        "A principal of another account declared denied cannot read",
        "GetItem on the canary, by the table's ARN, as the external principal is refused.",
        "Another account's principal reads plaintext the stack says it must not.",
        "Remove it from the table policy and the key's policy and grants, or declare it a reader.",
        severity=9.3,
        subject=T,
        anchor=EXTERNAL,
        tags=(IAM, KMS, "cross-account"),
    ),
    _rule(
        "boundary_probe.external.read",
        "A declared reader of another account reads",
        "GetItem on the canary, by the table's ARN, as the external principal returns its plaintext; a refusal "
        "is classified by the side it names (key, table policy, or the consumer's identity policy).",
        "A declared reader that is refused has a missing side.",
        "Add the missing side the finding names (the consumer's identity policy is in the outputs).",
        severity=4.3,
        subject=T,
        anchor=EXTERNAL,
        tags=(IAM, "cross-account", "availability"),
    ),
    # -- the access audit -----------------------------------------------------------------------------------
    _rule(
        "audit",
        "The access audit ran in the region",
        "Reported (as a skip) when a replica region's audit cannot run: its key is missing (the key checks fail).",
        "Who can read that region's replica is then not judged.",
        "See the region's key checks.",
        severity=2.0,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.undeclared_reader",
        "No principal the stack does not declare can read the plaintext",
        "The audit judges every principal of the account on both layers with the policy evaluator: IAM lets it "
        "read the items, and KMS lets it decrypt through DynamoDB. The finding names the principal and the "
        "statement or grant that lets it in.",
        "An undeclared plaintext reader is a data exposure: the key's boundary lets in someone the stack never named.",
        "Remove the principal's key access (the grant, the key policy statement or the identity policy with "
        "kms:Decrypt the finding names), or declare it (KeyUser) and deploy.",
        severity=9.6,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, KMS, "audit"),
    ),
    _rule(
        "audit.undeclared_writer",
        "No principal the stack does not declare can write the items",
        "IAM lets the principal write the items and KMS lets it use the key through DynamoDB; a write answers "
        "with the item (ReturnValues).",
        "An undeclared writer can change or destroy the data, and read it back.",
        "Remove its key access or write rights, or declare it read-write and deploy.",
        severity=9.1,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, KMS, "audit"),
    ),
    _rule(
        "audit.writer_declared_as_reader",
        "A principal declared a reader cannot write",
        "A declared reader's identity policies let it write the items.",
        "Write access beyond what is declared lets a reader change the data.",
        "Narrow its DynamoDB rights to reads, or declare it read-write.",
        severity=7.1,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.undeclared_stream",
        "No undeclared principal reads the table's stream",
        "IAM (and the stream's resource policy) let the principal read the table's stream, which carries every "
        "new and old image.",
        "Whether DynamoDB asks a stream reader's kms:Decrypt is not documented: the audit counts it a reader of "
        "the plaintext, unless the probe saw KMS refuse it.",
        "Take dynamodb:GetRecords/GetShardIterator away, or declare the stream path (KeyUser paths).",
        severity=8.8,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "stream", "audit"),
    ),
    _rule(
        "audit.undeclared_export",
        "No undeclared principal can export the table",
        "IAM lets the principal call ExportTableToPointInTime on the table.",
        "An export writes the table's data to S3 under a key the caller chooses, out of the table key's boundary.",
        "Take the export right away, or declare the export path.",
        severity=8.8,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "exfiltration", "audit"),
    ),
    _rule(
        "audit.undeclared_restore",
        "No undeclared principal can restore the table's data elsewhere",
        "IAM lets the principal restore the table (point in time, its backups, AWS Backup) into a new table.",
        "The restored table is encrypted under a key the caller chooses, or none.",
        "Take the restore rights away, or declare the restore path.",
        severity=8.8,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "exfiltration", "audit"),
    ),
    _rule(
        "audit.undeclared_rekey",
        "No undeclared principal can move the table to another key",
        "IAM lets the principal change the table's encryption (UpdateTable SSESpecification, a new replica).",
        "Moving the table to another key, or to the AWS-owned key, takes the data out of the stack's key's boundary.",
        "Take UpdateTable away, or make the principal a key administrator.",
        severity=8.1,
        subject=T,
        anchor=PATHS,
        tags=(IAM, ENC, "audit"),
    ),
    _rule(
        "audit.undeclared_kinesis",
        "No undeclared principal can stream the table's changes to Kinesis",
        "IAM lets the principal call EnableKinesisStreamingDestination on the table.",
        "Every change then flows to a Kinesis data stream the caller chooses.",
        "Take the right away, or declare the kinesis path.",
        severity=8.8,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "exfiltration", "audit"),
    ),
    _rule(
        "audit.undeclared_boundary",
        "Only declared key administrators can change the boundary",
        "The principal holds kms:PutKeyPolicy, CreateGrant, ScheduleKeyDeletion or DisableKey on the key, "
        "UpdateTable or the table's resource policy, or the IAM rights to rewrite a key user's policies or its "
        "own, without being a declared key administrator.",
        "Whoever can change the boundary can let itself or anyone in.",
        "Take these rights away, or make it a key administrator (key_admins) and deploy.",
        severity=8.1,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, KMS, "audit"),
    ),
    _rule(
        "audit.undeclared_session",
        "No session of an undeclared role is named by the key",
        "A key policy, table policy or grant names a session (arn:aws:sts::...:assumed-role/ROLE/SESSION) of a "
        "role the stack does not declare.",
        "AWS honours the entry for that session alone: it may use the key where its role may not.",
        "Remove the session from the key policy (or revoke the grant), or declare the role.",
        severity=8.1,
        subject=T,
        anchor=PATHS,
        tags=(IAM, KMS, "audit"),
    ),
    _rule(
        "audit.session_of_missing_role",
        "No session of a role that does not exist is named by the key",
        "A key policy, table policy or grant names a session of a role that does not exist.",
        "A role created later under that name would inherit the access.",
        "Remove it.",
        severity=5.3,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.unresolved_principal",
        "Every principal the key or table policy lets in can be judged",
        "An Allow statement or a grant names a principal the audit cannot resolve to one of the account's (a "
        "service, a federated or canonical user, a malformed name).",
        "Whoever acts as that principal is not judged: the audit cannot say who reads through it.",
        "Remove it, or constrain it (aws:SourceArn, aws:SourceAccount) and review who can act through it.",
        severity=6.5,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.can_become",
        "No undeclared principal can become a principal that reaches the data",
        "By its identity policies and a role's trust policy (transitively, and by iam:PassRole to a service the "
        "role trusts), a principal may assume a role that reaches the data or moves the boundary, without being "
        "declared for it.",
        "Becoming a reader is reading.",
        "Narrow the role's trust policy (or the principal's sts:AssumeRole rights), or declare it.",
        severity=8.1,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.reader_role_trust",
        "A role that reaches the data trusts only named principals of this account",
        "The trust policy of a role on a path to the data admits '*', NotPrincipal, another account, or a "
        "service or identity provider with no condition at all.",
        "Whoever that admits becomes a reader.",
        "Trust named principals of this account only.",
        severity=8.6,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "audit", "cross-account"),
    ),
    _rule(
        "audit.malformed_document",
        "Every policy document is one AWS accepts",
        "A key, table, stream, identity or trust policy holds something AWS's policy grammar refuses; the audit "
        "judged the rest of it.",
        "What AWS would do with the refused part is not what the document seems to say.",
        "Rewrite it as AWS's policy grammar allows.",
        severity=5.3,
        subject=T,
        anchor=PATHS,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.dynamodb_grant",
        "DynamoDB's own grants are for this table",
        "Reported (as a pass) for each grant DynamoDB made for this table: its service principal, constrained to "
        "the table's encryption context.",
        "DynamoDB's own grants are how the table uses the key; they are named so that every grant is accounted for.",
        "Nothing to do.",
        severity=1.0,
        subject=K,
        anchor=AUDIT,
        tags=(KMS, "audit"),
    ),
    _rule(
        "audit.unconstrained_grant",
        "Every grant on the key is constrained to this table",
        "A grant other than DynamoDB's own has no encryption-context constraint, or another table's.",
        "It opens the key beyond this table: its grantee may use the key for anything the grant's operations allow.",
        "Revoke it (aws kms revoke-grant) and grant again constrained to the table's encryption context (KeyUser "
        "does).",
        severity=8.1,
        subject=K,
        anchor=AUDIT,
        tags=(KMS, "audit"),
    ),
    _rule(
        "audit.grant_to_missing_principal",
        "No grant is left to a principal that no longer exists",
        "A grant's grantee does not exist (a deleted principal shows as its unique id).",
        "A stale grant is access nobody reviews; it is not inherited by a new principal of the same name, but "
        "it hides what the key allows.",
        "Revoke the grant.",
        severity=5.3,
        subject=K,
        anchor=AUDIT,
        tags=(KMS, "audit"),
    ),
    _rule(
        "audit.key_policy_missing_principal",
        "The key policy names no principal that no longer exists",
        "A key policy statement names a principal that does not exist (a unique id where an ARN was).",
        "A stale entry is access nobody reviews.",
        "Remove it from the key policy (EncryptedTable key_users / key_admins) and deploy.",
        severity=5.3,
        subject=K,
        anchor=AUDIT,
        tags=(KMS, "audit"),
    ),
    _rule(
        "audit.other_account",
        "No other account is let in unless declared, and then no further",
        "The key, table or stream policy (an Allow) or a grant lets in another account, or any account through "
        "'*' or NotPrincipal with no condition keeping it to this account; a declared external reader that may "
        "write or change the boundary is a finding too.",
        "Another account's IAM decides which of its principals read this table: the stack cannot see or verify them.",
        "Remove the other account, or declare the principal (externalPrincipals) with the access it needs.",
        severity=8.6,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, KMS, "audit", "cross-account"),
    ),
    _rule(
        "audit.declared_principal_missing",
        "Every key user the stack declares exists",
        "A principal the stack declares a key user does not exist in the account.",
        "A principal created later under that name would get the declared access.",
        "Create the principal, or remove it from the stack and deploy.",
        severity=4.3,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, "audit"),
    ),
    _rule(
        "audit.readers_as_declared",
        "Every principal on a path to the data is declared",
        "Reported (as a pass) when the audit found nothing: the principals judged and the plaintext readers.",
        "The audit's summary; any exposure is a finding of its own kind.",
        "Nothing to do.",
        severity=1.0,
        subject=T,
        anchor=AUDIT,
        tags=(IAM, "audit"),
    ),
    # -- a run that could not happen ----------------------------------------------------------------------
    _rule(
        COULD_NOT_VERIFY,
        "The verification could run",
        "Reported for a run that could not happen (bad or missing outputs, no credentials, an unreachable "
        "endpoint, throttling, missing read rights, an interruption) and for any check that errs: nothing "
        "about the deployment was proved by it.",
        "An unverified deployment is not a verified one.",
        "Do what the message says (one line per kind of failure) and run again.",
        severity=4.0,
        level=Level.WARNING,
        subject=T,
        anchor=COULD_NOT_RUN,
        tags=("verification",),
    ),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

_REPLICA_PREFIX = re.compile(r"replica\[[^\]]*\]\.")
_PARAMETER = re.compile(r"\[[^\]]*\]")
# A replica's own names for the primary's table checks (the region is implied by the prefix), and the
# checks only a replica has.
_REPLICA_NAMES = {
    **{replica: primary for primary, replica in REPLICA_TABLE_CHECKS.items()},
    "listed": "replica.listed",
    "canary_replicated": "replica.canary_replicated",
}


class UnknownCheckError(KeyError):
    """A check name no rule covers: a judge emits a name the catalogue does not know."""


def rule_id(check: str) -> str:
    """The rule of a check's name: the replica prefix and every bracketed parameter stripped, a replica's
    own name mapped to the primary's. Pure; the same for every run, region, principal and parameter."""
    replica = _REPLICA_PREFIX.match(check)
    name = _PARAMETER.sub("", check[replica.end() :] if replica else check)
    return _REPLICA_NAMES.get(name, name) if replica else name


def rule_of(check: str) -> Rule:
    """The rule of a check's name; UnknownCheckError when no rule covers it (the tests' strict reading)."""
    found = BY_ID.get(rule_id(check))
    if found is None:
        raise UnknownCheckError(f"no rule for check {check!r} (rule id {rule_id(check)!r}): add one to verify/rules.py")
    return found


def rule_for(finding: Finding) -> Rule:
    """The rule a report files a finding under: an ERROR (the check could not be made) is always
    COULD_NOT_VERIFY's, whatever the check. A name no rule covers (the tests prove none is emitted) still
    gets a rule of its own id, so that a report is never lost for want of a description."""
    if finding.status is Status.ERROR:
        return BY_ID[COULD_NOT_VERIFY]
    try:
        return rule_of(finding.check)
    except UnknownCheckError:
        return _unclassified(rule_id(finding.check))


def _unclassified(identifier: str) -> Rule:
    return _rule(
        identifier,
        f"Verifier check {identifier}",
        f"The verifier's check {identifier}, which the rule catalogue does not describe: its message says what "
        "was seen and what to do.",
        "See the message.",
        "See the message.",
        severity=5.0,
        subject=Subject.TABLE,
        anchor=CHECKS,
        tags=(),
    )
