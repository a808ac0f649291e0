"""The components as a Pulumi component package, for any Pulumi language.

`pulumi package add https://github.com/<org>/encrypted-dynamodb/components@v<VERSION>` runs
components/__main__.py, which hosts HOSTED; the SDK infers the schema from the components' TypedDict args
(a docstring per field, NotRequired for optional) and their annotated outputs. package_schema() builds
the same schema offline, so tests (and the release, `python -m release schema`) can check it.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _no_collection_during_parsing() -> Iterator[None]:
    """Hold CPython's cyclic collector off while the analyzer reads the components' source.

    The analyzer finds each field's description by parsing its class's source (Analyzer.get_docstring:
    inspect.getsource, then ast.parse), and when that raises it swallows the error and retries on the
    next field, so the class's first field is published without a description. ast.parse raises
    "SystemError: AST constructor recursion depth mismatch" when code run by a collection inside it
    parses Python too: CPython 3.11 before 3.11.8 and 3.12 before 3.12.2 count AST depth in one shared
    state (github.com/python/cpython/issues/106905; fixed by python/cpython#113035: "This avoids a race
    condition in `PyAST_mod2obj` when the GIL could be released due to GC (on Python 3.11)"). Such code
    runs in a long-lived process: asyncio's report of a failed Future nobody awaited (what a Pulumi program
    that failed on purpose leaves in reference cycles) is logged with its traceback, and 3.11's traceback
    parses each frame's line. Without collections, nothing but the analyzer runs inside its parsing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def package_schema(version: str = VERSION) -> dict[str, Any]:
    """The Pulumi package schema the provider serves, as JSON data."""
    with _no_collection_during_parsing():
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
