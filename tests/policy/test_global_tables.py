"""The pack's rule for global tables as AWS takes them: a PROVISIONED table with replicas has its write
capacity (and each global secondary index's) under auto scaling, or the program stops before `pulumi up`.

Source: "A global table must have throughput capacity configured one of two ways: On-demand capacity mode
... Provisioned capacity mode with auto scaling" (DynamoDB developer guide, V2globaltables_reqs_bestpractices);
DynamoDB's refusal: access.kms_dynamodb.GLOBAL_TABLE_WRITE_CAPACITY_ERROR."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from access.kms_dynamodb import (
    AUTOSCALING_NAMESPACE,
    GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR,
    GLOBAL_TABLE_WRITE_CAPACITY_ERROR,
    SCALABLE_DIMENSIONS,
    autoscaling_resource_id,
)
from access.provider_types import (
    AUTOSCALING_POLICY,
    AUTOSCALING_TARGET,
    DYNAMODB_TABLE,
    DYNAMODB_TABLE_REPLICA,
)
from sandbox.harness import run_program
from tests.policy.stack_resources import STACK_RULES, UNKNOWN, reported, resource, urn_of

RULE = "dynamodb-provisioned-global-table-auto-scaling"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
WRITE = SCALABLE_DIMENSIONS[("table", "write")]
READ = SCALABLE_DIMENSIONS[("table", "read")]
INDEX_WRITE = SCALABLE_DIMENSIONS[("index", "write")]
EU_REPLICA = [{"regionName": "eu-west-1", "kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k"}]
TABLE_URN = urn_of(DYNAMODB_TABLE, "table")


def table(
    billing: Any = "PROVISIONED",
    replicas: Any = None,
    *,
    name: Any = "orders",
    arn: Any = TABLE_ARN,
    indexes: Any = None,
    resource_name: str = "table",
) -> PolicyResource:
    props: dict[str, Any] = {"name": name, "arn": arn, "replicas": EU_REPLICA if replicas is None else replicas}
    if billing is not None:
        props["billingMode"] = billing
    if indexes is not None:
        props["globalSecondaryIndexes"] = indexes
    return resource(DYNAMODB_TABLE, resource_name, props)


def scaling(
    kind: str,
    *,
    name: str = "write",
    resource_id: Any = "table/orders",
    dimension: Any = WRITE,
    namespace: Any = AUTOSCALING_NAMESPACE,
    region: str | None = "us-east-1",
    derived: list[PolicyResource] | None = None,
) -> PolicyResource:
    props = {"serviceNamespace": namespace, "scalableDimension": dimension, "resourceId": resource_id}
    return resource(
        kind, f"{name}-{kind.rsplit(':', 1)[1].lower()}", props, region=region, derived={"resourceId": derived or []}
    )


def auto_scaled(**options: Any) -> list[PolicyResource]:
    """A Target and a Policy on one capacity."""
    return [scaling(AUTOSCALING_TARGET, **options), scaling(AUTOSCALING_POLICY, **options)]


CASES: list[tuple[str, list[PolicyResource], bool]] = [
    # (name, the stack, is it refused)
    ("PROVISIONED with replicas, no auto scaling", [table()], True),
    ("billing mode unset: the provider's default is PROVISIONED", [table(None)], True),
    ("PROVISIONED with replicas and write auto scaling", [table(), *auto_scaled()], False),
    ("on-demand with replicas", [table("PAY_PER_REQUEST")], False),
    ("PROVISIONED without replicas", [table(replicas=[])], False),
    ("a target with no scaling policy", [table(), scaling(AUTOSCALING_TARGET)], True),
    ("read auto scaling only", [table(), *auto_scaled(dimension=READ)], True),
    ("another service's namespace", [table(), *auto_scaled(namespace="ecs")], True),
    ("another table's auto scaling", [table(), *auto_scaled(resource_id="table/invoices")], True),
    ("auto scaling in a replica's region only", [table(), *auto_scaled(region="eu-west-1")], True),
    (
        "a TableReplica of the table, by its ARN",
        [
            table(replicas=[]),
            resource(DYNAMODB_TABLE_REPLICA, "eu", {"globalTableArn": TABLE_ARN}, region="eu-west-1"),
        ],
        True,
    ),
    (
        "a TableReplica of another table",
        [
            table(replicas=[]),
            resource(DYNAMODB_TABLE_REPLICA, "eu", {"globalTableArn": TABLE_ARN + "-other"}, region="eu-west-1"),
        ],
        False,
    ),
    (
        "a global secondary index without write auto scaling",
        [table(indexes=[{"name": "byCustomer"}]), *auto_scaled()],
        True,
    ),
    (
        "a global secondary index with write auto scaling",
        [
            table(indexes=[{"name": "byCustomer"}]),
            *auto_scaled(),
            *auto_scaled(
                name="index", dimension=INDEX_WRITE, resource_id=autoscaling_resource_id("orders", "byCustomer")
            ),
        ],
        False,
    ),
]


@pytest.mark.parametrize(("name", "stack", "refused"), CASES, ids=[c[0] for c in CASES])
def test_a_provisioned_global_table_needs_write_auto_scaling(
    name: str, stack: list[PolicyResource], refused: bool
) -> None:
    found = reported(RULE, stack)
    assert [urn for _, urn in found] == ([TABLE_URN] if refused else [])


def test_the_refusal_quotes_aws_and_names_what_is_missing() -> None:
    ((message, _),) = reported(RULE, [table(), scaling(AUTOSCALING_TARGET)])
    assert GLOBAL_TABLE_WRITE_CAPACITY_ERROR in message
    assert "V2globaltables_reqs_bestpractices" in message
    assert "eu-west-1" in message
    assert f"aws:appautoscaling/policy:Policy for serviceNamespace dynamodb, scalableDimension {WRITE}" in message
    assert "aws:appautoscaling/target:Target" not in message  # the target is there
    ((message, _),) = reported(RULE, [table(indexes=[{"name": "byCustomer"}]), *auto_scaled()])
    assert GLOBAL_TABLE_INDEX_WRITE_CAPACITY_ERROR in message
    assert "table/orders/index/byCustomer" in message


# -- preview: never a violation on a program that may be right, always one on a program that cannot be ---------


def test_a_resource_id_derived_from_the_table_may_be_the_tables() -> None:
    new_table = table(name=UNKNOWN, arn=UNKNOWN)
    target = scaling(AUTOSCALING_TARGET, resource_id=UNKNOWN, derived=[new_table])
    policy = scaling(AUTOSCALING_POLICY, resource_id=UNKNOWN, dimension=UNKNOWN, derived=[target])
    assert reported(RULE, [new_table, target, policy]) == []
    # the same resources with no policy on the target: provably missing
    assert [urn for _, urn in reported(RULE, [new_table, target])] == [TABLE_URN]


def test_a_policy_on_another_capacitys_target_is_not_on_the_tables_write_capacity() -> None:
    read_target = scaling(AUTOSCALING_TARGET, name="read", dimension=READ)
    on_read = scaling(AUTOSCALING_POLICY, name="read", resource_id=UNKNOWN, dimension=UNKNOWN, derived=[read_target])
    write_target = scaling(AUTOSCALING_TARGET)
    found = reported(RULE, [table(), write_target, read_target, on_read])
    assert [urn for _, urn in found] == [TABLE_URN]
    assert "aws:appautoscaling/policy:Policy" in found[0][0]
    on_write = scaling(AUTOSCALING_POLICY, resource_id=UNKNOWN, dimension=UNKNOWN, derived=[write_target])
    assert reported(RULE, [table(), write_target, read_target, on_read, on_write]) == []


def test_a_resource_id_derived_from_another_table_is_not() -> None:
    other = table("PAY_PER_REQUEST", replicas=[], name="invoices", resource_name="invoices")
    stack = [table(), other, *auto_scaled(resource_id=UNKNOWN, derived=[other])]
    assert [urn for _, urn in reported(RULE, stack)] == [TABLE_URN]


PREVIEW_CASES: list[tuple[str, list[PolicyResource], bool]] = [
    ("the billing mode not known yet", [table(UNKNOWN)], False),
    ("the replicas not known yet", [table(replicas=UNKNOWN)], False),
    (
        "a TableReplica of a table not known yet",
        [table(replicas=[]), resource(DYNAMODB_TABLE_REPLICA, "eu", {"globalTableArn": UNKNOWN}, region="eu-west-1")],
        False,
    ),
    (
        "the table's name not known, auto scaling for some table",
        [table(name=UNKNOWN, arn=UNKNOWN), *auto_scaled()],
        False,
    ),
    (
        "a resourceId not known and not derived from anything",
        [table(), *auto_scaled(resource_id=UNKNOWN)],
        False,
    ),
    ("the table's name not known, and no auto scaling at all", [table(name=UNKNOWN, arn=UNKNOWN)], True),
    (
        "the table's name not known, auto scaling only for read",
        [table(name=UNKNOWN, arn=UNKNOWN), *auto_scaled(dimension=READ)],
        True,
    ),
    (
        "the indexes not known yet, the table's own capacity provably bare",
        [table(indexes=UNKNOWN)],
        True,
    ),
]


@pytest.mark.parametrize(("name", "stack", "refused"), PREVIEW_CASES, ids=[c[0] for c in PREVIEW_CASES])
def test_values_not_known_yet(name: str, stack: list[PolicyResource], refused: bool) -> None:
    assert [urn for _, urn in reported(RULE, stack)] == ([TABLE_URN] if refused else [])


def test_the_rule_is_mandatory() -> None:
    assert STACK_RULES[RULE].enforcement_level == EnforcementLevel.MANDATORY


# -- what the program deploys -------------------------------------------------------------------------------

PROVISIONED_GLOBAL = {
    "billingMode": "PROVISIONED",
    "readCapacity": "5",
    "writeCapacity": "5",
    "writeCapacityMin": "5",
    "writeCapacityMax": "50",
    "replicaRegions": '["eu-west-1", "ap-southeast-2"]',
}
PROGRAM_CONFIGS = [
    {"replicaRegions": '["eu-west-1", "ap-southeast-2"]'},  # on-demand, the default
    {"billingMode": "PROVISIONED", "readCapacity": "5", "writeCapacity": "5"},  # one region
    PROVISIONED_GLOBAL,  # EncryptedTable's autoscaling: TableReplicas after the write auto scaling
]
SCALING = (AUTOSCALING_TARGET, AUTOSCALING_POLICY)


def program_stack(config: dict[str, str]) -> list[PolicyResource]:
    run = run_program(config)
    return [
        resource(r.typ, r.name, {**r.inputs, **r.state}, region=r.inputs.get("region"))
        for r in run.mocks.resources
        if r.custom
    ]


@pytest.mark.parametrize("config", PROGRAM_CONFIGS, ids=[json.dumps(c) for c in PROGRAM_CONFIGS])
def test_what_the_program_deploys_passes(config: dict[str, str]) -> None:
    stack = program_stack(config)
    tables = [r for r in stack if r.resource_type == DYNAMODB_TABLE]
    assert len(tables) == 1
    assert reported(RULE, stack) == []
    # the rule reads these tables: PROVISIONED with a replica and no auto scaling, each is refused
    bare = [
        resource(DYNAMODB_TABLE, t.name, {**t.props, "billingMode": "PROVISIONED", "replicas": EU_REPLICA})
        for t in tables
    ]
    rest = [r for r in stack if r.resource_type not in (DYNAMODB_TABLE, *SCALING)]
    assert [urn for _, urn in reported(RULE, bare + rest)] == [t.urn for t in tables]


def test_the_programs_provisioned_global_table_needs_its_scaling_policy() -> None:
    stack = program_stack(PROVISIONED_GLOBAL)
    assert {AUTOSCALING_TARGET, AUTOSCALING_POLICY, DYNAMODB_TABLE_REPLICA} <= {r.resource_type for r in stack}
    without_policies = [r for r in stack if r.resource_type != AUTOSCALING_POLICY]
    ((message, _),) = reported(RULE, without_policies)
    assert "aws:appautoscaling/policy:Policy" in message
    assert "eu-west-1" in message
    assert "ap-southeast-2" in message


def test_the_programs_provisioned_global_table_in_its_first_preview() -> None:
    """No ARN known yet: the replicas' globalTableArn and the target's resourceId are derived from the table,
    the policy's from the target. Nothing is missing, so nothing is refused; without the policies, the
    write capacity provably has none."""
    recorded = program_stack(PROVISIONED_GLOBAL)
    table_props = next(dict(r.props) for r in recorded if r.resource_type == DYNAMODB_TABLE)
    new_table = resource(DYNAMODB_TABLE, "table", {**table_props, "arn": UNKNOWN, "name": UNKNOWN})
    stack: list[PolicyResource] = [new_table]
    targets: dict[str, PolicyResource] = {}
    for r in recorded:
        props, region = dict(r.props), r.props.get("region")
        if r.resource_type == DYNAMODB_TABLE_REPLICA:
            hidden = {**props, "globalTableArn": UNKNOWN}
            stack.append(
                resource(r.resource_type, r.name, hidden, region=region, derived={"globalTableArn": [new_table]})
            )
        elif r.resource_type == AUTOSCALING_TARGET:
            hidden = {**props, "resourceId": UNKNOWN}
            targets[props["resourceId"]] = resource(
                r.resource_type, r.name, hidden, region=region, derived={"resourceId": [new_table]}
            )
            stack.append(targets[props["resourceId"]])
    for r in recorded:
        if r.resource_type == AUTOSCALING_POLICY:
            props = {**dict(r.props), "resourceId": UNKNOWN}
            derived = {"resourceId": [targets[r.props["resourceId"]]]}
            stack.append(resource(r.resource_type, r.name, props, region=r.props.get("region"), derived=derived))
    assert reported(RULE, stack) == []
    without_policies = [r for r in stack if r.resource_type != AUTOSCALING_POLICY]
    assert [urn for _, urn in reported(RULE, without_policies)] == [new_table.urn]
