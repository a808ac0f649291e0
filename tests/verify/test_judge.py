"""Judges on hand-made records: no AWS at all."""

from __future__ import annotations

import json

from components.policy_builders import build_key_policy
from verify.collect import AliasRecord, KeyRecord, TableRecord
from verify.findings import Status
from verify.inputs import StackOutputs
from verify.judge import judge_key, judge_key_policy, judge_table

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
WANT = StackOutputs("us-east-1", ACCOUNT, "orders", "arn", "k", KEY_ARN, "alias/a", "none", True, True)
GOOD_TABLE = TableRecord(True, "ACTIVE", "ENABLED", "KMS", KEY_ARN, "", "ENABLED", True, (("id", "S"),))
GOOD_KEY = KeyRecord(True, KEY_ARN, "Enabled", "CUSTOMER", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", True, "{}")


def failing(findings: list) -> set[str]:
    return {f.check for f in findings if f.status is Status.FAIL}


def test_healthy_records_pass() -> None:
    assert failing(judge_table(GOOD_TABLE, WANT)) == set()
    assert failing(judge_key(GOOD_KEY, AliasRecord("alias/a", KEY_ARN), WANT)) == set()


def test_inaccessible_table_and_disabled_key_fail_with_advice() -> None:
    table = TableRecord(**{**GOOD_TABLE.__dict__, "inaccessible_since": "2026-11-01"})
    (finding,) = [f for f in judge_table(table, WANT) if f.status is Status.FAIL]
    assert finding.check == "table.key_accessible"
    assert "7 days" in finding.advice
    key = KeyRecord(**{**GOOD_KEY.__dict__, "state": "PendingDeletion"})
    assert failing(judge_key(key, AliasRecord("alias/a", KEY_ARN), WANT)) == {"key.enabled"}


def test_aws_managed_key_and_wrong_alias_fail() -> None:
    key = KeyRecord(**{**GOOD_KEY.__dict__, "manager": "AWS"})
    assert failing(judge_key(key, AliasRecord("alias/a", "arn:other"), WANT)) == {"key.customer_managed", "key.alias"}


def test_key_policy_judgement() -> None:
    good = build_key_policy(
        partition="aws",
        account_id=ACCOUNT,
        region="us-east-1",
        admin_arns=[],
        key_user_arns=[f"arn:aws:iam::{ACCOUNT}:role/r"],
        deployer_arn=f"arn:aws:iam::{ACCOUNT}:role/d",
    )
    assert failing(judge_key_policy(json.dumps(good))) == set()
    unscoped = {
        "Statement": [
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r"},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
            }
        ]
    }
    assert failing(judge_key_policy(json.dumps(unscoped))) == {
        "key_policy.key_users_via_dynamodb",
        "key_policy.administrable",
    }
    assert failing(judge_key_policy("not json")) == {"key_policy.parses"}
