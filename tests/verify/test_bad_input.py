"""Every bad input to `python -m verify` is exit 2 with one line saying what to do: never a
traceback, never exit 1 (which means "a check failed"), never a probe with a value that cannot be right."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stack import outputs as contract
from verify.__main__ import main
from verify.inputs import CannotRunError, parse_outputs
from verify.outputs_file import MAX_OUTPUTS_BYTES, decode_outputs

CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens: a run that got past the inputs would exit 2 too, but later
GOOD: dict[str, Any] = {
    contract.REGION: "us-east-1",
    contract.ACCOUNT_ID: "123456789012",
    contract.TABLE_NAME: "orders",
    contract.TABLE_ARN: "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
    contract.KEY_ID: "1234abcd-12ab-34cd-56ef-1234567890ab",
    contract.KEY_ARN: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    contract.KEY_ALIAS: "alias/encrypted-dynamodb/dev/encrypted",
    contract.POINT_IN_TIME_RECOVERY: True,
    contract.DELETION_PROTECTION: True,
    contract.TEST_PRINCIPAL_KIND: "user",
    contract.TEST_PRINCIPAL_ARN: "arn:aws:iam::123456789012:user/test-principal",
    contract.TEST_PRINCIPAL_EXPECTED_ACCESS: "denied",
    contract.TEST_USER_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    contract.TEST_USER_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def one_line_exit_2(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main([*argv, "--endpoint-url", CLOSED_PORT, "--max-wait", "0"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("verify: cannot run: "), lines[0]
    assert "Traceback" not in captured.err
    return lines[0]


def write(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "outputs.json"
    path.write_bytes(data)
    return str(path)


READER = "arn:aws:iam::123456789012:role/reader"
READ_ENTRY = {"principal": READER, "access": "read"}
PATHS = "'stream', 'export', 'backup', 'restore', 're-key', 'kinesis', 'table policy'"


def as_json(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


OUTPUT_FILE_CASES = [
    ("Latin-1 text", '{"region": "café"}'.encode("latin-1"), "is not UTF-8 text"),
    ("not JSON", b"region=us-east-1", "is not JSON"),
    ("a JSON list", b"[1, 2]", "must be a JSON object"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("a number as region", as_json(region=5), "output region is 5; expected an AWS region name"),
    ("an object as table name", as_json(tableName={"a": 1}), "output tableName is {'a': 1}; expected a DynamoDB"),
    ("a table name with a newline", as_json(tableName="orders\n"), "output tableName is 'orders\\n'"),
    ("an access key id as a list", as_json(testUserAccessKeyId=["AKIA"]), "output testUserAccessKeyId is ['AKIA']"),
    ("a masked secret", as_json(testUserSecretAccessKey="[secret]"), "--show-secrets"),
    ("a secret as a list", as_json(testUserSecretAccessKey=["x"]), "is not a secret access key (a list)"),
    ("a secret as a dict", as_json(testUserSecretAccessKey={"x": 1}), "is not a secret access key (a dict)"),
    (
        "a secret with a trailing newline",
        as_json(testUserSecretAccessKey=GOOD[contract.TEST_USER_SECRET_ACCESS_KEY] + "\n"),
        "is not a secret access key (a str, with whitespace)",
    ),
    ("an account id as digits of another script", as_json(accountId="١٢٣٤٥٦٧٨٩٠١٢"), "12-digit AWS account id"),
    ("a flag as a string", as_json(pointInTimeRecovery="yes"), "output pointInTimeRecovery is 'yes'"),
    ("an unknown principal kind", as_json(testPrincipalKind="group"), "testPrincipalKind is 'group'"),
    (
        "a table ARN of another table",
        as_json(tableArn="arn:aws:dynamodb:us-east-1:123456789012:table/invoices"),
        "names table 'invoices'",
    ),
    (
        "a key of another region",
        as_json(keyArn="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "is a key of eu-west-1",
    ),
    ("an alias ARN as key ARN", as_json(keyArn="arn:aws:kms:us-east-1:123456789012:alias/x"), "a KMS key ARN"),
    ("a name as key id", as_json(keyId="orders"), "output keyId is 'orders'; expected a KMS key id"),
    # The declared intent (intendedKeyUsers): each entry's access and paths.
    (
        "an unknown access level",
        as_json(intendedKeyUsers=[{"principal": READER, "access": "write"}]),
        "output intendedKeyUsers[0].access is 'write'; expected 'read', 'read-write', 'none'",
    ),
    (
        "paths as one string",
        as_json(intendedKeyUsers=[{"principal": READER, "access": "read", "paths": "stream"}]),
        f"output intendedKeyUsers[0].paths is 'stream'; expected a list of {PATHS}",
    ),
    (
        "an item path among the paths",
        as_json(intendedKeyUsers=[{"principal": READER, "access": "read", "paths": ["stream", "read"]}]),
        f"output intendedKeyUsers[0].paths[1] is 'read'; expected {PATHS}",
    ),
    (
        "a path not a string",
        as_json(intendedKeyUsers=[READ_ENTRY, {"principal": READER, "access": "none", "paths": [["export"]]}]),
        f"output intendedKeyUsers[1].paths[0] is ['export']; expected {PATHS}",
    ),
    (
        "paths null",
        as_json(intendedKeyUsers=[{"principal": READER, "access": "read", "paths": None}]),
        "output intendedKeyUsers[0].paths is None; expected a list of",
    ),
    (
        "access none without paths",
        as_json(intendedKeyUsers=[{"principal": READER, "access": "none"}]),
        f"output intendedKeyUsers[0].paths is missing or empty, and access 'none' declares nothing else; "
        f"expected a list of {PATHS}",
    ),
    (
        "access none with no path",
        as_json(intendedKeyUsers=[{"principal": READER, "access": "none", "paths": []}]),
        "output intendedKeyUsers[0].paths is missing or empty",
    ),
]


@pytest.mark.parametrize(("data", "message"), [c[1:] for c in OUTPUT_FILE_CASES], ids=[c[0] for c in OUTPUT_FILE_CASES])
def test_a_bad_outputs_file_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, message: str
) -> None:
    line = one_line_exit_2(capsys, "--outputs", write(tmp_path, data))
    assert message in line
    assert GOOD[contract.TEST_USER_SECRET_ACCESS_KEY] not in line  # a secret is never echoed


def test_utf16_from_powershell_and_a_utf8_bom_are_read() -> None:
    text = json.dumps(GOOD)
    for raw in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        assert parse_outputs(decode_outputs(raw, "outputs")).table_name == "orders"


def test_files_that_are_not_outputs_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "it is a directory" in one_line_exit_2(capsys, "--outputs", str(tmp_path))
    missing = one_line_exit_2(capsys, "--outputs", str(tmp_path / "nope.json"))
    assert "no such file" in missing
    assert "Pulumi" not in missing
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    assert "not a regular file" in one_line_exit_2(capsys, "--outputs", str(zero))
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_OUTPUTS_BYTES + 1)
    assert f"over {MAX_OUTPUTS_BYTES} bytes" in one_line_exit_2(capsys, "--outputs", str(huge))


def test_no_pulumi_cli_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", "")
    assert "the Pulumi CLI is not on PATH" in one_line_exit_2(capsys, "--stack", "dev")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-wait", "-5"], "not a finite number of seconds, 0 or more"),
        (["--max-wait", "nan"], "not a finite number of seconds"),
        (["--max-wait", "inf"], "not a finite number of seconds"),
        (["--max-wait", "soon"], "'soon' is not a number of seconds"),
        (["--endpoint-url", "not-a-url"], "'not-a-url' is not an http(s) URL"),
        (["--junit-xml", "/no/such/folder/report.xml"], "the folder /no/such/folder does not exist"),
    ],
)
def test_bad_arguments_are_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    path = write(tmp_path, as_json())
    code = main(["--outputs", path, "--endpoint-url", CLOSED_PORT, "--max-wait", "0", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert message in err[0]


def test_a_bad_endpoint_in_the_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "localhost:4566")
    assert main(["--outputs", write(tmp_path, as_json())]) == 2
    assert "AWS_ENDPOINT_URL: 'localhost:4566' is not an http(s) URL" in capsys.readouterr().err


def test_zero_max_wait_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Valid outputs and --max-wait 0 get as far as the (closed) endpoint: still exit 2, for that reason.
    line = one_line_exit_2(capsys, "--outputs", write(tmp_path, as_json()))
    assert "cannot reach http://127.0.0.1:9" in line


# -- properties: whatever arrives, exit 2 or a parsed StackOutputs, never another exception -----------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(st.binary(max_size=2048))
def test_random_bytes_as_outputs_file_are_exit_2(raw: bytes) -> None:
    with pytest.raises(CannotRunError):
        parse_outputs(decode_outputs(raw, "outputs"))


@given(st.sampled_from(sorted(GOOD)), json_values)
def test_any_json_value_for_any_output_is_parsed_or_refused(name: str, value: Any) -> None:
    refused: CannotRunError | None = None
    try:
        parsed = parse_outputs({**GOOD, name: value})
    except CannotRunError as error:
        refused = error
    if refused is not None:
        assert "\n" not in str(refused), "one line"
        return
    # Accepted: then the value was one the verifier can use as it is.
    assert isinstance(parsed.region, str)
    assert not (isinstance(value, float) and not math.isfinite(value)), f"{name}={value!r} was accepted"


def test_the_property_tests_reach_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The same path main takes, end to end, with bytes no outputs file has.
    assert "is not UTF-8 text" in one_line_exit_2(capsys, "--outputs", write(tmp_path, b"\x80{}"))
