"""The declared intent's paths (intendedKeyUsers[i].paths, access "none"), as the verifier reads them."""

from __future__ import annotations

from typing import Any

import pytest

from access.operations import DECLARABLE_PATHS, Path
from stack import outputs as contract
from verify.inputs import CannotRunError, parse_intent

READER = "arn:aws:iam::123456789012:role/reader"
EXPORTER = "arn:aws:iam::123456789012:role/exporter"


def intent(*entries: dict[str, Any]) -> Any:
    return parse_intent({contract.INTENDED_KEY_USERS: list(entries)})


def test_the_contract_allows_every_declarable_path_and_access_none() -> None:
    assert tuple(p.value for p in DECLARABLE_PATHS) == contract.INTENDED_PATH_VALUES
    assert contract.INTENDED_ACCESS_LEVELS == ("read", "read-write", "none")


def test_an_entry_without_paths_declares_none() -> None:
    parsed = intent({"principal": READER, "access": "read"})
    assert parsed.key_users == {READER: "read"}
    assert parsed.paths == {}


def test_paths_add_up_over_a_principals_entries() -> None:
    parsed = intent(
        {"principal": EXPORTER, "access": "none", "paths": ["export"]},
        {"principal": READER, "access": "read"},
        {"principal": EXPORTER, "access": "none", "paths": ["stream", "export"]},
    )
    assert parsed.key_users == {EXPORTER: "none", READER: "read"}
    assert parsed.paths == {EXPORTER: frozenset({Path.EXPORT, Path.STREAM})}


@pytest.mark.parametrize(
    ("levels", "widest"),
    [
        (["none", "read"], "read"),
        (["read", "none"], "read"),
        (["read-write", "none", "read"], "read-write"),
        (["none", "read-write"], "read-write"),
        (["read", "read-write"], "read-write"),
        (["read-write", "read"], "read-write"),
    ],
)
def test_the_widest_level_wins_none_only_when_alone(levels: list[str], widest: str) -> None:
    entries = [{"principal": READER, "access": level, "paths": ["backup"]} for level in levels]
    parsed = intent(*entries)
    assert parsed.key_users == {READER: widest}
    assert parsed.paths == {READER: frozenset({Path.BACKUP})}


def test_the_stacks_own_entries_round_trip() -> None:
    entries = [
        contract.intended_key_user(EXPORTER, "none", ["table policy", "re-key", "re-key"]),
        contract.intended_key_user(READER, "read"),
    ]
    assert entries == [
        {"principal": EXPORTER, "access": "none", "paths": ["re-key", "table policy"]},
        {"principal": READER, "access": "read"},
    ]
    assert intent(*entries).paths == {EXPORTER: frozenset({Path.REKEY, Path.POLICY})}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"principal": READER, "access": "read", "paths": {"stream": True}}, r"intendedKeyUsers\[0\]\.paths is "),
        ({"principal": READER, "access": "read", "paths": ["write"]}, r"intendedKeyUsers\[0\]\.paths\[0\] is 'write'"),
        ({"principal": READER, "access": "none", "paths": []}, r"intendedKeyUsers\[0\]\.paths is missing or empty"),
        ({"principal": READER, "access": None, "paths": ["stream"]}, r"intendedKeyUsers\[0\]\.access is None"),
    ],
)
def test_bad_paths_are_one_line(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(CannotRunError, match=message) as raised:
        intent(entry)
    assert "\n" not in str(raised.value)
