"""Our side of the side-by-side: access.evaluator.authorize_kms on the shared scenarios.

`python -m bench.ours SCENARIOS time BUDGET_MS`: checks every scenario's decision against the
expected one, then times each (after a warm-up of them all, batches until BUDGET_MS have passed) and prints one
JSON object: per scenario the decision, the iterations and the nanoseconds per decision. A
mismatch is reported (and nothing timed): the caller fails the figure.

`python -m bench.ours SCENARIOS cold NAME`: one decision in this fresh process, printed as soon as
it is made (the caller times the process from its start to that line).

The inputs are built once, as a caller holding the documents would (a Request, the key policy as
parsed JSON, NamedPolicy identity policies, Grants); each decision is one authorize_kms call, so it
includes whatever the evaluator does per call (deriving the context, matching, compiling or looking
up compiled documents).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from access.evaluator import Decision, Grant, NamedPolicy, Request, authorize_kms

WARM_UP_SECONDS = 0.2


def outcome(decision: Decision) -> str:
    """The decision as iam-simulate names it: an explicit deny names the statement that decided."""
    if decision.allowed:
        return "Allowed"
    return "ExplicitlyDenied" if decision.source else "ImplicitlyDenied"


def decider(scenario: dict[str, Any]) -> Callable[[], Decision]:
    given = scenario["request"]
    request = Request(
        principal_arn=given["principal"],
        action=given["action"],
        resource=given["resource"],
        account_id=given["account"],
        context=given["context"],
        encryption_context=given["encryption_context"],
    )
    key_policy = scenario["key_policy"]
    identity = [NamedPolicy(f"identity policy {p['name']}", p["policy"]) for p in scenario["identity_policies"]]
    grants = [
        Grant(g["grant_id"], g["grantee_principal"], tuple(g["operations"]), g["constraints"])
        for g in scenario["grants"]
    ]
    return lambda: authorize_kms(request, key_policy, identity, grants)


def timed(decide: Callable[[], Decision], budget: float) -> tuple[int, float]:
    """(iterations, seconds) of batches of decisions until `budget` seconds have passed."""
    iterations, elapsed, batch = 0, 0.0, 16
    while elapsed < budget:
        start = time.perf_counter()
        for _ in range(batch):
            decide()
        elapsed += time.perf_counter() - start
        iterations += batch
        batch = min(batch * 2, 4096)
    return iterations, elapsed


def time_all(scenarios: list[dict[str, Any]], budget: float) -> dict[str, Any]:
    deciders = {s["name"]: decider(s) for s in scenarios}
    mismatches = {}
    for scenario in scenarios:
        decision = deciders[scenario["name"]]()
        if outcome(decision) != scenario["expected"]:
            mismatches[scenario["name"]] = {"expected": scenario["expected"], "got": outcome(decision)}
            mismatches[scenario["name"]]["reason"] = decision.reason
    if mismatches:
        return {"mismatches": mismatches}
    for decide in deciders.values():  # every scenario warmed up before any is timed
        timed(decide, WARM_UP_SECONDS)
    results = {}
    for scenario in scenarios:
        decide = deciders[scenario["name"]]
        iterations, seconds = timed(decide, budget)
        results[scenario["name"]] = {
            "decision": outcome(decide()),
            "iterations": iterations,
            "ns": seconds / iterations * 1e9,
        }
    return {"scenarios": results}


def main(argv: list[str]) -> None:
    path, mode, argument = argv
    scenarios = json.loads(Path(path).read_text(encoding="utf-8"))["scenarios"]
    if mode == "cold":
        scenario = next(s for s in scenarios if s["name"] == argument)
        print(json.dumps({"decision": outcome(decider(scenario)())}), flush=True)
        return
    print(json.dumps(time_all(scenarios, float(argument) / 1000)))


if __name__ == "__main__":
    main(sys.argv[1:])
