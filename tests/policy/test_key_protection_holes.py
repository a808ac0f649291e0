"""Red team: key policies the pack's kms-table-key-loss-protection advice used to let through although a
principal of the key's account that is not break-glass may still disable the key or schedule its deletion
(judged by the evaluator, as AWS documents: aws:PrincipalArn per principal form, aws:MultiFactorAuthPresent
absent for access keys, keys the caller chooses; access/key_protection.py cites each). Each case: the way
through is real, and key_loss_findings now names the account's administrators.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from access.key_protection import key_loss_exposure
from policy.key_protection import key_loss_findings
from tests.policy.test_key_protection import (
    ACCOUNT,
    ADMIN,
    BREAK_GLASS,
    DELEGATE,
    KEY_ARN,
    administration,
    deny_key_loss,
    policy_of,
)

USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
UNNAMED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/SomeoneElse"


def _protected(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    denies = copy.deepcopy(deny_key_loss(BREAK_GLASS))
    for statement in denies:
        change(statement)
    return policy_of(DELEGATE, administration(ADMIN, BREAK_GLASS), *denies)


def _also(operator: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda statement: statement["Condition"].__setitem__(operator, {key: value})


def _exempt_like(*values: str) -> Callable[[dict[str, Any]], None]:
    def change(statement: dict[str, Any]) -> None:
        del statement["Condition"]["ArnNotEquals"]
        statement["Condition"]["ArnNotLike"] = {"aws:PrincipalArn": list(values)}

    return change


HOLES: list[tuple[str, Callable[[dict[str, Any]], None], str, dict[str, Any]]] = [
    ("roles only", _also("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:role/*"), USER, {}),
    ("iam ARNs only", _also("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:*"), FEDERATED, {}),
    ("users exempt", _exempt_like(BREAK_GLASS, f"arn:aws:iam::{ACCOUNT}:user/*"), USER, {}),
    ("wildcard exemption", _exempt_like(f"{BREAK_GLASS}*"), f"{BREAK_GLASS}2", {}),
    ("only with MFA", _also("Bool", "aws:MultiFactorAuthPresent", "true"), UNNAMED_ROLE, {"mfa": False}),
    (
        "tag exemption",
        _also("StringNotEquals", "aws:PrincipalTag/break-glass", "yes"),
        UNNAMED_ROLE,
        {"context": {"aws:PrincipalTag/break-glass": "yes"}},
    ),
    (
        "outside a network only",
        _also("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8"),
        UNNAMED_ROLE,
        {"context": {"aws:SourceIp": "10.9.8.7"}},
    ),
]


@pytest.mark.parametrize(("change", "principal", "request_"), [h[1:] for h in HOLES], ids=[h[0] for h in HOLES])
def test_a_deny_with_a_way_through_is_advised_against(
    change: Callable[[dict[str, Any]], None], principal: str, request_: dict[str, Any]
) -> None:
    policy = _protected(change)
    way_through = key_loss_exposure(policy, key_arn=KEY_ARN, principal_arn=principal, **request_)
    assert "kms:ScheduleKeyDeletion" in way_through
    (finding,) = key_loss_findings(policy, KEY_ARN)
    assert f"account {ACCOUNT}" in finding.principal
    assert "kms:ScheduleKeyDeletion" in finding.calls
    assert "kms:DisableKey" in finding.calls


def test_the_protected_policy_is_still_left_alone() -> None:
    assert key_loss_findings(_protected(lambda statement: None), KEY_ARN) == []
