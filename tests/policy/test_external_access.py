"""The pack's stack rules for principals of other accounts, on hand-made stacks and the program's own.

Sources: a table readable across accounts needs a customer-managed key
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html, "Cross-account
considerations"); across accounts a reader needs the table's resource policy and the key (DynamoDB
decrypts as the caller: https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
Values not known during `pulumi preview` are pulumi_policy's sentinels behind its unknown-checking proxy,
as the analyzer hands them to a stack policy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from access.provider_types import (
    DYNAMODB_RESOURCE_POLICY,
    DYNAMODB_TABLE,
    KMS_GRANT,
    KMS_KEY,
    KMS_KEY_POLICY,
)
from policy.external_access import external_principal_key_violations, table_key_agreement_violations
from policy.policies import POLICIES
from sandbox.harness import run_program

OWNER = "111122223333"
CONSUMER = "444455556666"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{OWNER}:key/{KEY_ID}"
EU_KEY_ARN = f"arn:aws:kms:eu-west-1:{OWNER}:key/mrk-0123456789abcdef0123456789abcdef"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{OWNER}:table/orders"
EU_TABLE_ARN = TABLE_ARN.replace(":us-east-1:", ":eu-west-1:")
STREAM_ARN = f"{TABLE_ARN}/stream/2026-12-06T00:00:00.000"
READER = f"arn:aws:iam::{CONSUMER}:role/external-reader"
OTHER_READER = f"arn:aws:iam::{CONSUMER}:role/other-reader"
LOCAL_READER = f"arn:aws:iam::{OWNER}:role/local-reader"
UNKNOWN = UNKNOWN_STRING_VALUE
CMK_RULE = "dynamodb-external-principals-need-customer-managed-key"
AGREEMENT_RULE = "dynamodb-table-and-key-agree-on-external-principals"
# The stack rules for principals of other accounts (the others have test files of their own).
STACK_RULES = {
    p.name: p for p in POLICIES if isinstance(p, StackValidationPolicy) and p.name in (CMK_RULE, AGREEMENT_RULE)
}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def key_use(*principals: str) -> dict[str, Any]:
    return {
        "Sid": "ExternalKeyUseRead",
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}},
    }


ROOT_ONLY = {"Sid": "EnableIamPolicies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}}


def table_read(*principals: str) -> dict[str, Any]:
    return {
        "Sid": "ExternalTableRead",
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": TABLE_ARN,
    }


def resource(kind: str, name: str, props: dict[str, Any]) -> PolicyResource:
    options = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )
    urn = f"urn:pulumi:dev::encrypted-dynamodb::{kind}::{name}"
    return PolicyResource(kind, unknown_checking_proxy(props), urn, name, options, None, None, [], {})


def key(policy: str | None = None, *, name: str = "key", arn: str = KEY_ARN) -> PolicyResource:
    return resource(KMS_KEY, name, {"arn": arn, "keyId": arn.rsplit("/", 1)[1], "policy": policy})


def table(sse: Any = None, replicas: Any = None, *, arn: str = TABLE_ARN) -> PolicyResource:
    encryption = {"enabled": True, "kmsKeyArn": KEY_ARN} if sse is None else sse
    return resource(DYNAMODB_TABLE, "table", {"arn": arn, "serverSideEncryption": encryption, "replicas": replicas})


def table_policy(*principals: str, name: str = "table-policy", on: str = TABLE_ARN) -> PolicyResource:
    return resource(DYNAMODB_RESOURCE_POLICY, name, {"resourceArn": on, "policy": document(table_read(*principals))})


def grant(grantee: str, *, key_id: str = KEY_ARN, name: str = "grant") -> PolicyResource:
    return resource(KMS_GRANT, name, {"keyId": key_id, "granteePrincipal": grantee, "operations": ["Decrypt"]})


def urn_of(kind: str, name: str) -> str:
    return f"urn:pulumi:dev::encrypted-dynamodb::{kind}::{name}"


def reported(resources: list[PolicyResource]) -> dict[str, list[tuple[str, str | None]]]:
    """Stack rule name -> (message, urn) it reported, as the analyzer runs it."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for name, policy in STACK_RULES.items():
        policy.validate(
            StackValidationArgs(resources),
            lambda message, urn=None, name=name: found.setdefault(name, []).append((message, urn)),
        )
    return found


# -- a table readable across accounts is encrypted with a customer-managed key -----------------------------

