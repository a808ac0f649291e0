"""The components as a Pulumi component package, for any Pulumi language.

`pulumi package add https://github.com/<org>/encrypted-dynamodb/components@v<VERSION>` runs
components/__main__.py, which hosts HOSTED; the SDK infers the schema from the components' TypedDict args
(a docstring per field, NotRequired for optional) and their annotated outputs. package_schema() builds
the same schema offline, so tests (and the release, `python -m release schema`) can check it.
"""

from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.schema import generate_schema

from access.version import VERSION
from components.consumer_access import ConsumerAccess
from components.encrypted_table import EncryptedTable
from components.key_user import KeyUser

PACKAGE_NAME = "encrypted-dynamodb"
# The schema's namespace, which names each language's generated SDK (npm scope, C# root namespace, Java
# base package, Go module, Python distribution). Without one, `pulumi package add <git URL>` takes the
# repository owner (pulumi/pulumi pkg/cmd/pulumi/packages/packages.go, setSpecNamespace: "if spec.Namespace
# == "" && pluginSpec.IsGitPlugin()" -> the lower-cased owner), so every fork or mirror would generate
# other names than examples/ and the docs show; a local path would give none at all (@pulumi/...).
NAMESPACE = "platform"
HOSTED = [EncryptedTable, KeyUser, ConsumerAccess]


def package_schema(version: str = VERSION) -> dict[str, Any]:
    """The Pulumi package schema the provider serves, as JSON data."""
    analyzed = Analyzer(PACKAGE_NAME).analyze(list(HOSTED))
    spec = generate_schema(
        PACKAGE_NAME,
        version,
        NAMESPACE,
        analyzed["component_definitions"],
        analyzed["type_definitions"],
        list(analyzed["dependencies"]),
    )
    return spec.to_json()
