"""What `pulumi up` does to a resource whose inputs changed: keep, update in place, replace, or stop.

The provider's rules (sandbox/engine/provider_rules.py) decide, as terraform-provider-aws
and pulumi-aws do.
"""

from __future__ import annotations

from typing import Any

import pytest

from access import provider_types
from sandbox.engine import HANDLERS, Action, Deployed, UnmodelledChangeError, handler_for
from sandbox.engine.errors import NotModelledError
from sandbox.engine.kms import GrantFacts, GrantHandler
from sandbox.engine.plan import kept_ignored, plan
from sandbox.engine.provider_rules import PROVIDER_RULES, ProviderRules

GRANT_ARGUMENTS = (
    "constraints",
    "grantCreationTokens",
    "granteePrincipal",
    "keyId",
    "name",
    "operations",
    "retireOnDelete",
    "retiringPrincipal",
)


def deployed(typ: str, inputs: dict[str, Any], facts: Any = None) -> Deployed:
    return Deployed(f"urn:pulumi:dev::p::{typ}::r", typ, "r", inputs, "id", dict(inputs), facts)


def test_every_handler_plans_by_the_provider_table_and_declares_no_sets_of_its_own() -> None:
    for typ, handler in HANDLERS.items():
        assert not hasattr(handler, "replace_on"), typ
        assert not hasattr(handler, "updates"), typ
        if typ == provider_types.PROVIDER:
            assert handler.rules == ProviderRules(), "an explicit provider: no change modelled"
            continue
        assert handler.rules is PROVIDER_RULES[typ], typ
        # A handler may refuse only what the provider would update in place.
        assert set(handler.not_modelled) <= handler.rules.updates, typ
    assert set(PROVIDER_RULES) <= set(HANDLERS)


def test_an_input_is_either_replaced_on_updated_or_stored_never_two() -> None:
    with pytest.raises(ValueError, match=r"both replaced on and updated: \['tags'\]"):
        ProviderRules(replace_on=frozenset({"tags"}), updates=frozenset({"tags"}))


INDEX = {"name": "byOwner", "keySchemas": [{"attributeName": "owner", "keyType": "HASH"}], "projectionType": "ALL"}


@pytest.mark.parametrize(
    ("typ", "before", "after", "action", "detail"),
    [
        (provider_types.KMS_KEY, {"policy": "a"}, {"policy": "a"}, Action.SAME, ""),
        (provider_types.KMS_KEY, {"policy": "a"}, {"policy": "b"}, Action.UPDATE, "policy"),
        (provider_types.KMS_KEY, {"keyUsage": "a", "tags": {"t": "1"}}, {"keyUsage": "b"}, Action.REPLACE, "keyUsage"),
        (provider_types.KMS_KEY, {"tags": {"t": "1"}}, {"tags": {"t": "2"}}, Action.UPDATE, "tags"),
        (provider_types.KMS_KEY, {"deletionWindowInDays": 30}, {"deletionWindowInDays": 7}, Action.UPDATE, ""),
        (provider_types.DYNAMODB_TABLE, {"hashKey": "id"}, {"hashKey": "pk"}, Action.REPLACE, "hashKey"),
        (provider_types.DYNAMODB_TABLE, {"tags": {"t": "1"}}, {}, Action.UPDATE, "tags"),
        (
            provider_types.DYNAMODB_TABLE,
            {"serverSideEncryption": {"enabled": True, "kmsKeyArn": "a"}},
            {"serverSideEncryption": {"enabled": True, "kmsKeyArn": "b"}},
            Action.UPDATE,
            "serverSideEncryption",
        ),
        (
            provider_types.DYNAMODB_TABLE,
            {"attributes": [{"name": "id", "type": "S"}]},
            {
                "attributes": [{"name": "id", "type": "S"}, {"name": "owner", "type": "S"}],
                "globalSecondaryIndexes": [INDEX],
            },
            Action.UPDATE,
            "attributes, globalSecondaryIndexes",
        ),
        (provider_types.IAM_USER, {"path": "/"}, {"path": "/team/"}, Action.UPDATE, "path"),
        (provider_types.IAM_USER, {"tags": {"t": "1"}}, {"tags": {"t": "2"}}, Action.UPDATE, "tags"),
        (provider_types.IAM_ROLE, {"path": "/"}, {"path": "/team/"}, Action.REPLACE, "path"),
        (provider_types.IAM_ROLE, {"tags": {"t": "1"}}, {}, Action.UPDATE, "tags"),
        (provider_types.IAM_ACCESS_KEY, {"status": "Active"}, {"status": "Inactive"}, Action.UPDATE, "status"),
    ],
)
def test_a_change_is_planned_by_the_provider_rules(
    typ: str, before: dict[str, Any], after: dict[str, Any], action: Action, detail: str
) -> None:
    step = plan(handler_for(typ, "r"), deployed(typ, before), "r", after)
    assert step.action is action
    if detail:
        assert step.detail == detail


