"""`python -m sandbox`: a deploy AWS refuses ends with the refusal on one line and exit code 2, not a traceback."""

from __future__ import annotations

from typing import Any

import pytest

import sandbox.__main__ as cli
from access.provider_types import DYNAMODB_TABLE_REPLICA
from sandbox.engine import ResourceOperationError

REFUSAL = ResourceOperationError(
    "creating",
    DYNAMODB_TABLE_REPLICA,
    "orders-replica-eu-west-1",
    "",
    "ValidationException",
    "Table write capacity should either be Pay-Per-Request or AutoScaled.",
)


def test_a_refused_deploy_is_reported_as_an_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise REFUSAL

    monkeypatch.setattr(cli, "run_program", refused)
    assert cli.main(["plan"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {REFUSAL}\n"
    assert "creating 'orders-replica-eu-west-1' (aws:dynamodb/tableReplica:TableReplica): ValidationException" in err
