"""Readiness checks, shared by GET /health/ready and `python -m <package>.health`.

Each check talks to one dependency; all run at once, in threads of their own, and the caller
waits at most TIMEOUT_SECONDS for all of them: a dependency that hangs is reported as such
instead of hanging the caller (its thread is left behind, and ends with its connect timeout).
"""

import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from time import monotonic

from celery import Celery
from sqlalchemy import Engine, text

from ..celery_app import celery_app
from ..database import engine
from ..outbox.service import check_backlog
from .causes import TIMED_OUT, cause_of

TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class CheckResult:
    """ok, or why not: `cause` in words that name no address; `error` (for the log) may."""

    cause: str | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.cause is None

    def __str__(self) -> str:
        return "ok" if self.ok else f"unavailable: {self.cause}"


def check_database(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_broker(celery: Celery) -> None:
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)


def check_result_backend(celery: Celery) -> None:
    # Reading the state of a task that does not exist is a round trip to any result backend.
    celery.backend.get_task_meta("health-check")


def _load_clients(celery: Celery) -> None:
    """Import the broker transport and the result backend before the clock starts.

    The timeout bounds round trips to the dependencies, not Python importing their client
    libraries (which takes seconds on a busy machine).
    """
    _ = celery.backend
    with celery.connection_for_write() as connection:
        _ = connection.transport


def run_checks(
    engine: Engine = engine, celery: Celery = celery_app, timeout: float = TIMEOUT_SECONDS
) -> dict[str, CheckResult]:
    """Return {"database": result, "broker": result, "result_backend": result}."""
    checks: dict[str, Callable[[], None]] = {
        "database": lambda: check_database(engine),
        "broker": lambda: check_broker(celery),
        "result_backend": lambda: check_result_backend(celery),
        "outbox": lambda: check_backlog(engine),
    }
    with suppress(Exception):  # a malformed URL, say: the check fails with it, and reports it
        _load_clients(celery)
    return _bounded(checks, timeout)


def _bounded(checks: dict[str, Callable[[], None]], timeout: float) -> dict[str, CheckResult]:
    """Run the checks at once; a check that has not answered after `timeout` seconds failed.

    Daemon threads, not an executor: a process exits without waiting for a check that hangs.
    """
    results: dict[str, CheckResult] = {}

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
        except Exception as exc:
            results[name] = CheckResult(cause_of(exc), exc)
        else:
            results[name] = CheckResult()

    threads = [
        threading.Thread(target=run, args=item, name=f"health-{item[0]}", daemon=True)
        for item in checks.items()
    ]
    for thread in threads:
        thread.start()
    deadline = monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - monotonic(), 0))
    return {name: results.get(name, CheckResult(TIMED_OUT)) for name in checks}
