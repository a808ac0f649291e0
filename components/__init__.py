"""Reusable Pulumi components for DynamoDB tables encrypted with a customer-managed KMS key."""

from components.encrypted_table import EncryptedTable, EncryptedTableArgs, GlobalSecondaryIndexArgs
from components.errors import ConfigError
from components.key_user import KeyUser, KeyUserArgs
from components.probe_principal import ProbePrincipal, ProbePrincipalArgs

__all__ = [
    "ConfigError",
    "EncryptedTable",
    "EncryptedTableArgs",
    "GlobalSecondaryIndexArgs",
    "KeyUser",
    "KeyUserArgs",
    "ProbePrincipal",
    "ProbePrincipalArgs",
]
