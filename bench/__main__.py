"""python -m bench: measure, print a table, write bench/results.json (one JSON object per figure).

Benchmarks are not tests: they report numbers against targets and never fail a build.
Each measurement runs in a fresh process, so no run inherits another's state.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.figures import PYTHON, ROOT, Figure, last_json, run
from bench.side_by_side import bench_side_by_side, table

RESULTS = Path(__file__).resolve().parent / "results.json"
PROGRAM_SIZES = (1, 10, 100, 500)
PROPAGATION_DELAYS = (0.0, 5.0, 20.0)


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def ratio_target(mode: str, ratio: float) -> tuple[str, bool | None]:
    """The linear-growth target applies to the runner; the default-GC figures are for comparison."""
    return ("<= 5.5", ratio <= 5.5) if mode == "runner" else ("", None)


def bench_program(repeat: int) -> list[Figure]:
    """Program evaluation under mocks: N EncryptedTables x 3 KeyUsers.

    As the sandbox runner evaluates programs (cyclic GC paused: the targets), and with
    CPython's default GC for comparison (no targets: the SDK's garbage-collection cost,
    see docs/performance.md).
    """
    figures = []
    for mode, flags in (("runner", []), ("default-gc", ["--default-gc"])):
        seconds: dict[int, float] = {}
        for tables in PROGRAM_SIZES:
            runs = 1 if tables >= 500 else repeat
            results = [last_json(run([PYTHON, "-m", "bench.program", str(tables), *flags])[1]) for _ in range(runs)]
            seconds[tables] = statistics.median(r["seconds"] for r in results)
            resources = results[0]["resources"]
            params = {"tables": tables, "key_users_per_table": 3, "resources": resources, "gc": mode, "runs": runs}
            target, met = ("< 5 s", seconds[tables] < 5) if tables == 100 and mode == "runner" else ("", None)
            figures.append(
                Figure(f"program.{mode}.{tables}.seconds", round(seconds[tables], 3), "s", params, target, met)
            )
            figures.append(
                Figure(f"program.{mode}.{tables}.rate", round(resources / seconds[tables], 1), "resources/s", params)
            )
        ratio = seconds[500] / seconds[100]
        figures.append(
            Figure(f"program.{mode}.ratio_500_100", round(ratio, 2), "x", {"gc": mode}, *ratio_target(mode, ratio))
        )
    return figures


REPLICA_REGIONS = "eu-west-1,ap-southeast-2"


def bench_global_tables(repeat: int) -> list[Figure]:
    """The program with 100 tables in 3 regions each (a key per region, a grant per region per key user)."""
    results = [
        last_json(run([PYTHON, "-m", "bench.program", "100", "--replicas", REPLICA_REGIONS])[1]) for _ in range(repeat)
    ]
    seconds = statistics.median(r["seconds"] for r in results)
    params = {"tables": 100, "regions": 3, "resources": results[0]["resources"], "runs": repeat}
    return [
        Figure("program.global.100x3.seconds", round(seconds, 2), "s", params),
        # The deploy context is asked once per provider, not per component or region: 4 invokes a run.
        Figure(
            "program.global.100x3.invokes", results[0]["invokes"], "invokes", params, "== 4", results[0]["invokes"] == 4
        ),
    ]


def bench_tests(repeat: int) -> list[Figure]:
    """Wall time of the unit suite (everything but the emulator tests), and of the whole suite for reference."""
    unit = statistics.median(run([PYTHON, "-m", "pytest", "-m", "not emulator", "-q"])[0] for _ in range(repeat))
    whole = run([PYTHON, "-m", "pytest", "-q"])[0]
    return [
        Figure(
            "tests.unit.wall",
            round(unit, 2),
            "s",
            {"selection": "-m 'not emulator'", "runs": repeat},
            "< 10 s",
            unit < 10,
        ),
        Figure("tests.all.wall", round(whole, 2), "s", {"selection": "everything", "runs": 1}),
    ]


def bench_demo(repeat: int) -> list[Figure]:
    """`make demo` end to end in a fresh process each time (the venv already built)."""
    times = [run(["make", "--no-print-directory", "demo"])[0] for _ in range(repeat)]
    worst = max(times)
    return [
        Figure(
            "demo.wall",
            round(statistics.median(times), 2),
            "s",
            {"runs": repeat, "worst": round(worst, 2)},
            "< 20 s",
            worst < 20,
        )
    ]


def bench_verification(repeat: int) -> list[Figure]:
    """Time from a grant to the verifier's verdict with propagation delay D, and the overhead beyond D."""
    figures = []
    for delay in PROPAGATION_DELAYS:
        runs = repeat if delay < 20 else 1
        results = [last_json(run([PYTHON, "-m", "bench.verification", str(delay)])[1]) for _ in range(runs)]
        if not all(r["passed"] for r in results):
            raise SystemExit(f"the verification failed with propagation delay {delay}")
        params = {"propagation_delay": delay, "runs": runs}
        worst = max(r["overhead"] for r in results)
        limit = max(1.0, 0.1 * delay)
        figures.append(
            Figure(
                f"verify.delay_{delay:g}.seconds",
                round(statistics.median(r["seconds"] for r in results), 2),
                "s",
                params,
            )
        )
        figures.append(
            Figure(f"verify.delay_{delay:g}.overhead", round(worst, 2), "s", params, f"<= {limit:g} s", worst <= limit)
        )
    return figures


