"""JSON documents as the provider compares and records them: an event pattern normalised, two policies equivalent.

- `event_pattern_state`: terraform-provider-aws internal/service/events/rule.go
  (@ 0cdab4ae09a963535e03dde0bff4784afe8e3517) gives event_pattern a StateFunc,
  ruleEventPatternJSONDecoder: the JSON decoded and encoded again by Go's encoding/json (object
  keys sorted, no insignificant whitespace, `<`, `>` and `&` left as they are). Two patterns that
  differ only in formatting or key order are one value in the plan and the state: no change.
- `policies_equivalent`: the provider's IAM policy document arguments (an SNS topic's and topic
  policy's `policy`) suppress a diff between equivalent documents (verify.SuppressEquivalentPolicyDiffs,
  which uses github.com/hashicorp/awspolicyequivalence), and Read keeps the configured text when what
  AWS returns is equivalent (verify.PolicyToSet). Read here as that library does for what this
  project writes: statements in any order; a string where a list of one is; lists of actions,
  resources, principals and condition values as sets; a principal "*" as {"AWS": "*"}; condition
  values true/false as strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SET_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")


def event_pattern_state(text: str) -> str:
    """The pattern as the provider records it; text that is not JSON is left as given (the provider's
    validator refuses it before any call)."""
    if not text:
        return text
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return sorted({str(v).lower() if isinstance(v, bool) else str(v) for v in values})


def _principal(value: Any) -> dict[str, list[str]]:
    if value == "*":
        return {"AWS": ["*"]}
    if isinstance(value, Mapping):
        return {str(kind): _strings(who) for kind, who in value.items()}
    return {"": _strings(value)}


def _statement(statement: Mapping[str, Any]) -> str:
    shape: dict[str, Any] = {}
    for element, value in statement.items():
        if element in SET_ELEMENTS:
            shape[element] = _strings(value)
        elif element in PRINCIPAL_ELEMENTS:
            shape[element] = _principal(value)
        elif element == "Condition" and isinstance(value, Mapping):
            shape[element] = {
                str(operator): {str(key): _strings(v) for key, v in (keys or {}).items()}
                for operator, keys in value.items()
            }
        else:
            shape[element] = value
    return json.dumps(shape, sort_keys=True)


def _policy_shape(text: str) -> Any:
    document = json.loads(text)
    if not isinstance(document, Mapping):
        return document
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    shape = {k: v for k, v in document.items() if k != "Statement"}
    shape["Statement"] = sorted(_statement(s) if isinstance(s, Mapping) else json.dumps(s) for s in statements)
    return shape


def policies_equivalent(a: str, b: str) -> bool:
    """Whether two policy documents say the same thing (text that is not JSON: only if identical)."""
    if a == b:
        return True
    try:
        return bool(_policy_shape(a) == _policy_shape(b))
    except ValueError:
        return False
