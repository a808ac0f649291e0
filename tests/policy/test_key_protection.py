"""The pack's key-loss rules: a table's key any administrator may lose is advised against; a protected key
that waits less than the longest window is too. Judged by the evaluator on hand-written key policies built
from access.kms_dynamodb's facts, and on stacks as a preview sees them (values not known yet)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from access.kms_dynamodb import (
    KEY_ADMIN_ACTIONS,
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE_ACTION,
    LOCKOUT_BYPASS_ACTION,
    LOCKOUT_BYPASS_CONDITION_KEY,
    MAX_DELETION_WINDOW_DAYS,
    SID_ADMINISTRATION,
    SID_KEY_LOSS_PROTECTION,
    SID_KEY_POLICY_CHANGE,
    SID_LOCKOUT_BYPASS,
    SID_ROOT_DELEGATION,
)
from access.provider_types import (
    DYNAMODB_TABLE,
    DYNAMODB_TABLE_REPLICA,
    KMS_KEY,
    KMS_KEY_POLICY,
    KMS_REPLICA_KEY,
)
from policy.key_protection import COMPONENT_INPUT, candidate_accounts, key_loss_findings, named_principals
from sandbox.harness import run_program
from tests.policy.stack_resources import STACK_RULES, UNKNOWN, document, reported, resource, urn_of

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EU_KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/BreakGlass"
PROTECTION = "kms-table-key-loss-protection"
WINDOW = "kms-protected-key-maximum-deletion-window"

DELEGATE = {
    "Sid": SID_ROOT_DELEGATION,
    "Effect": "Allow",
    "Principal": {"AWS": ROOT},
    "Action": "kms:*",
    "Resource": "*",
}


def administration(*admins: str) -> dict[str, Any]:
    return {
        "Sid": SID_ADMINISTRATION,
        "Effect": "Allow",
        "Principal": {"AWS": list(admins)},
        "Action": list(KEY_ADMIN_ACTIONS),
        "Resource": "*",
    }


def deny_key_loss(*except_for: str, actions: tuple[str, ...] = KEY_LOSS_ACTIONS) -> list[dict[str, Any]]:
    """The protection's Deny statements, written from the facts (the component writes the same)."""
    not_them = {"ArnNotEquals": {"aws:PrincipalArn": list(except_for)}}
    return [
        {
            "Sid": SID_KEY_LOSS_PROTECTION,
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": list(actions),
            "Resource": "*",
            "Condition": not_them,
        },
        {
            "Sid": SID_KEY_POLICY_CHANGE,
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": KEY_POLICY_CHANGE_ACTION,
            "Resource": "*",
            "Condition": {**not_them},
        },
        {
            "Sid": SID_LOCKOUT_BYPASS,
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": LOCKOUT_BYPASS_ACTION,
            "Resource": "*",
            "Condition": {**not_them, "Bool": {LOCKOUT_BYPASS_CONDITION_KEY: "true"}},
        },
    ]


