"""The policy pack's rules, fed the inputs the real program produces and hand-made bad ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from access.provider_types import DYNAMODB_RESOURCE_POLICY as RESOURCE_POLICY
from access.provider_types import DYNAMODB_TABLE as TABLE
from access.provider_types import IAM_ROLE as ROLE
from access.provider_types import KMS_GRANT as GRANT
from access.provider_types import KMS_KEY as KEY
from access.provider_types import KMS_KEY_POLICY as KEY_POLICY
from policy.policies import POLICIES
from sandbox.harness import run_program
from tests.policy.stack_resources import STACK_RULES, reported
from tests.policy.stack_resources import resource as stack_resource

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = "arn:aws:iam::111122223333:root"
READER = "arn:aws:iam::111122223333:role/Reader"
BY_NAME = {p.name: p for p in POLICIES}
RESOURCE_POLICIES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]


def violations(resource_type: str, props: dict[str, Any]) -> dict[str, list[str]]:
    """Policy name -> the messages it reported for this resource."""
    args = ResourceValidationArgs(
        resource_type=resource_type,
        props=props,
        urn=f"urn:pulumi:dev::encrypted-dynamodb::{resource_type}::r",
        name="r",
        opts=PolicyResourceOptions(
            protect=False,
            ignore_changes=[],
            delete_before_replace=None,
            aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
        ),
        provider=None,
    )
    found: dict[str, list[str]] = {}
    for policy in RESOURCE_POLICIES:
        policy.validate(args, lambda message, urn=None, name=policy.name: found.setdefault(name, []).append(message))
    return found


CONFIGS = [
    {"testPrincipal": "role"},
    {"testPrincipal": "role", "grantTestPrincipal": "true"},
    {"testPrincipal": "user", "grantTestPrincipal": "true", "grantMode": "iam-policy"},
    {"testPrincipal": "role", "grantTestPrincipal": "true", "grantMode": "key-policy"},
    {"testPrincipal": "user", "grantTestPrincipal": "true", "grantMode": "key-policy", "allowIamPolicies": "false"},
    {"testPrincipal": "role", "grantTestPrincipal": "true", "replicaRegions": '["eu-west-1", "ap-southeast-2"]'},
    # readers in other accounts (issue 19): a role, and a whole account with the opt-in
    {"tableName": "orders", "externalReaders": json.dumps(["arn:aws:iam::444455556666:role/external-reader"])},
    {
        "tableName": "orders",
        "externalWriters": '["444455556666"]',
        "allowExternalAccounts": "true",
        "replicaRegions": '["eu-west-1"]',
    },
]


@pytest.mark.parametrize("config", CONFIGS, ids=[json.dumps(c) for c in CONFIGS])
def test_what_the_program_deploys_passes_every_policy(config: dict[str, str]) -> None:
    run = run_program(config)
    checked = {r.typ for r in run.mocks.resources if r.custom}
    assert {TABLE, KEY} <= checked
    for resource in run.mocks.resources:
        if resource.custom:
            assert violations(resource.typ, resource.inputs) == {}, resource.name
    # and every stack rule, advisory ones included (key-loss protection is the stack's default)
    stack = [
        stack_resource(r.typ, r.name, {**r.inputs, **r.state}, region=r.inputs.get("region"))
        for r in run.mocks.resources
        if r.custom
    ]
    assert {name: reported(name, stack) for name in STACK_RULES} == {name: [] for name in STACK_RULES}


def test_the_program_with_protections_off_gets_advice_not_a_stop() -> None:
    run = run_program({"pointInTimeRecovery": "false", "deletionProtection": "false"})
    table = run.mocks.one(TABLE)
    found = violations(TABLE, table.inputs)
    assert set(found) == {"dynamodb-table-point-in-time-recovery", "dynamodb-table-deletion-protection"}
    assert {BY_NAME[name].enforcement_level for name in found} == {EnforcementLevel.ADVISORY}


GOOD_TABLE = {
    "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
    "pointInTimeRecovery": {"enabled": True},
    "deletionProtectionEnabled": True,
}
GOOD_KEY = {
    "enableKeyRotation": True,
    "deletionWindowInDays": 30.0,
    "policy": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
                {
                    "Sid": "Users",
                    "Effect": "Allow",
                    "Principal": {"AWS": [READER]},
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}},
                },
            ],
        }
    ),
}


def key_policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def identity(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policy": key_policy(*statements)}


EU_KEY = KEY_ARN.replace(":us-east-1:", ":eu-west-1:")


def with_replica(**replica: Any) -> dict[str, Any]:
    return {**GOOD_TABLE, "replicas": [{"regionName": "eu-west-1", "pointInTimeRecovery": True, **replica}]}


REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
CONSUMER_READER = "arn:aws:iam::444455556666:role/external-reader"


def table_policy(*statements: dict[str, Any], resource_arn: str = TABLE_ARN) -> dict[str, Any]:
    return {"resourceArn": resource_arn, "policy": key_policy(*statements)}


def table_read(principal: Any, **extra: Any) -> dict[str, Any]:
    """A statement of a table's resource policy letting principal read an item (no Principal when None)."""
    statement = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN, **extra}
    return statement if principal is None else {**statement, "Principal": principal}


