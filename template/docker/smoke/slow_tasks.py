"""A task slow enough to be caught running, served by the smoke stack's worker only.

docker/smoke/compose.yaml mounts this folder into the worker and adds `--include=slow_tasks`:
the application itself has no such task.
"""

import time

from celery import shared_task

MAX_SECONDS = 10


@shared_task(name="slow_tasks.sleep")
def sleep(seconds: float) -> float:
    time.sleep(min(seconds, MAX_SECONDS))
    return seconds
