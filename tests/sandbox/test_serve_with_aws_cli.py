"""`python -m sandbox serve`, driven by the AWS CLI as an independent client.

The walkthrough's steps 3 to 5 by hand: the deployer puts an item; the test
principal's `aws dynamodb get-item` fails with the KMS AccessDenied; the
deployer makes it a key user with `aws kms create-grant`; the same get-item
returns the item; after `aws kms revoke-grant`, it fails again.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stack import outputs as contract

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = str(Path(sys.executable).with_name("aws"))
STARTUP_LINES = 40


@dataclass(frozen=True)
class Served:
    environment: dict[str, str]  # the deployer's, as serve printed it
    outputs: dict[str, str]  # as serve wrote them to the outputs file
    printed: list[str]  # everything serve printed on stdout and stderr so far
    stderr_file: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    outputs_file, stderr_file = folder / "outputs.json", folder / "stderr.txt"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--config",
            "testPrincipal=user",
            "--outputs-file",
            str(outputs_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr_file.open("w"),
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    assert process.stdout is not None
    environment: dict[str, str] = {}
    printed: list[str] = []
    try:
        for _ in range(STARTUP_LINES):
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                environment[name] = shlex.split(value)[0]
            if "AWS_DEFAULT_REGION" in environment:
                break
        assert set(environment) == {
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        }
        yield Served(environment, json.loads(outputs_file.read_text()), printed, stderr_file)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def aws(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | environment
    return subprocess.run([AWS_CLI, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)


def test_get_item_as_the_test_principal_is_refused_by_kms_until_granted(
    served: Served,
) -> None:
    deployer, out = served.environment, served.outputs
    test_user = deployer | {
        "AWS_ACCESS_KEY_ID": out[contract.TEST_USER_ACCESS_KEY_ID],
        "AWS_SECRET_ACCESS_KEY": out[contract.TEST_USER_SECRET_ACCESS_KEY],
    }
    table, key = out[contract.TABLE_NAME], '{"id": {"S": "walkthrough-1"}}'

    put = aws(
        deployer,
        "dynamodb",
        "put-item",
        "--table-name",
        table,
        "--item",
        '{"id": {"S": "walkthrough-1"}, "note": {"S": "hello"}}',
    )
    assert put.returncode == 0, put.stderr

    refused = aws(test_user, "dynamodb", "get-item", "--table-name", table, "--key", key)
    assert refused.returncode != 0
    assert "(AccessDeniedException)" in refused.stderr
    assert "KMS key access denied error" in refused.stderr

    context = json.dumps({"aws:dynamodb:tableName": table, "aws:dynamodb:subscriberId": out[contract.ACCOUNT_ID]})
    grant = aws(
        deployer, "kms", "create-grant", "--key-id", out[contract.KEY_ARN],
        "--grantee-principal", out[contract.TEST_PRINCIPAL_ARN], "--operations", "Decrypt",
        "--constraints", json.dumps({"EncryptionContextSubset": json.loads(context)}),
    )  # fmt: skip
    assert grant.returncode == 0, grant.stderr
    grant_id = json.loads(grant.stdout)["GrantId"]

    read = aws(test_user, "dynamodb", "get-item", "--table-name", table, "--key", key)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["Item"]["note"] == {"S": "hello"}

    revoked = aws(deployer, "kms", "revoke-grant", "--key-id", out[contract.KEY_ARN], "--grant-id", grant_id)
    assert revoked.returncode == 0, revoked.stderr
    again = aws(test_user, "dynamodb", "get-item", "--table-name", table, "--key", key)
    assert again.returncode != 0
    assert "KMS key access denied error" in again.stderr


def test_a_grant_for_another_table_does_not_open_this_one(served: Served) -> None:
    deployer, out = served.environment, served.outputs
    test_user = deployer | {
        "AWS_ACCESS_KEY_ID": out[contract.TEST_USER_ACCESS_KEY_ID],
        "AWS_SECRET_ACCESS_KEY": out[contract.TEST_USER_SECRET_ACCESS_KEY],
    }
    other = {"EncryptionContextSubset": {"aws:dynamodb:tableName": "another-table"}}
    grant = aws(
        deployer, "kms", "create-grant", "--key-id", out[contract.KEY_ARN],
        "--grantee-principal", out[contract.TEST_PRINCIPAL_ARN], "--operations", "Decrypt",
        "--constraints", json.dumps(other),
    )  # fmt: skip
    assert grant.returncode == 0, grant.stderr
    scan = aws(test_user, "dynamodb", "scan", "--table-name", out[contract.TABLE_NAME])
    assert scan.returncode != 0
    assert "KMS key access denied error" in scan.stderr


def test_serve_prints_no_secret_and_writes_the_outputs_for_the_owner_only(served: Served) -> None:
    secret = served.outputs[contract.TEST_USER_SECRET_ACCESS_KEY]
    assert secret
    printed = "".join(served.printed) + served.stderr_file.read_text()
    assert "stack outputs:" in printed
    assert secret not in printed
    outputs_file = Path(printed.split("stack outputs: ", 1)[1].split()[0])
    assert outputs_file.stat().st_mode & 0o077 == 0
