"""Numeric, Date, IP address and Binary operators, set qualifiers and fail-closed operators, row by row.

Sources (each row's comment names its table when it is one of the documentation's):
- Condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- Set operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- Global condition keys (aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:MultiFactorAuthAge):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

from typing import Any

import pytest

from access.evaluator import Request, authorize_kms, conditions_hold

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BINARY = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="

# (condition, context, holds in an Allow)
ROWS: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    # -- Numeric: the s3:max-keys example ------------------------------------------------------
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "9.5"}, True),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {}, False),  # "the values do not match"
    ({"NumericLessThan": {"k": "10"}}, {"k": "10"}, False),
    ({"NumericGreaterThan": {"k": "10"}}, {"k": "10.01"}, True),
    ({"NumericGreaterThanEquals": {"k": "10"}}, {"k": "10"}, True),
    ({"NumericEquals": {"k": "10"}}, {"k": "10.0"}, True),  # integer or decimal
    ({"NumericEquals": {"k": 10}}, {"k": "10"}, True),  # a JSON number in the policy
    ({"NumericEquals": {"k": ["1", "2"]}}, {"k": "2"}, True),  # values for one key are alternatives
    ({"NumericNotEquals": {"k": ["1", "2"]}}, {"k": "2"}, False),
    ({"NumericNotEquals": {"k": "1"}}, {}, True),  # a negated operator matches a missing key
    ({"NumericLessThanIfExists": {"k": "1"}}, {}, True),
    # aws:MultiFactorAuthAge: present only for MFA-authenticated requests.
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "300"}, True),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "7200"}, False),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {}, False),
    ({"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}, {}, True),
    # -- Date: the aws:TokenIssueTime example; ISO 8601 (W3C) and epoch seconds ------------------------
    (
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": "2020-06-01T12:00:00Z"},
        True,
    ),
    (
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": "2019-12-31T23:59:59Z"},
        False,
    ),
    ({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {}, False),  # IAM user: key absent
    ({"DateLessThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "1600000000"}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2020-09-13T12:26:40Z"}}, {"aws:CurrentTime": "1599999999"}, True),
    ({"DateLessThan": {"aws:CurrentTime": "1600000000"}}, {"aws:CurrentTime": "2020-09-13T12:26:41Z"}, False),
    ({"DateEquals": {"k": "2020-01-01T01:00:00+01:00"}}, {"k": "2020-01-01T00:00:00Z"}, True),  # zones
    ({"DateEquals": {"k": "2020-01-01"}}, {"k": "2020-01-01T00:00:00Z"}, True),  # YYYY-MM-DD is midnight UTC
    ({"DateLessThanEquals": {"k": "2020"}}, {"k": "2020-01-01T00:00:00Z"}, True),  # YYYY
    ({"DateGreaterThanEquals": {"k": "2020-02"}}, {"k": "2020-01-31T23:59:59.999Z"}, False),  # YYYY-MM
    ({"DateNotEquals": {"k": "2020-01-01T00:00:00Z"}}, {}, True),
    ({"DateLessThanIfExists": {"k": "2020-01-01T00:00:00Z"}}, {}, True),
    # -- IP address: the aws:SourceIp table, IPv6, a bare address is /32 -------------------------------
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.1"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, False),  # through a VPC endpoint: no key
    (
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
        {"aws:SourceIp": "2001:db8:1234:5678::7"},
        True,
    ),
    (
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
        {"aws:SourceIp": "2001:db8:1234:5679::7"},
        False,
    ),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.8"}, False),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.1"}, False),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    ({"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    # -- Binary: the BinaryEquals table --------------------------------------------------------------
    ({"BinaryEquals": {"key": BINARY}}, {"key": BINARY}, True),
    ({"BinaryEquals": {"key": BINARY}}, {"key": "ASIAIOSFODNN7EXAMPLE"}, False),
    ({"BinaryEquals": {"key": BINARY}}, {}, False),
    # -- set operators over a missing or empty set ---------------------------------------------------
    # ForAllValues "also returns true if there are no context keys in the request or if the context key
    # value resolves to a null dataset"; ForAnyValue: "For no matching context key or a null dataset,
    # the condition returns false."
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}, True),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    ({"ForAllValues:NumericLessThan": {"k": "5"}}, {}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}, False),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}, {}, False),
    ({"ForAnyValue:StringNotLike": {"aws:TagKeys": ["a*"]}}, {"aws:TagKeys": []}, False),
    ({"ForAnyValue:NumericLessThan": {"k": "5"}}, {}, False),
    ({"ForAnyValue:NumericLessThan": {"k": "5"}}, {"k": ["9", "3"]}, True),
    ({"ForAllValues:NumericLessThan": {"k": "5"}}, {"k": ["9", "3"]}, False),
    ({"ForAllValues:IpAddress": {"k": "10.0.0.0/8"}}, {"k": ["10.1.1.1", "10.2.2.2"]}, True),
    (
        {"ForAnyValue:DateGreaterThan": {"k": "2020-01-01T00:00:00Z"}},
        {"k": ["2019-01-01T00:00:00Z", "2021-01-01T00:00:00Z"]},
        True,
    ),
    # The ForAnyValue:StringEquals / aws:TagKeys example (ec2:CreateTags) table.
    (
        {
            "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
            "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"},
        },
        {"aws:TagKeys": ["environment", "costcenter"], "aws:RequestTag/environment": "PreProd"},
        True,
    ),
    (
        {
            "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
            "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"},
        },
        {"aws:TagKeys": ["Environment"], "aws:RequestTag/Environment": "preprod"},
        False,
    ),
    (
        {
            "StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]},
            "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"},
        },
        {"aws:RequestTag/environment": "storage"},
        False,
    ),
    # The ForAllValues:ArnLike / logs:LogGeneratingResourceArns table.
    (
        {
            "ForAllValues:ArnLike": {
                "logs:LogGeneratingResourceArns": [
                    "arn:aws:cloudfront::123456789012:distribution/*",
                    "arn:aws:cloudfront::123456789012:distribution/support*",
                ]
            }
        },
        {
            "logs:LogGeneratingResourceArns": [
                "arn:aws:cloudfront::123456789012:distribution/costcenter",
                "arn:aws:cloudfront::123456789012:distribution/support2025",
            ]
        },
        True,
    ),
    (
        {
            "ForAllValues:ArnLike": {
                "logs:LogGeneratingResourceArns": [
                    "arn:aws:cloudfront::123456789012:distribution/*",
                    "arn:aws:cloudfront::123456789012:distribution/support*",
                ]
            }
        },
        {"logs:LogGeneratingResourceArns": ["arn:aws:cloudfront::777788889999:distribution/costcenter"]},
        False,
    ),
    (
        {
            "ForAllValues:ArnLike": {
                "logs:LogGeneratingResourceArns": [
                    "arn:aws:cloudfront::123456789012:distribution/*",
                    "arn:aws:cloudfront::123456789012:distribution/support*",
                ]
            }
        },
        {},
        True,
    ),
]


@pytest.mark.parametrize(("condition", "context", "holds"), ROWS, ids=[str(r[:2])[:120] for r in ROWS])
def test_operators(condition: dict[str, Any], context: dict[str, Any], holds: bool) -> None:
    """Each row is evaluated in an Allow and, with the same answer, in a Deny (the operator is supported)."""
    assert conditions_hold(condition, context) is holds
    assert conditions_hold(condition, context, for_deny=True) is holds


# -- fail closed: an operator not evaluated never makes an Allow apply and always makes a Deny apply --

UNEVALUATED = [
    ({"StringMatchesRegex": {"k": "a.*"}}, {"k": "abc"}),  # no such operator
    ({"ForSomeValues:StringEquals": {"k": "a"}}, {"k": "a"}),  # no such qualifier
    ({"BinaryNotEquals": {"k": BINARY}}, {"k": BINARY}),  # not an IAM operator
    ({"NumericEquals": {"k": "ten"}}, {"k": "10"}),  # a policy value that is no number
    ({"NumericEquals": {"k": "10"}}, {"k": "ten"}),  # a request value that is no number
    ({"NumericEquals": {"k": "${aws:PrincipalTag/n}"}}, {"k": "1", "aws:PrincipalTag/n": "1"}),  # no variables
    ({"DateLessThan": {"k": "next tuesday"}}, {"k": "2020-01-01T00:00:00Z"}),
    ({"DateLessThan": {"k": "2020-13-01"}}, {"k": "2020-01-01T00:00:00Z"}),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}, {"aws:SourceIp": "203.0.113.1"}),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "not-an-ip"}),
    ({"BinaryEquals": {"k": "not base64!"}}, {"k": BINARY}),
]


@pytest.mark.parametrize(("condition", "context"), UNEVALUATED, ids=[str(r[0]) for r in UNEVALUATED])
def test_what_cannot_be_evaluated_fails_closed(condition: dict[str, Any], context: dict[str, Any]) -> None:
    assert conditions_hold(condition, context) is False
    assert conditions_hold(condition, context, for_deny=True) is True


# -- in a key policy: aws:SourceIp, aws:CurrentTime and aws:MultiFactorAuthAge judged as AWS does --------


def key_policy(condition: dict[str, Any], effect: str = "Allow") -> dict[str, Any]:
    statements = [
        {"Effect": effect, "Principal": {"AWS": ALICE}, "Action": "kms:*", "Resource": "*", "Condition": condition}
    ]
    if effect == "Deny":
        statements.insert(0, {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "kms:*", "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


KEY_POLICY_ROWS = [
    (
        "Allow from the office range",
        key_policy({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        {"aws:SourceIp": "203.0.113.9"},
        True,
    ),
    (
        "Allow from the office range, caller elsewhere",
        key_policy({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        {"aws:SourceIp": "198.51.100.1"},
        False,
    ),
    (
        "Deny outside the office range, caller inside",
        key_policy({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "Deny"),
        {"aws:SourceIp": "203.0.113.9"},
        True,
    ),
    (
        "Deny outside the office range, caller outside",
        key_policy({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, "Deny"),
        {"aws:SourceIp": "198.51.100.1"},
        False,
    ),
    # aws:CurrentTime is in every request: the evaluator supplies the clock when the caller does not.
    (
        "Allow until 2999 (the clock now)",
        key_policy({"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}),
        {},
        True,
    ),
    (
        "Allow from 2999 (the clock now)",
        key_policy({"DateGreaterThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}),
        {},
        False,
    ),
    (
        "Allow until 2020, at a given time in 2019",
        key_policy({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
        {"aws:CurrentTime": "2019-06-01T00:00:00Z"},
        True,
    ),
    (
        "Deny after 2020 (the clock now)",
        key_policy({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, "Deny"),
        {},
        False,
    ),
    (
        "Allow with recent MFA",
        key_policy({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
        {"aws:MultiFactorAuthAge": "120"},
        True,
    ),
    ("Allow with recent MFA, no MFA", key_policy({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}), {}, False),
    (
        "Deny stale MFA if present, no MFA",
        key_policy({"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}, "Deny"),
        {},
        False,
    ),
    (
        "Deny stale MFA if present, stale MFA",
        key_policy({"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}, "Deny"),
        {"aws:MultiFactorAuthAge": "7200"},
        False,
    ),
    (
        "Deny stale MFA if present, fresh MFA",
        key_policy({"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}, "Deny"),
        {"aws:MultiFactorAuthAge": "60"},
        True,
    ),
]


@pytest.mark.parametrize(("name", "policy", "context", "allowed"), KEY_POLICY_ROWS, ids=[r[0] for r in KEY_POLICY_ROWS])
def test_global_condition_keys_in_a_key_policy(
    name: str, policy: dict[str, Any], context: dict[str, Any], allowed: bool
) -> None:
    request = Request(ALICE, "kms:Decrypt", KEY, ACCOUNT, context=context)
    assert authorize_kms(request, policy).allowed is allowed, name
