"""IAM and KMS policy documents as data: parsing, statements, principals, labels, wildcards.

The grammar is AWS's (IAM JSON policy elements reference,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html):
an element may hold one value or a list of them, and in Action, Resource and
string conditions `*` matches any run of characters and `?` exactly one.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POLICY_VERSION = "2012-10-17"

Document = Mapping[str, Any]


class PolicyParseError(ValueError):
    """A text that is not a JSON policy document."""


@dataclass(frozen=True)
class NamedPolicy:
    """A policy document and where it came from (for explanations)."""

    source: str
    document: Document


def parse_document(text: str | Document) -> Document:
    """A policy document from its JSON text (as IAM and KMS return it), or the document itself."""
    if isinstance(text, Mapping):
        return text
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as error:
        raise PolicyParseError(f"not a JSON policy document ({error})") from None
    if not isinstance(document, Mapping):
        raise PolicyParseError("not a JSON object")
    return document


def parse_policy(text: str | Document, source: str) -> NamedPolicy:
    """A NamedPolicy from a JSON text or a parsed document."""
    return NamedPolicy(source, parse_document(text))


def as_list(value: Any) -> list[Any]:
    """A policy element as a list: IAM lets one value stand for a list of one."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(policy: Document) -> list[Mapping[str, Any]]:
    """The statements of a document (a lone statement object counts as a list of one)."""
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, Mapping)]


def statement_label(statement: Mapping[str, Any], position: int) -> str:
    """How every report names a statement: its Sid, or '#<n>' counting from 1."""
    return str(statement.get("Sid") or f"#{position + 1}")


def statement_principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal a statement's Principal names, flattened ("*" stays "*")."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    return [str(p) for values in principal.values() for p in as_list(values)]


def aws_principals(value: Any) -> list[str]:
    """The AWS principals of a Principal or NotPrincipal element ("*" stays "*"): only AWS principals
    can be IAM users, roles and sessions; Service, Federated and CanonicalUser entries never match them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [str(v) for v in as_list(value.get("AWS"))]
    return []


def condition_keys(statement: Mapping[str, Any]) -> set[str]:
    """The condition keys a statement tests, lower-cased (condition keys ignore case)."""
    return {key.lower() for block in (statement.get("Condition") or {}).values() for key in block}


@functools.lru_cache(maxsize=65536)
def wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A wildcard compiled once: an audit matches the same few hundred patterns millions of times."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL)


def iam_wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards: * any run of characters, ? one character; nothing else is special."""
    if not ignore_case and "*" not in pattern and "?" not in pattern:
        return pattern == value
    return wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Action names ignore case in IAM."""
    return iam_wildcard_match(pattern, action, ignore_case=True)


def statement_allows_action(statement: Mapping[str, Any], action: str) -> bool:
    """Does an Allow statement cover this action (through Action or NotAction)?"""
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(action_matches(p, action) for p in as_list(statement["NotAction"]))
    return any(action_matches(p, action) for p in as_list(statement.get("Action")))
