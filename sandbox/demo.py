"""The walkthrough, told end to end in the embedded emulator.

1. a customer-managed key and a table encrypted with it (deploy, no grant);
2. items written and read back by the deployer;
3. the test principal, with DynamoDB read-only rights and no KMS permission,
   refused by KMS; the verification step proves it (expects "denied");
4. the test principal made a key user (re-deploy with the grant);
5. it reads the items, decrypted; the verification step proves it (expects "read");
6. the access audit: every principal of the account, both layers, before and after.

With replica regions (`--replicas`), the table is a global table: each replica region gets a
key of its own, the items written in the table's region are read back in each replica's, and
the test principal is refused, then reads, in every region, each with that region's key.

With `--external-reader` (run_external_demo), the reader is a role of another account: the
table's resource policy and the key policy let it in, and it is refused until its own account
attaches the identity policy the stack exports; then one `pulumi up` with a provider for the
consumer account attaches it, and the role reads, decrypted.

With `--key-loss` (run_key_loss_demo), the story is the key's survival: a key administrator that is
not break-glass is refused ScheduleKeyDeletion and DisableKey and keeps its other rights, the
break-glass role may schedule the deletion, the verifier FAILs the pending deletion with the commands
that undo it, and, once they have run, passes again; the alarm rules are in place in the key's region.

The only part of the sandbox that joins the emulator, the engine and harness, the
verifier and the stack program.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from access.key_protection import ALARM_KINDS
from access.kms_dynamodb import MAX_DELETION_WINDOW_DAYS
from sandbox.emulator.account import CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE, CONSUMER_ROLE_NAME, PARTITION, REGION
from sandbox.emulator.server import DEPLOYER_NAME, Emulator, own_account_trust_policy
from sandbox.engine import Action, Change, Stack
from sandbox.harness import Deployment, deploy
from stack import outputs
from verify.audit.report import as_external_matrix, as_matrix
from verify.audit.run import AuditResult, run_audit
from verify.external_probe import Consumer
from verify.findings import EXIT_OK, Finding, Status, exit_code
from verify.inputs import StackOutputs, parse_outputs
from verify.replicas import region_view
from verify.report import as_table
from verify.run import CLIENT_CONFIG, Aws, principal_client_factory, verify

SAMPLE_ITEMS = (
    {"note": "first item", "amount": "12"},
    {"note": "second item", "amount": "7"},
    {"note": "third item", "amount": "30"},
)
# A demo table is thrown away with the emulator: no deletion protection, short key window.
DEMO_CONFIG = {"deletionProtection": "false", "keyDeletionWindowDays": "7"}


@dataclass(frozen=True)
class DemoResult:
    denied_findings: list[Finding]
    read_findings: list[Finding]
    audit_before: AuditResult
    audit_after: AuditResult

    @property
    def passed(self) -> bool:
        return all(
            exit_code(findings) == EXIT_OK
            for findings in (
                self.denied_findings,
                self.read_findings,
                self.audit_before.findings,
                self.audit_after.findings,
            )
        )


def describe_changes(changes: list[Change]) -> list[str]:
    marks = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "+-", Action.DELETE: "-"}
    lines = [
        f"    {marks[c.action]:<2} {c.action.value:<7} {c.typ:<52} {c.name}" + (f"  ({c.detail})" if c.detail else "")
        for c in changes
        if c.action is not Action.SAME
    ]
    same = sum(c.action is Action.SAME for c in changes)
    if same:
        lines.append(f"       {same} unchanged")
    return lines


def write_items(aws: Aws, table: str) -> None:
    dynamodb = aws.client("dynamodb")
    for index, item in enumerate(SAMPLE_ITEMS, start=1):
        dynamodb.put_item(
            TableName=table, Item={"id": {"S": f"demo-{index}"}, **{k: {"S": v} for k, v in item.items()}}
        )


def read_items(client: Any, table: str) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=table, ConsistentRead=True)["Items"], key=lambda i: i["id"]["S"])


def show_items(items: list[dict[str, Any]]) -> list[str]:
    return [
        f"    {item['id']['S']}: {item.get('note', {}).get('S', '')} ({item.get('amount', {}).get('S', '')})"
        for item in items
    ]


def try_read_as_principal(aws: Aws, deployment: Deployment, region: str | None = None) -> list[str]:
    """The test principal's scan, in the table's region or a replica's (with that region's key)."""
    want = parse_outputs(deployment.outputs)
    if region is not None:
        want = region_view(want, next(r for r in want.replicas if r.region == region))
    return scan_story(principal_client_factory(aws, want)(), want.table_name)


def scan_story(client: Any, table: str) -> list[str]:
    """A scan as someone other than the deployer, told: the items it read, or AWS's refusal word for word."""
    try:
        items = read_items(client, table)
    except ClientError as error:
        err = error.response["Error"]
        return [f"    refused: {err['Code']}: {err['Message']}"]
    return [f"    read {len(items)} item(s), decrypted:", *show_items(items)]


