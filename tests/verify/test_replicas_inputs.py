"""The outputs' `replicas`: parsed and checked before any AWS call; every bad value is exit 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stack import outputs as contract
from tests.verify.test_bad_input import GOOD, one_line_exit_2
from verify.__main__ import main
from verify.inputs import Replica, parse_outputs

ACCOUNT = GOOD[contract.ACCOUNT_ID]
EU_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EU: dict[str, Any] = {
    contract.REPLICA_REGION: "eu-west-1",
    contract.REPLICA_KEY_ARN: EU_KEY,
    contract.REPLICA_KEY_ALIAS: "alias/encrypted-dynamodb/dev/encrypted",
    contract.REPLICA_ARN: f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
}
AP: dict[str, Any] = {
    contract.REPLICA_REGION: "ap-southeast-2",
    contract.REPLICA_KEY_ARN: f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/5678",
    contract.REPLICA_KEY_ALIAS: "alias/encrypted-dynamodb/dev/encrypted",
    contract.REPLICA_ARN: f"arn:aws:dynamodb:ap-southeast-2:{ACCOUNT}:table/orders",
}


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def test_replicas_are_parsed_in_order() -> None:
    want = parse_outputs({**GOOD, contract.REPLICAS: [EU, AP]})
    assert want.replicas == (
        Replica("eu-west-1", EU_KEY, EU[contract.REPLICA_KEY_ALIAS], EU[contract.REPLICA_ARN]),
        Replica(
            "ap-southeast-2", AP[contract.REPLICA_KEY_ARN], AP[contract.REPLICA_KEY_ALIAS], AP[contract.REPLICA_ARN]
        ),
    )
    assert want.replicas[0].key_id == "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("absent", [None, []])
def test_no_replicas_is_a_single_region_stack(absent: object) -> None:
    data = dict(GOOD) if absent is None else {**GOOD, contract.REPLICAS: absent}
    assert parse_outputs(data).replicas == ()


def with_eu(**changes: Any) -> dict[str, Any]:
    return {**EU, **changes}


BAD_REPLICAS = [
    ("not a list", {"eu-west-1": EU}, "output replicas is {'eu-west-1'"),
    ("an entry not an object", ["eu-west-1"], "output replicas[0] is 'eu-west-1'; expected {region, keyArn"),
    ("an entry missing its key", [{k: v for k, v in EU.items() if k != "keyArn"}], "replicas[0] is missing keyArn"),
    ("a region misspelt", [with_eu(region="EU-West-1")], "output replicas[0].region is 'EU-West-1'; expected an AWS"),
    ("the primary region", [with_eu(region="us-east-1")], "is 'us-east-1', the primary region"),
    ("a region twice", [EU, EU], "output replicas[1].region is 'eu-west-1' again"),
    ("a key ARN that is an alias", [with_eu(keyArn="alias/x")], "replicas[0].keyArn is 'alias/x'; expected a KMS key"),
    (
        "the primary's key",
        [with_eu(keyArn=GOOD[contract.KEY_ARN])],
        "expected a KMS key ARN in eu-west-1 (arn:aws:kms:eu-west-1:<account>:key/<id>)",
    ),
    ("an alias that is no alias", [with_eu(keyAlias="eu-key")], "output replicas[0].keyAlias is 'eu-key'"),
    (
        "a replica ARN in another region",
        [with_eu(replicaArn=f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/orders")],
        f"expected arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
    ),
    (
        "a replica ARN of another table",
        [with_eu(replicaArn=f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/invoices")],
        "table/invoices'; expected",
    ),
    (
        "a replica ARN in another account",
        [with_eu(replicaArn="arn:aws:dynamodb:eu-west-1:210987654321:table/orders")],
        ":210987654321:table/orders'; expected",
    ),
    ("a replica ARN that is no ARN", [with_eu(replicaArn="orders")], "output replicas[0].replicaArn is 'orders'"),
]


@pytest.mark.parametrize(("case", "replicas", "message"), BAD_REPLICAS, ids=[c[0] for c in BAD_REPLICAS])
def test_bad_replicas_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, replicas: object, message: str
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({**GOOD, contract.REPLICAS: replicas}))
    line = one_line_exit_2(capsys, "--outputs", str(path))
    assert message in line, (case, line)


def test_print_policy_covers_the_replicas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({**GOOD, contract.REPLICAS: [EU]}))
    assert main(["--outputs", str(path), "--print-policy"]) == 0
    policy = capsys.readouterr().out
    assert EU[contract.REPLICA_ARN] in policy
    assert EU_KEY in policy
    assert "dynamodb.eu-west-1.amazonaws.com" in policy
