"""What `pulumi up` does to one resource, from what was deployed and what the program now asks for.

The provider's rules (engine.provider_rules) decide: replace, update in place, or plan
a change away as the provider's own diff does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sandbox.engine.documents import policies_equivalent
from sandbox.engine.errors import UnmodelledChangeError
from sandbox.engine.model import Deployed, Handler
from sandbox.engine.provider_rules import ProviderRules


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
    # The inputs as the provider records them: the program's, but for what its diff planned away.
    inputs: Mapping[str, Any] = field(default_factory=dict)


def settle(rules: ProviderRules, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The new inputs with what the provider's diff clears put back as deployed, and a note for each.

    An item of a keyed set (ProviderRules.keyed_sets) whose key was deployed stays as
    deployed; the set's order is the provider's concern, not a change. A policy document
    (ProviderRules.policy_documents) equivalent to the deployed one stays as deployed.
    """
    settled, notes = dict(new), []
    for name in rules.policy_documents:
        before, after = old.get(name), new.get(name)
        rewritten = isinstance(before, str) and isinstance(after, str) and before != after
        if rewritten and policies_equivalent(str(before), str(after)):
            settled[name] = before
            notes.append(f"{name}: an equivalent policy document (kept as deployed)")
    for name, keyed in rules.keyed_sets.items():
        before, after = old.get(name), new.get(name)
        if not isinstance(before, list) or not isinstance(after, list):
            continue
        deployed = {item[keyed.key]: item for item in before}
        items, kept = [], []
        for item in after:
            was = deployed.get(item[keyed.key])
            if was is not None and _canonical(was) != _canonical(item):
                kept.append(str(item[keyed.key]))
            items.append(item if was is None else was)
        if sorted(map(_canonical, items)) == sorted(map(_canonical, before)):
            items = before
        settled[name] = items
        if kept:
            notes.append(f"{keyed.why} ({', '.join(kept)} kept as deployed)")
    return settled, notes


def plan(handler: Handler[Any], before: Deployed | None, name: str, inputs: Mapping[str, Any]) -> Step:
    """Create, keep, replace (an input the provider replaces on changed) or update in place.

    A change to an input the provider neither replaces on nor changes in place, or one
    the handler cannot change in the emulator (Handler.not_modelled), raises
    UnmodelledChangeError: the emulator would keep the old value while the state
    recorded the new one.
    """
    if before is None:
        return Step(Action.CREATE, inputs=dict(inputs))
    rules = handler.rules
    asked = changed_inputs(before.inputs, inputs)
    replacing = asked & rules.replace_on
    if replacing:
        return Step(Action.REPLACE, asked, ", ".join(sorted(replacing)), dict(inputs))
    settled, notes = settle(rules, before.inputs, inputs)
    changed = changed_inputs(before.inputs, settled)
    if not changed:
        return Step(Action.SAME, detail="; ".join(f"no change: {note}" for note in notes), inputs=settled)
    unmodelled = changed - rules.in_place
    if unmodelled:
        raise UnmodelledChangeError(handler.typ, name, sorted(unmodelled))
    refused = {k: why for k, why in handler.not_modelled.items() if k in changed}
    if refused:
        raise UnmodelledChangeError(handler.typ, name, sorted(refused), refused)
    return Step(Action.UPDATE, changed, "; ".join([", ".join(sorted(changed)), *notes]), settled)
