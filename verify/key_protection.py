"""Key-loss protection, judged live: records -> findings, pure (collected by key_protection_collect.py).

Per key region (the primary's checks bare, a replica's as `replica[<region>].<check>`):

- `key_protection.deny`: the key policy refuses every key-loss call (access.kms_dynamodb.KEY_LOSS_ACTIONS,
  and PutKeyPolicy bypassing the lockout check) to every key administrator that is not break-glass (the
  outputs' keyAdminArns and deployerArn, and whoever the key policy itself lets change it), to a principal
  of each form nobody named (role, user, root user, federated user) who holds kms:* through the account's
  IAM, and to one spared by each wildcard of the deny's exemptions, judged by the evaluator in every request
  the caller can shape (access.key_protection.worst_key_loss_exposure: MFA present, false or absent, and
  every value of the keys the caller chooses, tags, addresses, the service path). With requireMfa, the
  break-glass principals are judged too, without MFA (MFA false or absent): nothing allowed. A FAIL names
  the principal, the calls, the statement that let it through and the request that did.
- `key_protection.alarm[<kind>]`, one per alarm kind (access.key_protection.ALARM_KINDS): the EventBridge
  rule exists, is in the state its kind needs (ALARM_RULE_STATES: the rule for use while pending deletion
  needs ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, as that failed Decrypt is a read-only management
  event), its live EventPattern matches every event the kind must report for this key
  (key_alarm_events, matched by access.event_patterns as EventBridge matches), and one of its targets is
  the topic.
- `key_protection.topic`: the topic exists, is encrypted with a key EventBridge can use (a customer
  managed key: EventBridge cannot publish to a topic under the AWS managed key alias/aws/sns,
  https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification: "The Amazon SNS topic must
  use a customer managed AWS KMS key"), and its policy lets events.amazonaws.com publish for each rule
  (`events_may_publish`: the evaluator does not model service principals, so the topic policy is read
  here, with the access core's documents and conditions, failing closed).

A stack without protection (no keyProtection output: keyLossProtection off, a supported choice) gets one
SKIP saying so and what it leaves open; the policy pack advises it.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from access.analyzers import key_policy_administrators
from access.arns import parse_principal_arn
from access.conditions import conditions_hold
from access.documents import (
    PolicyParseError,
    action_matches,
    as_list,
    iam_wildcard_match,
    parse_document,
    statement_label,
    statements,
)
from access.errors import ConfigError
from access.evaluator import Decision
from access.event_patterns import UnsupportedPatternError, compile_pattern
from access.key_protection import (
    ALARM_RULE_STATES,
    CLOUDTRAIL_API_CALL,
    RULE_ENABLED,
    RULE_ENABLED_WITH_READ_ONLY,
    exempted_principals,
    key_alarm_events,
    key_alarm_patterns,
    unnamed_principals,
    worst_key_loss_exposure,
)
from access.kms_dynamodb import (
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE_ACTION,
    SID_KEY_LOSS_MFA,
    SID_KEY_LOSS_PROTECTION,
    SID_KEY_POLICY_CHANGE,
    SID_KEY_POLICY_CHANGE_MFA,
    SID_LOCKOUT_BYPASS,
    SID_LOCKOUT_BYPASS_MFA,
)
from stack import outputs
from verify.findings import Finding, statement_text
from verify.inputs import KeyAlarms, KeyProtection, StackOutputs

NOT_PROTECTED = "key_protection"
DENY = "key_protection.deny"
TOPIC = "key_protection.topic"
RESTORE = "run `pulumi up` for this stack, which restores it as the stack declares it, then verify again"
EVENTS_SERVICE = "events.amazonaws.com"
PUBLISH = "sns:Publish"
# The AWS managed key of SNS: its policy cannot let EventBridge in (the knowledge center page above).
SNS_AWS_MANAGED_KEY = "alias/aws/sns"


def alarm_check(kind: str) -> str:
    return f"key_protection.alarm[{kind}]"


# -- records (key_protection_collect.py fills them) ------------------------------------------------------


@dataclass(frozen=True)
class RuleRecord:
    """One alarm rule as EventBridge describes it (DescribeRule, ListTargetsByRule)."""

    kind: str
    name: str
    exists: bool
    arn: str = ""
    state: str = ""
    event_pattern: str = ""  # as DescribeRule returns it: JSON text
    target_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicRecord:
    """The alarm topic as SNS describes it (GetTopicAttributes)."""

    arn: str
    exists: bool
    policy_text: str = ""
    kms_master_key_id: str = ""


@dataclass(frozen=True)
class AlarmRecords:
    """One key region's alarms, read in that region."""

    alarms: KeyAlarms
    rules: tuple[RuleRecord, ...]
    topic: TopicRecord


