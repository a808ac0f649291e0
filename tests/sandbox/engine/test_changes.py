"""What `pulumi up` does to a resource whose inputs changed: keep, update in place, replace, or stop."""

from __future__ import annotations

from typing import Any

import pytest

from access import provider_types
from sandbox.engine import HANDLERS, Action, Deployed, UnmodelledChangeError, handler_for
from sandbox.engine.plan import plan


def deployed(typ: str, inputs: dict[str, Any]) -> Deployed:
    return Deployed(f"urn:pulumi:dev::p::{typ}::r", typ, "r", inputs, "id", dict(inputs), facts=None)


def test_every_handler_says_each_input_is_either_replaced_on_or_updated() -> None:
    for typ, handler in HANDLERS.items():
        assert not handler.replace_on & handler.updates, typ


@pytest.mark.parametrize(
    ("typ", "before", "after", "action", "detail"),
    [
        (provider_types.KMS_KEY, {"policy": "a"}, {"policy": "a"}, Action.SAME, ""),
        (provider_types.KMS_KEY, {"policy": "a"}, {"policy": "b"}, Action.UPDATE, "policy"),
        (provider_types.KMS_KEY, {"keyUsage": "a", "tags": {"t": "1"}}, {"keyUsage": "b"}, Action.REPLACE, "keyUsage"),
        (provider_types.DYNAMODB_TABLE, {"hashKey": "id"}, {"hashKey": "pk"}, Action.REPLACE, "hashKey"),
        (provider_types.KMS_GRANT, {"retireOnDelete": 1}, {"retireOnDelete": 0}, Action.UPDATE, "retireOnDelete"),
    ],
)
def test_a_change_is_planned_by_the_handlers_declared_inputs(
    typ: str, before: dict[str, Any], after: dict[str, Any], action: Action, detail: str
) -> None:
    step = plan(handler_for(typ, "r"), deployed(typ, before), "r", after)
    assert (step.action, step.detail) == (action, detail)


@pytest.mark.parametrize(
    ("typ", "changed"),
    [
        (provider_types.IAM_USER, {"tags": {"team": "b"}}),
        (provider_types.IAM_ROLE, {"tags": {"team": "b"}, "description": "new"}),
        (provider_types.KMS_KEY, {"tags": {"team": "b"}}),
        # moto's UpdateTable ignores SSESpecification: the table would keep its old key.
        (provider_types.DYNAMODB_TABLE, {"serverSideEncryption": {"enabled": True, "kmsKeyArn": "other"}}),
        (provider_types.PROVIDER, {"region": "eu-west-1"}),
    ],
)
def test_a_change_no_handler_models_stops_naming_the_resource_and_the_input(typ: str, changed: dict[str, Any]) -> None:
    before = {"tags": {"team": "a"}, "description": "old", "region": "us-east-1", "serverSideEncryption": {}}
    with pytest.raises(UnmodelledChangeError, match=rf"resource 'r' \({typ}\).* change to {sorted(changed)[-1]}\b"):
        plan(handler_for(typ, "r"), deployed(typ, before), "r", {**before, **changed})
