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

import contextlib
import ipaddress
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from access.documents import NamedPolicy, as_list, aws_principals, statements
from access.evaluator import Decision, Request, authorize_kms
from access.kms_dynamodb import (
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE_ACTION,
    LOCKOUT_BYPASS_ACTION,
    LOCKOUT_BYPASS_CONDITION_KEY,
    MFA_CONDITION_KEY,
)

# -- EventBridge ------------------------------------------------------------------------------------
KMS_EVENT_SOURCE = "aws.kms"
KMS_EVENT_SERVICE = "kms.amazonaws.com"  # CloudTrail's eventSource
CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
KMS_KEY_DELETION = "KMS CMK Deletion"
# The CloudTrail event names of the calls that endanger a key: the key-loss calls, a new key policy
# (which could drop the protection), and grant changes (who may use the key; DynamoDB's own grants too).
ENDANGERING_EVENT_NAMES: tuple[str, ...] = (
    *(action.split(":", 1)[1] for action in KEY_LOSS_ACTIONS),
    KEY_POLICY_CHANGE_ACTION.split(":", 1)[1],
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


# Who makes the calls: CloudTrail's userIdentity of an IAM user, a role's session signed in with MFA or
# without (sessionContext.attributes.mfaAuthenticated), the root user, and a call an AWS service makes with
# the caller's credentials (invokedBy: CloudFormation deleting a stack's key, say)
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
# A rule must report each of them: a pattern on one kind of caller misses the others, and break-glass with
# MFA required calls from an MFA session.
CALLER_TYPES: tuple[str, ...] = ("IAMUser", "AssumedRole", "Root")
MFA_SESSION = "AssumedRole with MFA"
VIA_SERVICE = "AssumedRole through a service"
CALLERS: tuple[str, ...] = (*CALLER_TYPES, MFA_SESSION, VIA_SERVICE)
_EVENT_TIME = "2026-01-01T00:00:00Z"


def _user_identity(caller: str, partition: str, account: str) -> dict[str, Any]:
    caller_type = caller.split(" ", 1)[0]
    identity: dict[str, Any] = {"type": caller_type, "accountId": account}
    if caller_type == "IAMUser":
        identity |= {"principalId": "AIDAEXAMPLE", "arn": f"arn:{partition}:iam::{account}:user/someone"}
        identity |= {"userName": "someone", "accessKeyId": "AKIAEXAMPLE"}
    elif caller_type == "AssumedRole":
        role = f"arn:{partition}:iam::{account}:role/someone"
        session = f"arn:{partition}:sts::{account}:assumed-role/someone/session"
        identity |= {"principalId": "AROAEXAMPLE:session", "arn": session, "accessKeyId": "ASIAEXAMPLE"}
        mfa = "true" if caller == MFA_SESSION else "false"
        identity["sessionContext"] = {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": role, "accountId": account},
            "attributes": {"creationDate": _EVENT_TIME, "mfaAuthenticated": mfa},
        }
        if caller == VIA_SERVICE:
            identity["invokedBy"] = "cloudformation.amazonaws.com"
    else:
        identity |= {"principalId": account, "arn": f"arn:{partition}:iam::{account}:root"}
    return identity


def key_alarm_events(kind: str, key_arn: str) -> list[dict[str, Any]]:
    """Events (as EventBridge delivers them, every field a real one has: a pattern that tests a field real
    events always carry, with `exists: false` say, must miss them) that the rule of this kind must match for
    this key: each endangering call, by each kind of caller (CALLERS); the deletion; a Decrypt refused while
    pending deletion, by each kind of caller.

    Shapes: the EventBridge envelope and "KMS CMK Deletion" (detail key-id) from kms-events.html; the
    CloudTrail record from the KMS CloudTrail examples (logging-using-cloudtrail.html: eventVersion,
    userIdentity, eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent, requestParameters,
    requestID, eventID, readOnly, resources, eventType, managementEvent, recipientAccountId, eventCategory).
    """
    partition, _, _, region, account, resource = key_arn.split(":", 5)
    key_id = resource.split("/", 1)[-1]
    envelope = {
        "version": "0",
        "id": "01234567-0123-0123-0123-0123456789ab",
        "account": account,
        "time": _EVENT_TIME,
        "region": region,
        "source": KMS_EVENT_SOURCE,
    }
    if kind == ALARM_KEY_DELETED:
        return [{**envelope, "detail-type": KMS_KEY_DELETION, "resources": [key_arn], "detail": {"key-id": key_id}}]

    def record(caller: str, name: str, read_only: bool) -> dict[str, Any]:
        return {
            "eventVersion": "1.08",
            "userIdentity": _user_identity(caller, partition, account),
            "eventTime": _EVENT_TIME,
            "eventSource": KMS_EVENT_SERVICE,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": "192.0.2.0",
            "userAgent": "aws-cli/2",
            "requestParameters": {"keyId": key_arn},
            "requestID": "89abcdef-0123-0123-0123-0123456789ab",
            "eventID": "fedcba98-0123-0123-0123-0123456789ab",
            "readOnly": read_only,
            "resources": [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}],
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        }

    if kind == ALARM_KEY_CHANGES:
        return [
            {**envelope, "detail-type": CLOUDTRAIL_API_CALL, "resources": [], "detail": record(caller, name, False)}
            for name in ENDANGERING_EVENT_NAMES
            for caller in CALLERS
        ]
    if kind == ALARM_USE_PENDING_DELETION:
        failed = {
            "errorCode": "KMSInvalidStateException",
            "errorMessage": f"{key_arn} {PENDING_DELETION_ERROR}.",
        }
        return [
            {
                **envelope,
                "detail-type": CLOUDTRAIL_API_CALL,
                "resources": [],
                "detail": {**record(caller, "Decrypt", True), **failed},
            }
            for caller in CALLERS
        ]
    raise ValueError(f"unknown alarm kind {kind!r}; one of {', '.join(ALARM_KINDS)}")


