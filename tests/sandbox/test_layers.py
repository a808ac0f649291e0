"""The sandbox's own layers, seen from a fresh interpreter: what importing each part really loads.

The emulator never loads the engine, the harness, the demo, the verifier or the
program; the engine and the harness never load moto (the unit tests use them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator  # a subprocess each

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_MODULES = [p.stem for p in (ROOT / "sandbox" / "emulator").glob("*.py") if p.stem != "__init__"]


def modules_after(statement: str) -> set[str]:
    """Every module loaded by running `statement` in a fresh interpreter at the project root."""
    probe = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def under(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages))


def test_the_emulator_loads_nothing_above_it() -> None:
    loaded = modules_after("; ".join(f"import sandbox.emulator.{m}" for m in EMULATOR_MODULES))
    assert "moto" in loaded
    forbidden = ("verify", "components", "stack", "pulumi", "sandbox.engine", "sandbox.harness", "sandbox.demo")
    assert under(loaded, *forbidden) == []


@pytest.mark.parametrize("part", ["sandbox.engine", "sandbox.harness"])
def test_the_engine_and_the_harness_load_no_moto(part: str) -> None:
    assert under(modules_after(f"import {part}"), "moto", "sandbox.emulator.server") == []
