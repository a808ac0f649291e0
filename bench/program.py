"""Program evaluation under Pulumi mocks: N EncryptedTables, each with 3 KeyUsers.

Run as `python -m bench.program N [--default-gc] [--replicas R1,R2]` in a fresh process: prints one
JSON object with the seconds the evaluation took (interpreter start and imports
excluded) and the resources registered. The evaluation is sandbox.harness's, which
pauses the cyclic GC while a program runs (see cyclic_gc_paused); --default-gc
leaves CPython's collector on, for comparison.
"""

from __future__ import annotations

import json
import sys
import time

from components import EncryptedTable, KeyUser
from sandbox.emulator.account import ACCOUNT_ID
from sandbox.harness import RecordingMocks, resolve_under_mocks, use_mocks

KEY_USERS_PER_TABLE = 3


def build(tables: int, replicas: list[str]) -> dict[str, object]:
    exports: dict[str, object] = {}
    for i in range(tables):
        table = EncryptedTable(
            f"table-{i}", {"partition_key": "id", "deletion_protection": False, "replica_regions": replicas}
        )
        for j in range(KEY_USERS_PER_TABLE):
            reader = f"arn:aws:iam::{ACCOUNT_ID}:role/readers/reader-{i}-{j}"
            KeyUser(f"table-{i}-reader-{j}", table.key_user_args(reader))
        exports[f"table-{i}"] = table.table_arn
    return exports


def measure(tables: int, *, pause_gc: bool = True, replicas: list[str] | None = None) -> dict[str, float]:
    mocks = RecordingMocks()
    use_mocks(mocks, {})
    start = time.perf_counter()
    resolve_under_mocks(lambda: build(tables, replicas or []), pause_gc=pause_gc)
    seconds = time.perf_counter() - start
    return {"tables": tables, "seconds": seconds, "resources": len(mocks.resources), "invokes": len(mocks.invokes)}


if __name__ == "__main__":
    flags = sys.argv[2:]
    regions = flags[flags.index("--replicas") + 1].split(",") if "--replicas" in flags else []
    print(json.dumps(measure(int(sys.argv[1]), pause_gc="--default-gc" not in flags, replicas=regions)))
