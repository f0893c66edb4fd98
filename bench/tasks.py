"""The tasks both sides of a comparison run, registered on each Celery app by name.

`divide` carries the generated project's task name, so the baseline API enqueues the very same
task; `noop` does nothing, so the worker benchmark measures Celery and the broker only.
Registering does not finalize the app: the tasks pick up the app's settings (acks_late,
track_started, time limits ...) when it finalizes, exactly like the project's own tasks.
"""

from __future__ import annotations

from typing import Any

from bench import SLUG

NOOP = "bench.tasks.noop"
DIVIDE = f"{SLUG}.jobs.tasks.divide"


def noop() -> None:
    """Do nothing: the worker benchmark's task."""


def divide(x: float, y: float) -> float:
    """x / y, as the generated project's example task."""
    return x / y


def register_noop(app: Any) -> Any:
    """Register `noop` on a Celery app; the (lazy) task."""
    return app.task(name=NOOP)(noop)


def register_divide(app: Any) -> Any:
    """Register `divide` under the generated project's task name; the (lazy) task."""
    return app.task(name=DIVIDE)(divide)
