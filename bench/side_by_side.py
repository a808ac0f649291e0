"""Our evaluator side by side with @cloud-copilot/iam-simulate, the open-source simulator, on the same scenarios.

The scenarios (bench/peer/scenarios.json, from `bench.scenarios`) are read by both sides: `python -m
bench.ours` (access.evaluator.authorize_kms) and `node bench/peer/simulate.mjs` (iam-simulate's
runSimulation, pinned in bench/peer/package.json and package-lock.json). The peer is installed
into bench/peer/node_modules by this bench (`npm ci`) when it is missing, never by `make test`; if
it cannot be (no node, no network), the bench says why and still reports ours.

Each side first checks every scenario's decision against the expected one; a mismatch fails that
scenario's figure loudly (no time is reported for it). Then runs alternate, ours, peer, ours,
peer..., each a fresh process timing every scenario (all warmed up first, then batches of decisions for a
time budget); a figure is the median over the runs, with the range. The peer is timed twice in
each of its runs' slots: with its policies validated once beforehand (createValidatedPolicy, its
own way to skip re-validation: the target is against this, its faster path) and on plain documents
validated on every call (its README's usage), for reference. Cold start is the time from starting a
fresh process to its first decision (interpreter start, imports, reading the scenarios).
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import scenarios as scenario_data
from bench.figures import PYTHON, ROOT, Figure, last_json, run

PEER = Path(__file__).resolve().parent / "peer"
PACKAGE = "@cloud-copilot/iam-simulate"
PINNED = str(json.loads((PEER / "package.json").read_text(encoding="utf-8"))["dependencies"][PACKAGE])
INSTALLED = PEER / "node_modules" / PACKAGE / "package.json"
MIN_RUNS = 5
BUDGET_MS = 500  # per scenario per run, after the warm-up
TARGET_RATIO = 0.10
PEER_MODES = ("validated", "raw")  # the first is the one the target is against
COLD_SCENARIO = "key-policy.allowed"
INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))

    def scaled(self, factor: float, digits: int) -> dict[str, float]:
        return {
            "median": round(self.median * factor, digits),
            "low": round(self.low * factor, digits),
            "high": round(self.high * factor, digits),
        }


def _installed_version() -> str | None:
    try:
        return str(json.loads(INSTALLED.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_peer() -> tuple[str | None, str]:
    """(node's path or None, why not): the pinned peer installed in bench/peer, by `npm ci` if needed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        return None, "node is not installed"
    if _installed_version() != PINNED:
        if npm is None:
            return None, "npm is not installed"
        print(f"installing {PACKAGE}@{PINNED} into {PEER.relative_to(ROOT)} (npm ci) ...", file=sys.stderr, flush=True)
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        try:
            done = subprocess.run(  # noqa: S603 (npm, from PATH, on this bench's lock file)
                command, cwd=PEER, capture_output=True, text=True, check=False, timeout=INSTALL_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return None, f"npm ci did not finish in {INSTALL_TIMEOUT} s"
        if done.returncode != 0:
            return None, f"npm ci failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}"
    version = _installed_version()
    if version != PINNED:
        return None, f"{PACKAGE} {version} installed, {PINNED} pinned"
    return node, ""


def _peer_run(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 (node, on this bench's script)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-1000:]}")
    return last_json(done.stdout)


def _first_line(command: list[str]) -> tuple[float, dict[str, Any]]:
    """Seconds from starting a fresh process to the first line it prints, and that line."""
    start = time.perf_counter()
    with subprocess.Popen(  # noqa: S603 (this bench's own commands)
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None  # noqa: S101 (stdout=PIPE)
        line = process.stdout.readline()
        seconds = time.perf_counter() - start
        _, errors = process.communicate()
    if process.returncode != 0 or not line:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {errors.strip()[-1000:]}")
    return seconds, dict(json.loads(line))


def _mismatch_figures(side: str, mismatches: dict[str, Any]) -> list[Figure]:
    figures = []
    for name, what in mismatches.items():
        print(
            f"!!! MISMATCH ({side}) {name}: expected {what['expected']}, got {what['got']}: not timed",
            file=sys.stderr,
            flush=True,
        )
        figures.append(
            Figure(
                f"side_by_side.{name}.ratio",
                math.nan,
                "x",
                {"mismatch": {"side": side, **what}},
                f"<= {TARGET_RATIO:.2f}",
                False,
            )
        )
    return figures


def bench_side_by_side(repeat: int) -> list[Figure]:
    runs = max(MIN_RUNS, repeat)
    if scenario_data.refresh():
        print(
            f"{scenario_data.SCENARIOS.relative_to(ROOT)} regenerated (the policy builders changed): commit it",
            file=sys.stderr,
        )
    path = str(scenario_data.SCENARIOS)
    listed = json.loads(scenario_data.SCENARIOS.read_text(encoding="utf-8"))["scenarios"]
    node, unavailable = ensure_peer()
    if node is None:
        print(f"!!! the peer ({PACKAGE}@{PINNED}) is unavailable: {unavailable}; ours only", file=sys.stderr)

    ours_command = [PYTHON, "-m", "bench.ours", path, "time", str(BUDGET_MS)]
    peer_commands = {
        mode: [str(node), str(PEER / "simulate.mjs"), path, "time", str(BUDGET_MS), mode] for mode in PEER_MODES
    }
    ours: list[dict[str, Any]] = []
    peer: dict[str, list[dict[str, Any]]] = {mode: [] for mode in PEER_MODES}
    mismatched: dict[str, list[Figure]] = {}
    for _ in range(runs):
        result = last_json(run(ours_command)[1])
        if "mismatches" in result:
            return _mismatch_figures("ours", result["mismatches"])
        ours.append(result["scenarios"])
        if node is None or mismatched:
            continue
        for mode in PEER_MODES:
            try:
                result = _peer_run(peer_commands[mode])
            except RuntimeError as error:
                node, unavailable = None, str(error)
                print(f"!!! the peer failed: {unavailable}; ours only", file=sys.stderr)
                break
            if "mismatches" in result:
                mismatched[mode] = _mismatch_figures(f"peer, {mode}", result["mismatches"])
                break
            peer[mode].append(result["scenarios"])

    figures = _decision_figures(listed, ours, peer if node is not None and not mismatched else None, runs)
    figures += [f for found in mismatched.values() for f in found]
    figures += _cold_start_figures(path, node, runs)
    if node is None:
        figures.append(Figure("side_by_side.peer_unavailable", 1, "", {"why": unavailable, "pinned": PINNED}))
    return figures


def _decision_figures(
    listed: list[dict[str, Any]],
    ours: list[dict[str, Any]],
    peer: dict[str, list[dict[str, Any]]] | None,
    runs: int,
) -> list[Figure]:
    figures = []
    main_mode = PEER_MODES[0]
    for scenario in listed:
        name = scenario["name"]
        mine = Spread.of([r[name]["ns"] for r in ours])
        params: dict[str, Any] = {
            "runs": runs,
            "range_us": mine.scaled(1e-3, 2),
            "decision": scenario["expected"],
            "iterations_per_run": min(r[name]["iterations"] for r in ours),
            "description": scenario["description"],
        }
        figures.append(Figure(f"side_by_side.{name}.ours", round(mine.median / 1000, 2), "us/decision", params))
        if not scenario["peer"]:
            params["peer"] = "not modelled by iam-simulate (no KMS grants): ours only"
            continue
        if peer is None:
            continue
        theirs = {mode: Spread.of([r[name]["ns"] for r in peer[mode]]) for mode in PEER_MODES}
        peer_params: dict[str, Any] = {
            "runs": runs,
            "mode": main_mode,
            "range_us": theirs[main_mode].scaled(1e-3, 2),
            "decision": scenario["expected"],
            "iterations_per_run": min(r[name]["iterations"] for r in peer[main_mode]),
            **{f"{mode}_us": theirs[mode].scaled(1e-3, 2) for mode in PEER_MODES[1:]},
        }
        figures.append(
            Figure(f"side_by_side.{name}.peer", round(theirs[main_mode].median / 1000, 2), "us/decision", peer_params)
        )
        ratio = mine.median / theirs[main_mode].median
        paired = [o[name]["ns"] / p[name]["ns"] for o, p in zip(ours, peer[main_mode], strict=True)]
        ratio_params = {
            "paired_runs": {"low": round(min(paired), 3), "high": round(max(paired), 3)},
            **{f"vs_{mode}": round(mine.median / theirs[mode].median, 3) for mode in PEER_MODES[1:]},
        }
        figures.append(
            Figure(
                f"side_by_side.{name}.ratio",
                round(ratio, 3),
                "x",
                ratio_params,
                f"<= {TARGET_RATIO:.2f}",
                ratio <= TARGET_RATIO,
            )
        )
    return figures


def _cold_start_figures(path: str, node: str | None, runs: int) -> list[Figure]:
    ours_command = [PYTHON, "-m", "bench.ours", path, "cold", COLD_SCENARIO]
    peer_command = [str(node), str(PEER / "simulate.mjs"), path, "cold", COLD_SCENARIO, PEER_MODES[0]]
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        seconds, said = _first_line(ours_command)
        if said["decision"] != "Allowed":
            raise SystemExit(f"ours decided {said['decision']} on {COLD_SCENARIO} in a fresh process")
        mine.append(seconds)
        if node is not None:
            seconds, said = _first_line(peer_command)
            if said["decision"] != "Allowed":
                raise SystemExit(f"the peer decided {said['decision']} on {COLD_SCENARIO} in a fresh process")
            theirs.append(seconds)
    ours_spread = Spread.of(mine)
    params: dict[str, Any] = {"runs": runs, "scenario": COLD_SCENARIO, "range_ms": ours_spread.scaled(1000, 1)}
    if not theirs:
        return [Figure("side_by_side.cold_start.ours", round(ours_spread.median * 1000, 1), "ms", params)]
    peer_spread = Spread.of(theirs)
    met = ours_spread.median < peer_spread.median
    return [
        Figure("side_by_side.cold_start.ours", round(ours_spread.median * 1000, 1), "ms", params, "< peer", met),
        Figure(
            "side_by_side.cold_start.peer",
            round(peer_spread.median * 1000, 1),
            "ms",
            {"runs": runs, "scenario": COLD_SCENARIO, "range_ms": peer_spread.scaled(1000, 1)},
        ),
    ]


def table(figures: list[Figure]) -> str:
    """The side-by-side as a table: per scenario, ours and the peer (median, range) and the ratio."""
    by_name = {f.name: f for f in figures}
    prefix, parts = "side_by_side.", (".ours", ".peer", ".ratio")
    names = list(dict.fromkeys(f.name[len(prefix) :].rsplit(".", 1)[0] for f in figures if f.name.endswith(parts)))
    lines = [f"{'scenario':<20} {'ours us (range)':>24} {'peer us (range)':>26} {'ours/peer':>9} {'peer raw us':>12}"]

    def cell(figure: Figure | None, key: str) -> str:
        if figure is None:
            return "-"
        spread = figure.parameters.get(key, {})
        return f"{figure.value:g} ({spread.get('low', math.nan):g}-{spread.get('high', math.nan):g})"

    for name in names:
        if name == "cold_start":
            continue
        ours, peer = by_name.get(f"{prefix}{name}.ours"), by_name.get(f"{prefix}{name}.peer")
        ratio = by_name.get(f"{prefix}{name}.ratio")
        shown = "-" if ratio is None else f"{ratio.value:g}"
        raw = "-" if peer is None else f"{peer.parameters.get('raw_us', {}).get('median', math.nan):g}"
        lines.append(f"{name:<20} {cell(ours, 'range_us'):>24} {cell(peer, 'range_us'):>26} {shown:>9} {raw:>12}")
    ours, peer = by_name.get(f"{prefix}cold_start.ours"), by_name.get(f"{prefix}cold_start.peer")
    if ours is not None:
        ratio_text = "-" if peer is None else f"{ours.value / peer.value:.2f}"
        lines.append(
            f"{'cold start (ms)':<20} {cell(ours, 'range_ms'):>24} {cell(peer, 'range_ms'):>26} {ratio_text:>9}"
        )
    return "\n".join(lines)
