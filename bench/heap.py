"""The garbage collector's view of an app after import, run inside the generated project's venv:

    python -m bench.heap MODULE

Imports MODULE (e.g. `demo.main`), then prints one JSON line: the number of objects the
collector tracks and the median time of 5 full collections (`gc.collect()`), which is what a
request pays when a full collection runs in the middle of it.
"""

from __future__ import annotations

import gc
import importlib
import json
import statistics
import sys
import time

COLLECTIONS = 5


def measure(module: str) -> dict[str, float]:
    importlib.import_module(module)
    gc.collect()  # warm-up: the first collection also frees import-time garbage
    pauses = []
    for _ in range(COLLECTIONS):
        start = time.perf_counter()
        gc.collect()
        pauses.append(time.perf_counter() - start)
    return {"objects": len(gc.get_objects()), "gc_ms": statistics.median(pauses) * 1000}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
