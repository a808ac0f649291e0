"""Program evaluation under Pulumi mocks: N EncryptedTables, each with 3 KeyUsers.

Run as `python -m bench.program N [--no-cyclic-gc]` in a fresh process: prints
one JSON object with the seconds the evaluation took (interpreter start and
imports excluded) and the resources registered.

Why --no-cyclic-gc: the SDK keeps every pending registration, Output and task
alive until the program ends (over a million objects at 500 tables), so CPython's
cyclic collector frees almost nothing (peak memory is the same with it off) but
rescans them all, more often as the program grows: evaluation time grows faster
than the program. pause_cyclic_gc() is what the README recommends to programs
with hundreds of components.
"""

from __future__ import annotations

import gc
import json
import sys
import time

from components import EncryptedTable, KeyUser
from sandbox.mocks import RecordingMocks
from sandbox.program import resolve_under_mocks, use_mocks

KEY_USERS_PER_TABLE = 3
ACCOUNT = "123456789012"


def build(tables: int) -> dict[str, object]:
    exports: dict[str, object] = {}
    for i in range(tables):
        table = EncryptedTable(f"table-{i}", {"partition_key": "id", "deletion_protection": False})
        for j in range(KEY_USERS_PER_TABLE):
            reader = f"arn:aws:iam::{ACCOUNT}:role/readers/reader-{i}-{j}"
            KeyUser(f"table-{i}-reader-{j}", table.key_user_args(reader))
        exports[f"table-{i}"] = table.table_arn
    return exports


def measure(tables: int) -> dict[str, float]:
    mocks = RecordingMocks()
    use_mocks(mocks, {})
    start = time.perf_counter()
    resolve_under_mocks(lambda: build(tables))
    seconds = time.perf_counter() - start
    return {"tables": tables, "seconds": seconds, "resources": len(mocks.resources), "invokes": len(mocks.invokes)}


def pause_cyclic_gc() -> None:
    """Freeze what the imports allocated and turn the cyclic collector off (reference counting still frees)."""
    gc.freeze()
    gc.disable()


if __name__ == "__main__":
    if "--no-cyclic-gc" in sys.argv[2:]:
        pause_cyclic_gc()
    print(json.dumps(measure(int(sys.argv[1]))))
