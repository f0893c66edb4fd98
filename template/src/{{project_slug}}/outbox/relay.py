"""The outbox relay: one loop in every API process, sending the rows `publish` could not.

It runs beside the requests (started by main.py's lifespan), in a thread of its own for the
database and broker round trips. Several processes run one each: the claims (service.py) give
every row to one of them at a time. Rows wait while no API process runs.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from anyio import CapacityLimiter, to_thread

from ..database import DATABASE_ERRORS
from .service import BATCH, publish_due

logger = logging.getLogger(__name__)

# Seconds between passes while the broker and the database answer: a row that `publish` could
# not send waits about this long once its backoff is over.
POLL_SECONDS = 1.0
# Seconds between passes while the broker or the database does not answer, growing.
RETRY_SECONDS = (1, 2, 5, 10)


async def run() -> None:
    """Publish due rows, BATCH at a time, until cancelled."""
    limiter = CapacityLimiter(1)
    failures = 0
    while True:
        try:
            reachable = await to_thread.run_sync(_publish_all_due, limiter=limiter)
        except DATABASE_ERRORS as exc:
            logger.warning("Outbox relay: database unavailable: %s", exc)
            reachable = False
        except Exception:
            # Whatever went wrong in this pass, the next one may succeed: the relay goes on.
            logger.exception("Outbox relay: pass failed")
            reachable = False
        if reachable:
            failures = 0
            await asyncio.sleep(POLL_SECONDS)
        else:
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
            failures += 1


def _publish_all_due() -> bool:
    """One pass: batches until no row is due; False when the broker was unreachable."""
    while True:
        batch = publish_due(datetime.now(UTC))
        if not batch.broker_reachable:
            return False
        if batch.claimed < BATCH:
            return True


@contextlib.asynccontextmanager
async def relay() -> AsyncIterator[None]:
    """Run the relay for as long as the block runs (the API process's lifetime)."""
    task = asyncio.create_task(run(), name="outbox-relay")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