CMK_CASES = [
    ("customer-managed key", [key(document(key_use(READER))), table(), table_policy(READER)], 0),
    ("AWS owned key", [table({"enabled": False}), table_policy(READER)], 1),
    ("AWS managed key (no kmsKeyArn)", [table({"enabled": True}), table_policy(READER)], 1),
    (
        "a key ARN, but encryption not enabled",
        [table({"enabled": False, "kmsKeyArn": KEY_ARN}), table_policy(READER)],
        1,
    ),
    (
        "an alias",
        [table({"enabled": True, "kmsKeyArn": KEY_ARN.replace(f"key/{KEY_ID}", "alias/x")}), table_policy(READER)],
        1,
    ),
    ("AWS owned key, two external readers", [table({"enabled": False}), table_policy(READER, OTHER_READER)], 2),
    ("AWS owned key, a reader of the owner's account only", [table({"enabled": False}), table_policy(LOCAL_READER)], 0),
    ("AWS owned key, the stream's policy", [table({"enabled": False}), table_policy(READER, on=STREAM_ARN)], 1),
    (
        "a replica without its own key",
        [table(replicas=[{"regionName": "eu-west-1"}]), table_policy(READER, on=EU_TABLE_ARN)],
        1,
    ),
    (
        "a replica with its key",
        [table(replicas=[{"regionName": "eu-west-1", "kmsKeyArn": EU_KEY_ARN}]), table_policy(READER, on=EU_TABLE_ARN)],
        0,
    ),
    ("a table outside the stack", [table_policy(READER)], 0),
    # preview: values not known yet are not judged
    ("the table's encryption not known yet", [table({"enabled": True, "kmsKeyArn": UNKNOWN}), table_policy(READER)], 0),
    ("the table's ARN not known yet", [table({"enabled": False}, arn=UNKNOWN), table_policy(READER)], 0),
    (
        "the policy not known yet",
        [
            table({"enabled": False}),
            resource(DYNAMODB_RESOURCE_POLICY, "p", {"resourceArn": TABLE_ARN, "policy": UNKNOWN}),
        ],
        0,
    ),
    ("the policy's table not known yet", [table({"enabled": False}), table_policy(READER, on=UNKNOWN)], 0),
]


@pytest.mark.parametrize(("name", "stack", "expected"), CMK_CASES, ids=[c[0] for c in CMK_CASES])
def test_external_principals_need_a_customer_managed_key(name: str, stack: list[PolicyResource], expected: int) -> None:
    found = reported(stack).get(CMK_RULE, [])
    assert len(found) == expected, found
    for message, urn in found:
        assert urn == urn_of(DYNAMODB_RESOURCE_POLICY, "table-policy")
        assert "customer-managed key" in message
        assert "table-policy" in message
        assert READER in message or OTHER_READER in message


def test_the_violation_names_the_principal_and_the_table() -> None:
    (violation,) = external_principal_key_violations([table({"enabled": False}), table_policy(READER)])
    assert READER in violation.message
    assert TABLE_ARN in violation.message
    assert "Cross-account considerations" in violation.message


# -- the table's policies and its key agree on who of another account is let in -----------------------------

AGREEMENT_CASES: list[tuple[str, list[PolicyResource], list[tuple[str, str]]]] = [
    # (name, the stack, [(principal, the resource the violation is reported on)])
    ("both sides, key policy", [key(document(ROOT_ONLY, key_use(READER))), table(), table_policy(READER)], []),
    ("both sides, a grant", [key(document(ROOT_ONLY)), table(), table_policy(READER), grant(READER)], []),
    ("a grant by key id", [key(document(ROOT_ONLY)), table(), table_policy(READER), grant(READER, key_id=KEY_ID)], []),
    (
        "a key policy resource over the key's own",
        [
            key(None),
            resource(KMS_KEY_POLICY, "kp", {"keyId": KEY_ID, "policy": document(ROOT_ONLY, key_use(READER))}),
            table(),
            table_policy(READER),
        ],
        [],
    ),
    (
        "an account id on one side, its root ARN on the other",
        [key(document(key_use(f"arn:aws:iam::{CONSUMER}:root"))), table(), table_policy(CONSUMER)],
        [],
    ),
    ("no external principal anywhere", [key(document(ROOT_ONLY)), table(), table_policy(LOCAL_READER)], []),
    ("a grant to the owner's own principal", [key(document(ROOT_ONLY)), table(), grant(LOCAL_READER)], []),
    (
        "the table only",
        [key(document(ROOT_ONLY)), table(), table_policy(READER)],
        [(READER, urn_of(DYNAMODB_RESOURCE_POLICY, "table-policy"))],
    ),
    (
        "the key only, no table policy at all",
        [key(document(ROOT_ONLY, key_use(READER))), table()],
        [(READER, urn_of(KMS_KEY, "key"))],
    ),
    (
        "the grant only",
        [key(document(ROOT_ONLY)), table(), grant(READER)],
        [(READER, urn_of(KMS_KEY, "key"))],
    ),
    (
        "one principal on each side",
        [key(document(ROOT_ONLY, key_use(OTHER_READER))), table(), table_policy(READER)],
        [(READER, urn_of(DYNAMODB_RESOURCE_POLICY, "table-policy")), (OTHER_READER, urn_of(KMS_KEY, "key"))],
    ),
    (
        "the stream's policy counts as the table's",
        [key(document(ROOT_ONLY)), table(), table_policy(READER, on=STREAM_ARN)],
        [(READER, urn_of(DYNAMODB_RESOURCE_POLICY, "table-policy"))],
    ),
    (
        "each region against its own key: the replica's key lacks the reader",
        [
            key(document(ROOT_ONLY, key_use(READER))),
            key(document(ROOT_ONLY), name="eu-key", arn=EU_KEY_ARN),
            table(replicas=[{"regionName": "eu-west-1", "kmsKeyArn": EU_KEY_ARN}]),
            table_policy(READER),
            table_policy(READER, name="eu-policy", on=EU_TABLE_ARN),
        ],
        [(READER, urn_of(DYNAMODB_RESOURCE_POLICY, "eu-policy"))],
    ),
    (
        "a key no table of the stack uses",
        [key(document(ROOT_ONLY, key_use(READER))), table({"enabled": True, "kmsKeyArn": EU_KEY_ARN})],
        [],
    ),
    # preview: a side not known yet is not compared
    (
        "a grant whose key is not known yet: the table side is not judged against the key",
        [key(document(ROOT_ONLY)), table(), table_policy(READER), grant(READER, key_id=UNKNOWN)],
        [],
    ),
    (
        "the key policy not known yet",
        [key(UNKNOWN), table(), table_policy(READER)],
        [],
    ),
    (
        "a table policy not placed yet: the key side is not judged against the tables",
        [key(document(ROOT_ONLY, key_use(READER))), table(), table_policy(READER, on=UNKNOWN)],
        [],
    ),
    (
        "a table policy not known yet",
        [
            key(document(ROOT_ONLY, key_use(READER))),
            table(),
            resource(DYNAMODB_RESOURCE_POLICY, "p", {"resourceArn": TABLE_ARN, "policy": UNKNOWN}),
        ],
        [],
    ),
    (
        "a table whose key is not known yet",
        [key(document(ROOT_ONLY, key_use(READER))), table({"enabled": True, "kmsKeyArn": UNKNOWN})],
        [],
    ),
    (
        "an unknown elsewhere leaves the known direction judged",
        [key(document(ROOT_ONLY)), table(), table_policy(READER), table_policy(READER, name="later", on=UNKNOWN)],
        [(READER, urn_of(DYNAMODB_RESOURCE_POLICY, "table-policy"))],
    ),
]


