"""`python -m sandbox`: stack config checked as the Pulumi CLI checks it, arguments checked before anything runs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sandbox.__main__ import main, write_outputs


@pytest.mark.parametrize(
    ("config", "message"),
    [
        # The CLI refuses a key the project's config schema does not declare: a typo is an error.
        ("grantTestPrincipall=true", "grantTestPrincipall: is not declared in Pulumi.yaml's config"),
        ("encrypted-dynamodb:tablename=x", "encrypted-dynamodb:tablename: is not declared"),
        ("sortKeyType=N", "sortKeyType: is 'N' but sortKey is not set"),
        ("testPrincipal=none", None),
        ("aws:region=mars-1", "aws:region: 'mars-1' is not a region name"),
        ("keyAlias", "--config: 'keyAlias' is not KEY=VALUE"),
    ],
)
def test_plan_checks_config_as_the_cli_does(
    capsys: pytest.CaptureFixture[str], config: str, message: str | None
) -> None:
    code = main(["plan", "--config", config])
    err = capsys.readouterr().err
    if message is None:
        assert code == 0, err
        return
    assert code == 2
    assert message in err


def test_plan_contradiction_between_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--config", "testPrincipal=none", "--config", "grantTestPrincipal=true"]) == 2
    assert "grantTestPrincipal: true needs a test principal" in capsys.readouterr().err


def test_plan_honours_aws_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--config", "aws:region=eu-central-1"]) == 0
    printed = capsys.readouterr().out
    assert 'region                         "eu-central-1"' in printed
    assert "arn:aws:dynamodb:eu-central-1:" in printed


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "70000"],
        ["serve", "--port", "-1"],
        ["serve", "--propagation-delay", "nan"],
        ["serve", "--propagation-delay", "-3"],
        ["demo", "--propagation-delay", "inf"],
        ["demo", "--region", "Europe"],
    ],
)
def test_bad_arguments_stop_before_anything_starts(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_serve_refuses_an_outputs_file_in_a_missing_folder_before_deploying(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--outputs-file", str(tmp_path / "missing" / "outputs.json")]) == 2
    err = capsys.readouterr().err
    assert "--outputs-file: the folder" in err
    assert "does not exist" in err
    assert "create" not in err  # nothing was deployed


def test_the_outputs_file_is_the_owners_only_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text("{}")
    path.chmod(0o644)  # an existing, readable file: narrowed before the secret is written
    write_outputs(path, {"testUserSecretAccessKey": "s3cr3t"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"testUserSecretAccessKey": "s3cr3t"}
