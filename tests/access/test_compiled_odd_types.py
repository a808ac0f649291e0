"""The compiled reading agrees with the plain one on documents and contexts of types JSON does not have
(found by review: marshal writes a bytearray as bytes and may reorder a set, and a context list item is
turned into a string only when a statement reads it)."""

from __future__ import annotations

from typing import Any

import pytest

from access.compiled import clear_cache
from access.evaluator import NamedPolicy, Request, authorize_identity, plain_authorize_identity

ALICE = "arn:aws:iam::111122223333:user/alice"
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/t"


def outcome(decide: Any, request: Request, document: dict[str, Any]) -> tuple[Any, ...]:
    clear_cache()
    try:
        decision = decide(request, [NamedPolicy("p", document)])
    except Exception as error:
        return ("raised", type(error).__name__)
    return (decision.allowed, decision.reason, decision.source, decision.statement)


def statement(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*", **extra}


@pytest.mark.parametrize(
    ("request_", "document"),
    [
        (Request(ALICE, "dynamodb:GetItem", TABLE, "111122223333"), {"Statement": [statement(Sid=bytearray(b"S1"))]}),
        (
            Request(ALICE, "dynamodb:GetItem", "b'x'", "111122223333"),
            {"Statement": [statement(Resource=bytearray(b"*"))]},
        ),
        (
            Request(ALICE, "dynamodb:GetItem", TABLE, "111122223333"),
            {"Statement": [statement(Sid=frozenset({f"s{i}" for i in range(9)}))]},
        ),
    ],
)
def test_a_document_of_other_types_than_jsons_is_read_as_the_plain_reading_reads_it(
    request_: Request, document: dict[str, Any]
) -> None:
    assert outcome(authorize_identity, request_, document) == outcome(plain_authorize_identity, request_, document)


class Unprintable:
    def __str__(self) -> str:
        raise KeyError("boom")


def test_a_context_item_that_cannot_be_read_raises_on_both_readings() -> None:
    request = Request(ALICE, "dynamodb:GetItem", TABLE, "111122223333", context={"aws:SourceVpc": [Unprintable()]})  # type: ignore[list-item]
    document = {
        "Statement": [statement(), statement(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})],
    }
    assert outcome(authorize_identity, request, document) == ("raised", "KeyError")
    assert outcome(plain_authorize_identity, request, document) == ("raised", "KeyError")