def run_demo(
    *,
    principal: str = "role",
    grant_mode: str = "grant",
    propagation_delay: float = 0.0,
    region: str = REGION,
    replicas: Sequence[str] = (),
    say: Callable[[str], None] = print,
) -> DemoResult:
    max_wait = None if propagation_delay <= 0 else max(60.0, 3 * propagation_delay)
    with Emulator(region=region, propagation_delay=propagation_delay) as emulator:
        aws = Aws(emulator.session(), emulator.endpoint_url)
        say(f"1. Emulator up at {emulator.endpoint_url} (moto, with KMS key access enforced).")
        say(f"   Deploying as IAM user {DEPLOYER_NAME}; test principal: a {principal}; grant mode: {grant_mode}.")
        if propagation_delay > 0:
            say(f"   Policy and grant changes take effect after {propagation_delay:g}s.")
        stack = Stack(emulator)
        config = {**DEMO_CONFIG, "testPrincipal": principal, "grantMode": grant_mode, "grantTestPrincipal": "false"}
        if replicas:
            # The stack's region too, so that the component refuses it as a replica before deploying.
            config.update({"replicaRegions": json.dumps(list(replicas)), "aws:region": region})
            say(f"   A global table: a replica in {', '.join(replicas)}, each encrypted with a key of its own region.")

        say("")
        say("2. pulumi up (the stack program, unchanged, under mocks that create the resources):")
        first = deploy(stack, config)
        for line in describe_changes(first.changes):
            say(line)
        table = first.outputs[outputs.TABLE_NAME]
        say(f"   Table {table} is encrypted with {first.outputs[outputs.KEY_ARN]}.")
        for replica in first.outputs.get(outputs.REPLICAS) or []:
            say(
                f"   Its replica in {replica[outputs.REPLICA_REGION]} is encrypted with that region's key "
                f"{replica[outputs.REPLICA_KEY_ARN]} ({replica[outputs.REPLICA_KEY_ALIAS]} there)."
            )

        say("")
        say("3. The deployer writes items and reads them back:")
        write_items(aws, table)
        for line in show_items(read_items(aws.client("dynamodb"), table)):
            say(line)
        for replica_region in replicas:
            say(f"   Replicated to {replica_region}, read there by the deployer:")
            for line in show_items(read_items(aws.in_region(replica_region).dynamodb(), table)):
                say(line)

        say("")
        say("4. The test principal (AmazonDynamoDBReadOnlyAccess, no KMS permission) scans the table:")
        for line in try_read_as_principal(aws, first):
            say(line)
        for replica_region in replicas:
            say(f"   and its replica in {replica_region}, guarded by {replica_region}'s key:")
            for line in try_read_as_principal(aws, first, replica_region):
                say(line)
        say("   Verification, expecting the test principal to be denied:")
        denied = verify(aws, parse_outputs(first.outputs), max_wait=max_wait, progress=lambda line: say(f"   {line}"))
        say(_indent(as_table(denied)))
        audit_before = run_audit(aws, parse_outputs(first.outputs))

        say("")
        say(f"5. pulumi up with grantTestPrincipal=true: the test principal becomes a key user ({grant_mode}):")
        second = deploy(stack, {**config, "grantTestPrincipal": "true"})
        for line in describe_changes(second.changes):
            say(line)
        say("   Verification, expecting the test principal to read:")
        read = verify(aws, parse_outputs(second.outputs), max_wait=max_wait, progress=lambda line: say(f"   {line}"))
        say(_indent(as_table(read)))
        say("   The test principal scans the table again:")
        for line in try_read_as_principal(aws, second):
            say(line)
        for replica_region in replicas:
            say(f"   and its replica in {replica_region}:")
            for line in try_read_as_principal(aws, second, replica_region):
                say(line)
        audit_after = run_audit(aws, parse_outputs(second.outputs))

        say("")
        say("6. Who in this account can read the table's plaintext, by which layer? The access audit,")
        say("   before the grant (the test principal is blocked by KMS):")
        say(_indent(as_matrix(audit_before.rows)))
        say("   and after it (a declared plaintext reader):")
        say(_indent(as_matrix(audit_after.rows)))
        for replica_region, rows in audit_after.replica_rows.items():
            say(f"   and in {replica_region}, after the grant (that region's key, its own policy and grants):")
            say(_indent(as_matrix(rows)))
        say(_indent(as_table(audit_after.findings)))

    result = DemoResult(denied, read, audit_before, audit_after)
    say("")
    if result.passed:
        say("Both verifications passed: without the key, DynamoDB read rights read nothing; as a key user, the data.")
    else:
        say("A verification or the audit failed: see the FAIL lines above.")
    return result


