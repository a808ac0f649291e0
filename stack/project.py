"""Pulumi.yaml, read as data: the project name and its typed `config:` block.

The `config:` block is the one source of the stack's config keys, types, defaults and
descriptions. The Pulumi CLI applies its defaults to every stack; the sandbox's mock
runner applies them the same way (sandbox.harness), and docs/configuration.md is
generated from it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from access.errors import ConfigError

PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"


@dataclass(frozen=True)
class ConfigKey:
    name: str
    type: str  # string, integer, boolean or array
    default: Any
    description: str


@functools.cache
def _project() -> dict[str, Any]:
    with PROJECT_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{PROJECT_FILE} is not a YAML mapping")
    return data


def project_name() -> str:
    return str(_project()["name"])


def config_schema() -> dict[str, ConfigKey]:
    """The declared config keys (without the project prefix), in file order."""
    return {
        name: ConfigKey(name, str(spec["type"]), spec.get("default"), str(spec.get("description", "")))
        for name, spec in (_project().get("config") or {}).items()
    }


def config_defaults() -> dict[str, Any]:
    """Each declared key's default, as the CLI hands it to a program when the stack sets none."""
    return {name: key.default for name, key in config_schema().items() if key.default is not None}


def check_declared(config: Mapping[str, Any]) -> None:
    """Refuse a project config key the `config:` block does not declare, as the Pulumi CLI does for a
    project with a config schema (a typo such as `grantTestPrincipall` is an error, not a no-op).
    Keys of other namespaces (`aws:region`, ...) belong to providers and pass."""
    declared = config_schema()
    project = project_name()
    for key in config:
        namespace, _, name = key.rpartition(":")
        if namespace in ("", project) and name not in declared:
            raise ConfigError(
                key, f"is not declared in Pulumi.yaml's config (project {project})", ", ".join(sorted(declared))
            )