def policy_of(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


UNPROTECTED = document(DELEGATE, administration(ADMIN))
PROTECTED = document(DELEGATE, administration(ADMIN, BREAK_GLASS), *deny_key_loss(BREAK_GLASS))
NAMED_ONLY = document(administration(ADMIN, BREAK_GLASS))


def key(
    policy: str | None = PROTECTED,
    *,
    name: str = "key",
    arn: str = KEY_ARN,
    window: Any = None,
    kind: str = KMS_KEY,
    region: str | None = "us-east-1",
) -> PolicyResource:
    props: dict[str, Any] = {"arn": arn, "keyId": arn.rsplit("/", 1)[1] if arn != UNKNOWN else UNKNOWN}
    props["policy"] = policy
    if window is not None:
        props["deletionWindowInDays"] = window
    return resource(kind, name, props, region=region)


def table(
    key_arn: Any = KEY_ARN, *, replicas: Any = None, derived: list[PolicyResource] | None = None
) -> PolicyResource:
    props = {
        "name": "orders",
        "arn": TABLE_ARN,
        "serverSideEncryption": {"enabled": True, "kmsKeyArn": key_arn},
        "replicas": replicas or [],
    }
    return resource(DYNAMODB_TABLE, "table", props, derived={"serverSideEncryption": derived or []})


# -- the verdict on one key policy ----------------------------------------------------------------------


def test_the_account_delegation_lets_any_administrator_lose_the_key() -> None:
    (finding,) = key_loss_findings(policy_of(DELEGATE), KEY_ARN)
    assert f"account {ACCOUNT}" in finding.principal
    assert set(finding.calls) >= set(KEY_LOSS_ACTIONS)
    assert SID_ROOT_DELEGATION in finding.reason


def test_a_deny_for_all_but_break_glass_protects_the_key() -> None:
    assert key_loss_findings(policy_of(DELEGATE, administration(ADMIN), *deny_key_loss(BREAK_GLASS)), KEY_ARN) == []


def test_named_administrators_with_nothing_denied_may_each_lose_the_key() -> None:
    found = {f.principal: f.calls for f in key_loss_findings(policy_of(administration(ADMIN, BREAK_GLASS)), KEY_ARN)}
    assert set(found) == {ADMIN, BREAK_GLASS}
    assert "kms:ScheduleKeyDeletion" in found[ADMIN]


def test_a_named_administrator_the_deny_exempts_is_break_glass_by_design() -> None:
    policy = policy_of(administration(ADMIN, BREAK_GLASS), *deny_key_loss(BREAK_GLASS))
    assert key_loss_findings(policy, KEY_ARN) == []


def test_a_deny_of_some_calls_leaves_the_others_exposed() -> None:
    policy = policy_of(DELEGATE, *deny_key_loss(BREAK_GLASS, actions=("kms:ScheduleKeyDeletion",)))
    (finding,) = key_loss_findings(policy, KEY_ARN)
    assert "kms:DisableKey" in finding.calls
    assert "kms:ScheduleKeyDeletion" not in finding.calls


def test_principals_of_other_accounts_are_not_named_administrators() -> None:
    other = "arn:aws:iam::444455556666:role/Reader"
    policy = {"Statement": [administration(ADMIN, other, ROOT)]}
    assert named_principals(policy, ACCOUNT) == [ADMIN]


def test_the_accounts_of_a_key_not_created_yet_are_its_administrators() -> None:
    reader = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:Decrypt"}
    assert candidate_accounts({"Statement": [administration(ADMIN), reader]}) == [ACCOUNT]
    assert candidate_accounts({"Statement": [reader]}) == ["444455556666"]


# -- the advisory rule over the stack ---------------------------------------------------------------------

PROTECTION_CASES: list[tuple[str, list[PolicyResource], list[str]]] = [
    # (name, the stack, the key URNs the rule reports)
    ("a protected key", [key(PROTECTED), table()], []),
    ("the account's IAM decides", [key(UNPROTECTED), table()], [urn_of(KMS_KEY, "key")]),
    ("AWS's default key policy", [key(None), table()], [urn_of(KMS_KEY, "key")]),
    ("named administrators, nothing denied", [key(NAMED_ONLY), table()], [urn_of(KMS_KEY, "key")]),
    ("a key no table uses (an alarm topic's)", [key(UNPROTECTED), table(EU_KEY_ARN)], []),
    ("a table with the AWS owned key", [key(UNPROTECTED), table(None)], []),
    (
        "an inline replica's key",
        [
            key(PROTECTED),
            key(UNPROTECTED, name="eu-key", arn=EU_KEY_ARN, kind=KMS_REPLICA_KEY, region="eu-west-1"),
            table(replicas=[{"regionName": "eu-west-1", "kmsKeyArn": EU_KEY_ARN}]),
        ],
        [urn_of(KMS_REPLICA_KEY, "eu-key")],
    ),
    (
        "a TableReplica's key",
        [
            key(PROTECTED),
            key(UNPROTECTED, name="eu-key", arn=EU_KEY_ARN, region="eu-west-1"),
            table(),
            resource(
                DYNAMODB_TABLE_REPLICA,
                "eu-replica",
                {"globalTableArn": TABLE_ARN, "kmsKeyArn": EU_KEY_ARN},
                region="eu-west-1",
            ),
        ],
        [urn_of(KMS_KEY, "eu-key")],
    ),
    (
        "a KeyPolicy replaces a protected policy",
        [key(PROTECTED), table(), resource(KMS_KEY_POLICY, "kp", {"keyId": KEY_ARN, "policy": UNPROTECTED})],
        [urn_of(KMS_KEY, "key")],
    ),
    (
        "a KeyPolicy protects the key (by key id)",
        [
            key(UNPROTECTED),
            table(),
            resource(KMS_KEY_POLICY, "kp", {"keyId": KEY_ARN.rsplit("/", 1)[1], "policy": PROTECTED}),
        ],
        [],
    ),
    # preview: what is not known yet
    ("the key policy not known yet", [key(UNKNOWN), table()], []),
    ("a key policy that is not a document (another rule refuses it)", [key("not json"), table()], []),
    (
        "a KeyPolicy whose key is not known yet",
        [key(UNPROTECTED), table(), resource(KMS_KEY_POLICY, "kp", {"keyId": UNKNOWN, "policy": PROTECTED})],
        [],
    ),
    (
        "the table's key not known and not derived from any key",
        [key(UNPROTECTED, arn=UNKNOWN), table(UNKNOWN)],
        [],
    ),
]


@pytest.mark.parametrize(("name", "stack", "expected"), PROTECTION_CASES, ids=[c[0] for c in PROTECTION_CASES])
def test_a_table_key_without_key_loss_protection_is_advised_against(
    name: str, stack: list[PolicyResource], expected: list[str]
) -> None:
    found = reported(PROTECTION, stack)
    assert [urn for _, urn in found] == expected
    for message, _ in found:
        assert "orders" in message
        assert COMPONENT_INPUT in message
        assert "kms:ScheduleKeyDeletion" in message


def test_the_advice_names_who_may_lose_the_key_and_how() -> None:
    ((message, _),) = reported(PROTECTION, [key(NAMED_ONLY), table()])
    assert ADMIN in message
    assert KEY_ARN in message
    assert "unreadable at once" in message
    ((message, _),) = reported(PROTECTION, [key(None), table()])
    assert "AWS's default key policy" in message


def _before_the_key_exists(policy: str, *, region: str | None = "us-east-1") -> list[PolicyResource]:
    """A first preview: the key's ARN is not known, so neither is the table's kmsKeyArn; Pulumi still says
    which key the table's encryption comes from."""
    new_key = key(policy, arn=UNKNOWN, region=region)
    return [new_key, table(UNKNOWN, derived=[new_key])]


def test_a_key_not_created_yet_is_judged_in_its_account_and_region() -> None:
    assert [urn for _, urn in reported(PROTECTION, _before_the_key_exists(UNPROTECTED))] == [urn_of(KMS_KEY, "key")]
    assert reported(PROTECTION, _before_the_key_exists(NAMED_ONLY)) != []
    assert reported(PROTECTION, _before_the_key_exists(PROTECTED)) == []


def test_a_key_not_created_yet_in_a_region_not_known_gets_no_verdict() -> None:
    assert reported(PROTECTION, _before_the_key_exists(UNPROTECTED, region=None)) == []


# -- a protected key waits the longest window ---------------------------------------------------------------

WINDOW_CASES: list[tuple[str, list[PolicyResource], list[str]]] = [
    ("protected, the maximum", [key(PROTECTED, window=MAX_DELETION_WINDOW_DAYS), table()], []),
    ("protected, unset (KMS's default, the maximum)", [key(PROTECTED), table()], []),
    ("protected, 7 days", [key(PROTECTED, window=7), table()], [urn_of(KMS_KEY, "key")]),
    (
        "a protected replica key, 10 days",
        [key(PROTECTED, kind=KMS_REPLICA_KEY, window=10.0)],
        [urn_of(KMS_REPLICA_KEY, "key")],
    ),
    ("not protected, 7 days (the other rule speaks)", [key(UNPROTECTED, window=7), table()], []),
    ("the window not known yet", [key(PROTECTED, window=UNKNOWN), table()], []),
    ("the policy not known yet", [key(UNKNOWN, window=7), table()], []),
]


@pytest.mark.parametrize(("name", "stack", "expected"), WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES])
def test_a_protected_key_waits_the_longest_window(name: str, stack: list[PolicyResource], expected: list[str]) -> None:
    found = reported(WINDOW, stack)
    assert [urn for _, urn in found] == expected
    for message, _ in found:
        assert f"deletionWindowInDays to {MAX_DELETION_WINDOW_DAYS}" in message