# The consumer account's role the external demo declares as a reader (sandbox/emulator/account.py).
EXTERNAL_READER_ARN = f"arn:{PARTITION}:iam::{CONSUMER_ACCOUNT_ID}:role/{CONSUMER_ROLE_NAME}"


EXTERNAL_REFUSAL_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class ExternalDemoResult:
    refused_findings: list[Finding]
    read_findings: list[Finding]
    audit: AuditResult

    @property
    def passed(self) -> bool:
        """The story held: before its account attached the identity policy, the verifier FAILED the
        external probe, naming that missing side; after it, every check and the audit passed."""
        refused_named = any(
            f.status is Status.FAIL and f.check.startswith("boundary_probe.external") and "identity" in f.seen
            for f in self.refused_findings
        )
        return refused_named and exit_code(self.read_findings) == EXIT_OK and exit_code(self.audit.findings) == EXIT_OK


def _consumers(emulator: Emulator, want: StackOutputs) -> dict[str, Consumer]:
    """The verifier's credentials for each external principal: the consumer account's profile."""
    session = emulator.session(profile=CONSUMER_PROFILE)
    return {
        external.principal: Consumer(external, CONSUMER_PROFILE, session, emulator.endpoint_url, CLIENT_CONFIG)
        for external in want.external
    }


def try_read_as_consumer(emulator: Emulator, deployment: Deployment) -> list[str]:
    """The consumer role's scan of the owner's table, by the table's ARN, from its own account."""
    want = parse_outputs(deployment.outputs)
    consumer = _consumers(emulator, want)[EXTERNAL_READER_ARN]
    return scan_story(consumer.client_factory(want.region)(), want.table_arn)


def run_external_demo(*, region: str = REGION, say: Callable[[str], None] = print) -> ExternalDemoResult:
    """A reader in another account: the three documents that must agree, told one side at a time."""
    with Emulator(region=region) as emulator:
        aws = Aws(emulator.session(), emulator.endpoint_url)
        say(f"1. Emulator up at {emulator.endpoint_url}, with two accounts:")
        say(f"   the table's, {aws.client('sts').get_caller_identity()['Account']} (deploying as {DEPLOYER_NAME}),")
        say(f"   and a consumer account, {CONSUMER_ACCOUNT_ID}, whose role {CONSUMER_ROLE_NAME} is to read the table.")
        stack = Stack(emulator)
        # A named table: the key policy binds the reader to the table's encryption context, and the key
        # exists before the table, so the name must be known first (an auto-name is not).
        config = {
            **DEMO_CONFIG,
            "tableName": "shared-orders",
            "testPrincipal": "none",
            "externalReaders": json.dumps([EXTERNAL_READER_ARN]),
        }

        say("")
        say("2. pulumi up with externalReaders: the table's resource policy and the key policy name the role:")
        first = deploy(stack, config)
        for line in describe_changes(first.changes):
            say(line)
        want = parse_outputs(first.outputs)
        say(f"   Table {want.table_arn} is encrypted with {want.key_arn}.")

        say("")
        say("3. The deployer writes items and reads them back:")
        write_items(aws, want.table_name)
        for line in show_items(read_items(aws.client("dynamodb"), want.table_name)):
            say(line)

        say("")
        say("4. The consumer role, from its own account, scans the table by its ARN. Its account has not")
        say("   attached the identity policy the stack exports, and across accounts both sides must allow:")
        for line in try_read_as_consumer(emulator, first):
            say(line)
        say("   Verification, expecting the external reader to read (it FAILs, naming the missing side):")
        # The verifier waits up to its window for a refusal the owner's policies cannot explain (the consumer
        # may have just attached its policy, and IAM propagates); the emulator applies changes at once.
        refused = verify(
            aws,
            want,
            consumers=_consumers(emulator, want),
            max_wait=EXTERNAL_REFUSAL_WAIT_SECONDS,
            progress=lambda line: say(f"   {line}"),
        )
        say(_indent(as_table(refused)))

        say("")
        say(f"5. pulumi up with consumerProfiles={CONSUMER_ACCOUNT_ID}={CONSUMER_PROFILE}: a provider for the")
        say("   consumer account attaches that identity policy there, in the same deploy:")
        second = deploy(
            stack, {**config, "consumerProfiles": json.dumps([f"{CONSUMER_ACCOUNT_ID}={CONSUMER_PROFILE}"])}
        )
        for line in describe_changes(second.changes):
            say(line)
        say("   The consumer role scans the table again:")
        for line in try_read_as_consumer(emulator, second):
            say(line)
        want = parse_outputs(second.outputs)
        say("   Verification, expecting the external reader to read:")
        read = verify(aws, want, consumers=_consumers(emulator, want), progress=lambda line: say(f"   {line}"))
        say(_indent(as_table(read)))

        say("")
        say("6. The access audit: who of another account is let in, by which statements:")
        audit = run_audit(aws, want)
        say(_indent(as_external_matrix(audit.external)))
        say(_indent(as_table(audit.findings)))

    result = ExternalDemoResult(refused, read, audit)
    say("")
    if result.passed:
        say("The table policy, the key policy and the consumer's own identity policy: with all three, it reads.")
    else:
        say("The story did not hold: see the FAIL lines above.")
    return result


