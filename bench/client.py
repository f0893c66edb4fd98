"""The worker benchmark's client, run inside the generated project's venv:

    python -m bench.client generated|baseline COUNT TIMEOUT

Sends COUNT `noop` tasks through the chosen Celery app (its own publishing settings), then waits
until the result backend (Redis) holds a final state for every one of them, or TIMEOUT seconds
pass. Prints one JSON line: the time to send, the time from the first send to the last result,
how many finished, and how many failed. The results are deleted afterwards.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

POLL_SECONDS = 0.02
BATCH = 1000
FINAL_STATES = {"SUCCESS", "FAILURE", "REVOKED"}


def load_app(which: str):
    """The Celery app of `bench.generated_celery` or `bench.baseline_celery`."""
    return importlib.import_module(f"bench.{which}_celery").app


def wait_for_results(app, task_ids: list[str], deadline: float) -> tuple[int, int, float]:
    """Poll the Redis result backend until every task is final or the deadline passes.

    Returns (finished, failed, time the last one was seen final).
    """
    backend = app.backend
    client = backend.client
    pending = [backend.get_key_for_task(task_id) for task_id in task_ids]
    finished = failed = 0
    last = time.perf_counter()
    while pending and time.monotonic() < deadline:
        still = []
        for start in range(0, len(pending), BATCH):
            keys = pending[start : start + BATCH]
            for key, raw in zip(keys, client.mget(keys), strict=True):
                status = json.loads(raw)["status"] if raw else None
                if status in FINAL_STATES:
                    finished += 1
                    failed += status != "SUCCESS"
                else:
                    still.append(key)
        if len(still) < len(pending):
            last = time.perf_counter()
        pending = still
        if pending:
            time.sleep(POLL_SECONDS)
    return finished, failed, last


def forget(app, task_ids: list[str]) -> None:
    """Delete the tasks' result keys."""
    keys = [app.backend.get_key_for_task(task_id) for task_id in task_ids]
    for start in range(0, len(keys), BATCH):
        app.backend.client.delete(*keys[start : start + BATCH])


def main(which: str, count: int, timeout: float) -> dict[str, float]:
    from bench.tasks import NOOP

    app = load_app(which)
    noop = app.tasks[NOOP]
    deadline = time.monotonic() + timeout
    start = time.perf_counter()
    task_ids = []
    for _ in range(count):
        task_ids.append(noop.delay().id)
        if time.monotonic() > deadline:
            break
    sent = time.perf_counter()
    finished, failed, last = wait_for_results(app, task_ids, deadline)
    forget(app, task_ids)
    return {
        "count": count,
        "sent": len(task_ids),
        "finished": finished,
        "failed": failed,
        "send_seconds": sent - start,
        "seconds": last - start,
    }


if __name__ == "__main__":
    which, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    print(json.dumps(main(which, count, timeout)))
