"""`python -m sandbox demo --replicas eu-west-1`: the walkthrough told across two regions."""

from __future__ import annotations

import re

import pytest

from sandbox.__main__ import build_parser, main
from sandbox.demo import run_demo

pytestmark = pytest.mark.emulator

EU = "eu-west-1"


def test_the_demo_tells_the_story_in_both_regions(clean_aws_env: None) -> None:
    told: list[str] = []
    result = run_demo(replicas=(EU,), say=told.append)
    story = "\n".join(told)
    assert result.passed, story
    assert f"A global table: a replica in {EU}" in story
    assert re.search(rf"Its replica in {EU} is encrypted with that region's key arn:aws:kms:{EU}:", story)
    assert f"Replicated to {EU}, read there by the deployer:" in story
    # Refused in each region by that region's key, then read in each region.
    refusals = re.findall(
        r"refused: AccessDeniedException: KMS key access denied error: .* resource: (arn:aws:kms:[^:]+)", story
    )
    assert refusals == ["arn:aws:kms:us-east-1", f"arn:aws:kms:{EU}"]
    assert story.count("read 3 item(s), decrypted:") == 2
    assert story.count("demo-1: first item (12)") == 4  # the deployer and the key user, in each region
    read = {f.check: f for f in result.read_findings}
    assert read[f"replica[{EU}].boundary_probe.read"].status.value == "PASS"
    assert EU in result.audit_after.replica_rows
    assert story.rstrip().endswith("as a key user, the data.")


def test_replica_regions_are_checked_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["demo", "--replicas", EU, "--replicas", "ap-southeast-2"]).replicas == [
        EU,
        "ap-southeast-2",
    ]
    assert build_parser().parse_args(["demo"]).replicas == []
    with pytest.raises(SystemExit) as stopped:
        main(["demo", "--replicas", "Europe"])
    assert stopped.value.code == 2
    assert "'Europe' is not a region name" in capsys.readouterr().err


def test_the_table_region_as_a_replica_is_refused_by_the_component(
    clean_aws_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--replicas", "us-east-1"]) == 2
    assert "replica" in capsys.readouterr().err
