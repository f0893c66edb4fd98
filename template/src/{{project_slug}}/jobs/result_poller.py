"""Task updates from a database result backend: one query per interval for all watched tasks.

Following each socket's task with Celery's backend would cost a query per socket and poll, in
the threads that requests need. The poller keeps one connection and asks for every watched task
at once.
"""

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from anyio import CapacityLimiter, to_thread
from celery import Celery, states
from sqlalchemy import Engine, Table, create_engine, make_url, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

if TYPE_CHECKING:
    from .updates import TaskUpdates

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# Ids per query: SQLite before 3.32 allows 999 parameters to a statement.
IDS_PER_QUERY = 500
# Seconds to connect: a database that does not answer fails the poll instead of hanging it.
CONNECT_TIMEOUT = 5
RETRY_SECONDS = (0.5, 1, 2, 5, 10)


class ResultPoller:
    def __init__(self, celery: Celery, url: str, updates: "TaskUpdates") -> None:
        self._celery = celery
        self._url = url
        self._updates = updates
        self._engine: Engine | None = None
        self._table: Table | None = None
        # One query at a time, in a thread of its own beside FastAPI's pool.
        self._limiter = CapacityLimiter(1)

    async def subscribe(self, task_id: str) -> None:
        """Nothing to do: the next poll reads every watched task, this one included."""

    async def unsubscribe(self, task_id: str) -> None:
        """Nothing to do: the next poll leaves the task out."""

    async def run(self) -> None:
        failures = 0
        try:
            while True:
                task_ids = self._updates.task_ids()
                # Unavailable, new sockets are refused (so none watches anything): polling on
                # with no ids is what notices that the backend is back.
                if task_ids or not self._updates.available:
                    try:
                        found = await to_thread.run_sync(
                            self._read_states, task_ids, limiter=self._limiter
                        )
                    except (DBAPIError, PoolTimeoutError, OSError) as exc:
                        logger.warning("Polling task results failed: %s", exc)
                        self._updates.set_available(False)
                        await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                        failures += 1
                        continue
                    failures = 0
                    self._updates.set_available(True)
                    for task_id in task_ids:
                        # No row yet: Celery's own answer for a task it knows nothing of.
                        self._updates.publish(task_id, found.get(task_id, states.PENDING))
                await asyncio.sleep(POLL_SECONDS)
        finally:
            if self._engine is not None:
                self._engine.dispose()

    def _read_states(self, task_ids: list[str]) -> dict[str, str]:
        """{task id: state} of the tasks that have a row; with no ids, only connects."""
        engine, table = self._connect()
        found: dict[str, str] = {}
        with engine.connect() as connection:
            for start in range(0, len(task_ids), IDS_PER_QUERY):
                chunk = task_ids[start : start + IDS_PER_QUERY]
                query = select(table.c.task_id, table.c.status).where(table.c.task_id.in_(chunk))
                found.update(connection.execute(query).tuples().all())
        return found

    def _connect(self) -> tuple[Engine, Table]:
        if self._engine is None or self._table is None:
            backend = self._celery.backend
            # The backend's first session in this process creates its tables if they are missing.
            backend.ResultSession().close()
            self._table = backend.task_cls.__table__
            self._engine = create_engine(
                self._url,
                pool_size=1,
                max_overflow=0,
                pool_pre_ping=True,
                connect_args=_connect_args(self._url),
            )
        return self._engine, self._table


def _connect_args(url: str) -> dict[str, Any]:
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return {"check_same_thread": False}  # the poll's thread changes
    if backend == "postgresql":
        return {"connect_timeout": CONNECT_TIMEOUT}
    return {}
