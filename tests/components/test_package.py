"""The components as a Pulumi component package: the schema other languages see, inferred offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from access.version import VERSION
from components.package import NAMESPACE, PACKAGE_NAME, package_schema

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
TABLE = f"{PACKAGE_NAME}:index:EncryptedTable"
KEY_USER = f"{PACKAGE_NAME}:index:KeyUser"
INDEX = f"{PACKAGE_NAME}:index:GlobalSecondaryIndexArgs"
REPLICA = f"{PACKAGE_NAME}:index:ReplicaArgs"
CONSUMER = f"{PACKAGE_NAME}:index:ConsumerAccess"
EXTERNAL = f"{PACKAGE_NAME}:index:ExternalPrincipalArgs"
AUTOSCALING = f"{PACKAGE_NAME}:index:AutoScalingArgs"
CAPACITY_SCALING = f"{PACKAGE_NAME}:index:CapacityAutoScalingArgs"

TABLE_INPUTS = {
    "partitionKey": "string",
    "partitionKeyType": "string",
    "sortKey": "string",
    "sortKeyType": "string",
    "tableName": "string",
    "billingMode": "string",
    "readCapacity": "integer",
    "writeCapacity": "integer",
    "pointInTimeRecovery": "boolean",
    "deletionProtection": "boolean",
    "ttlAttribute": "string",
    "streamViewType": "string",
    "globalSecondaryIndexes": "array",
    "keyDescription": "string",
    "alias": "string",
    "enableKeyRotation": "boolean",
    "rotationPeriodDays": "integer",
    "deletionWindowDays": "integer",
    "keyAdmins": "array",
    "keyUsers": "array",
    "allowIamPolicies": "boolean",
    "tags": "object",
    "replicaRegions": "array",
    "replicas": "array",
    "multiRegionKey": "boolean",
    "primaryRegion": "string",
    "externalPrincipals": "array",
    "allowExternalAccounts": "boolean",
    "keyLossProtection": "boolean",
    "breakGlassPrincipals": "array",
    "breakGlassRequireMfa": "boolean",
    "alarmTopicArns": "object",
    "autoscaling": None,  # a $ref to AutoScalingArgs
}
CONSUMER_INPUTS = {"principalArn": "string", "policy": "string"}
KEY_USER_INPUTS = {
    "keyArn": "string",
    "tableName": "string",
    "tableArn": "string",
    "principalArn": "string",
    "principalKind": "string",
    "mode": "string",
    "access": "string",
    "includeTableAccess": "boolean",
    "keyAllowsIamPolicies": "boolean",
    "replicaKeyArns": "object",
    "regions": "array",
    "paths": "array",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package_schema()


def test_both_components_and_nothing_else(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE_NAME
    assert set(schema["resources"]) == {TABLE, KEY_USER, CONSUMER}
    assert all(r["isComponent"] for r in schema["resources"].values())
    assert set(schema["types"]) == {INDEX, REPLICA, EXTERNAL, AUTOSCALING, CAPACITY_SCALING}
    assert not schema.get("dependencies"), "inputs and outputs are plain types: no provider dependency"


@pytest.mark.parametrize(
    ("token", "inputs", "required"),
    [
        (TABLE, TABLE_INPUTS, ["partitionKey"]),
        (KEY_USER, KEY_USER_INPUTS, ["keyArn", "principalArn", "tableArn", "tableName"]),
        (CONSUMER, CONSUMER_INPUTS, ["policy", "principalArn"]),
    ],
)
def test_every_input_with_its_type_description_and_required_status(
    schema: dict[str, Any], token: str, inputs: dict[str, str], required: list[str]
) -> None:
    resource = schema["resources"][token]
    got = resource["inputProperties"]
    assert {name: spec.get("type") for name, spec in got.items()} == inputs
    assert sorted(resource.get("requiredInputs", [])) == required
    undescribed = [name for name, spec in got.items() if len(spec.get("description", "")) < 10]
    assert undescribed == []


def test_structural_inputs_are_plain_and_principals_may_be_outputs(schema: dict[str, Any]) -> None:
    table = schema["resources"][TABLE]["inputProperties"]
    assert table["partitionKey"].get("plain") is True  # the key schema must be known before deploy
    assert not table["keyAdmins"].get("plain"), "admin ARNs may come from other resources"
    key_user = schema["resources"][KEY_USER]["inputProperties"]
    assert not key_user["principalArn"].get("plain")
    assert table["globalSecondaryIndexes"]["items"]["$ref"] == f"#/types/{INDEX}"
    index = schema["types"][INDEX]
    assert sorted(index["required"]) == ["name", "partitionKey"]
    assert table["externalPrincipals"]["items"]["$ref"] == f"#/types/{EXTERNAL}"
    assert sorted(schema["types"][EXTERNAL]["required"]) == ["principal"]
    assert table["autoscaling"]["$ref"] == f"#/types/{AUTOSCALING}"
    scaling = schema["types"][AUTOSCALING]["properties"]
    assert scaling["write"]["$ref"] == scaling["read"]["$ref"] == f"#/types/{CAPACITY_SCALING}"
    assert sorted(schema["types"][CAPACITY_SCALING]["required"]) == ["maxCapacity", "minCapacity"]


@pytest.mark.parametrize(
    ("token", "outputs", "required"),
    [
        (
            TABLE,
            [
                "accountId",
                "aliasName",
                "consumerPolicies",
                "deployerArn",
                "externalPrincipals",
                "keyAdminArns",
                "keyArn",
                "keyId",
                "keyProtection",
                "keyUserArns",
                "region",
                "replicaAliasNames",
                "replicaArns",
                "replicaKeyArns",
                "tableArn",
                "tableName",
                "tablePolicy",
            ],
            [
                "accountId",
                "aliasName",
                "consumerPolicies",
                "deployerArn",
                "externalPrincipals",
                "keyAdminArns",
                "keyArn",
                "keyId",
                "keyProtection",
                "keyUserArns",
                "region",
                "replicaAliasNames",
                "replicaArns",
                "replicaKeyArns",
                "tableArn",
                "tableName",
                "tablePolicy",
            ],
        ),
        (
            KEY_USER,
            ["access", "grantId", "keyArn", "paths", "principalArn"],
            ["access", "keyArn", "paths", "principalArn"],
        ),
        (CONSUMER, ["policyName", "principalArn"], ["policyName", "principalArn"]),
    ],
)
def test_every_output_with_its_description(
    schema: dict[str, Any], token: str, outputs: list[str], required: list[str]
) -> None:
    resource = schema["resources"][token]
    assert sorted(resource["properties"]) == outputs
    assert sorted(resource["required"]) == required
    assert all(spec.get("description") for spec in resource["properties"].values())


def test_the_folder_is_a_python_component_package(tmp_path: Path) -> None:
    plugin = yaml.safe_load((COMPONENTS / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    # Pulumi runs the plugin's __main__.py from anywhere: it must reach the SDK's provider
    # host, which asks for the engine's address (argparse usage when given --help).
    host = subprocess.run(
        [sys.executable, str(COMPONENTS / "__main__.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert host.returncode == 0, host.stderr
    assert "engine" in host.stdout
    requirements = (COMPONENTS / "requirements.txt").read_text()
    assert "pulumi>=" in requirements
    assert "pulumi-aws>=" in requirements


# What `pulumi package add` gets: components/__main__.py run as Pulumi runs it, with the SDK's provider host
# replaced by one that builds the same ComponentProvider and prints the schema it would serve.
SERVED_SCHEMA = """
import json, runpy, sys
import pulumi.provider.experimental as experimental
from pulumi.provider.experimental.component import ComponentProvider

