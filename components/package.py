"""The components as a Pulumi component package, for any Pulumi language.

`pulumi package add <repo>/components` runs components/__main__.py, which hosts
HOSTED; the SDK infers the schema from the components' TypedDict args (a
docstring per field, NotRequired for optional) and their annotated outputs.
package_schema() builds the same schema offline, so tests can check it.
"""

from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.schema import generate_schema

from components.consumer_access import ConsumerAccess
from components.encrypted_table import EncryptedTable
from components.key_user import KeyUser

PACKAGE_NAME = "encrypted-dynamodb"
HOSTED = [EncryptedTable, KeyUser, ConsumerAccess]


def package_schema(version: str = "0.0.0") -> dict[str, Any]:
    """The Pulumi package schema the provider serves, as JSON data."""
    analyzed = Analyzer(PACKAGE_NAME).analyze(list(HOSTED))
    spec = generate_schema(
        PACKAGE_NAME,
        version,
        None,
        analyzed["component_definitions"],
        analyzed["type_definitions"],
        list(analyzed["dependencies"]),
    )
    return spec.to_json()