# Request keys KMS sets for every call on a key of the caller's account (KMS condition keys page,
# https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account),
# and the global keys of the MFA state
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
CALLER_ACCOUNT_KEY = "kms:CallerAccount"
REQUESTED_REGION_KEY = "aws:RequestedRegion"
MFA_AGE_KEY = "aws:MultiFactorAuthAge"

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
    mfa: bool | None = True,
    context: Mapping[str, str] | None = None,
) -> dict[str, Decision]:
    """The decision on each key-loss call principal_arn (of the key's account) could make on the key, by
    label (the action; the lockout bypass as "kms:PutKeyPolicy (kms:BypassPolicyLockoutSafetyCheck=true)").
    A refusal says whether a Deny refused it (Decision.statement) or nothing allowed it.

    identity_policies: the principal's own; None judges the worst case, an identity policy allowing kms:*.
    mfa: judge a caller signed in with MFA (True), with temporary credentials without it (False), or with
    long-term access keys, whose requests carry no aws:MultiFactorAuthPresent at all (None).
    context: more keys of the request (the caller's own choice: tags, addresses, ...); they win.
    """
    account = key_arn.split(":")[4]
    policies = [_anything_kms("worst case: kms:* on every key")] if identity_policies is None else identity_policies
    # kms:CallerAccount "is available for all KMS operations" (KMS condition keys page); the region of a
    # call on the key is the key's (aws:RequestedRegion).
    request_context: dict[str, str] = {CALLER_ACCOUNT_KEY: account, REQUESTED_REGION_KEY: key_arn.split(":")[3]}
    if mfa is not None:
        request_context[MFA_CONDITION_KEY] = "true" if mfa else "false"
    if mfa:
        request_context[MFA_AGE_KEY] = "0"
    request_context.update(context or {})
    calls: list[tuple[str, dict[str, str]]] = [(action, request_context) for action in KEY_LOSS_ACTIONS]
    # A new key policy: the first of two calls that lose the key (drop the Deny, then disable); label
    # KEY_POLICY_CHANGE_ACTION. Then the bypass, which loses it at once.
    calls.append((KEY_POLICY_CHANGE_ACTION, request_context))
    calls.append((LOCKOUT_BYPASS_ACTION, {**request_context, LOCKOUT_BYPASS_CONDITION_KEY: "true"}))
    decisions: dict[str, Decision] = {}
    for action, call_context in calls:
        request = Request(
            principal_arn=principal_arn,
            action=action,
            resource=key_arn,
            account_id=account,
            context=call_context,
        )
        bypassing = LOCKOUT_BYPASS_CONDITION_KEY in call_context
        label = f"{action} ({LOCKOUT_BYPASS_CONDITION_KEY}=true)" if bypassing else action
        decisions[label] = authorize_kms(request, key_policy, policies)
    return decisions


