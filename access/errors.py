"""The one error type raised for bad input, and the texts it carries.

Every message names the field that was wrong and what would have been accepted,
so a user can fix the stack config without reading our source.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(ValueError):
    """Bad input to a component, the stack program or a policy builder.

    Raised before any resource is registered, so nothing is half-made.
    """

    def __init__(self, field: str, problem: str, allowed: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.allowed = allowed
        text = f"{field}: {problem}"
        if allowed:
            text += f" (allowed: {allowed})"
        super().__init__(text)


def one_of(values: Iterable[object]) -> str:
    """Render a closed set of allowed values for an error message."""
    return ", ".join(repr(v) for v in values)