def test_the_key_loss_rules_are_advice() -> None:
    assert STACK_RULES[PROTECTION].enforcement_level == EnforcementLevel.ADVISORY
    assert STACK_RULES[WINDOW].enforcement_level == EnforcementLevel.ADVISORY


# -- what the program deploys -------------------------------------------------------------------------------

PROTECTED_CONFIGS = [
    {"keyLossProtection": "true"},
    {"keyLossProtection": "true", "replicaRegions": '["eu-west-1", "ap-southeast-2"]'},
    {"keyLossProtection": "true", "replicaRegions": '["eu-west-1"]', "multiRegionKey": "true"},
    {
        "keyLossProtection": "true",
        "breakGlassPrincipals": '["arn:aws:iam::123456789012:role/BreakGlass"]',  # of the mocks' account
        "breakGlassRequireMfa": "true",
    },
    {"keyLossProtection": "true", "allowIamPolicies": "false", "testPrincipal": "role", "grantTestPrincipal": "true"},
]


def program_stack(config: dict[str, str], *, first_preview: bool = False) -> list[PolicyResource]:
    """The program's resources under mocks, as `pulumi up` hands them to a stack policy; first_preview: as the
    first preview does, no key's ARN or id known yet (nor the tables' kmsKeyArn), each table's encryption
    derived from its keys."""
    run = run_program(config)
    recorded = [(r.typ, r.name, {**r.inputs, **r.state}) for r in run.mocks.resources if r.custom]
    if not first_preview:
        return [resource(kind, name, props, region=props.get("region")) for kind, name, props in recorded]
    keys: dict[str, PolicyResource] = {}
    stack = []
    for kind, name, props in recorded:
        if kind in (KMS_KEY, KMS_REPLICA_KEY):
            region = props["arn"].split(":")[3]
            hidden = {**props, "arn": UNKNOWN, "keyId": UNKNOWN, "region": UNKNOWN}
            keys[props["arn"]] = resource(kind, name, hidden, region=region)
    for kind, name, props in recorded:
        if kind in (KMS_KEY, KMS_REPLICA_KEY):
            stack.append(keys[props["arn"]])
        elif kind == DYNAMODB_TABLE:
            sse = props["serverSideEncryption"]
            replicas = props.get("replicas") or []
            hidden = {
                **props,
                "serverSideEncryption": {**sse, "kmsKeyArn": UNKNOWN},
                "replicas": [{**r, "kmsKeyArn": UNKNOWN} for r in replicas],
            }
            derived = {
                "serverSideEncryption": [keys[sse["kmsKeyArn"]]],
                "replicas": [keys[r["kmsKeyArn"]] for r in replicas],
            }
            stack.append(resource(kind, name, hidden, region=props.get("region"), derived=derived))
        elif kind not in (KMS_KEY_POLICY, DYNAMODB_TABLE_REPLICA):
            stack.append(resource(kind, name, props, region=props.get("region")))
    return stack


