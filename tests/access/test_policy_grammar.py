"""Which policy documents AWS refuses, row by row, each row citing the rule.

Sources (cited per row by these names):
- GRAMMAR: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
- ELEMENTS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html (Action,
  NotAction, Resource, NotResource, Principal, NotPrincipal, Condition pages)
- KMS: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html and
  https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.policy_grammar import IDENTITY_POLICY, KEY_POLICY, TABLE_POLICY, TRUST_POLICY, document_problems
from components.policy_builders import (
    build_key_policy,
    key_user_identity_policy,
    table_access_policy,
    trust_account_policy,
)

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"
READER = f"arn:aws:iam::{ACCOUNT}:role/Reader"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"

ALLOW_ALL = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
IDENTITY = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}
TRUST = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}
NOT_A_CONDITION_VALUE = "must be a string, a number, a Boolean or a list of them"


def policy(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


# -- accepted: [] ------------------------------------------------------------------------------------

# AWS's default key policy (KMS, "Default key policy"): a Sid with spaces, the account root.
AWS_DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}

ACCEPTED: list[tuple[str, object, str]] = [
    # (kind, document, why AWS accepts it)
    (KEY_POLICY, AWS_DEFAULT_KEY_POLICY, "KMS default key policy"),
    (
        KEY_POLICY,
        build_key_policy(
            partition="aws", account_id=ACCOUNT, region="us-east-1", admin_arns=[ADMIN], key_user_arns=[READER]
        ),
        "the project's own key policy (components.policy_builders)",
    ),
    (
        KEY_POLICY,
        build_key_policy(
            partition="aws",
            account_id=ACCOUNT,
            region="us-east-1",
            admin_arns=[ADMIN],
            key_user_arns=[],
            allow_iam_policies=False,
            deployer_arn=READER,
        ),
        "the project's key policy without root delegation",
    ),
    (
        IDENTITY_POLICY,
        key_user_identity_policy(key_arn=KEY, region="us-east-1", account_id=ACCOUNT, access="read", table_arn=TABLE),
        "the project's key-user identity policy",
    ),
    (IDENTITY_POLICY, table_access_policy(table_arn=TABLE, access="read-write"), "the project's table access policy"),
    (TRUST_POLICY, trust_account_policy("aws", ACCOUNT), "the project's trust policy"),
    (KEY_POLICY, policy({"Effect": "Allow", "Principal": {"AWS": ROOT}}), "KMS: no Action, no Resource: no effect"),
    (KEY_POLICY, {"Statement": {**ALLOW_ALL}}, "GRAMMAR: Version optional; one statement without brackets"),
    (KEY_POLICY, policy(ALLOW_ALL, Version="2008-10-17"), "GRAMMAR: Version 2008-10-17"),
    (KEY_POLICY, policy({**ALLOW_ALL, "Principal": {"AWS": "*"}}), "ELEMENTS Principal: AWS '*'"),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "Principal": {"AWS": [ROOT, READER]}, "Action": ["dynamodb:GetItem"], "Resource": TABLE}),
        "GRAMMAR: principal_map of a list",
    ),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "Principal": None, "NotPrincipal": {"AWS": ROOT}}),
        "ELEMENTS NotPrincipal: names who the statement is not about",
    ),
    (KEY_POLICY, policy({**ALLOW_ALL, "Action": None, "NotAction": "kms:Decrypt"}), "ELEMENTS NotAction"),
    (
        KEY_POLICY,
        policy(
            {
                **ALLOW_ALL,
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": ["a", "b"]},
                    "Bool": {"aws:SecureTransport": True},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                    "ForAnyValue:StringLike": {"kms:EncryptionContextKeys": []},
                },
            }
        ),
        "GRAMMAR: condition values are strings, numbers, Booleans or lists of them",
    ),
    (IDENTITY_POLICY, policy({**IDENTITY, "Sid": ""}), "GRAMMAR: an empty Sid is alphanumeric"),
    (IDENTITY_POLICY, policy(IDENTITY, Id="not refused by IAM"), "Id in an identity policy: not known to be refused"),
    (IDENTITY_POLICY, policy({**IDENTITY, "Resource": None, "NotResource": TABLE}), "ELEMENTS NotResource"),
    (IDENTITY_POLICY, policy({**IDENTITY, "Resource": []}), "an empty list is a list of strings"),
    (TRUST_POLICY, policy({**TRUST, "Principal": {"Service": "lambda.amazonaws.com"}}), "ELEMENTS Principal: Service"),
    (TRUST_POLICY, policy({**TRUST, "Principal": {"Federated": "cognito-identity.amazonaws.com"}}), "Federated"),
]


def _clean(document: object) -> object:
    """Drop the None values the rows above use to remove an element from a copied statement."""
    if isinstance(document, dict):
        return {k: _clean(v) for k, v in document.items() if v is not None}
    if isinstance(document, list):
        return [_clean(v) for v in document]
    return document


@pytest.mark.parametrize(("kind", "document", "why"), ACCEPTED)
def test_documents_aws_accepts_have_no_problems(kind: str, document: object, why: str) -> None:
    assert document_problems(_clean(document), kind) == [], why
    assert document_problems(json.loads(json.dumps(_clean(document))), kind) == [], why


# -- refused: the problems, by path -------------------------------------------------------------------

REFUSED: list[tuple[str, object, list[str], str]] = [
    # (kind, document, expected problems, the rule)
    (KEY_POLICY, [ALLOW_ALL], ["(document): must be a JSON object"], "GRAMMAR: policy = { ... }"),
    (KEY_POLICY, "policy", ["(document): must be a JSON object"], "GRAMMAR: policy = { ... }"),
    (KEY_POLICY, 5, ["(document): must be a JSON object"], "GRAMMAR: policy = { ... }"),
    (KEY_POLICY, None, ["(document): must be a JSON object"], "GRAMMAR: policy = { ... }"),
    (KEY_POLICY, {"Version": "2012-10-17"}, ["Statement: is required"], "GRAMMAR: statement_block is not optional"),
    (
        KEY_POLICY,
        {"Statement": "Allow"},
        ["Statement: must be an object or a list of objects"],
        "GRAMMAR: statement_block",
    ),
    (KEY_POLICY, {"Statement": [ALLOW_ALL, 5]}, ["Statement[1]: must be an object"], "GRAMMAR: <statement> = {...}"),
    (
        KEY_POLICY,
        policy(ALLOW_ALL, Version="2012-10-18"),
        ['Version: must be "2012-10-17" or "2008-10-17"'],
        "GRAMMAR: version_block",
    ),
    (KEY_POLICY, policy(ALLOW_ALL, Id=7), ["Id: must be a string"], "GRAMMAR: id_block = policy_id_string"),
    (
        KEY_POLICY,
        policy(ALLOW_ALL, Statements=[]),
        ["Statements: is not a policy element (Version, Id, Statement)"],
        "GRAMMAR: policy = {version_block? id_block? statement_block}",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Actions": "kms:*"}),
        [
            "Statement[0].Actions: is not a statement element "
            "(Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)"
        ],
        "GRAMMAR: <statement> elements",
    ),
    (KEY_POLICY, policy({**ALLOW_ALL, "Effect": None}), ["Statement[0].Effect: is required"], "GRAMMAR: effect_block"),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Effect": "allow"}),
        ['Statement[0].Effect: must be "Allow" or "Deny"'],
        'GRAMMAR: effect_block = ("Allow" | "Deny")',
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Action": 5}),
        ["Statement[0].Action: must be a string or a list of strings"],
        "GRAMMAR: action_block",
    ),
    (
        IDENTITY_POLICY,
        policy(IDENTITY, {**IDENTITY, "Action": ["dynamodb:GetItem", 5]}),
        ["Statement[1].Action: must be a string or a list of strings"],
        "GRAMMAR: action_block",
    ),
    (
        IDENTITY_POLICY,
        policy({**IDENTITY, "NotAction": {"a": "b"}, "Action": None}),
        ["Statement[0].NotAction: must be a string or a list of strings"],
        "GRAMMAR: action_block",
    ),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "Resource": [None]}),
        ["Statement[0].Resource: must be a string or a list of strings"],
        "GRAMMAR: resource_block",
    ),
    (
        IDENTITY_POLICY,
        policy({**IDENTITY, "NotResource": True, "Resource": None}),
        ["Statement[0].NotResource: must be a string or a list of strings"],
        "GRAMMAR: resource_block",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "NotAction": "kms:Decrypt"}),
        ["Statement[0]: cannot have both Action and NotAction"],
        "ELEMENTS NotAction: an alternative to Action",
    ),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "NotResource": TABLE}),
        ["Statement[0]: cannot have both Resource and NotResource"],
        "ELEMENTS NotResource: an alternative to Resource",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "NotPrincipal": {"AWS": ROOT}}),
        ["Statement[0]: cannot have both Principal and NotPrincipal"],
        "ELEMENTS NotPrincipal: an alternative to Principal",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Principal": None}),
        ["Statement[0]: a key policy statement must have a Principal or a NotPrincipal"],
        "GRAMMAR notes: principal_block required in resource-based policies; KMS: Principal required",
    ),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "Principal": None}),
        ["Statement[0]: a table resource policy statement must have a Principal or a NotPrincipal"],
        "GRAMMAR notes: principal_block required in resource-based policies",
    ),
    (
        TRUST_POLICY,
        policy({**TRUST, "Principal": None}),
        ["Statement[0]: a trust policy statement must have a Principal or a NotPrincipal"],
        "GRAMMAR notes: principal_block required in trust policies for IAM roles",
    ),
    (
        IDENTITY_POLICY,
        policy({**IDENTITY, "Principal": {"AWS": ROOT}}),
        ["Statement[0].Principal: an identity policy names no principal"],
        "GRAMMAR notes: principal_block must not be included in identity-based policies",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Principal": ROOT}),
        ['Statement[0].Principal: must be "*" or an object mapping principal types to principals'],
        'GRAMMAR: principal_block = ("*" | <principal_map>)',
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Principal": {"AWS": 123456789012}}),
        ["Statement[0].Principal.AWS: must be a string or a list of strings"],
        "GRAMMAR: principal_map_entry = ... [<principal_id_string>, ...]",
    ),
    (
        TRUST_POLICY,
        policy({**TRUST, "Principal": {"Role": ROOT}}),
        ["Statement[0].Principal.Role: is not a principal type (AWS, Federated, Service, CanonicalUser)"],
        'GRAMMAR: principal_map_entry = ("AWS" | "Federated" | "Service" | "CanonicalUser")',
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Condition": ["StringEquals"]}),
        ["Statement[0].Condition: must be an object mapping condition operators to condition keys"],
        'GRAMMAR: condition_block = "Condition" : { <condition_map> }',
    ),
    (
        KEY_POLICY,
        policy(ALLOW_ALL, {**ALLOW_ALL, "Condition": {"StringEquals": "kms:CallerAccount"}}),
        ["Statement[1].Condition.StringEquals: must map condition keys to values"],
        "GRAMMAR: <condition_type_string> : { <condition_key_string> : <condition_value_list> }",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Condition": {"StringEquals": {"kms:CallerAccount": {"x": 1}}}}),
        [f"Statement[0].Condition.StringEquals.kms:CallerAccount: {NOT_A_CONDITION_VALUE}"],
        'GRAMMAR: condition_value = ("string" | "number" | "Boolean")',
    ),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "Condition": {"Null": {"aws:SourceIp": [None]}}}),
        [f"Statement[0].Condition.Null.aws:SourceIp: {NOT_A_CONDITION_VALUE}"],
        "GRAMMAR: condition_value",
    ),
    (
        KEY_POLICY,
        policy({**ALLOW_ALL, "Sid": 1}),
        ["Statement[0].Sid: must be a string"],
        'GRAMMAR: sid_block = "Sid" : <sid_string>',
    ),
    (
        IDENTITY_POLICY,
        policy({**IDENTITY, "Sid": "read items"}),
        ["Statement[0].Sid: an IAM policy's Sid holds only the letters A-Z, a-z and the digits 0-9"],
        "GRAMMAR notes, sid_string: for IAM policies only A-Z, a-z, 0-9",
    ),
    (
        IDENTITY_POLICY,
        policy({**IDENTITY, "Action": None}),
        ["Statement[0]: must have an Action or a NotAction"],
        "GRAMMAR: action_block is not optional",
    ),
    (
        IDENTITY_POLICY,
        policy({**IDENTITY, "Resource": None}),
        ["Statement[0]: must have a Resource or a NotResource"],
        "GRAMMAR: resource_block is not optional",
    ),
    (
        TABLE_POLICY,
        policy({**ALLOW_ALL, "Action": None, "Resource": None}),
        ["Statement[0]: must have an Action or a NotAction", "Statement[0]: must have a Resource or a NotResource"],
        "GRAMMAR: action_block, resource_block",
    ),
    (
        TRUST_POLICY,
        policy({**TRUST, "Action": None}),
        ["Statement[0]: must have an Action or a NotAction"],
        "GRAMMAR: action_block (a trust policy's is sts:AssumeRole...)",
    ),
]


@pytest.mark.parametrize(("kind", "document", "expected", "rule"), REFUSED)
def test_documents_aws_refuses_are_named_by_path(kind: str, document: object, expected: list[str], rule: str) -> None:
    assert document_problems(_clean(document), kind) == expected, rule


def test_the_reported_bug_a_numeric_action_in_a_key_policy() -> None:
    # Stored by the emulator before, which made the key unusable.
    document = json.loads('{"Statement":[{"Effect":"Allow","Principal":"*","Action":5,"Resource":"*"}]}')
    assert document_problems(document, KEY_POLICY) == ["Statement[0].Action: must be a string or a list of strings"]


def test_every_problem_is_reported() -> None:
    document = {"Version": "1", "Statement": [{"Effect": "Maybe", "Action": 5, "Principal": "me"}]}
    assert document_problems(document, KEY_POLICY) == [
        'Version: must be "2012-10-17" or "2008-10-17"',
        'Statement[0].Effect: must be "Allow" or "Deny"',
        "Statement[0].Action: must be a string or a list of strings",
        'Statement[0].Principal: must be "*" or an object mapping principal types to principals',
    ]


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown policy kind"):
        document_problems({}, "bucket policy")
