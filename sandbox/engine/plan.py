"""What `pulumi up` does to one resource, from what was deployed and what the program now asks for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sandbox.engine.errors import UnmodelledChangeError
from sandbox.engine.model import Deployed, Handler


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    SAME = "same"


@dataclass(frozen=True)
class Change:
    action: Action
    typ: str
    name: str
    detail: str = ""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def changed_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(k for k in set(old) | set(new) if _canonical(old.get(k)) != _canonical(new.get(k)))


@dataclass(frozen=True)
class Step:
    action: Action
    changed: frozenset[str] = frozenset()  # the inputs that differ from the deployed ones
    detail: str = ""  # what the change is about, as `pulumi up` lists it


def plan(handler: Handler[Any], before: Deployed | None, name: str, inputs: Mapping[str, Any]) -> Step:
    """Create, keep, replace (an input in `replace_on` changed) or update in place (all in `updates`).

    A change to an input the handler neither replaces on nor updates raises
    UnmodelledChangeError: the emulator would keep the old value while the state
    recorded the new one.
    """
    if before is None:
        return Step(Action.CREATE)
    changed = changed_inputs(before.inputs, inputs)
    if not changed:
        return Step(Action.SAME)
    replacing = changed & handler.replace_on
    if replacing:
        return Step(Action.REPLACE, changed, ", ".join(sorted(replacing)))
    unmodelled = changed - handler.updates
    if unmodelled:
        raise UnmodelledChangeError(handler.typ, name, sorted(unmodelled))
    return Step(Action.UPDATE, changed, ", ".join(sorted(changed)))