def key_loss_exposure(
    key_policy: Mapping[str, Any],
    *,
    key_arn: str,
    principal_arn: str,
    identity_policies: Sequence[NamedPolicy] | None = None,
    mfa: bool | None = True,
    context: Mapping[str, str] | None = None,
) -> dict[str, Decision]:
    """The key-loss calls principal_arn (of the key's account) may make on the key, each with the decision
    that allowed it; empty when the key policy protects the key from it. Arguments as key_loss_decisions.
    """
    decisions = key_loss_decisions(
        key_policy,
        key_arn=key_arn,
        principal_arn=principal_arn,
        identity_policies=identity_policies,
        mfa=mfa,
        context=context,
    )
    return {label: decision for label, decision in decisions.items() if decision.allowed}


# -- the worst case: every form of principal, every request the caller can shape ---------------------------
# A key-loss Deny protects the key only if it applies to every principal but break-glass whatever the form
# of the principal and whatever the caller puts in its request. Sources:
# - aws:PrincipalArn is the user's ARN, the role's ARN for a role session, arn:...:root for the root user,
#   the federated user's ARN (arn:...:sts::<acct>:federated-user/<name>) for GetFederationToken
#   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn);
#   a Deny on roles only leaves the account's users, its root user and its federated users free.
# - aws:MultiFactorAuthPresent "is not present when an API or CLI command is called with long-term
#   credentials, such as user access key pairs" (condition keys page, #condition-keys-multifactorauthpresent):
#   a Deny on `Bool false` without IfExists does not apply to access keys, one on `Bool true` to no caller
#   without MFA.
# - Tags of the principal (aws:PrincipalTag), of the key (aws:ResourceTag: administrators keep
#   TagResource), the network (aws:SourceIp, aws:SourceVpc), the path (aws:ViaAWSService, aws:CalledVia),
#   the session name in aws:userid: keys the caller, or an administrator, chooses. A Deny whose Condition
#   reads one of them protects only if it applies whatever value the key has, or none ("If the key that
#   you specify in a policy condition is not present in the request context, the values do not match",
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
UNNAMED_USER = "encrypted-dynamodb-unnamed-user"
UNNAMED_FEDERATED_USER = "encrypted-dynamodb-unnamed-federated-user"
# Keys fixed by who calls and on which key (the evaluator derives them, or key_loss_decisions sets them).
_FIXED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        CALLER_ACCOUNT_KEY.lower(),
        REQUESTED_REGION_KEY.lower(),
        LOCKOUT_BYPASS_CONDITION_KEY.lower(),
        MFA_CONDITION_KEY.lower(),
    }
)
# Values worth trying for a key the caller chooses, beside none and the policy's own (each nearly): text
# unlike any policy's, both booleans, an address and a number and dates on either side of anything.
_OTHER_VALUES = (
    "encrypted-dynamodb-other",
    "true",
    "false",
    "203.0.113.7",
    "2001:db8::7",
    "0",
    "1970-01-01T00:00:00Z",
    "2999-12-31T23:59:59Z",
)
# What a wildcard or a policy variable of an exemption is filled with to make a principal it spares.
_FILLS = ("unnamed", "unnamed-not-break-glass")
# A policy variable ${key} or ${key, 'default'} (access.variables reads them; here only the key matters).
_POLICY_VARIABLE = re.compile(r"\$\{\s*([^\s,'{}*?$]+)\s*(?:,\s*'(?:[^']|'')*'\s*)?\}")
_POLICY_VARIABLE_TEXT = re.compile(r"\$\{[^}]*\}")
# Above this many requests per principal and MFA state, each chosen key is varied alone (the others absent).
MAX_CALLER_CONTEXTS = 256


def unnamed_principals(key_arn: str) -> tuple[str, ...]:
    """One principal of each form the key's account can act as, none of them named anywhere: a role (its
    sessions), a user, the root user, a federated user."""
    partition, account = key_arn.split(":")[1], key_arn.split(":")[4]
    return (
        unnamed_administrator(key_arn),
        f"arn:{partition}:iam::{account}:user/{UNNAMED_USER}",
        f"arn:{partition}:iam::{account}:root",
        f"arn:{partition}:sts::{account}:federated-user/{UNNAMED_FEDERATED_USER}",
    )


def _nearby(value: str) -> list[str]:
    """A policy value and values just beside it: its wildcards filled in, a network's own address, a number
    one either side."""
    found = [value, value.replace("*", "").replace("?", "x")]
    if "/" in value:
        with contextlib.suppress(ValueError):
            found.append(str(ipaddress.ip_network(value, strict=False).network_address))
    try:
        number = Decimal(value)
    except InvalidOperation:
        return found
    if number.is_finite():
        found += [str(number - 1), str(number + 1)]
    return found