# -- a stack without protection ---------------------------------------------------------------------


def judge_unprotected() -> Finding:
    return Finding.skipped(
        NOT_PROTECTED,
        f"the stack does not protect its keys from loss (no {outputs.KEY_PROTECTION} output: keyLossProtection "
        "off): any key administrator, and any principal the account's IAM allows kms:*, may disable a key or "
        "schedule its deletion, and no alarm reports it; turn keyLossProtection on and run `pulumi up`",
    )


# -- the deny -----------------------------------------------------------------------------------------


def administrators(want: StackOutputs, policy: Mapping[str, Any], key_arn: str, protection: KeyProtection) -> list[str]:
    """The key administrators to judge: the declared ones, the deployer, and whoever the key policy lets change
    it, as IAM principals of the key's account, break-glass excluded; then the administrator nobody named."""
    account = key_arn.split(":")[4]
    named = [*want.intent.key_admins, want.intent.deployer, *key_policy_administrators(policy)]
    found: list[str] = []
    for principal in named:
        try:
            parsed = parse_principal_arn("principal", principal)
        except ConfigError:
            continue  # "*", a service, another form: not an administrator this check can name
        if parsed.account == account and parsed.arn not in protection.break_glass and parsed.arn not in found:
            found.append(parsed.arn)
    # Then one principal of each form nobody named, and one spared by each wildcard of the deny's exemptions
    # (access.key_protection: a deny on roles only, or on "role/BreakGlass*", is no protection).
    unnamed = [p for p in unnamed_principals(key_arn) if p not in found]
    spared = [p for p in exempted_principals(policy, key_arn, protection.break_glass) if p not in [*found, *unnamed]]
    return [*found, *unnamed, *spared]


def _exposed(principal: str, exposure: Mapping[str, Decision], key_arn: str) -> str:
    """'<principal> may A, B (allowed by ...); C (allowed by ...)', calls grouped by what allowed them."""
    by_reason: dict[str, list[str]] = {}
    for label, decision in exposure.items():
        by_reason.setdefault(decision.reason, []).append(label)
    who = principal
    if principal in unnamed_principals(key_arn):
        who = f"an administrator nobody named, with kms:* from the account's IAM ({principal})"
    calls = "; ".join(f"{', '.join(labels)} ({reason})" for reason, labels in by_reason.items())
    return f"{who} may {calls}"


def judge_deny(
    policy_text: str, want: StackOutputs, protection: KeyProtection, *, key_arn: str, region: str, prefix: str = ""
) -> Finding:
    """The key policy refuses the key-loss calls to every administrator but break-glass (and, with
    requireMfa, to break-glass without MFA)."""
    check = f"{prefix}{DENY}"
    try:
        policy = parse_document(policy_text)
    except PolicyParseError as error:
        return Finding.failed(
            check, f"cannot confirm: the key policy in {region} is not a policy document ({error})", RESTORE
        )
    judged = administrators(want, policy, key_arn, protection)

    def undeclared(principal: str, exposure: dict[str, Decision]) -> dict[str, Decision]:
        """The exposure a principal is not declared to have: the deployer writes the key policy (`pulumi up`;
        outputs.DEPLOYER_ARN), so its plain PutKeyPolicy is declared, every use of it alarmed (key-changes)."""
        if principal == want.intent.deployer:
            exposure.pop(KEY_POLICY_CHANGE_ACTION, None)
        return exposure

    exposures = {
        principal: exposure
        for principal in judged
        if (
            exposure := undeclared(principal, worst_key_loss_exposure(policy, key_arn=key_arn, principal_arn=principal))
        )
    }
    problems = [_exposed(principal, exposure, key_arn) for principal, exposure in exposures.items()]
    deciding = [d for exposure in exposures.values() for d in exposure.values()]
    if protection.require_mfa:
        for principal in protection.break_glass:
            exposure = undeclared(
                principal,
                worst_key_loss_exposure(policy, key_arn=key_arn, principal_arn=principal, mfa_states=(False, None)),
            )
            if exposure:
                problems.append(f"without MFA, break-glass {_exposed(principal, exposure, key_arn)}")
                deciding += exposure.values()
    calls = ", ".join(a.split(":", 1)[1] for a in KEY_LOSS_ACTIONS)
    if problems:
        sids = [SID_KEY_LOSS_PROTECTION, SID_KEY_POLICY_CHANGE, SID_LOCKOUT_BYPASS]
        sids += [SID_KEY_LOSS_MFA, SID_LOCKOUT_BYPASS_MFA, SID_KEY_POLICY_CHANGE_MFA] if protection.require_mfa else []
        return Finding.failed(
            check,
            f"the key in {region} is not protected from loss: {' | '.join(problems)}",
            f"the key policy must deny {calls} and PutKeyPolicy bypassing the lockout check to all but the "
            "break-glass principals, and PutKeyPolicy to all but them and the deployer"
            f"{' (and to break-glass without MFA)' if protection.require_mfa else ''}: statements "
            f"{', '.join(sids)}; {RESTORE}",
        ).about(
            statement=", ".join(
                dict.fromkeys(filter(None, (statement_text(d.statement) or d.source for d in deciding)))
            )
        )
    named = [p for p in judged if p not in unnamed_principals(key_arn)]
    mfa = " (and to break-glass without MFA)" if protection.require_mfa else ""
    refused = ", ".join(named) or "no named administrator"
    return Finding.passed(
        check,
        f"in {region}, {calls}, PutKeyPolicy and the lockout bypass are refused{mfa} to {refused} (the deployer "
        f"may still replace the key policy, alarmed) and to any administrator with kms:* from the account's IAM; "
        f"break-glass: {', '.join(protection.break_glass) or 'none'}",
    )


