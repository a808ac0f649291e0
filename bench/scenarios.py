"""The side-by-side scenarios: the same KMS decisions for our evaluator and for @cloud-copilot/iam-simulate.

One JSON file (bench/peer/scenarios.json, committed) is read by both sides: `bench.ours` and
`bench/peer/simulate.mjs`. Each scenario is one kms:Decrypt request as DynamoDB makes it for a
caller (kms:ViaService, kms:CallerAccount, the table's encryption context), the key policy, the
caller's identity policies, the key's grants and the decision expected ("Allowed",
"ExplicitlyDenied", "ImplicitlyDenied"), which each side checks before it times anything.

The key policy of the small scenarios is the project's own (`build_key_policy`), the identity
policy of the delegated one the project's KeyUser policy (`key_user_identity_policy`). Grant
scenarios are ours only ("peer": false): iam-simulate models no KMS grants.

`python -m bench.scenarios` rewrites the file; `python -m bench` regenerates it in memory and
rewrites it (saying so) when the policy builders changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from access.evaluator import dynamodb_decrypt_request
from access.kms_dynamodb import table_encryption_context
from components.policy_builders import build_key_policy, key_user_identity_policy

SCENARIOS = Path(__file__).resolve().parent / "peer" / "scenarios.json"

PARTITION, ACCOUNT, REGION = "aws", "123456789012", "us-east-1"
OTHER_ACCOUNT = "444455556666"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TABLE = "orders"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
VIA_DYNAMODB = f"dynamodb.{REGION}.amazonaws.com"
ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
LARGE_KEY_STATEMENTS, LARGE_POLICIES, LARGE_STATEMENTS = 20, 10, 10
ENCRYPTION_CONTEXT_KEYS = tuple(table_encryption_context(TABLE, ACCOUNT))
# What the peer does not model, so that no scenario's decision may rest on it.
PEER_LIMITS = (
    "KMS grants (the grant scenario is ours only)",
    "kms:EncryptionContext:<key> condition keys: runSimulation drops them from the request as keys it does not "
    "know for kms:Decrypt (its match for a key with a variable part looks for a '/'), so a condition on one "
    "is false there; the scenarios decide on kms:EncryptionContextKeys, kms:ViaService and kms:CallerAccount",
)


def role(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def project_key_policy() -> dict[str, Any]:
    """The key policy an EncryptedTable writes: root delegation, administrators, key users via DynamoDB."""
    return build_key_policy(
        partition=PARTITION,
        account_id=ACCOUNT,
        region=REGION,
        admin_arns=[role("key-admin")],
        key_user_arns=[role("orders-reader"), role("orders-writer")],
        deployer_arn=f"arn:aws:iam::{ACCOUNT}:user/deployer",
    )


def decrypt_request(principal: str) -> dict[str, Any]:
    """kms:Decrypt by DynamoDB for a role's session, as both sides read it."""
    request = dynamodb_decrypt_request(
        principal_arn=principal, key_arn=KEY_ARN, table_name=TABLE, region=REGION, account_id=ACCOUNT
    )
    # Every condition key either side reads, given outright: iam-simulate derives none.
    context = {**request.context, "aws:SecureTransport": "true", "aws:RequestedRegion": REGION}
    return {
        "principal": request.principal_arn,
        "action": request.action,
        "resource": request.resource,
        "account": request.account_id,
        "context": {k: list(v) if isinstance(v, list | tuple) else v for k, v in context.items()},
        "encryption_context": dict(request.encryption_context),
    }


