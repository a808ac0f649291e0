"""Key-loss protection, as plain data and functions: who may still make a key unusable, and the alarms
that report anyone trying.

- `key_loss_exposure`: which of the key-loss calls (access.kms_dynamodb.KEY_LOSS_ACTIONS, and PutKeyPolicy
  bypassing the lockout check) a principal could make, judged by the evaluator as KMS decides: the key
  policy and, at worst, an identity policy allowing kms:* (any administrator the account's IAM may
  empower), with MFA present (the strongest caller a policy can meet). An empty answer is the promise.
  `key_loss_decisions` gives every decision, refusals too: whether a Deny refused a call, or nothing allowed it.
- `key_alarm_patterns`: the EventBridge event patterns of the rules that report, for one key, the
  CloudTrail API calls that endanger it, its deletion, and its use while pending deletion. The component
  writes them; the verifier checks that a live rule matches the events they name (`key_alarm_events`).

Sources:
- KMS events in EventBridge: https://docs.aws.amazon.com/kms/latest/developerguide/kms-events.html ("KMS CMK
  Deletion", source aws.kms, the key's ARN in `resources`) and CloudTrail API calls delivered as
  "AWS API Call via CloudTrail" (https://docs.aws.amazon.com/eventbridge/latest/userguide/
  eb-service-event-cloudtrail.html); a rule ENABLED "matches events against the rule, except for
  read-only AWS management events delivered through CloudTrail", ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
  matches those too (https://docs.aws.amazon.com/eventbridge/latest/userguide/
  eb-service-event-cloudtrail-management.html): a refused Decrypt of a key pending deletion is a
  read-only management event (CloudTrail readOnly true), so its rule needs that state.
- KMS CloudTrail records name the key in `resources[].ARN` (https://docs.aws.amazon.com/kms/latest/
  developerguide/logging-using-cloudtrail.html examples).
- Detecting use of a key pending deletion: https://docs.aws.amazon.com/kms/latest/developerguide/
  deleting-keys-creating-cloudwatch-alarm.html (the failed request's error message is "Key ARN is pending
  deletion"; AWS's recipe matches it in CloudTrail logs delivered to CloudWatch Logs, the rule here matches
  the same CloudTrail record as EventBridge delivers it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from access.documents import NamedPolicy
from access.evaluator import Decision, Request, authorize_kms
from access.kms_dynamodb import KEY_LOSS_ACTIONS, LOCKOUT_BYPASS_ACTION, LOCKOUT_BYPASS_CONDITION_KEY, MFA_CONDITION_KEY

# -- EventBridge ------------------------------------------------------------------------------------
KMS_EVENT_SOURCE = "aws.kms"
KMS_EVENT_SERVICE = "kms.amazonaws.com"  # CloudTrail's eventSource
CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
KMS_KEY_DELETION = "KMS CMK Deletion"
# The CloudTrail event names of the calls that endanger a key: the key-loss calls, a new key policy
# (which could drop the protection), and grant changes (who may use the key; DynamoDB's own grants too).
ENDANGERING_EVENT_NAMES: tuple[str, ...] = (
    *(action.split(":", 1)[1] for action in KEY_LOSS_ACTIONS),
    "PutKeyPolicy",
    "CreateGrant",
    "RetireGrant",
    "RevokeGrant",
)
# The error a cryptographic call on a key pending deletion is refused with: "Key ARN is pending deletion"
# (deleting-keys-creating-cloudwatch-alarm.html); matched with a trailing wildcard, punctuation or not.
PENDING_DELETION_ERROR = "is pending deletion"
# Rule states (EventBridge PutRule State): what each alarm rule must be in to see its events.
RULE_ENABLED = "ENABLED"
RULE_ENABLED_WITH_READ_ONLY = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

# The alarm rules of one key, by kind: the kind names the rule's purpose in outputs and findings.
ALARM_KEY_CHANGES = "key-changes"
ALARM_KEY_DELETED = "key-deleted"
ALARM_USE_PENDING_DELETION = "use-pending-deletion"
ALARM_KINDS: tuple[str, ...] = (ALARM_KEY_CHANGES, ALARM_KEY_DELETED, ALARM_USE_PENDING_DELETION)
ALARM_RULE_STATES: dict[str, str] = {
    ALARM_KEY_CHANGES: RULE_ENABLED,
    ALARM_KEY_DELETED: RULE_ENABLED,
    ALARM_USE_PENDING_DELETION: RULE_ENABLED_WITH_READ_ONLY,
}


def key_alarm_patterns(key_arn: str) -> dict[str, dict[str, Any]]:
    """The event pattern of each alarm rule of this key, by kind."""
    return {
        ALARM_KEY_CHANGES: {
            "source": [KMS_EVENT_SOURCE],
            "detail-type": [CLOUDTRAIL_API_CALL],
            "detail": {
                "eventSource": [KMS_EVENT_SERVICE],
                "eventName": list(ENDANGERING_EVENT_NAMES),
                "resources": {"ARN": [key_arn]},
            },
        },
        ALARM_KEY_DELETED: {
            "source": [KMS_EVENT_SOURCE],
            "detail-type": [KMS_KEY_DELETION],
            "resources": [key_arn],
        },
        ALARM_USE_PENDING_DELETION: {
            "source": [KMS_EVENT_SOURCE],
            "detail-type": [CLOUDTRAIL_API_CALL],
            "detail": {
                "eventSource": [KMS_EVENT_SERVICE],
                "errorMessage": [{"wildcard": f"*{key_arn} {PENDING_DELETION_ERROR}*"}],
            },
        },
    }


def key_alarm_events(kind: str, key_arn: str) -> list[dict[str, Any]]:
    """Events (as EventBridge delivers them, the fields a pattern can test) that the rule of this kind must
    match for this key: one per endangering call, the deletion, a Decrypt refused while pending deletion."""
    region, account = key_arn.split(":")[3:5]
    envelope = {"account": account, "region": region, "source": KMS_EVENT_SOURCE}
    if kind == ALARM_KEY_DELETED:
        return [{**envelope, "detail-type": KMS_KEY_DELETION, "resources": [key_arn], "detail": {}}]
    record = {
        "eventSource": KMS_EVENT_SERVICE,
        "awsRegion": region,
        "resources": [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}],
    }
    if kind == ALARM_KEY_CHANGES:
        names = ENDANGERING_EVENT_NAMES
        return [
            {**envelope, "detail-type": CLOUDTRAIL_API_CALL, "resources": [], "detail": {**record, "eventName": n}}
            for n in names
        ]
    if kind == ALARM_USE_PENDING_DELETION:
        failed = {
            **record,
            "eventName": "Decrypt",
            "errorCode": "KMSInvalidStateException",
            "errorMessage": f"{key_arn} {PENDING_DELETION_ERROR}.",
        }
        return [{**envelope, "detail-type": CLOUDTRAIL_API_CALL, "resources": [], "detail": failed}]
    raise ValueError(f"unknown alarm kind {kind!r}; one of {', '.join(ALARM_KINDS)}")


# -- who may still lose the key -------------------------------------------------------------------------
# The administrator nobody named: a role of the key's account that no key policy names (so only the
# account's IAM, through the root delegation, or a policy's wildcard could empower it). Judging it with
# the worst-case identity policy finds every path that does not depend on a name.
UNNAMED_ADMINISTRATOR_ROLE = "encrypted-dynamodb-unnamed-administrator"


def unnamed_administrator(key_arn: str) -> str:
    """The ARN of the hypothetical administrator of the key's account that no policy names."""
    partition, account = key_arn.split(":")[1], key_arn.split(":")[4]
    return f"arn:{partition}:iam::{account}:role/{UNNAMED_ADMINISTRATOR_ROLE}"