# -- the alarm rules ------------------------------------------------------------------------------------


def _event_name(event: Mapping[str, Any]) -> str:
    detail = event.get("detail") or {}
    if event.get("detail-type") == CLOUDTRAIL_API_CALL:
        failed = f" refused ({detail['errorCode']})" if detail.get("errorCode") else ""
        return f"{detail.get('eventName', '?')}{failed}"
    return str(event.get("detail-type", "?"))


def _pattern_differences(record: RuleRecord, key_arn: str) -> list[str]:
    try:
        pattern = compile_pattern(record.event_pattern)
    except UnsupportedPatternError as error:
        return [f"cannot confirm its EventPattern matches: {error}"]
    except ValueError as error:  # not JSON at all
        return [f"cannot confirm its EventPattern matches: not a JSON event pattern ({error})"]
    events = key_alarm_events(record.kind, key_arn)
    missed = [_event_name(event) for event in events if not pattern.matches(event)]
    if not missed:
        return []
    return [f"its EventPattern misses {len(missed)} of the {len(events)} events it must report: {', '.join(missed)}"]


def _state_fix(record: RuleRecord, region: str, key_arn: str) -> str:
    """The command that puts the rule back in its state; for a state enable-rule cannot set, put-rule with
    the stack's pattern (PutRule replaces the rule's pattern and state)."""
    want = ALARM_RULE_STATES[record.kind]
    if want == RULE_ENABLED:
        return f"aws events enable-rule --region {region} --name {record.name}"
    pattern = json.dumps(key_alarm_patterns(key_arn)[record.kind], separators=(",", ":"))
    return (
        f"aws events put-rule --region {region} --name {record.name} --event-pattern {shlex.quote(pattern)} "
        f"--state {want}"
    )


# The states in which a rule sees what a state requires: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS matches
# every event ENABLED matches and the read-only management events besides
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html), so a
# rule that needs ENABLED fires in either.
_STATES_THAT_SEE: dict[str, frozenset[str]] = {
    RULE_ENABLED: frozenset({RULE_ENABLED, RULE_ENABLED_WITH_READ_ONLY}),
    RULE_ENABLED_WITH_READ_ONLY: frozenset({RULE_ENABLED_WITH_READ_ONLY}),
}


def judge_rule(record: RuleRecord, alarms: KeyAlarms, prefix: str = "") -> Finding:
    check = f"{prefix}{alarm_check(record.kind)}"
    where = f"rule {record.name} in {alarms.region}"
    if not record.exists:
        return Finding.failed(
            check,
            f"{where} not found: nothing reports {record.kind} for key {alarms.key_arn}",
            f"the rule was deleted; {RESTORE}",
        )
    want = ALARM_RULE_STATES[record.kind]
    differences: list[str] = []
    if record.state not in _STATES_THAT_SEE[want]:
        differences.append(f"State={record.state or 'absent'}, expected {want}")
    differences += _pattern_differences(record, alarms.key_arn)
    if alarms.topic_arn not in record.target_arns:
        targets = ", ".join(record.target_arns) or "none"
        differences.append(f"no target is the topic {alarms.topic_arn} (targets: {targets})")
    if not differences:
        return Finding.passed(
            check,
            f"{where}: {record.state}, matches every {record.kind} event of key {alarms.key_arn}, "
            f"targets {alarms.topic_arn}",
        )
    advice = RESTORE
    if record.state not in _STATES_THAT_SEE[want] and len(differences) == 1:
        advice = f"{_state_fix(record, alarms.region, alarms.key_arn)}; or {RESTORE}"
    return Finding.failed(check, f"{where}: {'; '.join(differences)}", advice)


