"""Policy variables in Resource, NotResource and condition values, against the AWS documentation.

Source for every row unless it says otherwise: "IAM policy elements: Variables and tags",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
(the S3 "home directory" table is from the condition operators page,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from access.documents import NamedPolicy
from access.evaluator import Request, authorize_identity, authorize_kms, conditions_hold

VARIABLES_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
OPERATORS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/division_abc/Alice"
READER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Reader"
READER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/Reader/probe-1"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def identity(resource: Any = None, version: str | None = "2012-10-17", **statement: Any) -> NamedPolicy:
    body: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", **statement}
    if resource is not None:
        body["Resource"] = resource
    document: dict[str, Any] = {"Statement": [body]}
    if version is not None:
        document["Version"] = version
    return NamedPolicy("inline policy home", document)


@dataclass(frozen=True)
class Case:
    name: str
    policies: tuple[NamedPolicy, ...]
    resource: str
    allowed: bool
    principal: str = ALICE
    caller: str = ""
    context: dict[str, Any] = field(default_factory=dict)


HOME = identity("arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*")
TEAM_BUCKET = identity("arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}")
DEPT_PREFIX = identity("arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/dept}/*")
# "Access is explicitly denied when aws:principaltag/Team is not set" - here with NotResource: the
# entry that holds a variable with no value "will not match any resource", so it excludes nothing.
NOT_TEAM = NamedPolicy(
    "inline policy fence",
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "NotResource": "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team}/*",
            },
        ],
    },
)
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"

CASES = [
    # "IAM replaces the variable ${aws:username} with the friendly name of the actual current user"
    Case("username in Resource: the user's own folder", (HOME,), f"{BUCKET}/Alice/notes.txt", True),
    Case("username in Resource: another user's folder", (HOME,), f"{BUCKET}/Bob/notes.txt", False),
    Case(
        "username is the friendly name, not the path",
        (HOME,),
        f"{BUCKET}/division_abc/Alice/notes.txt",
        False,
    ),
    # Principal key values table: aws:username is "(not present)" for an assumed role.
    Case(
        "username of a role session is not present: matches no resource",
        (HOME,),
        f"{BUCKET}/Reader/notes.txt",
        False,
        principal=READER_ROLE,
        caller=READER_SESSION,
    ),
    # "Specifying default values": team=yellow -> the team bucket; no tag -> company-wide.
    Case(
        "PrincipalTag default: tagged principal, own team bucket",
        (TEAM_BUCKET,),
        f"{BUCKET}-yellow",
        True,
        context={"aws:PrincipalTag/team": "yellow"},
    ),
    Case(
        "PrincipalTag default: tagged principal, company-wide bucket",
        (TEAM_BUCKET,),
        f"{BUCKET}-company-wide",
        False,
        context={"aws:PrincipalTag/team": "yellow"},
    ),
    Case(
        "PrincipalTag default: untagged principal, company-wide bucket", (TEAM_BUCKET,), f"{BUCKET}-company-wide", True
    ),
    Case("PrincipalTag default: untagged principal, a team bucket", (TEAM_BUCKET,), f"{BUCKET}-yellow", False),
    Case(
        "PrincipalTag in Resource with the tag",
        (DEPT_PREFIX,),
        f"{BUCKET}/finance/q1.csv",
        True,
        context={"aws:PrincipalTag/dept": "finance"},
    ),
    Case("PrincipalTag in Resource without the tag matches no resource", (DEPT_PREFIX,), f"{BUCKET}/finance/x", False),
    Case(
        "key names are case-insensitive: ${AWS:USERNAME}",
        (identity(f"{BUCKET}/${{AWS:USERNAME}}/*"),),
        f"{BUCKET}/Alice/notes.txt",
        True,
    ),
    Case(
        "any request-context key: ${aws:userid}",
        (identity(f"{BUCKET}/home/${{aws:userid}}/*"),),
        f"{BUCKET}/home/AIDAJQABLZS4A3QDU576Q/a",
        True,
        context={"aws:userid": "AIDAJQABLZS4A3QDU576Q"},
    ),
    Case(
        "${aws:PrincipalAccount} in Resource",
        (identity("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", Action="kms:Decrypt"),),
        KEY,
        True,
    ),
    Case(
        "${aws:PrincipalAccount} in Resource, a key of another account",
        (identity("arn:aws:kms:*:${aws:PrincipalAccount}:key/*", Action="kms:Decrypt"),),
        KEY.replace(ACCOUNT, "444455556666"),
        False,
    ),
    # "Special characters": ${*}, ${?} and ${$} stand for the character itself.
    Case("${*} is a literal asterisk", (identity(f"{BUCKET}/${{*}}"),), f"{BUCKET}/*", True),
    Case("${*} is not a wildcard", (identity(f"{BUCKET}/${{*}}"),), f"{BUCKET}/anything", False),
    Case("${?} is a literal question mark", (identity(f"{BUCKET}/a${{?}}"),), f"{BUCKET}/a?", True),
    Case("${?} is not a wildcard", (identity(f"{BUCKET}/a${{?}}"),), f"{BUCKET}/ab", False),
    Case(
        "${$} is a literal dollar; one round of substitution only",
        (identity(f"{BUCKET}/${{$}}{{aws:username}}"),),
        f"{BUCKET}/${{aws:username}}",
        True,
    ),
    Case(
        "a substituted value is text, not a wildcard",
        (identity(f"{BUCKET}/${{aws:PrincipalTag/dept}}"),),
        f"{BUCKET}/fin-anything",
        False,
        context={"aws:PrincipalTag/dept": "fin*"},
    ),
    # "If you don't include the Version element and set it to an appropriate version date, variables
    # like ${aws:username} are treated as literal strings in the policy."
    Case(
        "Version 2008-10-17: ${aws:username} is literal text",
        (identity(f"{BUCKET}/${{aws:username}}/*", version="2008-10-17"),),
        f"{BUCKET}/Alice/notes.txt",
        False,
    ),
    Case(
        "Version 2008-10-17: the literal text matches itself",
        (identity(f"{BUCKET}/${{aws:username}}/*", version="2008-10-17"),),
        f"{BUCKET}/${{aws:username}}/notes.txt",
        True,
    ),
    Case(
        "no Version: ${aws:username} is literal text",
        (identity(f"{BUCKET}/${{aws:username}}/*", version=None),),
        f"{BUCKET}/Alice/notes.txt",
        False,
    ),
    Case(
        "NotResource with the tag: the team's own prefix is spared",
        (NOT_TEAM,),
        f"{BUCKET}/red/report.pdf",
        True,
        context={"aws:PrincipalTag/team": "red"},
    ),
    Case(
        "NotResource with the tag: another team's prefix is denied",
        (NOT_TEAM,),
        f"{BUCKET}/blue/report.pdf",
        False,
        context={"aws:PrincipalTag/team": "red"},
    ),
    Case("NotResource without the tag excludes nothing: denied", (NOT_TEAM,), f"{BUCKET}/red/report.pdf", False),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_variables_in_resource(case: Case) -> None:
    """Source: reference_policies_variables.html (see the module docstring)."""
    action = "kms:Decrypt" if case.resource.startswith("arn:aws:kms:") else "s3:GetObject"
    request = Request(case.principal, action, case.resource, ACCOUNT, context=case.context, caller_arn=case.caller)
    decision = authorize_identity(request, case.policies)
    assert decision.allowed is case.allowed, decision.reason


# -- condition values: (condition, context, holds) ---------------------------------------------

HOME_PREFIXES = {"StringLike": {"s3:prefix": ["home/", "home/${aws:username}/"]}}
CONDITIONS = [
    # The condition operators page's table for the S3 home-directory policy.
    (HOME_PREFIXES, {"aws:username": "martha_rivera", "s3:prefix": "home/martha_rivera/"}, True),
    (HOME_PREFIXES, {"aws:username": "nikki_wolf", "s3:prefix": "home/nikki_wolf/"}, True),
    (HOME_PREFIXES, {"aws:username": "nikki_wolf", "s3:prefix": "home/martha_rivera/"}, False),
    (HOME_PREFIXES, {"s3:prefix": "home/martha_rivera/"}, False),  # "No aws:username": no match
    (HOME_PREFIXES, {"s3:prefix": "home/"}, True),  # the other alternative still matches
    # "Policy variables with no value": StringEquals does not match...
    (
        {"StringEquals": {"s3:ExistingObjectTag/owner": "${aws:PrincipalTag/owner}"}},
        {"s3:ExistingObjectTag/owner": "a"},
        False,
    ),
    (
        {"StringEquals": {"s3:ExistingObjectTag/owner": "${aws:PrincipalTag/owner}"}},
        {"s3:ExistingObjectTag/owner": "a", "aws:PrincipalTag/owner": "a"},
        True,
    ),
    # ... and "inverted condition operators like StringNotEquals ... do match against a null value".
    (
        {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        {"s3:ExistingObjectTag/Team": "red"},
        True,
    ),
    (
        {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        {"s3:ExistingObjectTag/Team": "red", "aws:PrincipalTag/Team": "red"},
        False,
    ),
    ({"StringNotLike": {"k": "${missing}*"}}, {"k": "x"}, True),
    ({"StringEqualsIgnoreCase": {"k": "${aws:PrincipalTag/env}"}}, {"k": "PROD", "aws:PrincipalTag/env": "prod"}, True),
    ({"StringEquals": {"k": "${missing, 'fallback'}"}}, {"k": "fallback"}, True),
    ({"StringEquals": {"k": "${missing, 'it''s'}"}}, {"k": "it's"}, True),  # '' is a quote in a default
    ({"StringLike": {"k": "${*}"}}, {"k": "*"}, True),
    ({"StringLike": {"k": "${*}"}}, {"k": "x"}, False),
    # "You can use a policy variable for Condition values in any condition that involves the string
    # operators or the ARN operators."
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}},
        {"aws:PrincipalArn": ALICE, "aws:PrincipalAccount": ACCOUNT},
        True,
    ),
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}},
        {"aws:PrincipalArn": ALICE},
        False,
    ),
    (
        {"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:t"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"},
        True,
    ),
    (
        {"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:t"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t", "aws:PrincipalAccount": "1"},
        False,
    ),
]


@pytest.mark.parametrize(("condition", "context", "holds"), CONDITIONS, ids=[str(c[:2]) for c in CONDITIONS])
def test_variables_in_condition_values(condition: dict, context: dict, holds: bool) -> None:
    """Sources: reference_policies_variables.html#policy-vars-no-value and the condition operators page."""
    assert conditions_hold(condition, context) is holds


