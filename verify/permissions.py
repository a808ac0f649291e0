"""The rights `python -m verify` needs, as IAM policy documents: attach them to the identity that verifies.

One place for them: the "cannot run" message lists them, `python -m verify --print-policy` prints the
document for a stack, and `--policy-dir DIR` writes it as the customer managed policies IAM takes (each at
most 6,144 characters, whitespace not counted: `managed_policy_documents`) with the commands that create
and attach them. Tests run the verifier in the sandbox as a principal that holds only those policies
(tests/verify/test_audit.py, tests/verify/test_permissions_emulator.py).
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from access.arns import parse_table_arn
from access.documents import POLICY_VERSION, as_list
from access.kms_dynamodb import (
    KEY_READ_ACTIONS,
    KEY_USER_ACTIONS,
    MANAGED_POLICIES_PER_IDENTITY,
    MANAGED_POLICY_MAX_CHARACTERS,
    dynamodb_via_service,
    iam_policy_characters,
)
from access.operations import BY_NAME
from verify.inputs import CannotRunError, StackOutputs

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
# Key-loss protection (issue 20), asked for only when the stack exports keyProtection: each alarm rule read
# back (its state and pattern, its targets) and the SNS topic it targets. A rule of the default event bus is
# arn:<partition>:events:<region>:<account>:rule/<name> (EventBridge API reference, Rule: Arn; the service
# authorization reference for EventBridge, resource type `rule`); DescribeRule and ListTargetsByRule act on
# it, GetTopicAttributes on the topic.
ALARM_RULE_ACTIONS = ("events:DescribeRule", "events:ListTargetsByRule")
ALARM_TOPIC_ACTIONS = ("sns:GetTopicAttributes",)
KEY_PROTECTION_ACTIONS = (*ALARM_RULE_ACTIONS, *ALARM_TOPIC_ACTIONS)


def verifier_policy(
    *,
    table_arn: str,
    key_arn: str,
    region: str,
    account_id: str,
    test_role_arn: str | None = None,
    replicas: Sequence[tuple[str, str, str]] = (),
    alarms: Sequence[tuple[str, str, Sequence[str]]] = (),
) -> dict[str, Any]:
    """Least privilege for one stack: its table and key only, key use through DynamoDB only. A global
    table's `replicas`, as (region, replica ARN, that region's key ARN): the same checks there, the
    canary read through DynamoDB in that region. Each table's stream policy is read whenever the table
    has a stream (the audit and external.policies_agree read it), so it is always granted: a stream's ARN
    is its table's and `/stream/<label>`, and the label changes each time the stream is turned on.
    Key-loss protection's `alarms`, as (region, topic ARN, rule names) per key region: those rules and
    topics read back."""
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
    statements += _alarm_statements(alarms, table_arn, account_id)
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


def _alarm_statements(
    alarms: Sequence[tuple[str, str, Sequence[str]]], table_arn: str, account_id: str
) -> list[dict[str, Any]]:
    if not alarms:
        return []
    partition = parse_table_arn("table_arn", table_arn).partition
    rules = [
        f"arn:{partition}:events:{region}:{account_id}:rule/{name}" for region, _t, names in alarms for name in names
    ]
    topics = list(dict.fromkeys(topic for _region, topic, _names in alarms))
    return [
        {"Sid": "KeyAlarmRules", "Effect": "Allow", "Action": list(ALARM_RULE_ACTIONS), "Resource": rules},
        {"Sid": "KeyAlarmTopics", "Effect": "Allow", "Action": list(ALARM_TOPIC_ACTIONS), "Resource": topics},
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
    return ", ".join((*TABLE_ACTIONS, *KEY_ACTIONS, *PROBE_ACTIONS, *IAM_ACTIONS, *KEY_PROTECTION_ACTIONS))


def policy_for(want: StackOutputs) -> dict[str, Any]:
    """verifier_policy for a stack, from its outputs."""
    return verifier_policy(
        table_arn=want.table_arn,
        key_arn=want.key_arn,
        region=want.region,
        account_id=want.account_id,
        test_role_arn=want.principal_arn if want.principal_kind == "role" else None,
        replicas=[(r.region, r.replica_arn, r.key_arn) for r in want.replicas],
        alarms=[
            (a.region, a.topic_arn, [name for _kind, name in a.rules])
            for a in (want.key_protection.alarms if want.key_protection else ())
        ],
    )


# -- as customer managed policies --------------------------------------------------------------------
# IAM's quotas (access.kms_dynamodb): a customer managed policy holds MANAGED_POLICY_MAX_CHARACTERS, white
# space not counted, and MANAGED_POLICIES_PER_IDENTITY attach to a role or user by default. An inline
# policy would not do: a user's inline policies hold 2,048 characters all together, which the verifier's
# rights outgrow once a stack has a replica or protects its keys. Past this many steps the search for the
# fewest documents keeps what first-fit decreasing found: a bound on time that the few dozen statements of
# a verifier policy (33 replica regions, key alarms in each) do not come near.
EXACT_SEARCH_STEPS = 100_000


def managed_policy_documents(
    document: Mapping[str, Any],
    *,
    limit: int = MANAGED_POLICY_MAX_CHARACTERS,
    most: int = MANAGED_POLICIES_PER_IDENTITY,
) -> list[dict[str, Any]]:
    """`document` as the fewest policy documents of at most `limit` characters each (IAM's count), which
    together allow exactly what it allows: the document itself when it fits; otherwise its statements
    shared out whole, a statement too large for one document split by its Resource list (the same Effect,
    Action and Condition on each part, its Sid numbered). CannotRunError, naming the quota, when that
    takes more than `most` documents or a statement of one resource does not fit."""
    if iam_policy_characters(document) <= limit:
        return [dict(document)]
    envelope = {key: value for key, value in document.items() if key != "Statement"}
    # n statements take their own characters and n - 1 commas: one more each, and one more room.
    room = limit - iam_policy_characters({**envelope, "Statement": []}) + 1
    pieces = [p for statement in as_list(document.get("Statement")) for p in _fitting(statement, room, limit)]
    sizes = [iam_policy_characters(piece) + 1 for piece in pieces]
    bins = _fewest_bins(sizes, room)
    if len(bins) > most:
        raise CannotRunError(
            f"the verifier's rights for this stack need {len(bins)} customer managed policies of at most "
            f"{limit:,} characters each, more than the {most} IAM attaches to a role or user by default "
            "(IAM and AWS STS quotas, reference_iam-quotas.html)"
        )
    parts = [[pieces[i] for i in sorted(members)] for members in sorted(bins, key=min)]
    return [{**envelope, "Statement": statements} for statements in parts]


def _fitting(statement: Mapping[str, Any], room: int, limit: int) -> list[Mapping[str, Any]]:
    """The statement, or its parts by Resource when it alone would not fit a document (`room` characters
    for statements in a document of `limit`): the fewest runs of its resources, in order, that do."""
    if iam_policy_characters(statement) + 1 <= room:
        return [statement]
    resources = as_list(statement.get("Resource"))
    sid = statement.get("Sid")

    def part(number: int, chosen: list[Any]) -> dict[str, Any]:
        named = {"Sid": f"{sid}{number}"} if sid else {}
        return {**statement, **named, "Resource": chosen}

    parts: list[dict[str, Any]] = []
    run: list[Any] = []
    for resource in resources:
        if run and iam_policy_characters(part(len(parts) + 1, [*run, resource])) + 1 > room:
            parts.append(part(len(parts) + 1, run))
            run = []
        run.append(resource)
    parts.append(part(len(parts) + 1, run))
    if len(resources) < 2 or any(iam_policy_characters(p) + 1 > room for p in parts):
        raise CannotRunError(
            f"statement {sid or statement!r} of the verifier's rights does not fit one customer managed policy "
            f"of {limit:,} characters even with one resource (IAM and AWS STS quotas, reference_iam-quotas.html)"
        )
    return list(parts)


def _fewest_bins(sizes: Sequence[int], room: int) -> list[list[int]]:
    """The fewest groups of the item indexes whose sizes add up to `room` at most (bin packing): first-fit
    decreasing, then an exact search for fewer, down to the bound the total size sets."""
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    best = _first_fit(order, sizes, room)
    bound = math.ceil(sum(sizes) / room)
    for count in range(bound, len(best)):
        found = _pack(order, sizes, room, count)
        if found is not None:
            return found
    return best


def _first_fit(order: Sequence[int], sizes: Sequence[int], room: int) -> list[list[int]]:
    bins: list[list[int]] = []
    loads: list[int] = []
    for item in order:
        target = next((b for b, load in enumerate(loads) if load + sizes[item] <= room), None)
        if target is None:
            bins.append([])
            loads.append(0)
            target = len(bins) - 1
        bins[target].append(item)
        loads[target] += sizes[item]
    return bins


def _pack(order: Sequence[int], sizes: Sequence[int], room: int, count: int) -> list[list[int]] | None:
    """The items in exactly `count` groups, largest first, or None when they do not go (or the search
    would take more than EXACT_SEARCH_STEPS)."""
    bins: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    steps = 0

    def place(position: int) -> bool:
        nonlocal steps
        steps += 1
        if steps > EXACT_SEARCH_STEPS:
            raise _SearchTooLongError
        if position == len(order):
            return True
        item = order[position]
        tried: set[int] = set()
        for b in range(count):
            # Two groups of the same load are the same choice; so are all the empty ones.
            if loads[b] in tried or loads[b] + sizes[item] > room:
                continue
            tried.add(loads[b])
            bins[b].append(item)
            loads[b] += sizes[item]
            if place(position + 1):
                return True
            bins[b].pop()
            loads[b] -= sizes[item]
        return False

    try:
        return [members for members in bins if members] if place(0) else None
    except _SearchTooLongError:
        return None


class _SearchTooLongError(Exception):
    pass


# -- files and commands ----------------------------------------------------------------------------
# IAM policy names: at most 128 characters (reference_iam-quotas.html, "Policy name"), alphanumeric and
# +=,.@_- ("IAM name requirements"): a table name's own characters (a-z, A-Z, 0-9, _ - .) are among them.
POLICY_NAME_MAX_CHARACTERS = 128
POLICY_FILE_PATTERN = re.compile(r"verifier-policy-(?P<number>[0-9]+)\.json")
# Who verifies: the role the printed commands attach the policies to (a user: attach-user-policy --user-name).
VERIFIER_ROLE_VARIABLE = "VERIFIER_ROLE"


def policy_file_name(number: int) -> str:
    """The file `--policy-dir` writes the n-th document to, counting from 1."""
    return f"verifier-policy-{number}.json"


def policy_name(table_name: str, number: int) -> str:
    """The name of the stack's n-th verifier policy in IAM: the table's name, cut to fit."""
    suffix = f"-verifier-{number}"
    return f"{table_name[: POLICY_NAME_MAX_CHARACTERS - len(suffix)]}{suffix}"


def attach_commands(files: Sequence[str], *, table_name: str, partition: str, account_id: str) -> list[str]:
    """The AWS CLI commands that create each document in `files` (as written, in order) as a customer
    managed policy and attach them all to the role named by $VERIFIER_ROLE; runnable as printed in a POSIX
    shell, which stops with a message when the variable is not set."""
    names = [policy_name(table_name, number) for number in range(1, len(files) + 1)]
    role = f'"${{{VERIFIER_ROLE_VARIABLE}:?set {VERIFIER_ROLE_VARIABLE} to the name of the role that verifies}}"'
    create = [
        f"aws iam create-policy --policy-name {name} --policy-document {shlex.quote(f'file://{path}')}"
        for name, path in zip(names, files, strict=True)
    ]
    attach = [
        f"aws iam attach-role-policy --role-name {role} --policy-arn arn:{partition}:iam::{account_id}:policy/{name}"
        for name in names
    ]
    return [*create, *attach]