def host(components, name, namespace=None, version=None):
    print(json.dumps(json.loads(ComponentProvider(components, name, namespace, version).schema)))

experimental.component_provider_host = host
runpy.run_path(sys.argv[1], run_name="__main__")
from components.package import package_schema
print(json.dumps(package_schema()))
"""


def test_the_served_schema_carries_the_project_version_and_namespace(tmp_path: Path) -> None:
    served = subprocess.run(
        [sys.executable, "-c", SERVED_SCHEMA, str(COMPONENTS / "__main__.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    schema, offline = (json.loads(line) for line in served.stdout.strip().splitlines()[-2:])
    assert (schema["version"], schema["namespace"]) == (VERSION, NAMESPACE)
    # The offline schema (docs, examples, the release's schema.json) is the one the provider serves, both
    # built in that fresh process; package_schema() in a long-lived one: tests/components/test_schema_stable.py.
    assert schema == offline


def test_the_provider_constructs_both_components_from_another_languages_inputs(resolve: Any, mocks: Any) -> None:
    """What `new encrypted.EncryptedTable(...)` in TypeScript reaches: camelCase inputs, numbers as floats."""
    from pulumi.provider.experimental.component import ComponentProvider

    from components.package import HOSTED

    provider = ComponentProvider(list(HOSTED), PACKAGE_NAME)
    states: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        table = provider.construct(
            "orders",
            TABLE,
            {
                "partitionKey": "orderId",
                "billingMode": "PROVISIONED",
                "readCapacity": 5.0,
                "writeCapacity": 2.0,
                "deletionProtection": False,
                "globalSecondaryIndexes": [
                    {"name": "by-day", "partitionKey": "day", "readCapacity": 1.0, "writeCapacity": 1.0}
                ],
            },
        )
        states["table"] = table.state
        reader = provider.construct(
            "orders-reader",
            KEY_USER,
            {
                "keyArn": table.state["keyArn"],
                "tableName": table.state["tableName"],
                "tableArn": table.state["tableArn"],
                "principalArn": "arn:aws:iam::123456789012:role/apps/OrdersReader",
            },
        )
        states["reader"] = reader.state
        return {"table": table.state["tableArn"], "grant": reader.state["grantId"]}

    resolved = resolve(build)
    assert sorted(states["table"]) == [
        "accountId",
        "aliasName",
        "consumerPolicies",
        "deployerArn",
        "externalPrincipals",
        "keyAdminArns",
        "keyArn",
        "keyId",
        "keyProtection",
        "keyUserArns",
        "region",
        "replicaAliasNames",
        "replicaArns",
        "replicaKeyArns",
        "tableArn",
        "tableName",
        "tablePolicy",
    ]
    assert sorted(states["reader"]) == ["access", "grantId", "keyArn", "paths", "principalArn"]
    assert resolved["table"].startswith("arn:aws:dynamodb:")
    assert resolved["grant"]
    table = mocks.one("aws:dynamodb/table:Table")
    assert (table.inputs["readCapacity"], table.inputs["hashKey"]) == (5, "orderId")
    assert table.inputs["globalSecondaryIndexes"][0]["name"] == "by-day"
    grant = mocks.one("aws:kms/grant:Grant")
    assert grant.inputs["granteePrincipal"] == "arn:aws:iam::123456789012:role/apps/OrdersReader"


def test_the_provider_takes_key_loss_protection_and_autoscaling_from_another_language(resolve: Any, mocks: Any) -> None:
    """The issue-20 inputs as TypeScript sends them: camelCase fields inside autoscaling, numbers as floats, and
    alarmTopicArns keyed by region names, which are data, not field names."""
    from pulumi.provider.experimental.component import ComponentProvider

    from components.package import HOSTED

    provider = ComponentProvider(list(HOSTED), PACKAGE_NAME)
    break_glass = "arn:aws:iam::123456789012:role/break-glass/KeyRecovery"
    topic = "arn:aws:sns:us-east-1:123456789012:security-alarms"
    states: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        table = provider.construct(
            "orders",
            TABLE,
            {
                "partitionKey": "orderId",
                "billingMode": "PROVISIONED",
                "readCapacity": 5.0,
                "writeCapacity": 2.0,
                "autoscaling": {"write": {"minCapacity": 1.0, "maxCapacity": 10.0, "targetUtilization": 50.0}},
                "keyLossProtection": True,
                "breakGlassPrincipals": [break_glass],
                "alarmTopicArns": {"us-east-1": topic},
            },
        )
        states["table"] = table.state
        return {"protection": table.state["keyProtection"]}

    protection = resolve(build)["protection"]
    assert protection["break_glass"] == [break_glass]
    assert [alarm["topic_arn"] for alarm in protection["alarms"]] == [topic]
    target = mocks.one("aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 10)
    policy = mocks.one("aws:appautoscaling/policy:Policy")
    assert policy.inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] == 50
    assert not mocks.of_type("aws:sns/topic:Topic"), "the topic passed is used, none created"