def test_variables_are_text_in_an_old_version_condition() -> None:
    """A 2008-10-17 key policy compares kms:CallerAccount with the literal text "${aws:PrincipalAccount}"."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}},
    }
    request = Request(ALICE, "kms:Decrypt", KEY, ACCOUNT, context={"kms:CallerAccount": ACCOUNT})
    assert authorize_kms(request, {"Version": "2012-10-17", "Statement": [statement]}).allowed
    assert not authorize_kms(request, {"Version": "2008-10-17", "Statement": [statement]}).allowed
    literal = Request(ALICE, "kms:Decrypt", KEY, ACCOUNT, context={"kms:CallerAccount": "${aws:PrincipalAccount}"})
    assert authorize_kms(literal, {"Version": "2008-10-17", "Statement": [statement]}).allowed


def test_derived_context_keys_are_overridden_by_the_callers() -> None:
    """aws:username comes from the user ARN unless the request's context gives it."""
    policy = (HOME,)
    given = Request(ALICE, "s3:GetObject", f"{BUCKET}/alice2/x", ACCOUNT, context={"AWS:Username": "alice2"})
    assert authorize_identity(given, policy).allowed
    assert not authorize_identity(Request(ALICE, "s3:GetObject", f"{BUCKET}/alice2/x", ACCOUNT), policy).allowed
