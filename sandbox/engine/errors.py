"""What the sandbox does not model stops a run with an error, rather than be guessed at."""

from __future__ import annotations

from collections.abc import Mapping


class NotModelledError(Exception):
    """The program asked for something the sandbox does not model."""


class UnsupportedResourceTypeError(NotModelledError):
    """A resource type with no handler."""


class UnmodelledChangeError(NotModelledError):
    """An input changed that the provider rules neither update in place nor replace on, or that the
    handler cannot update in the emulator (`reasons`, by input)."""

    def __init__(self, typ: str, name: str, inputs: list[str], reasons: Mapping[str, str] | None = None) -> None:
        self.typ, self.name, self.inputs = typ, name, inputs
        if reasons:
            why = "; ".join(f"{k}: {reasons[k]}" for k in inputs)
            cause = f"the provider updates it in place, but the sandbox cannot ({why})"
        else:
            cause = "sandbox/engine/provider_rules.py neither updates it in place nor replaces the resource for it"
        super().__init__(
            f"resource {name!r} ({typ}): the sandbox does not model a change to {', '.join(inputs)} "
            f"({cause}); the deploy stops rather than record a change the emulator would not have"
        )
