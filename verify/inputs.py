"""The stack outputs the verifier runs on, read with the program's own output outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from access.arns import PRINCIPAL_KINDS
from access.errors import one_of
from stack import outputs


class CannotRunError(Exception):
    """The verification could not run at all (exit code 2)."""


@dataclass(frozen=True)
class StackOutputs:
    region: str
    account_id: str
    table_name: str
    table_arn: str
    key_id: str
    key_arn: str
    key_alias: str
    principal_kind: str
    point_in_time_recovery: bool | None = None
    deletion_protection: bool | None = None
    principal_arn: str | None = None
    expected_access: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


def parse_outputs(data: Mapping[str, Any]) -> StackOutputs:
    required = list(outputs.ALWAYS)
    kind = data.get(outputs.TEST_PRINCIPAL_KIND)
    if kind in PRINCIPAL_KINDS:
        required += list(outputs.WITH_PRINCIPAL)
    if kind == "user":
        required += list(outputs.WITH_USER)
    missing = [key for key in required if data.get(key) in (None, "")]
    if missing:
        raise CannotRunError(f"stack outputs are missing: {', '.join(missing)}")
    if kind not in outputs.TEST_PRINCIPAL_KINDS:
        raise CannotRunError(
            f"{outputs.TEST_PRINCIPAL_KIND} is {kind!r}; expected {one_of(outputs.TEST_PRINCIPAL_KINDS)}"
        )
    expected = data.get(outputs.TEST_PRINCIPAL_EXPECTED_ACCESS)
    if expected is not None and expected not in outputs.EXPECTED_ACCESS:
        allowed = one_of(outputs.EXPECTED_ACCESS)
        raise CannotRunError(f"{outputs.TEST_PRINCIPAL_EXPECTED_ACCESS} is {expected!r}; expected {allowed}")
    return StackOutputs(
        region=data[outputs.REGION],
        account_id=str(data[outputs.ACCOUNT_ID]),
        table_name=data[outputs.TABLE_NAME],
        table_arn=data[outputs.TABLE_ARN],
        key_id=data[outputs.KEY_ID],
        key_arn=data[outputs.KEY_ARN],
        key_alias=data[outputs.KEY_ALIAS],
        principal_kind=kind,
        point_in_time_recovery=data.get(outputs.POINT_IN_TIME_RECOVERY),
        deletion_protection=data.get(outputs.DELETION_PROTECTION),
        principal_arn=data.get(outputs.TEST_PRINCIPAL_ARN),
        expected_access=expected,
        access_key_id=data.get(outputs.TEST_USER_ACCESS_KEY_ID),
        secret_access_key=data.get(outputs.TEST_USER_SECRET_ACCESS_KEY),
    )


def read_outputs(*, outputs_file: str | None, stack: str | None, stdin: TextIO = sys.stdin) -> dict[str, Any]:
    """The outputs JSON from a file, standard input ('-'), or `pulumi stack output`."""
    try:
        if outputs_file == "-":
            text = stdin.read()
        elif outputs_file is not None:
            with open(outputs_file, encoding="utf-8") as handle:
                text = handle.read()
        elif stack is not None:
            command = ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack]
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed argv, no shell)
            if done.returncode != 0:
                raise CannotRunError(f"`pulumi stack output --stack {stack}` failed: {done.stderr.strip()[:500]}")
            text = done.stdout
        else:
            raise CannotRunError("say where the outputs are: --stack NAME, --outputs FILE or --outputs -")
    except FileNotFoundError as missing:
        raise CannotRunError(f"cannot read {missing.filename}: no such file (is the Pulumi CLI installed?)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CannotRunError(f"the outputs are not JSON ({error})") from None
    if not isinstance(data, dict):
        raise CannotRunError("the outputs JSON must be an object of output names to values")
    return data
