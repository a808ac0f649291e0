"""Compiled documents are cached by content: a document changed in place is compiled again, equal
documents share one compile, and a decision still names the caller's own statement object."""

from __future__ import annotations

import copy
import types
from typing import Any

import pytest

import access.compiled as compiled_module
from access.compiled import cached_documents, clear_cache, compiled
from access.documents import NamedPolicy
from access.evaluator import (
    Request,
    authorize_identity,
    authorize_kms,
    dynamodb_decrypt_request,
    plain_authorize_identity,
    plain_authorize_kms,
)
from components.policy_builders import build_key_policy

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/Alice"
READER = f"arn:aws:iam::{ACCOUNT}:role/data/Reader"


def alice(action: str = "kms:Decrypt", **context: Any) -> Request:
    return Request(ALICE, action, KEY, ACCOUNT, context=context)


def key_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def alice_may(action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return {"Sid": "Alice", "Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": action, "Resource": "*", **extra}


@pytest.fixture(autouse=True)
def cold_cache() -> None:
    clear_cache()


def test_a_document_changed_in_place_is_never_judged_by_its_old_compile() -> None:
    policy = key_policy(alice_may())
    assert authorize_kms(alice(), policy).allowed

    policy["Statement"][0]["Effect"] = "Deny"
    decision = authorize_kms(alice(), policy)
    assert not decision.allowed
    assert decision.reason == "denied explicitly by key policy statement Alice"

    policy["Statement"][0]["Effect"] = "Allow"
    policy["Statement"][0]["Condition"] = {"StringEquals": {"kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}}
    assert not authorize_kms(alice(), policy).allowed
    condition = policy["Statement"][0]["Condition"]["StringEquals"]
    condition["kms:ViaService"] = ["ec2.us-west-2.amazonaws.com", "dynamodb.us-west-2.amazonaws.com"]
    assert authorize_kms(alice(**{"kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}), policy).allowed
    condition["kms:ViaService"].pop()
    assert not authorize_kms(alice(**{"kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}), policy).allowed

    policy["Statement"][0]["Principal"]["AWS"] = [READER]
    del policy["Statement"][0]["Condition"]
    assert not authorize_kms(alice(), policy).allowed
    policy["Statement"][0]["Principal"]["AWS"].append(ALICE)
    assert authorize_kms(alice(), policy).allowed


def test_an_identity_policy_changed_in_place_is_compiled_again() -> None:
    document = key_policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})
    policies = [NamedPolicy("inline", document)]
    request = Request(ALICE, "dynamodb:GetItem", f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/t", ACCOUNT)
    assert authorize_identity(request, policies).allowed
    document["Statement"][0]["Action"] = ["dynamodb:PutItem"]
    assert not authorize_identity(request, policies).allowed
    document["Statement"][0]["Action"].append("dynamodb:Get*")
    assert authorize_identity(request, policies).allowed


def project_key_policy() -> dict[str, Any]:
    """This project's key policy for a key user READER."""
    return build_key_policy(
        partition="aws",
        account_id=ACCOUNT,
        region="us-west-2",
        admin_arns=[],
        key_user_arns=[READER],
        deployer_arn=f"arn:aws:iam::{ACCOUNT}:role/ci/Deployer",
    )


def test_equal_documents_share_one_compile() -> None:
    policy = project_key_policy()
    first = compiled(policy)
    assert first is not None
    assert compiled(copy.deepcopy(policy)) is first
    assert compiled(policy) is first


def test_the_decision_names_the_callers_own_statement() -> None:
    """The compile may come from an equal document; the statement named is the one the caller passed."""
    seen = key_policy(alice_may())
    authorize_kms(alice(), seen)
    mine = copy.deepcopy(seen)
    decision = authorize_kms(alice(), mine)
    assert decision.statement is mine["Statement"][0]
    assert decision == plain_authorize_kms(alice(), mine)

    lone = {"Statement": alice_may()}  # a lone statement object, as IAM allows
    assert authorize_kms(alice(), lone).statement is lone["Statement"]
    mixed = {"Statement": ["not a statement", alice_may()]}
    assert authorize_kms(alice(), mixed).statement is mixed["Statement"][1]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (True, 1),
        (1, 1.0),
        ("true", True),
        (["a"], ("a",)),
        (0, False),
    ],
)
def test_values_equal_in_python_but_of_other_types_are_other_documents(one: Any, other: Any) -> None:
    def policy(value: Any) -> dict[str, Any]:
        return key_policy(alice_may(Condition={"Bool": {"aws:SecureTransport": value}}))

    assert compiled(policy(one)) is not compiled(policy(other))
    for value in (one, other):
        for secure in (True, "1", "a"):
            request = alice(**{"aws:SecureTransport": secure})
            assert authorize_kms(request, policy(value)) == plain_authorize_kms(request, policy(value))


def test_documents_of_other_mapping_types_are_decided_the_plain_way() -> None:
    policy = types.MappingProxyType(key_policy(alice_may()))
    assert compiled(policy) is None
    assert authorize_kms(alice(), policy) == plain_authorize_kms(alice(), policy)
    identity = [NamedPolicy("proxy", policy)]
    assert authorize_identity(alice(), identity) == plain_authorize_identity(alice(), identity)


def test_what_the_compile_cannot_read_is_decided_the_plain_way() -> None:
    # The plain reading stops at the first action that matches, and fails an Allow closed on a block
    # that is not an object before it reads the operator's name.
    for odd in (key_policy(alice_may(action=["kms:Decrypt", 7])), key_policy(alice_may(Condition={1: "x"}))):
        assert compiled(odd) is None
        assert authorize_kms(alice(), odd) == plain_authorize_kms(alice(), odd)
    request = alice(**{"count": 3})  # a context value of no type the Context describes
    assert authorize_kms(request, key_policy(alice_may())) == plain_authorize_kms(request, key_policy(alice_may()))


def test_errors_are_the_plain_readings() -> None:
    """Where the plain reading raises, the compiled one raises the same (it hands the decision back)."""
    policy = key_policy(alice_may(Condition={"DateGreaterThan": {"aws:CurrentTime": "2000-01-01"}}))
    request = alice(**{"aws:CurrentTime": "0001-01-01T00:00+05:00"})  # out of range once in UTC
    with pytest.raises(OverflowError):
        plain_authorize_kms(request, policy)
    with pytest.raises(OverflowError):
        authorize_kms(request, policy)
    odd_action = key_policy(alice_may(action=[1]))
    with pytest.raises(TypeError):
        plain_authorize_kms(alice(), odd_action)
    with pytest.raises(TypeError):
        authorize_kms(alice(), odd_action)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_module, "CACHE_SIZE", 16)
    for n in range(100):
        compiled(key_policy(alice_may(f"kms:Action{n}")))
    assert cached_documents() <= 16


def test_the_project_key_policy_is_decided_on_the_compiled_form() -> None:
    policy = project_key_policy()
    request = dynamodb_decrypt_request(
        principal_arn=READER, key_arn=KEY, table_name="orders", region="us-west-2", account_id=ACCOUNT
    )
    decision = authorize_kms(request, policy)
    assert decision.allowed
    assert cached_documents() > 0
    assert decision == plain_authorize_kms(request, policy)
    assert decision.statement is policy["Statement"][-1]