# The key-loss demo's two roles of the stack's account (created by the deployer before the deploy): a key
# administrator the key policy names, and the break-glass role.
KEY_ADMIN_ROLE = "key-admin"
BREAK_GLASS_ROLE = "break-glass"


@dataclass(frozen=True)
class KeyLossDemoResult:
    refused: dict[str, str]
    """Each key-loss call tried by the key administrator (and the deployer), with AWS's error code."""
    kept: list[str]
    """The other calls the key administrator made, each allowed."""
    break_glass_scheduled: bool
    pending_findings: list[Finding]
    restored_findings: list[Finding]
    rules: list[str]

    @property
    def passed(self) -> bool:
        """The story held: every key-loss call of an administrator refused, its other calls allowed, the
        break-glass role allowed; the verifier FAILED the pending deletion naming the key, and passed once
        the printed commands had run; an alarm rule of every kind in place."""
        pending_named = any(f.status is Status.FAIL and f.check == "key.enabled" for f in self.pending_findings)
        return (
            bool(self.refused)
            and all(code == "AccessDeniedException" for code in self.refused.values())
            and bool(self.kept)
            and self.break_glass_scheduled
            and pending_named
            and exit_code(self.restored_findings) == EXIT_OK
            and len(self.rules) == len(ALARM_KINDS)
        )


def _role_session(aws: Aws, name: str) -> Any:
    """A session of a new role of the stack's account, assumed by the deployer."""
    iam = aws.client("iam")
    account = aws.client("sts").get_caller_identity()["Account"]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(own_account_trust_policy(account)))[
        "Role"
    ]["Arn"]
    credentials = aws.client("sts").assume_role(RoleArn=arn, RoleSessionName="demo")["Credentials"]
    return arn, boto3.session.Session(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )


