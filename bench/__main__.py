"""python -m bench: measure, print a table, write bench/results.json (one JSON object per figure).

Benchmarks are not tests: they report numbers against targets and never fail a build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    parameters: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def timed_command(command: list[str], repeat: int) -> list[float]:
    """Wall seconds of each run of a command in a fresh process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    return times


def bench_demo(repeat: int) -> list[Figure]:
    """`make demo` end to end in a fresh process each time (the venv already built)."""
    times = timed_command(["make", "--no-print-directory", "demo"], repeat)
    worst = max(times)
    return [
        Figure(
            "demo.wall",
            round(statistics.median(times), 2),
            "s",
            {"runs": repeat, "worst": round(worst, 2)},
            "< 20 s",
            worst < 20,
        ),
    ]


BENCHMARKS: dict[str, Callable[[int], list[Figure]]] = {
    "demo": bench_demo,
}


def render(figures: list[Figure]) -> str:
    lines = [f"{'figure':<32} {'value':>10} {'unit':<6} {'target':<12} met  parameters"]
    for f in figures:
        met = "-" if f.met is None else ("yes" if f.met else "NO")
        lines.append(f"{f.name:<32} {f.value:>10} {f.unit:<6} {f.target:<12} {met:<4} {json.dumps(f.parameters)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    for name in args.only or list(BENCHMARKS):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        figures += BENCHMARKS[name](args.repeat)
    print(render(figures))
    about = machine()
    with RESULTS.open("w", encoding="utf-8") as handle:
        for figure in figures:
            handle.write(json.dumps({**asdict(figure), "machine": about}) + "\n")
    print(f"\n{len(figures)} figure(s) written to {RESULTS.relative_to(ROOT)} ({about['cpus']} CPUs, {about['date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