EXTERNAL_ROOT = "arn:aws:iam::444455556666:root"
VIA_DYNAMODB = {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}

CASES = [
    # A key policy that also lets another account in still shows its own account: the one whose root may
    # change the policy (kms:PutKeyPolicy is never performed across accounts), so its delegation is not "use".
    (
        None,
        KEY,
        {
            **GOOD_KEY,
            "policy": key_policy(
                {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
                {
                    "Sid": "External",
                    "Effect": "Allow",
                    "Principal": {"AWS": EXTERNAL_ROOT},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": VIA_DYNAMODB,
                },
            ),
        },
        "",
    ),
    (
        "kms-key-policy-names-its-users",
        KEY,
        {
            **GOOD_KEY,
            "policy": key_policy(
                {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
                {
                    "Sid": "External",
                    "Effect": "Allow",
                    "Principal": {"AWS": EXTERNAL_ROOT},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                },
            ),
        },
        "statements ['External'] let principals use the key outside DynamoDB",
    ),
    (None, RESOURCE_POLICY, table_policy(table_read({"AWS": CONSUMER_READER})), ""),
    (
        "dynamodb-resource-policy-names-its-principals",
        RESOURCE_POLICY,
        table_policy(table_read("*", Sid="Open")),
        f"resource policy of {TABLE_ARN} lets any principal",
    ),
    (
        "dynamodb-resource-policy-names-its-principals",
        RESOURCE_POLICY,
        table_policy(table_read({"AWS": "*"}), resource_arn=f"{TABLE_ARN}/stream/2026-12-06T00:00:00.000"),
        "statements ['#1']",
    ),
    (
        "dynamodb-resource-policy-names-its-principals",
        RESOURCE_POLICY,
        table_policy({**table_read(None), "NotPrincipal": {"AWS": CONSUMER_READER}}),
        "any principal",
    ),
    (  # a wildcard held by a condition (aws:PrincipalAccount) is the caller's choice, as in a key policy
        None,
        RESOURCE_POLICY,
        table_policy(table_read("*", Condition={"StringEquals": {"aws:PrincipalAccount": "444455556666"}})),
        "",
    ),
    (None, RESOURCE_POLICY, {"resourceArn": TABLE_ARN, "policy": "{not json"}, ""),  # AWS refuses it, at deploy
    (None, REPLICA_KEY, {"deletionWindowInDays": 7.0, "policy": GOOD_KEY["policy"]}, ""),
    ("kms-replica-key-deletion-window", REPLICA_KEY, {"deletionWindowInDays": 3.0}, "deletionWindowInDays is 3"),
    (
        "kms-key-policy-names-its-users",
        REPLICA_KEY,
        {"policy": key_policy({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})},
        "any principal",
    ),
    (None, TABLE, with_replica(kmsKeyArn=EU_KEY), ""),
    ("dynamodb-replica-customer-managed-key-in-region", TABLE, with_replica(), "AWS managed key"),
    ("dynamodb-replica-customer-managed-key-in-region", TABLE, with_replica(kmsKeyArn=KEY_ARN), "a key of us-east-1"),
    (
        "dynamodb-replica-customer-managed-key-in-region",
        TABLE,
        with_replica(kmsKeyArn="arn:aws:kms:eu-west-1:111122223333:alias/orders"),
        "not an alias",
    ),
    (
        "dynamodb-replica-point-in-time-recovery",
        TABLE,
        with_replica(kmsKeyArn=EU_KEY, pointInTimeRecovery=False),
        "replica in eu-west-1",
    ),
    # (policy expected to fire or None, resource type, props, a word the message must carry)
    (None, TABLE, GOOD_TABLE, ""),
    ("dynamodb-table-customer-managed-key", TABLE, {**GOOD_TABLE, "serverSideEncryption": None}, "AWS-owned"),
    (
        "dynamodb-table-customer-managed-key",
        TABLE,
        {**GOOD_TABLE, "serverSideEncryption": {"enabled": True}},
        "aws/dynamodb",
    ),
    (
        "dynamodb-table-customer-managed-key",
        TABLE,
        {
            **GOOD_TABLE,
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:aws:kms:us-east-1:111122223333:alias/orders"},
        },
        "alias",
    ),
    (
        "dynamodb-table-customer-managed-key",
        TABLE,
        {**GOOD_TABLE, "serverSideEncryption": {"enabled": True, "kmsKeyArn": "alias/aws/dynamodb"}},
        "AWS managed key",
    ),
    (
        "dynamodb-table-customer-managed-key",
        TABLE,
        {**GOOD_TABLE, "serverSideEncryption": {"enabled": True, "kmsKeyArn": "1234abcd"}},
        "not a KMS key ARN",
    ),
    (
        "dynamodb-table-point-in-time-recovery",
        TABLE,
        {**GOOD_TABLE, "pointInTimeRecovery": {"enabled": False}},
        "point-in-time",
    ),
    (
        "dynamodb-table-deletion-protection",
        TABLE,
        {**GOOD_TABLE, "deletionProtectionEnabled": False},
        "deletion protection",
    ),
    (None, KEY, GOOD_KEY, ""),
    (None, KEY, {**GOOD_KEY, "policy": None, "deletionWindowInDays": None}, ""),  # AWS defaults: root only, 30 days
    ("kms-key-rotation-and-deletion-window", KEY, {**GOOD_KEY, "enableKeyRotation": False}, "rotation"),
    (
        "kms-key-rotation-and-deletion-window",
        KEY,
        {**GOOD_KEY, "deletionWindowInDays": 5.0},
        "deletionWindowInDays is 5",
    ),
    (
        "kms-key-policy-names-its-users",
        KEY,
        {
            **GOOD_KEY,
            "policy": key_policy({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
        },
        "any principal",
    ),
    (
        "kms-key-policy-names-its-users",
        KEY_POLICY,
        {
            "policy": key_policy(
                {"Sid": "Direct", "Effect": "Allow", "Principal": {"AWS": READER}, "Action": "kms:*", "Resource": "*"}
            )
        },
        "'Direct'",
    ),
    (
        None,
        KEY_POLICY,
        {
            "policy": key_policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}},
                }
            )
        },
        "",
    ),
    ("kms-key-policy-names-its-users", KEY, {**GOOD_KEY, "policy": "{not json"}, "not a JSON policy"),
    (None, GRANT, {"constraints": [{"encryptionContextSubset": {"aws:dynamodb:tableName": "orders"}}]}, ""),
    (None, GRANT, {"constraints": [{"encryptionContextEquals": {"aws:dynamodb:tableName": "orders"}}]}, ""),
    ("kms-grant-encryption-context", GRANT, {"constraints": None}, "encryption-context"),
    ("kms-grant-encryption-context", GRANT, {"constraints": [{"encryptionContextSubset": {}}]}, "encryption-context"),
    (
        None,
        "aws:iam/rolePolicy:RolePolicy",
        identity({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}),
        "",
    ),
    (
        "iam-no-broad-kms",
        "aws:iam/rolePolicy:RolePolicy",
        identity({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
        "kms:Decrypt",
    ),
    (
        "iam-no-broad-kms",
        "aws:iam/policy:Policy",
        identity({"Sid": "All", "Effect": "Allow", "Action": "kms:*", "Resource": KEY_ARN}),
        "'All'",
    ),
    (
        "iam-no-broad-kms",
        "aws:iam/userPolicy:UserPolicy",
        identity({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        "kms:*",
    ),
    (
        "iam-no-broad-kms",
        "aws:iam/groupPolicy:GroupPolicy",
        identity({"Effect": "Allow", "Action": "kms:De*", "Resource": "*"}),
        "kms:Decrypt",
    ),
    (None, "aws:iam/userPolicy:UserPolicy", identity({"Effect": "Deny", "Action": "kms:*", "Resource": "*"}), ""),
    (
        "iam-no-broad-kms",
        ROLE,
        {
            "inlinePolicies": [
                {"name": "x", "policy": key_policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})}
            ]
        },
        "inlinePolicies[0]",
    ),
]


@pytest.mark.parametrize(
    ("fires", "resource_type", "props", "word"), CASES, ids=[f"{c[1]}:{c[0]}:{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_passes_and_fails(fires: str | None, resource_type: str, props: dict[str, Any], word: str) -> None:
    found = violations(resource_type, props)
    if fires is None:
        assert found == {}
    else:
        assert list(found) == [fires]
        assert word in " ".join(found[fires])


def test_every_rule_has_a_failing_case_and_the_mandatory_ones_are_mandatory() -> None:
    # the stack rules: test_external_access, test_key_protection, test_global_tables
    assert {c[0] for c in CASES if c[0]} == {p.name for p in RESOURCE_POLICIES}
    advisory = {n for n, p in BY_NAME.items() if p.enforcement_level is EnforcementLevel.ADVISORY}
    assert advisory == {
        "dynamodb-table-point-in-time-recovery",
        "dynamodb-table-deletion-protection",
        "dynamodb-replica-point-in-time-recovery",
        "kms-table-key-loss-protection",
        "kms-protected-key-maximum-deletion-window",
    }


def test_the_pack_builds_its_policy_pack_only_in_its_main() -> None:
    from pathlib import Path

    import policy.policies

    assert "PolicyPack(" not in Path(policy.policies.__file__).read_text()
    main = (Path(policy.policies.__file__).parent / "__main__.py").read_text()
    assert 'PolicyPack(name="encrypted-dynamodb", policies=POLICIES)' in main
