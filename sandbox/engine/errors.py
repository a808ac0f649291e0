"""What the sandbox does not model stops a run with an error, rather than be guessed at."""

from __future__ import annotations


class NotModelledError(Exception):
    """The program asked for something the sandbox does not model."""


class UnsupportedResourceTypeError(NotModelledError):
    """A resource type with no handler."""


class UnmodelledChangeError(NotModelledError):
    """An input changed that the resource's handler neither updates in place nor replaces on."""

    def __init__(self, typ: str, name: str, inputs: list[str]) -> None:
        self.typ, self.name, self.inputs = typ, name, inputs
        super().__init__(
            f"resource {name!r} ({typ}): the sandbox does not model a change to {', '.join(inputs)} "
            "(its handler neither updates it in place nor replaces the resource for it); "
            "the deploy stops rather than record a change the emulator would not have"
        )