@pytest.mark.parametrize("argument", GRANT_ARGUMENTS)
def test_every_argument_of_a_grant_forces_a_new_grant(argument: str) -> None:
    before = {name: f"old-{name}" for name in GRANT_ARGUMENTS}
    step = plan(
        handler_for(provider_types.KMS_GRANT, "r"),
        deployed(provider_types.KMS_GRANT, before),
        "r",
        {
            **before,
            argument: f"new-{argument}",
        },
    )
    assert (step.action, step.detail) == (Action.REPLACE, argument)


def test_a_change_of_only_an_attribute_type_is_no_change_and_the_table_keeps_the_deployed_type() -> None:
    """As the provider: CustomizeDiff clears it, Read refills the attribute from AWS (pulumi/pulumi-aws#1057)."""
    before = {"hashKey": "id", "attributes": [{"name": "id", "type": "S"}, {"name": "at", "type": "N"}]}
    after = {"hashKey": "id", "attributes": [{"name": "at", "type": "N"}, {"name": "id", "type": "N"}]}
    step = plan(
        handler_for(provider_types.DYNAMODB_TABLE, "r"), deployed(provider_types.DYNAMODB_TABLE, before), "r", after
    )
    assert step.action is Action.SAME
    assert step.detail == "no change: attribute types are not updated by the provider (id kept as deployed)"
    assert step.inputs["attributes"] == before["attributes"]


def test_only_the_order_of_attributes_is_no_change_at_all() -> None:
    before = {"attributes": [{"name": "id", "type": "S"}, {"name": "at", "type": "N"}]}
    after = {"attributes": list(reversed(before["attributes"]))}
    step = plan(
        handler_for(provider_types.DYNAMODB_TABLE, "r"), deployed(provider_types.DYNAMODB_TABLE, before), "r", after
    )
    assert (step.action, step.detail) == (Action.SAME, "")


def test_a_new_index_keeps_the_deployed_type_of_an_attribute_and_adds_its_own() -> None:
    before = {"attributes": [{"name": "id", "type": "S"}]}
    after = {
        "attributes": [{"name": "id", "type": "N"}, {"name": "owner", "type": "S"}],
        "globalSecondaryIndexes": [INDEX],
    }
    step = plan(
        handler_for(provider_types.DYNAMODB_TABLE, "r"), deployed(provider_types.DYNAMODB_TABLE, before), "r", after
    )
    assert step.action is Action.UPDATE
    assert step.inputs["attributes"] == [{"name": "id", "type": "S"}, {"name": "owner", "type": "S"}]
    assert "attribute types are not updated by the provider (id kept as deployed)" in step.detail


def test_a_new_key_schema_replaces_the_table_with_the_new_attribute_types() -> None:
    before = {"hashKey": "id", "attributes": [{"name": "id", "type": "S"}]}
    after = {"hashKey": "pk", "attributes": [{"name": "pk", "type": "N"}]}
    step = plan(
        handler_for(provider_types.DYNAMODB_TABLE, "r"), deployed(provider_types.DYNAMODB_TABLE, before), "r", after
    )
    assert (step.action, step.inputs) == (Action.REPLACE, after)