# -- the topic ------------------------------------------------------------------------------------------


def _principal_applies(statement: Mapping[str, Any], service: str) -> bool:
    """Does a statement's Principal (or NotPrincipal) cover a service principal?"""
    if "Principal" in statement:
        principal = statement["Principal"]
        if principal == "*":
            return True
        if isinstance(principal, Mapping):
            return "*" in as_list(principal.get("AWS")) or service in as_list(principal.get("Service"))
        return False
    if "NotPrincipal" in statement:
        excluded = statement["NotPrincipal"]
        return isinstance(excluded, Mapping) and service not in as_list(excluded.get("Service"))
    return False


def _covers(statement: Mapping[str, Any], element: str, value: str, match: Any) -> bool:
    """Action/NotAction or Resource/NotResource: does the statement cover the value?"""
    if f"Not{element}" in statement:
        return not any(match(p, value) for p in as_list(statement[f"Not{element}"]))
    return any(match(p, value) for p in as_list(statement.get(element)))


def events_may_publish(policy_text: str, *, topic_arn: str, rule_arn: str, account_id: str) -> tuple[bool, str]:
    """May EventBridge (events.amazonaws.com) sns:Publish to the topic for this rule, by the topic policy?
    The request carries aws:SourceArn (the rule) and aws:SourceAccount; a condition on anything else fails
    closed (not met in an Allow, met in a Deny). An explicit Deny wins; else an Allow must apply."""
    if not policy_text:
        return False, "the topic has no policy"
    try:
        policy = parse_document(policy_text)
    except PolicyParseError as error:
        return False, f"the topic policy is not a policy document ({error})"
    context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": account_id}
    allowed = ""
    for position, statement in enumerate(statements(policy)):
        effect = statement.get("Effect")
        applies = (
            _principal_applies(statement, EVENTS_SERVICE)
            and _covers(statement, "Action", PUBLISH, action_matches)
            and _covers(statement, "Resource", topic_arn, iam_wildcard_match)
            and conditions_hold(statement.get("Condition"), context, for_deny=effect == "Deny")
        )
        if applies and effect == "Deny":
            return False, f"denied by topic policy statement {statement_label(statement, position)}"
        if applies and effect == "Allow" and not allowed:
            allowed = statement_label(statement, position)
    if allowed:
        return True, f"allowed by topic policy statement {allowed}"
    return False, f"no statement of the topic policy lets {EVENTS_SERVICE} {PUBLISH} for {rule_arn}"


def _rule_arn(record: RuleRecord, alarms: KeyAlarms, account_id: str) -> str:
    partition = alarms.topic_arn.split(":")[1]
    return record.arn or f"arn:{partition}:events:{alarms.region}:{account_id}:rule/{record.name}"


def judge_topic(records: AlarmRecords, account_id: str, prefix: str = "") -> Finding:
    alarms, topic = records.alarms, records.topic
    check = f"{prefix}{TOPIC}"
    where = f"topic {topic.arn}"
    if not topic.exists:
        return Finding.failed(check, f"{where} not found: the alarms reach nobody", f"the topic was deleted; {RESTORE}")
    differences: list[str] = []
    if not topic.kms_master_key_id:
        differences.append("not encrypted (no KmsMasterKeyId)")
    elif topic.kms_master_key_id.endswith(SNS_AWS_MANAGED_KEY):
        differences.append(
            f"encrypted with the AWS managed key {SNS_AWS_MANAGED_KEY}, which EventBridge cannot use to publish"
        )
    for record in records.rules:
        if not record.exists:
            continue  # its own finding fails
        allowed, why = events_may_publish(
            topic.policy_text,
            topic_arn=topic.arn,
            rule_arn=_rule_arn(record, alarms, account_id),
            account_id=account_id,
        )
        if not allowed:
            differences.append(f"EventBridge may not publish for rule {record.name}: {why}")
    if differences:
        return Finding.failed(check, f"{where}: {'; '.join(differences)}", RESTORE)
    return Finding.passed(
        check,
        f"{where}: encrypted ({topic.kms_master_key_id}), EventBridge may publish for "
        f"{', '.join(r.name for r in records.rules if r.exists)}",
    )


def judge_alarms(records: AlarmRecords, account_id: str, prefix: str = "") -> list[Finding]:
    """Every alarm rule of one key region, then its topic."""
    found = [judge_rule(record, records.alarms, prefix) for record in records.rules]
    found.append(judge_topic(records, account_id, prefix))
    return found