def large_key_policy() -> dict[str, Any]:
    """20 statements: a Deny for quarantined roles first, the project's three, then teams and partners."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyQuarantined",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/quarantine-*"}},
        },
        *project_key_policy()["Statement"],
        {
            "Sid": "DenyOutsideTheOrganisation",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:ReEncrypt*"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:CallerAccount": [ACCOUNT, OTHER_ACCOUNT]}},
        },
        {
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    team = 0
    while len(statements) < LARGE_KEY_STATEMENTS - 2:
        statements.append(
            {
                "Sid": f"Team{team:02d}ViaDynamoDB",
                "Effect": "Allow",
                "Principal": {"AWS": [role(f"team-{team:02d}-app"), role(f"team-{team:02d}-batch")]},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": VIA_DYNAMODB, "kms:CallerAccount": ACCOUNT},
                    "StringLike": {"kms:EncryptionContext:aws:dynamodb:tableName": f"team-{team:02d}-*"},
                },
            }
        )
        team += 1
    statements += [
        {
            "Sid": "PartnerReadsViaDynamoDB",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": VIA_DYNAMODB, "kms:CallerAccount": OTHER_ACCOUNT}},
        },
        {
            "Sid": "AuditorsDescribe",
            "Effect": "Allow",
            "Principal": {"AWS": [role("auditor"), role("security-audit")]},
            "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
            "Resource": "*",
        },
    ]
    assert len(statements) == LARGE_KEY_STATEMENTS  # noqa: S101 (the scenario's stated size)
    return {"Version": "2012-10-17", "Statement": statements}


def _identity_statement(policy: int, index: int) -> dict[str, Any]:
    """Statement `index` of identity policy `policy`: wildcards and conditions, none of them for this
    key but the very last statement of the last policy (the decision walks them all)."""
    kind = index % 5
    if policy == LARGE_POLICIES - 1 and index == LARGE_STATEMENTS - 1:
        return {
            "Sid": "OrdersKeyViaDynamoDB",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
            # kms:EncryptionContextKeys, not kms:EncryptionContext:aws:dynamodb:tableName: iam-simulate
            # 0.1.173 drops kms:EncryptionContext:<key> values from the request (see PEER_LIMITS).
            "Condition": {
                "StringEquals": {"kms:ViaService": VIA_DYNAMODB, "kms:CallerAccount": ACCOUNT},
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": sorted(ENCRYPTION_CONTEXT_KEYS)},
                "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/data-platform*"},
            },
        }
    if kind == 0:
        return {
            "Sid": f"P{policy}S{index}Tables",
            "Effect": "Allow",
            "Action": ["dynamodb:Get*", "dynamodb:Query", "dynamodb:BatchGet*"],
            "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/team-{policy:02d}-*",
        }
    if kind == 1:
        return {
            "Sid": f"P{policy}S{index}OtherKeys",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/team-{policy:02d}-{index}*",
            "Condition": {"StringEquals": {"kms:ViaService": VIA_DYNAMODB}},
        }
    if kind == 2:
        return {
            "Sid": f"P{policy}S{index}ViaQueues",
            "Effect": "Allow",
            "Action": "kms:De*",
            "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
            "Condition": {"StringEquals": {"kms:ViaService": [f"sqs.{REGION}.amazonaws.com", "sns.amazonaws.com"]}},
        }
    if kind == 3:
        return {
            "Sid": f"P{policy}S{index}NotPlainHttp",
            "Effect": "Deny",
            "Action": ["kms:*", "dynamodb:*"],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
        }
    return {
        "Sid": f"P{policy}S{index}Objects",
        "Effect": "Allow",
        "Action": ["s3:GetObject*", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::team-{policy:02d}-data", f"arn:aws:s3:::team-{policy:02d}-data/*"],
        "Condition": {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/team-{policy:02d}-*"}},
    }


def large_identity_policies() -> list[dict[str, Any]]:
    return [
        {
            "name": f"data-platform-{policy:02d}",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [_identity_statement(policy, index) for index in range(LARGE_STATEMENTS)],
            },
        }
        for policy in range(LARGE_POLICIES)
    ]


def scenarios() -> list[dict[str, Any]]:
    small = project_key_policy()
    large, identities = large_key_policy(), large_identity_policies()
    key_user = key_user_identity_policy(
        key_arn=KEY_ARN, region=REGION, account_id=ACCOUNT, access="read", table_arn=TABLE_ARN
    )
    grant = {
        "grant_id": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "grantee_principal": role("batch-loader"),
        "operations": ["Decrypt", "DescribeKey"],
        "constraints": {"EncryptionContextSubset": {"aws:dynamodb:tableName": TABLE}},
    }
    return [
        {
            "name": "key-policy.allowed",
            "description": "the project's key policy names the reader: Decrypt via DynamoDB allowed",
            "expected": ALLOWED,
            "peer": True,
            "request": decrypt_request(role("orders-reader")),
            "key_policy": small,
            "identity_policies": [],
            "grants": [],
        },
        {
            "name": "key-policy.denied",
            "description": "the same for a role the key policy does not name, with no identity policy",
            "expected": IMPLICIT_DENY,
            "peer": True,
            "request": decrypt_request(role("analytics")),
            "key_policy": small,
            "identity_policies": [],
            "grants": [],
        },
        {
            "name": "identity.delegated",
            "description": "the project's KeyUser identity policy, allowed as the key policy delegates",
            "expected": ALLOWED,
            "peer": True,
            "request": decrypt_request(role("orders-app")),
            "key_policy": small,
            "identity_policies": [{"name": "orders-app-key-use", "policy": key_user}],
            "grants": [],
        },
        {
            "name": "large.allowed",
            "description": f"{LARGE_KEY_STATEMENTS} key-policy statements, {LARGE_POLICIES} identity policies x "
            f"{LARGE_STATEMENTS} statements; the last identity statement allows",
            "expected": ALLOWED,
            "peer": True,
            "request": decrypt_request(role("data-platform")),
            "key_policy": large,
            "identity_policies": identities,
            "grants": [],
        },
        {
            "name": "large.explicit-deny",
            "description": "the same policies for a quarantined role: the key policy's first statement denies",
            "expected": EXPLICIT_DENY,
            "peer": True,
            "request": decrypt_request(role("quarantine-01")),
            "key_policy": large,
            "identity_policies": identities,
            "grants": [],
        },
        {
            "name": "grant.allowed",
            "description": "no statement allows; a grant with an encryption-context constraint does (ours only: "
            "iam-simulate has no KMS grants)",
            "expected": ALLOWED,
            "peer": False,
            "request": decrypt_request(role("batch-loader")),
            "key_policy": small,
            "identity_policies": [],
            "grants": [grant],
        },
    ]


def render() -> str:
    document = {"generated_by": "python -m bench.scenarios", "scenarios": scenarios()}
    return json.dumps(document, indent=1) + "\n"


def refresh() -> bool:
    """Write the scenarios file when it differs from what the builders make now; True if it was rewritten."""
    text = render()
    if SCENARIOS.exists() and SCENARIOS.read_text(encoding="utf-8") == text:
        return False
    SCENARIOS.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    print(f"{SCENARIOS} {'rewritten' if refresh() else 'unchanged'}", file=sys.stderr)