def bench_open_boundary(repeat: int) -> list[Figure]:
    """Time to a FAIL verdict when the test principal reads although it should be refused."""
    results = [last_json(run([PYTHON, "-m", "bench.verdict"])[1]) for _ in range(repeat)]
    if not all(r["failed"] for r in results):
        raise SystemExit("the open boundary was not reported as a failure")
    worst = max(r["seconds"] for r in results)
    return [
        Figure(
            "verify.open_boundary.seconds",
            round(statistics.median(r["seconds"] for r in results), 2),
            "s",
            {"runs": repeat, "worst": round(worst, 2), "max_wait": "default (420 s)"},
            "< 3 s",
            worst < 3,
        )
    ]


# (roles, users, groups, grants): about 1,200 principals, and ten times as many.
AUDIT_ACCOUNTS = ((1000, 200, 20, 200), (10000, 2000, 200, 2000))


def bench_audit(repeat: int) -> list[Figure]:
    """The access audit with all its paths (the table's stream on, the assume-role closure) against an
    account of ~1,200 and ~12,000 principals (roles, users in groups, grants), split into collection
    (through the emulator's API) and judgement (collected account to matrix), with end to end and the
    process's peak memory; see bench/audit.py. The small account runs `repeat` times, the large once."""
    figures: list[Figure] = []
    medians: dict[int, dict[str, float]] = {}
    for roles, users, groups, grants in AUDIT_ACCOUNTS:
        runs = 1 if roles >= 10000 else repeat
        args = [str(n) for n in (roles, users, groups, grants)]
        results = [last_json(run([PYTHON, "-m", "bench.audit", *args])[1]) for _ in range(runs)]
        principals, ends = results[0]["principals"], [r["seconds"] for r in results]
        size = f"{round(principals, -2):,}".replace(",", "_")
        medians[roles] = {
            key: statistics.median(r[key] for r in results)
            for key in ("collect_seconds", "judge_seconds", "seconds", "peak_rss_mb", "peak_rss_before_mb")
        }
        m = medians[roles]
        params = {
            "roles": roles,
            "users": users,
            "groups": groups,
            "grants": grants,
            "principals": principals,
            "rows_shown": results[0]["shown"],
            "findings": results[0]["findings"],
            "assume_chains": results[0]["chains"],
            "runs": runs,
            "end_to_end_range_s": [round(min(ends), 2), round(max(ends), 2)],
            "account_built_s": round(statistics.median(r["build_seconds"] for r in results), 2),
        }
        big = roles >= 10000
        judge_target, judge_met = ("< 10 s", m["judge_seconds"] < 10) if big else ("", None)
        figures += [
            Figure(f"audit.{size}.collect", round(m["collect_seconds"], 2), "s", params),
            Figure(f"audit.{size}.judge", round(m["judge_seconds"], 2), "s", params, judge_target, judge_met),
            Figure(f"audit.{size}.end_to_end", round(m["seconds"], 2), "s", params),
            Figure(
                f"audit.{size}.peak_rss",
                round(m["peak_rss_mb"]),
                "MB",
                {**params, "before_the_audit_mb": round(m["peak_rss_before_mb"])},
            ),
        ]
    small, large = (medians[a[0]] for a in AUDIT_ACCOUNTS)
    # Ten times the principals: linear growth is a ratio of about 10 (fixed costs make it less).
    for part, key in (("judge", "judge_seconds"), ("collect", "collect_seconds"), ("end_to_end", "seconds")):
        ratio = large[key] / small[key]
        target, met = ("<= 10 (linear)", ratio <= 10) if part == "judge" else ("", None)
        figures.append(
            Figure(f"audit.growth.{part}", round(ratio, 2), "x", {"principals": "12,000 / 1,200"}, target, met)
        )
    return figures


def bench_startup(repeat: int) -> list[Figure]:
    """How long `python -m verify` takes to import (a fresh interpreter, no AWS call)."""
    times = [run([PYTHON, "-c", "import verify.__main__"])[0] for _ in range(max(repeat, 3))]
    median = statistics.median(times)
    return [Figure("verify.import.seconds", round(median, 2), "s", {"runs": len(times)}, "< 1 s", median < 1)]


BENCHMARKS: dict[str, Callable[[int], list[Figure]]] = {
    "program": bench_program,
    "tests": bench_tests,
    "demo": bench_demo,
    "verification": bench_verification,
    "open-boundary": bench_open_boundary,
    "audit": bench_audit,
    "side-by-side": bench_side_by_side,
    "startup": bench_startup,
    "global-tables": bench_global_tables,
}


def render(figures: list[Figure]) -> str:
    lines = [f"{'figure':<40} {'value':>10} {'unit':<12} {'target':<14} met"]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        lines.append(f"{f.name:<40} {f.value:>10} {f.unit:<12} {f.target:<14} {met}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these (repeatable)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure, the median reported (slow ones run once)"
    )
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    for name in args.only or list(BENCHMARKS):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        figures += BENCHMARKS[name](args.repeat)
    print(render(figures))
    if any(f.name.startswith("side_by_side.") for f in figures):
        print(f"\n{table(figures)}")
    about = machine()
    with RESULTS.open("w", encoding="utf-8") as handle:
        for figure in figures:
            handle.write(json.dumps({**asdict(figure), "machine": about}) + "\n")
    print(f"\n{len(figures)} figures written to {RESULTS.relative_to(ROOT)} ({about['cpus']} CPUs, {about['date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
