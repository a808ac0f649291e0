"""The canary's key and the command printed to delete it by hand."""

from __future__ import annotations

import base64
import json
import shlex

import pytest

from verify.canary import CANARY_MARKER_ATTRIBUTE, new_canary


@pytest.mark.parametrize("kind", ["S", "N", "B"])
def test_the_delete_command_names_the_canary_as_the_aws_cli_reads_it(kind: str) -> None:
    canary = new_canary("orders", "eu-west-1", (("id", kind),))
    command = shlex.split(canary.delete_command())
    assert command[:3] == ["aws", "dynamodb", "delete-item"]
    assert command[command.index("--region") + 1] == "eu-west-1"
    assert command[command.index("--table-name") + 1] == "orders"
    assert command[command.index("--condition-expression") + 1] == f"attribute_exists({CANARY_MARKER_ATTRIBUTE})"
    ((name, typed),) = json.loads(command[command.index("--key") + 1]).items()
    value = canary.key["id"][kind]
    # The AWS CLI takes binary values in JSON as base64 (a raw "verify-canary-..." is not valid base64).
    assert typed == {kind: base64.b64encode(value.encode()).decode() if kind == "B" else value}
    assert name == "id"
