"""Reusable Pulumi components for DynamoDB tables encrypted with a customer-managed KMS key.

The components are imported on first use (PEP 562), so `import components.validation`
or `components.policy_builders` does not load the Pulumi AWS SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from access.errors import ConfigError

if TYPE_CHECKING:
    from components.consumer_access import ConsumerAccess, ConsumerAccessArgs
    from components.encrypted_table import (
        EncryptedTable,
        EncryptedTableArgs,
        ExternalPrincipalArgs,
        GlobalSecondaryIndexArgs,
    )
    from components.key_user import KeyUser, KeyUserArgs

_LAZY = {
    "ConsumerAccess": "components.consumer_access",
    "ConsumerAccessArgs": "components.consumer_access",
    "EncryptedTable": "components.encrypted_table",
    "EncryptedTableArgs": "components.encrypted_table",
    "ExternalPrincipalArgs": "components.encrypted_table",
    "GlobalSecondaryIndexArgs": "components.encrypted_table",
    "KeyUser": "components.key_user",
    "KeyUserArgs": "components.key_user",
}

__all__ = [
    "ConfigError",
    "ConsumerAccess",
    "ConsumerAccessArgs",
    "EncryptedTable",
    "EncryptedTableArgs",
    "ExternalPrincipalArgs",
    "GlobalSecondaryIndexArgs",
    "KeyUser",
    "KeyUserArgs",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'components' has no attribute {name!r}")
