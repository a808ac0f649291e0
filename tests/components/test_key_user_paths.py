"""KeyUser's declared paths (a stream consumer, an exporter, ...): what each grants, on what, and access "none"."""

from __future__ import annotations

import inspect
from typing import Any

import pulumi
import pytest

from access.documents import action_matches
from access.operations import DECLARABLE_PATHS, Path, path_actions
from components import KeyUser
from components.key_user import KeyUserArgs
from components.policy_builders import SID_DECLARED_PATH, declared_path_statements, table_access_policy
from components.validation import KEY_USER_PATHS, validate_key_user_args
from sandbox.emulator.account import ACCOUNT_ID
from sandbox.harness import RecordingMocks
from tests.conftest import policy_of

TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/orders"
REPLICA_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/orders"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REPLICA_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/5678abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/apps/exporter"
GRANT, ROLE_POLICY = "aws:kms/grant:Grant", "aws:iam/rolePolicy:RolePolicy"

# Each declarable path's statements, pinned as literals: statement id -> (actions, resources).
PATH_STATEMENTS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "stream": {
        "DeclaredPathStream": (["dynamodb:GetRecords", "dynamodb:GetShardIterator"], [f"{TABLE_ARN}/stream/*"]),
    },
    "export": {"DeclaredPathExport": (["dynamodb:ExportTableToPointInTime"], [TABLE_ARN])},
    "backup": {"DeclaredPathBackup": (["dynamodb:CreateBackup", "dynamodb:StartAwsBackupJob"], [TABLE_ARN])},
    "restore": {
        "DeclaredPathRestoreBackup": (["dynamodb:RestoreTableFromBackup"], [f"{TABLE_ARN}/backup/*"]),
        "DeclaredPathRestoreTable": (
            ["dynamodb:RestoreTableFromAwsBackup", "dynamodb:RestoreTableToPointInTime"],
            [TABLE_ARN],
        ),
    },
    "re-key": {"DeclaredPathReKey": (["dynamodb:UpdateTable"], [TABLE_ARN])},
    "kinesis": {"DeclaredPathKinesis": (["dynamodb:EnableKinesisStreamingDestination"], [TABLE_ARN])},
    "table policy": {
        "DeclaredPathTablePolicy": (["dynamodb:DeleteResourcePolicy", "dynamodb:PutResourcePolicy"], [TABLE_ARN]),
    },
}


def key_user(**overrides: Any) -> Any:
    args = {"key_arn": KEY_ARN, "table_name": "orders", "table_arn": TABLE_ARN, "principal_arn": ROLE, **overrides}

    def program() -> dict[str, Any]:
        user = KeyUser("exporter", args)  # type: ignore[arg-type]
        return {"access": user.access, "paths": user.paths}

    return program


