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


class ProviderRefusalError(Exception):
    """What the real provider refuses itself, before any call to AWS (a replica in its table's region)."""


class ResourceOperationError(Exception):
    """AWS (the emulator) or the provider refused to create, update or delete a resource: the deploy stops
    there, as `pulumi up` does, naming the resource, the refusal (AWS's code and message) and, where the
    handler knows one, what to do about it. The resource keeps the state it had."""

    def __init__(
        self, operation: str, typ: str, name: str, resource_id: str, code: str, message: str, hint: str = ""
    ) -> None:
        self.operation, self.typ, self.name, self.resource_id = operation, typ, name, resource_id
        self.code, self.message, self.hint = code, message, hint
        which = f"{name!r} ({typ}{', ' + resource_id if resource_id else ''})"
        refusal = f"{code}: {message}" if code else message
        super().__init__(f"{operation} {which}: {refusal}" + (f"\n  {hint}" if hint else ""))