@pytest.mark.parametrize(("name", "stack", "expected"), AGREEMENT_CASES, ids=[c[0] for c in AGREEMENT_CASES])
def test_the_table_and_its_key_agree_on_external_principals(
    name: str, stack: list[PolicyResource], expected: list[tuple[str, str]]
) -> None:
    found = reported(stack).get(AGREEMENT_RULE, [])
    assert len(found) == len(expected), found
    for (message, urn), (principal, where) in zip(found, expected, strict=True):
        assert principal in message
        assert urn == where


def test_a_disagreement_says_which_side_is_missing() -> None:
    stack = [key(document(ROOT_ONLY, key_use(OTHER_READER))), table(), table_policy(READER)]
    table_only, key_only = table_key_agreement_violations(stack)
    assert "neither in its key policy nor by a grant" in table_only.message
    assert KEY_ARN in table_only.message
    assert "ExternalKeyUseRead" in key_only.message
    assert "no resource policy of the tables it encrypts" in key_only.message
    assert TABLE_ARN in key_only.message


def test_the_stack_rules_are_mandatory() -> None:
    assert set(STACK_RULES) == {CMK_RULE, AGREEMENT_RULE}
    assert {p.enforcement_level for p in STACK_RULES.values()} == {EnforcementLevel.MANDATORY}
    every_stack_rule = {p.name for p in POLICIES if isinstance(p, StackValidationPolicy)}
    assert {CMK_RULE, AGREEMENT_RULE} < every_stack_rule


# -- what the program deploys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {"testPrincipal": "role", "grantTestPrincipal": "true"},
        {"testPrincipal": "role", "grantTestPrincipal": "true", "replicaRegions": '["eu-west-1"]'},
        {"tableName": "orders", "externalReaders": json.dumps([READER]), "replicaRegions": '["eu-west-1"]'},
        {"tableName": "orders", "externalWriters": json.dumps([CONSUMER]), "allowExternalAccounts": "true"},
    ],
)
def test_what_the_program_deploys_passes_the_stack_rules(config: dict[str, str]) -> None:
    run = run_program(config)
    stack = [resource(r.typ, r.name, {**r.inputs, **r.state}) for r in run.mocks.resources if r.custom]
    assert {DYNAMODB_TABLE, KMS_KEY} <= {r.resource_type for r in stack}
    if any(key.startswith("external") for key in config):
        assert DYNAMODB_RESOURCE_POLICY in {r.resource_type for r in stack}
        # the rules have something to judge: drop the key side and they speak
        without_keys = [r for r in stack if r.resource_type != KMS_KEY]
        keys_without_external = [
            resource(KMS_KEY, r.name, {**r.props, "policy": document(ROOT_ONLY)})
            for r in stack
            if r.resource_type == KMS_KEY
        ]
        assert AGREEMENT_RULE in reported(without_keys + keys_without_external)
    assert reported(stack) == {}
