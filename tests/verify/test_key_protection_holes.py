"""Red team: key policies the verifier's key_protection.deny used to PASS while a principal that is not
break-glass could still disable the key or schedule its deletion, by the evaluator's (and AWS's documented)
reading; alarm rules its key_protection.alarm checks used to PASS that would not fire (last section).
Each case shows the way through first (the evaluator allows the call for that principal and request),
then that the verifier now FAILs it naming the principal; and that the component's own policies still
pass (nothing judged too strictly).

Sources for the ways through (cited where they are encoded, access/key_protection.py):
- aws:PrincipalArn per principal form, and aws:MultiFactorAuthPresent absent for long-term access keys:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- a missing key matches nothing but a negated operator or ...IfExists:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from access.key_protection import (
    ALARM_KEY_CHANGES,
    ALARM_KEY_DELETED,
    ALARM_RULE_STATES,
    ALARM_USE_PENDING_DELETION,
    key_alarm_patterns,
    key_loss_exposure,
    worst_key_loss_exposure,
)
from access.kms_dynamodb import SID_KEY_LOSS_MFA, SID_KEY_LOSS_PROTECTION, SID_LOCKOUT_BYPASS, SID_LOCKOUT_BYPASS_MFA
from tests.verify.test_key_protection import (
    ACCOUNT,
    ADMIN,
    ALARMS,
    BREAK_GLASS,
    KEY,
    RULES,
    TOPIC,
    deny,
    outputs,
    protected_policy,
    rule_arn,
    statement,
)
from verify.findings import Status
from verify.key_protection import RuleRecord, judge_rule

USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
LOOKALIKE = f"{BREAK_GLASS}Evil"
DENIES = (SID_KEY_LOSS_PROTECTION, SID_LOCKOUT_BYPASS)


def _each_deny(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    policy = protected_policy()
    for sid in DENIES:
        change(statement(policy, sid))
    return policy


def _exempt(operator: str, values: list[str]) -> Callable[[dict[str, Any]], None]:
    """Replace the deny's ArnNotEquals break-glass exemption with another."""

    def change(denial: dict[str, Any]) -> None:
        del denial["Condition"]["ArnNotEquals"]
        denial["Condition"][operator] = {"aws:PrincipalArn": values}

    return change


def _also(operator: str, key: str, value: str | list[str]) -> Callable[[dict[str, Any]], None]:
    """Add a condition to the deny: it then applies only when that condition holds too."""

    def change(denial: dict[str, Any]) -> None:
        denial["Condition"][operator] = {**denial["Condition"].get(operator, {}), key: value}

    return change