def _refusal(call: Callable[[], Any]) -> str:
    """AWS's error code for a call expected to be refused; "" when it was allowed."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return ""


def run_key_loss_demo(*, region: str = REGION, say: Callable[[str], None] = print) -> KeyLossDemoResult:
    """Key-loss protection: who may still lose the key, the alarms, and the verifier's fix-it commands."""
    with Emulator(region=region) as emulator:
        aws = Aws(emulator.session(), emulator.endpoint_url)
        say(f"1. Emulator up at {emulator.endpoint_url}; the deployer creates two roles of its account:")
        admin_arn, admin_session = _role_session(aws, KEY_ADMIN_ROLE)
        break_glass_arn, break_glass_session = _role_session(aws, BREAK_GLASS_ROLE)
        say(f"   {admin_arn} (a key administrator) and {break_glass_arn} (break-glass).")

        def kms_as(session: Any) -> Any:
            return session.client("kms", region_name=region, endpoint_url=emulator.endpoint_url, config=CLIENT_CONFIG)

        stack = Stack(emulator)
        config = {
            **DEMO_CONFIG,
            "testPrincipal": "none",
            "keyAdmins": json.dumps([admin_arn]),
            "breakGlassPrincipals": json.dumps([break_glass_arn]),
        }
        say("")
        say("2. pulumi up with keyLossProtection (the default), keyAdmins and breakGlassPrincipals:")
        deployment = deploy(stack, config)
        for line in describe_changes(deployment.changes):
            say(line)
        want = parse_outputs(deployment.outputs)
        policy = json.loads(aws.client("kms").get_key_policy(KeyId=want.key_arn, PolicyName="default")["Policy"])
        denies = [s.get("Sid", "") for s in policy["Statement"] if s.get("Effect") == "Deny"]
        say(f"   The key policy of {want.key_arn} denies, to all but break-glass: {', '.join(denies)}.")
        rules: list[str] = []
        protection = want.key_protection
        alarms = protection.alarms_in(want.region) if protection else None
        if alarms is not None:
            events = emulator.client("events")
            for kind, name in alarms.rules:
                rule = events.describe_rule(Name=name)
                targets = [t["Arn"] for t in events.list_targets_by_rule(Rule=name)["Targets"]]
                if alarms.topic_arn in targets:
                    rules.append(name)
                say(f"   Alarm rule {name} ({kind}): {rule['State']}, to {', '.join(targets)}")

        say("")
        say(f"3. The key administrator ({KEY_ADMIN_ROLE}) tries to lose the key, then does its other work:")
        admin_kms = kms_as(admin_session)
        deployer_kms = aws.client("kms")
        allows_only = [s for s in policy["Statement"] if s.get("Effect") == "Allow"]
        without_denies = json.dumps({**policy, "Statement": allows_only})
        refused = {
            f"{KEY_ADMIN_ROLE}: ScheduleKeyDeletion": _refusal(
                lambda: admin_kms.schedule_key_deletion(KeyId=want.key_arn, PendingWindowInDays=30)
            ),
            f"{KEY_ADMIN_ROLE}: DisableKey": _refusal(lambda: admin_kms.disable_key(KeyId=want.key_arn)),
            # The first of two calls that would lose it: a key policy without the denies.
            f"{KEY_ADMIN_ROLE}: PutKeyPolicy without the denies": _refusal(
                lambda: admin_kms.put_key_policy(KeyId=want.key_arn, PolicyName="default", Policy=without_denies)
            ),
            # The deployer administers the key too, and is not break-glass here.
            "deployer: ScheduleKeyDeletion": _refusal(
                lambda: deployer_kms.schedule_key_deletion(KeyId=want.key_arn, PendingWindowInDays=30)
            ),
        }
        for call, code in refused.items():
            say(f"   {call}: {code or 'ALLOWED'}")
        kept: list[str] = []
        admin_kms.describe_key(KeyId=want.key_arn)
        kept.append("DescribeKey")
        admin_kms.tag_resource(KeyId=want.key_arn, Tags=[{"TagKey": "reviewed-by", "TagValue": KEY_ADMIN_ROLE}])
        kept.append("TagResource")
        say(f"   {KEY_ADMIN_ROLE}: {', '.join(kept)}: allowed.")

        say("")
        say(f"4. The break-glass role schedules the key's deletion ({MAX_DELETION_WINDOW_DAYS} days):")
        scheduled = kms_as(break_glass_session).schedule_key_deletion(
            KeyId=want.key_arn, PendingWindowInDays=MAX_DELETION_WINDOW_DAYS
        )
        say(f"   KeyState {scheduled['KeyState']}, deletion on {scheduled['DeletionDate']:%Y-%m-%d}.")
        say("   Verification (it FAILs, with the commands that undo it and the deadlines):")
        pending = verify(aws, want, progress=lambda line: say(f"   {line}"))
        say(_indent(as_table(pending)))

        say("")
        say("5. The deployer does what the commands say (cancel-key-deletion, enable-key: not key-loss calls):")
        deployer_kms.cancel_key_deletion(KeyId=want.key_arn)
        deployer_kms.enable_key(KeyId=want.key_arn)
        say(f"   KeyState {deployer_kms.describe_key(KeyId=want.key_arn)['KeyMetadata']['KeyState']}.")
        restored = verify(aws, want, progress=lambda line: say(f"   {line}"))
        say(_indent(as_table(restored)))

    result = KeyLossDemoResult(refused, kept, scheduled["KeyState"] == "PendingDeletion", pending, restored, rules)
    say("")
    if result.passed:
        say("Nobody but break-glass can lose the key; the alarms are in place; the verifier saw it and saw it undone.")
    else:
        say("The story did not hold: see the lines above.")
    return result


def _indent(text: str) -> str:
    return "\n".join(f"   {line}" if line else "" for line in text.splitlines())
