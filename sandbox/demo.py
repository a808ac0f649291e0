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

The only part of the sandbox that joins the emulator, the engine and harness, the
verifier and the stack program.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sandbox.emulator.account import CONSUMER_ACCOUNT_ID, CONSUMER_PROFILE, CONSUMER_ROLE_NAME, PARTITION, REGION
from sandbox.emulator.server import DEPLOYER_NAME, Emulator
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


def _indent(text: str) -> str:
    return "\n".join(f"   {line}" if line else "" for line in text.splitlines())
