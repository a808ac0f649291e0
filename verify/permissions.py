"""The rights `python -m verify` needs, as an IAM policy document: attach it to the identity that verifies.

One place for them: the "cannot run" message lists them, `python -m verify --print-policy` prints
the document for a stack, and a test runs the verifier in the sandbox as a principal that holds
only this policy (tests/verify/test_audit.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from access.documents import POLICY_VERSION
from access.kms_dynamodb import KEY_READ_ACTIONS, KEY_USER_ACTIONS, dynamodb_via_service
from access.operations import BY_NAME
from verify.inputs import StackOutputs

# Table checks (and the audit's stream and indexes), the canary round trip, the table's resource
# policy (for the audit): the catalogue's records of the calls the verifier makes.
TABLE_OPERATIONS = (
    "DescribeTable",
    "DescribeContinuousBackups",
    "GetResourcePolicy",
    "PutItem",
    "GetItem",
    "DeleteItem",
)
TABLE_ACTIONS = tuple(BY_NAME[name].actions[0] for name in TABLE_OPERATIONS)
# Key checks and the key's grants (explanations, the audit).
KEY_ACTIONS = ("kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy", "kms:ListGrants")
# The audit reads every principal in one paged call; explanations read one principal's policies.
IAM_ACTIONS = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRolePolicy",
    "iam:GetUserPolicy",
    "iam:GetGroupPolicy",
    "iam:ListRolePolicies",
    "iam:ListUserPolicies",
    "iam:ListGroupPolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListAttachedGroupPolicies",
    "iam:ListGroupsForUser",
)
PROBE_ACTIONS = ("sts:AssumeRole",)
# In a replica's region: the same checks, the canary only read (it is written and deleted in the primary).
REPLICA_TABLE_ACTIONS = tuple(a for a in TABLE_ACTIONS if a not in ("dynamodb:PutItem", "dynamodb:DeleteItem"))


def verifier_policy(
    *,
    table_arn: str,
    key_arn: str,
    region: str,
    account_id: str,
    test_role_arn: str | None = None,
    replicas: Sequence[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """Least privilege for one stack: its table and key only, key use through DynamoDB only. A global
    table's `replicas`, as (region, replica ARN, that region's key ARN): the same checks there, the
    canary read through DynamoDB in that region. Each table's stream policy is read whenever the table
    has a stream (the audit and external.policies_agree read it), so it is always granted: a stream's ARN
    is its table's and `/stream/<label>`, and the label changes each time the stream is turned on."""
    replica_keys = [key for _region, _arn, key in replicas]
    statements: list[dict[str, Any]] = [
        {"Sid": "TableChecksAndCanary", "Effect": "Allow", "Action": list(TABLE_ACTIONS), "Resource": table_arn},
        {
            "Sid": "KeyChecks",
            "Effect": "Allow",
            "Action": list(KEY_ACTIONS),
            "Resource": [key_arn, *replica_keys] if replica_keys else key_arn,
        },
        {
            # The canary's write and read: DynamoDB uses the key as the verifier.
            "Sid": "CanaryThroughDynamoDB",
            "Effect": "Allow",
            "Action": list(KEY_USER_ACTIONS),
            "Resource": key_arn,
            "Condition": {
                "StringEquals": {"kms:ViaService": dynamodb_via_service(region), "kms:CallerAccount": account_id}
            },
        },
        *_replica_statements(replicas, account_id),
        _stream_policy_statement([table_arn, *(arn for _region, arn, _key in replicas)]),
        # IAM's read calls take no narrower resource than the account's principals and policies.
        {"Sid": "ReadPrincipalsAndPolicies", "Effect": "Allow", "Action": list(IAM_ACTIONS), "Resource": "*"},
    ]
    if test_role_arn:
        statements.append(
            {"Sid": "ProbeAsTheTestRole", "Effect": "Allow", "Action": list(PROBE_ACTIONS), "Resource": test_role_arn}
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def _replica_statements(replicas: Sequence[tuple[str, str, str]], account_id: str) -> list[dict[str, Any]]:
    if not replicas:
        return []
    return [
        {
            "Sid": "ReplicaChecksAndCanaryRead",
            "Effect": "Allow",
            "Action": list(REPLICA_TABLE_ACTIONS),
            "Resource": [arn for _region, arn, _key in replicas],
        },
        {
            # Each replica's key, through DynamoDB in a replica region (a key is usable in its own region only).
            "Sid": "CanaryReadThroughDynamoDBInReplicas",
            "Effect": "Allow",
            "Action": list(KEY_READ_ACTIONS),
            "Resource": [key for _region, _arn, key in replicas],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": [dynamodb_via_service(region) for region, _arn, _key in replicas],
                    "kms:CallerAccount": account_id,
                }
            },
        },
    ]


def _stream_policy_statement(table_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "Sid": "StreamPolicies",
        "Effect": "Allow",
        "Action": [BY_NAME["GetResourcePolicy"].actions[0]],
        "Resource": [f"{arn}/stream/*" for arn in table_arns],
    }


def rights_summary() -> str:
    """The actions, for a one-line message."""
    return ", ".join((*TABLE_ACTIONS, *KEY_ACTIONS, *PROBE_ACTIONS, *IAM_ACTIONS))


def policy_for(want: StackOutputs) -> dict[str, Any]:
    """verifier_policy for a stack, from its outputs."""
    return verifier_policy(
        table_arn=want.table_arn,
        key_arn=want.key_arn,
        region=want.region,
        account_id=want.account_id,
        test_role_arn=want.principal_arn if want.principal_kind == "role" else None,
        replicas=[(r.region, r.replica_arn, r.key_arn) for r in want.replicas],
    )
