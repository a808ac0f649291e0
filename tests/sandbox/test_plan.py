"""`python -m sandbox plan`: the program under plain mocks, secrets hidden."""

from __future__ import annotations

import pytest

from sandbox.__main__ import main


def test_plan_lists_resources_and_outputs_and_hides_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--config", "testPrincipal=user"]) == 0
    printed = capsys.readouterr().out
    assert "aws:kms/key:Key" in printed
    assert "aws:dynamodb/table:Table" in printed
    assert "testUserSecretAccessKey        [secret]" in printed
    from sandbox.harness import run_program

    secret = run_program({"testPrincipal": "user"}).outputs["testUserSecretAccessKey"]
    assert secret not in printed


def test_plan_reports_bad_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--config", "grantMode=acl"]) == 2
    assert "grantMode: 'acl' is not supported" in capsys.readouterr().err
