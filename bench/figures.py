"""What every benchmark shares: a figure, and a command run in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    parameters: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None


def run(command: list[str]) -> tuple[float, str]:
    """(wall seconds, stdout) of a command in a fresh process; stops the bench if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 (this module's own commands)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, done.stdout


def last_json(stdout: str) -> dict[str, Any]:
    return dict(json.loads(stdout.strip().splitlines()[-1]))