def _anything_kms(policy_name: str) -> NamedPolicy:
    """The widest identity policy an administrator of the account could hold on keys."""
    return NamedPolicy(
        policy_name,
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]},
    )


def key_loss_decisions(
    key_policy: Mapping[str, Any],
    *,
    key_arn: str,
    principal_arn: str,
    identity_policies: Sequence[NamedPolicy] | None = None,
    mfa: bool = True,
) -> dict[str, Decision]:
    """The decision on each key-loss call principal_arn (of the key's account) could make on the key, by
    label (the action; the lockout bypass as "kms:PutKeyPolicy (kms:BypassPolicyLockoutSafetyCheck=true)").
    A refusal says whether a Deny refused it (Decision.statement) or nothing allowed it.

    identity_policies: the principal's own; None judges the worst case, an identity policy allowing kms:*.
    mfa: judge a caller signed in with MFA (True, the worst case) or without.
    """
    account = key_arn.split(":")[4]
    policies = [_anything_kms("worst case: kms:* on every key")] if identity_policies is None else identity_policies
    context: dict[str, str] = {MFA_CONDITION_KEY: "true" if mfa else "false"}
    if mfa:
        context["aws:MultiFactorAuthAge"] = "0"
    calls: list[tuple[str, dict[str, str]]] = [(action, context) for action in KEY_LOSS_ACTIONS]
    calls.append((LOCKOUT_BYPASS_ACTION, {**context, LOCKOUT_BYPASS_CONDITION_KEY: "true"}))
    decisions: dict[str, Decision] = {}
    for action, request_context in calls:
        request = Request(
            principal_arn=principal_arn,
            action=action,
            resource=key_arn,
            account_id=account,
            context=request_context,
        )
        label = action if action != LOCKOUT_BYPASS_ACTION else f"{action} ({LOCKOUT_BYPASS_CONDITION_KEY}=true)"
        decisions[label] = authorize_kms(request, key_policy, policies)
    return decisions


def key_loss_exposure(
    key_policy: Mapping[str, Any],
    *,
    key_arn: str,
    principal_arn: str,
    identity_policies: Sequence[NamedPolicy] | None = None,
    mfa: bool = True,
) -> dict[str, Decision]:
    """The key-loss calls principal_arn (of the key's account) may make on the key, each with the decision
    that allowed it; empty when the key policy protects the key from it. Arguments as key_loss_decisions.
    """
    decisions = key_loss_decisions(
        key_policy, key_arn=key_arn, principal_arn=principal_arn, identity_policies=identity_policies, mfa=mfa
    )
    return {label: decision for label, decision in decisions.items() if decision.allowed}
