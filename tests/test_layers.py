"""The layers, seen from a fresh interpreter: what importing each tool really loads.

The import-linter contracts (.importlinter, run by `make test`) forbid the imports
statically; these tests check the result at run time, where a lazy import or a
package __init__ would show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pulumi", "pulumi_aws", "moto")


def loaded_after(statement: str) -> set[str]:
    """Top-level packages loaded by running `statement` in a fresh interpreter at the project root."""
    probe = f"import sys, json; {statement}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("tool", "statement", "forbidden"),
    [
        ("the verifier", "import verify.__main__", HEAVY),
        ("the policy pack's policies", "import policy.policies", ("pulumi_aws", "moto", "boto3")),
        ("the access core", "import access.evaluator, access.analyzers, access.arns", (*HEAVY, "boto3", "yaml")),
        ("the output contract", "import stack.outputs", (*HEAVY, "boto3")),
        ("pure component logic", "import components.validation, components.policy_builders", HEAVY),
        # check/notes/artifacts run without the SDK; only `schema` (and check's schema version) load it, on use.
        ("the release tooling", "import release.__main__", (*HEAVY, "boto3")),
    ],
)
def test_importing_a_tool_loads_no_heavier_layer(tool: str, statement: str, forbidden: tuple[str, ...]) -> None:
    loaded = loaded_after(statement)
    assert not loaded & set(forbidden), f"{tool} loads {sorted(loaded & set(forbidden))}"


def test_the_components_still_load_the_aws_sdk_when_used() -> None:
    # The other side of the lazy package: the check above would pass for a broken import.
    assert "pulumi_aws" in loaded_after("from components import EncryptedTable")