def caller_chosen_values(key_policy: Mapping[str, Any]) -> dict[str, list[str | None]]:
    """Each condition key of the key policy the caller can choose, with the values worth trying (None: absent)."""
    values: dict[str, list[str | None]] = {}
    for statement in statements(key_policy):
        for block in (statement.get("Condition") or {}).values():
            if not isinstance(block, Mapping):
                continue
            for key, wanted in block.items():
                texts = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in as_list(wanted)]
                # A key a value reads as a policy variable (role/${aws:PrincipalTag/team}-admin) is the
                # caller's to choose too, with the values exempted_principals fills the variable with.
                for variable in (v for text in texts for v in _POLICY_VARIABLE.findall(text)):
                    if variable.lower() not in _FIXED_KEYS:
                        chosen = values.setdefault(variable.lower(), [None, *_OTHER_VALUES])
                        chosen += [fill for fill in _FILLS if fill not in chosen]
                if str(key).lower() in _FIXED_KEYS:
                    continue
                tried = values.setdefault(str(key).lower(), [None, *_OTHER_VALUES])
                for text in texts:
                    tried += [v for v in _nearby(text) if v not in tried]
    return values


def caller_contexts(key_policy: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """The requests worth judging: every combination of the values of caller_chosen_values (each key alone
    when they are more than MAX_CALLER_CONTEXTS)."""
    chosen = caller_chosen_values(key_policy)
    keys = sorted(chosen)
    count = 1
    for key in keys:
        count *= len(chosen[key])
    if count <= MAX_CALLER_CONTEXTS:
        for combination in itertools.product(*(chosen[key] for key in keys)):
            yield {key: value for key, value in zip(keys, combination, strict=True) if value is not None}
        return
    yield {}
    for key in keys:
        for value in chosen[key]:
            if value is not None:
                yield {key: value}


def exempted_principals(key_policy: Mapping[str, Any], key_arn: str, break_glass: Sequence[str]) -> list[str]:
    """A principal of the key's account matching each wildcard of a Deny's aws:PrincipalArn condition or
    NotPrincipal that is not break-glass: "role/BreakGlass*" spares role/BreakGlassunnamed too."""
    account = key_arn.split(":")[4]
    patterns: list[str] = []
    for statement in statements(key_policy):
        if statement.get("Effect") != "Deny":
            continue
        patterns += aws_principals(statement.get("NotPrincipal"))
        for block in (statement.get("Condition") or {}).values():
            if isinstance(block, Mapping):
                patterns += [
                    str(v) for k, vs in block.items() if str(k).lower() == "aws:principalarn" for v in as_list(vs)
                ]
    found: list[str] = []
    for pattern in patterns:
        if "*" not in pattern and "?" not in pattern and "${" not in pattern:
            continue
        for fill in _FILLS:
            filled = _POLICY_VARIABLE_TEXT.sub(fill, pattern)
            parts = filled.replace("?", "x").replace("*", fill).split(":", 5)
            if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("iam", "sts"):
                break
            parts[4] = account if not parts[4].isdigit() else parts[4]
            witness = ":".join(parts)
            if witness not in break_glass:
                if parts[4] == account and witness not in found:
                    found.append(witness)
                break
    return found


def worst_key_loss_exposure(
    key_policy: Mapping[str, Any],
    *,
    key_arn: str,
    principal_arn: str,
    mfa_states: Sequence[bool | None] = (True, False, None),
) -> dict[str, Decision]:
    """key_loss_exposure at its worst: the first request (MFA state, then caller_contexts) that lets
    principal_arn make each key-loss call, the request named in the decision's reason; empty when every
    request is refused."""
    found: dict[str, Decision] = {}
    contexts = list(caller_contexts(key_policy))
    for mfa in mfa_states:
        for context in contexts:
            exposure = key_loss_exposure(
                key_policy, key_arn=key_arn, principal_arn=principal_arn, mfa=mfa, context=context
            )
            for label, decision in exposure.items():
                if label in found:
                    continue
                shown = {"MFA": {True: "present", False: "false", None: "absent (access keys)"}[mfa], **context}
                request = ", ".join(f"{k}={v}" for k, v in shown.items())
                found[label] = Decision(
                    decision.allowed, f"{decision.reason}, with {request}", decision.source, decision.statement
                )
    return found
