"""The components as a Pulumi component package: the schema other languages see, inferred offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.package import PACKAGE_NAME, package_schema

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
TABLE = f"{PACKAGE_NAME}:index:EncryptedTable"
KEY_USER = f"{PACKAGE_NAME}:index:KeyUser"
INDEX = f"{PACKAGE_NAME}:index:GlobalSecondaryIndexArgs"

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
}
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
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package_schema()


def test_both_components_and_nothing_else(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE_NAME
    assert set(schema["resources"]) == {TABLE, KEY_USER}
    assert all(r["isComponent"] for r in schema["resources"].values())
    assert set(schema["types"]) == {INDEX}
    assert not schema.get("dependencies"), "inputs and outputs are plain types: no provider dependency"


@pytest.mark.parametrize(
    ("token", "inputs", "required"),
    [
        (TABLE, TABLE_INPUTS, ["partitionKey"]),
        (KEY_USER, KEY_USER_INPUTS, ["keyArn", "principalArn", "tableArn", "tableName"]),
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


@pytest.mark.parametrize(
    ("token", "outputs", "required"),
    [
        (
            TABLE,
            ["accountId", "aliasName", "keyArn", "keyId", "region", "tableArn", "tableName"],
            ["accountId", "aliasName", "keyArn", "keyId", "region", "tableArn", "tableName"],
        ),
        (KEY_USER, ["grantId", "keyArn", "principalArn"], ["keyArn", "principalArn"]),
    ],
)
def test_every_output_with_its_description(
    schema: dict[str, Any], token: str, outputs: list[str], required: list[str]
) -> None:
    resource = schema["resources"][token]
    assert sorted(resource["properties"]) == outputs
    assert sorted(resource["required"]) == required
    assert all(spec.get("description") for spec in resource["properties"].values())


def test_the_folder_is_a_python_component_package() -> None:
    plugin = yaml.safe_load((COMPONENTS / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    main = (COMPONENTS / "__main__.py").read_text()
    assert "component_provider_host(components=list(HOSTED), name=PACKAGE_NAME)" in main
    requirements = (COMPONENTS / "requirements.txt").read_text()
    assert "pulumi>=" in requirements and "pulumi-aws>=" in requirements