@pytest.mark.parametrize("config", PROTECTED_CONFIGS, ids=[json.dumps(c) for c in PROTECTED_CONFIGS])
@pytest.mark.parametrize("first_preview", [False, True], ids=["up", "first preview"])
def test_the_program_with_key_loss_protection_gets_no_key_loss_advice(
    config: dict[str, str], first_preview: bool
) -> None:
    stack = program_stack(config, first_preview=first_preview)
    assert {KMS_KEY, DYNAMODB_TABLE} <= {r.resource_type for r in stack}
    assert reported(PROTECTION, stack) == []
    assert reported(WINDOW, stack) == []


@pytest.mark.parametrize("first_preview", [False, True], ids=["up", "first preview"])
def test_the_program_without_it_is_advised_for_each_regions_table_key(first_preview: bool) -> None:
    config = {"keyLossProtection": "false", "replicaRegions": '["eu-west-1"]'}
    stack = program_stack(config, first_preview=first_preview)
    found = reported(PROTECTION, stack)
    keys = {r.urn for r in stack if r.resource_type == KMS_KEY and "alarm" not in r.name}
    assert len(keys) == 2
    assert {urn for _, urn in found} == keys
    for message, _ in found:
        assert "any administrator of account" in message


def test_a_shorter_window_on_the_programs_protected_keys_is_advised_against() -> None:
    stack = program_stack({"keyLossProtection": "true", "keyDeletionWindowDays": "7"})
    found = reported(WINDOW, stack)
    # every key the program protects: the table's, and its alarm topic's (protected the same way)
    protected = {r.urn for r in stack if r.resource_type == KMS_KEY}
    assert len(protected) == 2
    assert {urn for _, urn in found} == protected