# (name, the deny changed, the principal that gets through, the request it sends)
HOLES: list[tuple[str, Callable[[dict[str, Any]], None], str, dict[str, Any]]] = [
    # A deny on roles (and the root user) only: IAM users keep the calls (aws:PrincipalArn is the user's ARN).
    (
        "roles only",
        _also("ArnLike", "aws:PrincipalArn", [f"arn:aws:iam::{ACCOUNT}:role/*", f"arn:aws:iam::{ACCOUNT}:root"]),
        USER,
        {},
    ),
    # ... or by principal type.
    ("assumed roles only", _also("StringEquals", "aws:PrincipalType", ["AssumedRole", "Account"]), USER, {}),
    # An exemption for every user of the account besides break-glass.
    ("users exempt", _exempt("ArnNotLike", [BREAK_GLASS, f"arn:aws:iam::{ACCOUNT}:user/*"]), USER, {}),
    # A federated user's aws:PrincipalArn is arn:...:sts::<acct>:federated-user/<name>, not an iam ARN.
    ("iam ARNs only", _also("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:*"), FEDERATED, {}),
    # A wildcard exemption wider than break-glass: role/BreakGlassEvil is spared too.
    ("wildcard exemption", _exempt("ArnNotLike", [f"{BREAK_GLASS}*"]), LOOKALIKE, {}),
    # An exemption by a policy variable: whoever tags himself team=ops and has a role ops-admin is spared.
    (
        "policy variable exemption",
        _exempt("ArnNotLike", [BREAK_GLASS, f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}-admin"]),
        f"arn:aws:iam::{ACCOUNT}:role/ops-admin",
        {"context": {"aws:PrincipalTag/team": "ops"}},
    ),
    # A deny that applies only with MFA: a caller without MFA is not refused...
    ("deny only with MFA", _also("Bool", "aws:MultiFactorAuthPresent", "true"), ADMIN, {"mfa": False}),
    # ... and one only without (no IfExists; caught before too, by judging MFA present).
    ("deny only on MFA false", _also("Bool", "aws:MultiFactorAuthPresent", "false"), ADMIN, {"mfa": None}),
    # An exemption by a tag: any administrator who may tag himself (iam:TagRole) is spared.
    (
        "tag exemption",
        _also("StringNotEquals", "aws:PrincipalTag/break-glass", "yes"),
        ADMIN,
        {"context": {"aws:PrincipalTag/break-glass": "yes"}},
    ),
    # An exemption by the key's own tag: key administrators keep kms:TagResource.
    (
        "key tag exemption",
        _also("StringNotEqualsIfExists", "aws:ResourceTag/retiring", "true"),
        ADMIN,
        {"context": {"aws:ResourceTag/retiring": "true"}},
    ),
    # A deny only for calls made directly, not through a service's forward access session.
    (
        "not via a service",
        _also("BoolIfExists", "aws:ViaAWSService", "false"),
        ADMIN,
        {"context": {"aws:ViaAWSService": "true"}},
    ),
    # A deny only outside a network: from inside it, nobody is refused.
    (
        "outside a network only",
        _also("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8"),
        ADMIN,
        {"context": {"aws:SourceIp": "10.1.2.3"}},
    ),
]


@pytest.mark.parametrize(("change", "principal", "request_"), [h[1:] for h in HOLES], ids=[h[0] for h in HOLES])
def test_a_deny_with_a_way_through_fails(
    change: Callable[[dict[str, Any]], None], principal: str, request_: dict[str, Any]
) -> None:
    policy = _each_deny(change)
    # The way through is real: the evaluator lets that principal, with that request, lose the key...
    way_through = key_loss_exposure(policy, key_arn=KEY, principal_arn=principal, **request_)
    assert "kms:ScheduleKeyDeletion" in way_through
    assert "kms:DisableKey" in way_through
    # ... and the verifier says so.
    finding = deny(policy)
    assert finding.status is Status.FAIL, finding.seen
    assert "kms:ScheduleKeyDeletion" in finding.seen


def test_the_request_that_gets_through_is_named() -> None:
    finding = deny(_each_deny(_also("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8")))
    assert "aws:sourceip=10.0.0.0" in finding.seen
    # Denied with MFA and without it (two statements), but not with access keys, whose requests carry no
    # aws:MultiFactorAuthPresent at all.
    policy = _each_deny(_also("Bool", "aws:MultiFactorAuthPresent", "false"))
    for sid in DENIES:
        with_mfa = copy.deepcopy(statement(policy, sid))
        with_mfa["Sid"] = f"{sid}WithMfa"
        with_mfa["Condition"]["Bool"]["aws:MultiFactorAuthPresent"] = "true"
        policy["Statement"].append(with_mfa)
    for mfa in (True, False):
        assert not key_loss_exposure(policy, key_arn=KEY, principal_arn=ADMIN, mfa=mfa)
    assert key_loss_exposure(policy, key_arn=KEY, principal_arn=ADMIN, mfa=None)
    finding = deny(policy)
    assert finding.status is Status.FAIL
    assert "MFA=absent (access keys)" in finding.seen


def test_a_wildcard_exemption_names_the_lookalike_it_spares() -> None:
    finding = deny(_each_deny(_exempt("ArnNotLike", [f"{BREAK_GLASS}*"])))
    assert f"{BREAK_GLASS}unnamed" in finding.seen


def test_break_glass_with_mfa_required_is_refused_with_access_keys_too() -> None:
    # requireMfa: break-glass must be refused without MFA; a `Bool false` deny (no IfExists) leaves
    # break-glass's long-term access keys through.
    policy = protected_policy(mfa=True)
    for sid in (SID_KEY_LOSS_MFA, SID_LOCKOUT_BYPASS_MFA):
        condition = statement(policy, sid)["Condition"]
        condition["Bool"] = {**condition.get("Bool", {}), "aws:MultiFactorAuthPresent": "false"}
        del condition["BoolIfExists"]
    assert key_loss_exposure(policy, key_arn=KEY, principal_arn=BREAK_GLASS, mfa=None)
    assert not key_loss_exposure(policy, key_arn=KEY, principal_arn=BREAK_GLASS, mfa=False)
    want = outputs(mfa=True)
    finding = deny(policy, want)
    assert finding.status is Status.FAIL, finding.seen
    assert "without MFA, break-glass" in finding.seen


# -- nothing judged too strictly -------------------------------------------------------------------------


@pytest.mark.parametrize("mfa", [False, True])
def test_the_components_policies_still_pass(mfa: bool) -> None:
    finding = deny(protected_policy(mfa=mfa), outputs(mfa=mfa))
    assert finding.status is Status.PASS, finding.seen


def test_conditions_on_what_the_call_fixes_do_not_fail_it() -> None:
    # kms:CallerAccount and aws:RequestedRegion are the key's own for every call on it: a deny that
    # tests them still applies to everyone.
    policy = _each_deny(_also("StringEquals", "kms:CallerAccount", ACCOUNT))
    policy = copy.deepcopy(policy)
    for sid in DENIES:
        statement(policy, sid)["Condition"]["StringEquals"]["aws:RequestedRegion"] = KEY.split(":")[3]
    assert deny(policy).status is Status.PASS


def test_a_tag_exemption_that_no_value_escapes_passes() -> None:
    # A deny ANDed with `Null aws:PrincipalTag/x: false` OR'ed away is not possible in one statement, but a
    # second deny for the tagged case closes it: every request is refused, tagged or not.
    policy = _each_deny(_also("StringNotEquals", "aws:PrincipalTag/break-glass", "yes"))
    for sid in DENIES:
        tagged = copy.deepcopy(statement(policy, sid))
        tagged["Sid"] = f"{sid}Tagged"
        tagged["Condition"] = {
            "ArnNotEquals": tagged["Condition"]["ArnNotEquals"],
            "StringEquals": {"aws:PrincipalTag/break-glass": "yes"},
            **({"Bool": tagged["Condition"]["Bool"]} if "Bool" in tagged["Condition"] else {}),
        }
        policy["Statement"].append(tagged)
    assert not worst_key_loss_exposure(policy, key_arn=KEY, principal_arn=ADMIN)
    assert deny(policy).status is Status.PASS


# -- the alarm rules: patterns judged on events as real as AWS sends them --------------------------------


def _rule(kind: str, change: Callable[[dict[str, Any]], None]) -> Any:
    pattern = copy.deepcopy(key_alarm_patterns(KEY)[kind])
    change(pattern)
    record = RuleRecord(
        kind=kind,
        name=RULES[kind],
        exists=True,
        arn=rule_arn(kind),
        state=ALARM_RULE_STATES[kind],
        event_pattern=json.dumps(pattern),
        target_arns=(TOPIC,),
    )
    return judge_rule(record, ALARMS)


def _detail(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda pattern: pattern.setdefault("detail", {}).__setitem__(field, value)


def _top(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda pattern: pattern.__setitem__(field, value)


NEVER = [{"exists": False}]
# Fields every real event has (kms-events.html, the KMS CloudTrail examples): a rule that requires them
# absent never fires, and used to PASS on events that lacked them.
NEVER_FIRES: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("no eventID", ALARM_KEY_CHANGES, _detail("eventID", NEVER)),
    ("no eventTime", ALARM_KEY_CHANGES, _detail("eventTime", NEVER)),
    ("no time", ALARM_KEY_CHANGES, _top("time", NEVER)),
    ("no version", ALARM_KEY_CHANGES, _top("version", NEVER)),
    ("no key-id", ALARM_KEY_DELETED, _detail("key-id", NEVER)),
    ("no requestID", ALARM_USE_PENDING_DELETION, _detail("requestID", NEVER)),
    ("no recipient", ALARM_USE_PENDING_DELETION, _detail("recipientAccountId", NEVER)),
]


@pytest.mark.parametrize(("kind", "change"), [n[1:] for n in NEVER_FIRES], ids=[n[0] for n in NEVER_FIRES])
def test_a_rule_that_never_fires_on_real_events_fails(kind: str, change: Callable[[dict[str, Any]], None]) -> None:
    finding = _rule(kind, change)
    assert finding.status is Status.FAIL, finding.seen
    assert "EventPattern misses" in finding.seen


def _or(*alternatives: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda pattern: pattern["detail"].__setitem__("$or", list(alternatives))


# Patterns that narrow to one kind of caller miss the others.
ONE_CALLER: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    # Users, the root user and sessions without MFA: break-glass with MFA required goes unreported.
    (
        "not MFA sessions",
        ALARM_KEY_CHANGES,
        _or(
            {"userIdentity": {"type": ["IAMUser", "Root"]}},
            {"userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": ["false"]}}}},
        ),
    ),
    # Calls made directly only: a service calling with the caller's credentials (CloudFormation deleting
    # a stack's key) goes unreported.
    ("direct calls only", ALARM_KEY_CHANGES, _detail("userIdentity", {"invokedBy": [{"exists": False}]})),
    ("roles only", ALARM_KEY_CHANGES, _detail("userIdentity", {"type": ["AssumedRole"]})),
    ("not the root user", ALARM_KEY_CHANGES, _detail("userIdentity", {"type": [{"anything-but": "Root"}]})),
    ("users only", ALARM_USE_PENDING_DELETION, _detail("userIdentity", {"type": ["IAMUser"]})),
]


