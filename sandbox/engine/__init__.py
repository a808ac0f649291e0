"""`pulumi up` semantics for the sandbox: one handler per resource type, diff, replace, delete, the Stack.

- `model`: the handler contract (invent / create / update / delete / state) and Deployed;
- `provider_rules`: the one table of what the real provider replaces on, updates in
  place and only stores, per type token, each entry with its source;
- `kms`, `dynamodb`, `iam`, `events`, `sns`, `autoscaling`, `handlers`: the handlers, and the
  registry by type token;
- `documents`: event patterns and policy documents as the provider records and compares them;
- `plan`: create, keep, update in place or replace, as the provider rules say, and the
  error for a change the sandbox does not model;
- `backends`: invented facts for the plain mocks, and the emulator backend that
  deploys into a Stack (`pulumi up`), and refreshes (`pulumi refresh`) and destroys it.

The engine runs no program (sandbox.harness does) and touches no moto internals:
it calls the emulator through boto3.
"""

from sandbox.engine.backends import EmulatorBackend, InventedBackend, Stack
from sandbox.engine.errors import (
    NotModelledError,
    ProviderRefusalError,
    ResourceOperationError,
    UnmodelledChangeError,
    UnsupportedResourceTypeError,
)
from sandbox.engine.handlers import HANDLERS, handler_for
from sandbox.engine.model import Deployed, Handler, Where
from sandbox.engine.plan import Action, Change

__all__ = [
    "HANDLERS",
    "Action",
    "Change",
    "Deployed",
    "EmulatorBackend",
    "Handler",
    "InventedBackend",
    "NotModelledError",
    "ProviderRefusalError",
    "ResourceOperationError",
    "Stack",
    "UnmodelledChangeError",
    "UnsupportedResourceTypeError",
    "Where",
    "handler_for",
]