def path_statements(policy: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    return {
        s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"] if s["Sid"].startswith(SID_DECLARED_PATH)
    }


def test_every_declarable_path_is_pinned_and_named_in_the_input_docstring() -> None:
    assert set(PATH_STATEMENTS) == set(KEY_USER_PATHS) == {p.value for p in DECLARABLE_PATHS}
    # The schema's description is the docstring: it lists every allowed value.
    source = inspect.getsource(KeyUserArgs)
    described = source[source.index("paths: NotRequired") :]
    assert all(f"'{path}'" in described for path in KEY_USER_PATHS)


@pytest.mark.parametrize("mode", ["grant", "iam-policy"])
@pytest.mark.parametrize("path", sorted(PATH_STATEMENTS))
def test_each_declared_path_grants_its_actions_on_its_resources(
    mocks: RecordingMocks, resolve: Any, mode: str, path: str
) -> None:
    resolve(key_user(mode=mode, paths=[path], include_table_access=True))
    policy = policy_of(mocks.one(ROLE_POLICY))
    assert path_statements(policy) == PATH_STATEMENTS[path]
    # The catalogue's actions of the path, and nothing else: no "*" action or resource.
    granted = {a for actions, _ in PATH_STATEMENTS[path].values() for a in actions}
    assert granted == set(path_actions(Path(path)))
    for actions, resources in PATH_STATEMENTS[path].values():
        assert not any("*" in a for a in actions)
        assert all(r.startswith(TABLE_ARN) for r in resources)
    # The key user's own rights stay as they were: read items, and the key through a grant or a statement.
    sids = [s["Sid"] for s in policy["Statement"] if not s["Sid"].startswith(SID_DECLARED_PATH)]
    assert sids == (["AccessTableItems"] if mode == "grant" else ["UseTableKeyThroughDynamoDB", "AccessTableItems"])
    assert bool(mocks.of_type(GRANT)) == (mode == "grant")


def test_every_path_at_once_is_one_statement_each_after_the_items() -> None:
    doc = table_access_policy(table_arn=TABLE_ARN, access="read", paths=DECLARABLE_PATHS)
    expected = {sid: spec for path in PATH_STATEMENTS.values() for sid, spec in path.items()}
    assert path_statements(doc) == expected
    assert doc["Statement"][0]["Sid"] == "AccessTableItems"


def test_paths_without_table_access_are_declared_not_granted(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(key_user(paths=["stream", "export"]))
    assert out == {"access": "read", "paths": ["export", "stream"]}
    assert len(mocks.of_type(GRANT)) == 1
    assert not mocks.of_type(ROLE_POLICY)


def test_no_paths_by_default(resolve: Any) -> None:
    assert resolve(key_user())["paths"] == []


@pytest.mark.parametrize("mode", ["grant", "iam-policy"])
def test_access_none_uses_no_key_and_grants_only_the_paths(mocks: RecordingMocks, resolve: Any, mode: str) -> None:
    out = resolve(key_user(mode=mode, access="none", paths=["export", "stream"], include_table_access=True))
    assert out == {"access": "none", "paths": ["export", "stream"]}
    assert not mocks.of_type(GRANT)
    (attached,) = mocks.of_type(ROLE_POLICY)
    assert attached.name == "exporter-table-access"
    policy = policy_of(attached)
    assert [s["Sid"] for s in policy["Statement"]] == ["DeclaredPathExport", "DeclaredPathStream"]
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert not [a for a in actions if a.startswith("kms:")]
    assert not any(action_matches(a, "dynamodb:GetItem") or action_matches(a, "dynamodb:PutItem") for a in actions)


def test_access_none_without_table_access_creates_nothing_but_declares(mocks: RecordingMocks, resolve: Any) -> None:
    out = resolve(key_user(mode="iam-policy", access="none", paths=["kinesis"]))
    assert out == {"access": "none", "paths": ["kinesis"]}
    assert [r for r in mocks.resources if r.custom] == []


def test_access_none_needs_no_key_delegation_nor_a_kind_without_table_access() -> None:
    spec = validate_key_user_args(
        {
            "key_arn": KEY_ARN,
            "table_name": "orders",
            "table_arn": TABLE_ARN,
            "principal_arn": pulumi.Output.from_input(ROLE),
            "mode": "iam-policy",
            "access": "none",
            "paths": ["stream"],
            "key_allows_iam_policies": False,
        }
    )
    assert (spec.uses_key, spec.principal_kind, spec.paths) == (False, None, (Path.STREAM,))


def test_paths_are_sorted_in_the_spec() -> None:
    spec = validate_key_user_args(
        {
            "key_arn": KEY_ARN,
            "table_name": "orders",
            "table_arn": TABLE_ARN,
            "principal_arn": ROLE,
            "paths": ["table policy", "backup", "re-key"],
        }
    )
    assert [p.value for p in spec.paths] == ["backup", "re-key", "table policy"]


@pytest.mark.parametrize("mode", ["grant", "iam-policy"])
def test_paths_cover_the_replicas_the_key_user_covers(mocks: RecordingMocks, resolve: Any, mode: str) -> None:
    resolve(
        key_user(
            mode=mode,
            paths=["stream"],
            include_table_access=True,
            replica_key_arns={"us-east-1": REPLICA_KEY_ARN},
        )
    )
    (stream,) = [s for s in policy_of(mocks.one(ROLE_POLICY))["Statement"] if s["Sid"] == "DeclaredPathStream"]
    assert stream["Resource"] == [f"{TABLE_ARN}/stream/*", f"{REPLICA_ARN}/stream/*"]


def test_a_path_given_twice_to_the_builder_is_one_statement() -> None:
    assert len(declared_path_statements([TABLE_ARN], [Path.EXPORT, Path.EXPORT])) == 1