@pytest.mark.parametrize(
    ("typ", "changed", "reason"),
    [
        (provider_types.KMS_KEY, {"unheardOf": "b"}, "provider_rules.py neither updates it"),
        (provider_types.PROVIDER, {"region": "eu-west-1"}, "provider_rules.py neither updates it"),
        (
            provider_types.DYNAMODB_TABLE,
            {"tableClass": "STANDARD_INFREQUENT_ACCESS"},
            "moto 5.2.5 has no table classes",
        ),
        (provider_types.IAM_USER, {"name": "renamed"}, "the provider updates it in place, but the sandbox cannot"),
    ],
)
def test_a_change_the_sandbox_does_not_model_stops_naming_the_resource_the_input_and_why(
    typ: str, changed: dict[str, Any], reason: str
) -> None:
    (name,) = changed
    with pytest.raises(UnmodelledChangeError, match=rf"resource 'r' \({typ}\).* change to {name}\b") as stopped:
        plan(handler_for(typ, "r"), deployed(typ, {"tags": {}}), "r", {"tags": {}, **changed})
    assert reason in str(stopped.value)


class RecordingKms:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __getattr__(self, operation: str) -> Any:
        return lambda **args: self.calls.append((operation, args))


class RecordingCloud:
    def __init__(self) -> None:
        self.kms = RecordingKms()


@pytest.mark.parametrize(("retire_on_delete", "operation"), [(True, "retire_grant"), (False, "revoke_grant")])
def test_a_deleted_grant_is_retired_or_revoked_as_retire_on_delete_says(retire_on_delete: bool, operation: str) -> None:
    cloud = RecordingCloud()
    grant = deployed(provider_types.KMS_GRANT, {"keyId": "k", "retireOnDelete": retire_on_delete}, GrantFacts("g", "t"))
    GrantHandler().delete(grant, cloud)  # type: ignore[arg-type]
    assert cloud.kms.calls == [(operation, {"KeyId": "k", "GrantId": "g"})]


# -- ignoreChanges ----------------------------------------------------------------------------------


def test_ignored_inputs_keep_their_deployed_values_and_only_the_rest_is_planned() -> None:
    """The table's capacities under auto scaling, its indexes' and its replicas: ignored on update, as Pulumi does."""
    before = {
        "billingMode": "PROVISIONED",
        "readCapacity": 5,
        "writeCapacity": 5,
        "replicas": [{"regionName": "eu-west-1"}],
        "globalSecondaryIndexes": [{"name": "a", "writeCapacity": 1}, {"name": "b", "writeCapacity": 2}],
    }
    after = {
        **before,
        "writeCapacity": 9,
        "replicas": [],
        "globalSecondaryIndexes": [{"name": "a", "writeCapacity": 7}, {"name": "b", "writeCapacity": 8}],
        "readCapacity": 6,
    }
    ignored = ["writeCapacity", "replicas", "globalSecondaryIndexes[*].writeCapacity"]
    step = plan(
        handler_for(provider_types.DYNAMODB_TABLE, "r"),
        deployed(provider_types.DYNAMODB_TABLE, before),
        "r",
        after,
        ignored,
    )
    assert (step.action, step.changed) == (Action.UPDATE, frozenset({"readCapacity"}))
    assert step.inputs == {**before, "readCapacity": 6}


def test_an_ignored_input_with_no_deployed_value_is_the_programs() -> None:
    """ "Ignored properties will still be used from the program when there is no previous value in the state"."""
    assert kept_ignored({"a": 1}, {"a": 2, "b": [3]}, ["b", "b[0]", "c", "a.x"]) == {"a": 2, "b": [3]}
    assert kept_ignored({"b": [1, 2]}, {"b": [3, 4, 5]}, ["b[1]"]) == {"b": [3, 2, 5]}
    assert kept_ignored({"b": [{"x": 1}]}, {"b": [{"x": 2}, {"x": 3}]}, ["b[*].x"]) == {"b": [{"x": 1}, {"x": 3}]}


def test_an_ignore_path_the_engine_does_not_model_stops_the_deploy() -> None:
    with pytest.raises(NotModelledError, match="tags"):
        kept_ignored({}, {}, ['tags["a.b"]'])
