"""Host EncryptedTable, KeyUser and ConsumerAccess as a Pulumi component provider (see PulumiPlugin.yaml).

Pulumi runs this file with components/ as the script folder; the package
`components` is imported from the folder above it, so the folder itself comes
off sys.path (its modules must not shadow anything as top-level names).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from pulumi.provider.experimental import component_provider_host  # noqa: E402

from access.version import VERSION  # noqa: E402
from components.package import HOSTED, NAMESPACE, PACKAGE_NAME  # noqa: E402

if __name__ == "__main__":
    # The version and namespace the schema carries: package_schema() builds the same offline.
    component_provider_host(components=list(HOSTED), name=PACKAGE_NAME, namespace=NAMESPACE, version=VERSION)
