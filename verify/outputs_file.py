"""Reading the stack outputs: a file, standard input or `pulumi stack output`, as a JSON object.

Size-capped and decoded (UTF-8, or UTF-16 with a BOM); what the object says is inputs.py's
(parse_outputs). Every way the reading can fail ends in CannotRunError with one line saying
what to do (exit code 2).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from typing import Any, BinaryIO

from verify.inputs import CannotRunError

# `pulumi stack output --json` of one stack is a few kilobytes; more is not an outputs file.
MAX_OUTPUTS_BYTES = 1024 * 1024


def decode_outputs(raw: bytes, where: str) -> dict[str, Any]:
    """The outputs JSON object from bytes: UTF-8 (a BOM allowed) or UTF-16 with a BOM (what
    Windows PowerShell 5's `>` writes); anything else is refused with what to do."""
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise CannotRunError(
            f"{where} is not UTF-8 text: save the outputs as UTF-8 "
            "(PowerShell: `pulumi stack output --json --show-secrets | Out-File -Encoding utf8 FILE`)"
        ) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise CannotRunError(f"{where} is nested too deeply to be stack outputs") from None
    except ValueError as error:
        raise CannotRunError(f"{where} is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise CannotRunError(f"{where} must be a JSON object of output names to values")
    return data


def _read_capped(handle: BinaryIO, where: str) -> bytes:
    raw = handle.read(MAX_OUTPUTS_BYTES + 1)
    if len(raw) > MAX_OUTPUTS_BYTES:
        raise CannotRunError(f"{where} is over {MAX_OUTPUTS_BYTES} bytes: it is not a stack's outputs")
    return raw


def _read_file(path: str) -> bytes:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CannotRunError(f"cannot read {path}: no such file") from None
    except OSError as error:
        raise CannotRunError(f"cannot read {path}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CannotRunError(f"cannot read {path}: it is a directory; give the outputs JSON file")
    if not stat.S_ISREG(info.st_mode):
        raise CannotRunError(f"cannot read {path}: not a regular file; give the outputs JSON file")
    try:
        with open(path, "rb") as handle:
            return _read_capped(handle, path)
    except OSError as error:
        raise CannotRunError(f"cannot read {path}: {error.strerror}") from None


def _from_pulumi(stack: str) -> bytes:
    command = ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack]
    try:
        done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603 (fixed argv, no shell)
    except FileNotFoundError:
        raise CannotRunError(
            "the Pulumi CLI is not on PATH: install it, or pass the outputs with --outputs FILE"
        ) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()[:500]
        raise CannotRunError(f"`pulumi stack output --stack {stack}` failed: {detail}")
    return bytes(done.stdout)


def read_outputs(*, outputs_file: str | None, stack: str | None, stdin: BinaryIO | None = None) -> dict[str, Any]:
    """The outputs JSON from a file, standard input ('-'), or `pulumi stack output`."""
    if outputs_file == "-":
        return decode_outputs(_read_capped(stdin or sys.stdin.buffer, "standard input"), "standard input")
    if outputs_file is not None:
        return decode_outputs(_read_file(outputs_file), outputs_file)
    if stack is not None:
        return decode_outputs(_from_pulumi(stack), f"the outputs of stack {stack}")
    raise CannotRunError("say where the outputs are: --stack NAME, --outputs FILE or --outputs -")
