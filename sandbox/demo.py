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

The only part of the sandbox that joins the emulator, the engine and harness, the
verifier and the stack program.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sandbox.emulator.account import REGION
from sandbox.emulator.server import DEPLOYER_NAME, Emulator
from sandbox.engine import Action, Change, Stack
from sandbox.harness import Deployment, deploy
from stack import outputs
from verify.audit.report import as_matrix
from verify.audit.run import AuditResult, run_audit
from verify.findings import EXIT_OK, Finding, exit_code
from verify.inputs import parse_outputs
from verify.replicas import region_view
from verify.report import as_table
from verify.run import Aws, principal_client_factory, verify

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
    client = principal_client_factory(aws, want)()
    try:
        items = read_items(client, want.table_name)
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


def _indent(text: str) -> str:
    return "\n".join(f"   {line}" if line else "" for line in text.splitlines())