@pytest.mark.parametrize(("kind", "change"), [n[1:] for n in ONE_CALLER], ids=[n[0] for n in ONE_CALLER])
def test_a_rule_for_one_kind_of_caller_fails(kind: str, change: Callable[[dict[str, Any]], None]) -> None:
    finding = _rule(kind, change)
    assert finding.status is Status.FAIL, finding.seen
    assert "EventPattern misses" in finding.seen


# Narrowings every real event meets: not a FAIL (they used to fail, the events lacking those fields).
HARMLESS: list[tuple[str, str, Callable[[dict[str, Any]], None]]] = [
    ("management events", ALARM_KEY_CHANGES, _detail("eventCategory", ["Management"])),
    ("API calls", ALARM_KEY_CHANGES, _detail("eventType", ["AwsApiCall"])),
    ("writes", ALARM_KEY_CHANGES, _detail("readOnly", [False])),
    ("the account's callers", ALARM_KEY_CHANGES, _detail("userIdentity", {"accountId": [ACCOUNT]})),
    ("this account's records", ALARM_USE_PENDING_DELETION, _detail("recipientAccountId", [ACCOUNT])),
    ("any key id", ALARM_KEY_DELETED, _detail("key-id", [{"exists": True}])),
]


@pytest.mark.parametrize(("kind", "change"), [n[1:] for n in HARMLESS], ids=[n[0] for n in HARMLESS])
def test_a_narrowing_every_real_event_meets_passes(kind: str, change: Callable[[dict[str, Any]], None]) -> None:
    finding = _rule(kind, change)
    assert finding.status is Status.PASS, finding.seen


def test_a_rule_that_sees_read_only_events_too_still_sees_the_key_changes() -> None:
    # ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS matches what ENABLED matches and more: the rule fires.
    pattern = key_alarm_patterns(KEY)[ALARM_KEY_CHANGES]
    record = RuleRecord(
        kind=ALARM_KEY_CHANGES,
        name=RULES[ALARM_KEY_CHANGES],
        exists=True,
        arn=rule_arn(ALARM_KEY_CHANGES),
        state="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
        event_pattern=json.dumps(pattern),
        target_arns=(TOPIC,),
    )
    finding = judge_rule(record, ALARMS)
    assert finding.status is Status.PASS, finding.seen
    assert "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, matches" in finding.seen
    # ... but the rule for use while pending deletion needs it: ENABLED misses the read-only Decrypt.
    pending = dataclasses.replace(
        record,
        kind=ALARM_USE_PENDING_DELETION,
        name=RULES[ALARM_USE_PENDING_DELETION],
        arn=rule_arn(ALARM_USE_PENDING_DELETION),
        state="ENABLED",
        event_pattern=json.dumps(key_alarm_patterns(KEY)[ALARM_USE_PENDING_DELETION]),
    )
    assert judge_rule(pending, ALARMS).status is Status.FAIL
