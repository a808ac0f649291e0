"""access.analyzers.unscoped_key_use_statements: key use must be scoped to one service — kms:ViaService for an
IAM principal, the service's encryption context for an AWS service principal (which is itself the service)."""

from __future__ import annotations

from typing import Any

import pytest

from access.analyzers import unscoped_key_use_statements

ACCOUNT = "111122223333"
ROOT = {
    "Sid": "EnableIamPolicies",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
TOPIC_CONTEXT = {"StringLike": {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:*"}}


def policy(principal: dict[str, Any], condition: dict[str, Any] | None) -> dict[str, Any]:
    use: dict[str, Any] = {
        "Sid": "Use",
        "Effect": "Allow",
        "Principal": principal,
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
    }
    if condition is not None:
        use["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [ROOT, use]}


@pytest.mark.parametrize(
    ("principal", "condition", "unscoped"),
    [
        # A service principal scoped by the encryption context its service sends: scoped.
        ({"Service": "events.amazonaws.com"}, TOPIC_CONTEXT, False),
        # ... by nothing: unscoped.
        ({"Service": "events.amazonaws.com"}, None, True),
        # ... by a condition that is no encryption context: unscoped.
        ({"Service": "events.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, True),
        # An IAM principal needs kms:ViaService: an encryption context alone is a caller's choice.
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}, TOPIC_CONTEXT, True),
        # A statement naming a service and an IAM principal: the IAM principal is not the service.
        ({"Service": "events.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}, TOPIC_CONTEXT, True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}, {"StringEquals": {"kms:ViaService": "x"}}, False),
    ],
)
def test_key_use_is_scoped_to_one_service(principal: dict[str, Any], condition: Any, unscoped: bool) -> None:
    assert unscoped_key_use_statements(policy(principal, condition), ACCOUNT) == (["Use"] if unscoped else [])
