"""Readiness checks, shared by GET /health/ready and `python -m <package>.health`.

Each check talks to one dependency; all run in parallel and are bounded by one timeout, so a
dependency that hangs is reported as such instead of hanging the caller.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from time import monotonic

from celery import Celery
from sqlalchemy import Engine, text

from ..celery_app import celery_app
from ..database import engine

TIMEOUT_SECONDS = 5.0


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
) -> dict[str, str]:
    """Return {"database": "ok" | error, "broker": ..., "result_backend": ...}."""
    _load_clients(celery)
    checks: dict[str, Callable[[], None]] = {
        "database": lambda: check_database(engine),
        "broker": lambda: check_broker(celery),
        "result_backend": lambda: check_result_backend(celery),
    }
    deadline = monotonic() + timeout
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="health")
    futures = {name: executor.submit(check) for name, check in checks.items()}
    report = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(deadline - monotonic(), 0))
        except TimeoutError:
            report[name] = f"no answer within {timeout:g}s"
        except Exception as exc:
            report[name] = f"{type(exc).__name__}: {exc}"
        else:
            report[name] = "ok"
    # A hung check is left behind rather than waited for.
    executor.shutdown(wait=False, cancel_futures=True)
    return report
