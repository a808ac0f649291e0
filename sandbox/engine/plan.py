"""What `pulumi up` does to one resource, from what was deployed and what the program now asks for.

The provider's rules (engine.provider_rules) decide: replace, update in place, or plan
a change away as the provider's own diff does.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sandbox.engine.documents import policies_equivalent
from sandbox.engine.errors import NotModelledError, UnmodelledChangeError
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


# A property path of the ignoreChanges option as this project's programs write them: names joined by ".",
# each followed by any number of [<index>] or [*] (Pulumi's property paths also quote keys, ["a.b"]: not modelled).
_PATH_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\*|[0-9]+)\])*)")
_INDEX = re.compile(r"\[(\*|[0-9]+)\]")


def _path(text: str) -> list[str | int | None]:
    """A property path as steps: a key (str), an index (int) or every element (None)."""
    steps: list[str | int | None] = []
    for segment in text.split("."):
        match = _PATH_SEGMENT.fullmatch(segment)
        if match is None:
            raise NotModelledError(f"ignoreChanges path {text!r} is not modelled by the sandbox engine")
        steps.append(match.group(1))
        steps += [None if i == "*" else int(i) for i in _INDEX.findall(match.group(2))]
    return steps


def _keep_old(old: Any, new: Any, steps: Sequence[str | int | None]) -> None:
    """Put old's value at the path into new, in place, where both hold the path's container and old the value."""
    step, rest = steps[0], steps[1:]
    places: list[Any]
    if isinstance(step, str):
        if not (isinstance(old, Mapping) and isinstance(new, dict) and step in old):
            return
        places = [step] if not rest or step in new else []
    else:
        if not (isinstance(old, list) and isinstance(new, list)):
            return
        shared = min(len(old), len(new))
        places = list(range(shared)) if step is None else [step] if step < shared else []
    for place in places:
        if rest:
            _keep_old(old[place], new[place], rest)
        else:
            new[place] = copy.deepcopy(old[place])


def kept_ignored(old: Mapping[str, Any], new: Mapping[str, Any], ignore_changes: Sequence[str]) -> dict[str, Any]:
    """The program's inputs with the ignoreChanges paths given their deployed values: "Pulumi ignores a property
    by using the old value from the state instead of the value provided by the Pulumi program when determining
    whether an update or replace is needed. Ignored properties will still be used from the program when there is
    no previous value in the state" (https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/)."""
    kept = copy.deepcopy(dict(new))
    for text in ignore_changes:
        _keep_old(old, kept, _path(text))
    return kept


def plan(
    handler: Handler[Any],
    before: Deployed | None,
    name: str,
    inputs: Mapping[str, Any],
    ignore_changes: Sequence[str] = (),
) -> Step:
    """Create, keep, replace (an input the provider replaces on changed) or update in place.

    A change to an input the provider neither replaces on nor changes in place, or one
    the handler cannot change in the emulator (Handler.not_modelled), raises
    UnmodelledChangeError: the emulator would keep the old value while the state
    recorded the new one. The paths of ignore_changes keep their deployed values (kept_ignored).
    """
    if before is None:
        return Step(Action.CREATE, inputs=dict(inputs))
    inputs = kept_ignored(before.inputs, inputs, ignore_changes)
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
