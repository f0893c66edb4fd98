"""The transactional outbox: tasks to send once the transaction that asks for them has committed.

A task sent after a commit is lost when the broker is down at that moment (or the process dies
in between); a task sent before it may run before its data exists, or for a transaction that
then rolls back. Instead, `add` writes the task's intent (its name, arguments and a task id
chosen now) as a row of the same transaction: the change and its task are committed together,
or neither is. Right after the commit, `publish` sends the rows at once (the usual path, no
delay); what it could not send, the relay of every API process sends later (relay.py), with
backoff, until the broker takes it.

Exactly one task per row. A row is claimed before it is published: one UPDATE moves its
`available_at` to the end of a lease (LEASE_SECONDS), and only rows that are due can be claimed,
so two relays (or a relay and `publish`) never both take one row; on PostgreSQL the claim skips
rows that another claim is locking at that instant (FOR UPDATE SKIP LOCKED) instead of waiting
for them, and SQLite runs one write at a time. A published row is deleted. One window remains:
a process that dies (or loses the database) after the broker took the task and before deleting
its row leaves the row to be published again once the lease is over, under the same task id;
the task then runs twice, so tasks sent this way must be idempotent (`send_welcome_email` is).
"""

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Task
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.orm import Session

from .. import queue_cap
from ..celery_app import celery_app
from ..database import DATABASE_ERRORS, engine
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# Rows claimed at once, by a relay pass or by `publish`.
BATCH = 10
# Seconds a claimed row stays with the process that claimed it: far longer than publishing a
# batch takes (a publish gives up within seconds, and a batch stops at the first broker that
# is unreachable). Rows of a process that died mid-batch are taken by others after it.
LEASE_SECONDS = 60
# Failed publishes before a row is given up (failed_at set, logged as an error). The waits
# between them double from 1 second up to BACKOFF_MAX_SECONDS: about an hour in all.
MAX_ATTEMPTS = 15
BACKOFF_MAX_SECONDS = 600
# /health/ready answers 503 once a row has waited longer than this to be published.
READY_MAX_AGE_SECONDS = 300
LAST_ERROR_LENGTH = 500

# One statement at a time, each its own transaction: no transaction stays open while publishing.
autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")


class OutboxBacklogError(Exception):
    """A row has waited longer than READY_MAX_AGE_SECONDS to be published."""


@dataclass(frozen=True)
class Claimed:
    task_id: uuid.UUID
    task_name: str
    args: list[Any]
    kwargs: dict[str, Any]
    attempts: int


def add(session: Session, task: Task, *args: Any, **kwargs: Any) -> uuid.UUID:
    """Ask for `task(*args, **kwargs)` in the session's transaction; return its task id.

    Nothing is sent yet: after the commit, pass the id to `publish`. The arguments must be JSON
    (the tasks' serializer).
    """
    now = datetime.now(UTC)
    task_id = uuid.uuid4()
    session.add(
        OutboxMessage(
            task_id=task_id,
            task_name=task.name,
            args=list(args),
            kwargs=kwargs,
            created_at=now,
            available_at=now,
            attempts=0,
        )
    )
    return task_id


def publish(task_ids: Collection[uuid.UUID]) -> None:
    """Send these rows now, right after the commit that wrote them.

    Never raises: the transaction has committed, and what is not sent here (the broker or the
    database is away, or a relay has taken the row meanwhile) the relay sends.
    """
    ids = list(task_ids)
    try:
        for start in range(0, len(ids), BATCH):
            if not publish_due(datetime.now(UTC), ids[start : start + BATCH]).broker_reachable:
                return
    except DATABASE_ERRORS as exc:
        logger.warning("Outbox rows %s left for the relay: %s", ids, exc)


@dataclass(frozen=True)
class Batch:
    claimed: int
    broker_reachable: bool


def publish_due(now: datetime, task_ids: Collection[uuid.UUID] | None = None) -> Batch:
    """Claim up to BATCH rows due at `now` (only `task_ids`, if given) and publish them.

    When the broker is unreachable, the rest of the batch is given back untried. Raises the
    database's errors; the rows claimed then are taken again once their lease is over.
    """
    with autocommit.connect() as connection:
        rows = claim(connection, now, task_ids)
        for index, row in enumerate(rows):
            try:
                send(row)
            except BrokerUnavailable as exc:
                record_failure(connection, row, exc, now)
                give_back(connection, rows[index + 1 :], now)
                return Batch(len(rows), broker_reachable=False)
            except Exception as exc:  # this row's own problem (unknown task, say): the rest go on
                record_failure(connection, row, exc, now)
            else:
                connection.execute(
                    delete(OutboxMessage).where(OutboxMessage.task_id == row.task_id)
                )
    return Batch(len(rows), broker_reachable=True)


def claim(
    connection: Connection, now: datetime, task_ids: Collection[uuid.UUID] | None = None
) -> list[Claimed]:
    """Take up to BATCH rows due at `now`, oldest first, for LEASE_SECONDS."""
    due = (OutboxMessage.failed_at.is_(None), OutboxMessage.available_at <= now)
    candidates = select(OutboxMessage.task_id).where(*due)
    if task_ids is not None:
        candidates = candidates.where(OutboxMessage.task_id.in_(task_ids))
    # A CTE, so that the batch is chosen once: PostgreSQL may run a subquery again for every
    # row it compares, each time locking another batch.
    chosen = (
        candidates.order_by(OutboxMessage.available_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
        .cte("chosen")
    )
    # The conditions again: PostgreSQL checks them anew on a row that another claim changed
    # while this one waited for it.
    claimed = connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.task_id.in_(select(chosen.c.task_id)), *due)
        .values(available_at=now + timedelta(seconds=LEASE_SECONDS))
        .returning(
            OutboxMessage.task_id,
            OutboxMessage.task_name,
            OutboxMessage.args,
            OutboxMessage.kwargs,
            OutboxMessage.attempts,
        )
    )
    return [Claimed(*row) for row in claimed]


def send(row: Claimed) -> None:
    """Publish the row's task under the row's task id."""
    task = celery_app.tasks[row.task_name]
    queue_cap.send(task, tuple(row.args), kwargs=row.kwargs, task_id=str(row.task_id))


def record_failure(connection: Connection, row: Claimed, exc: Exception, now: datetime) -> None:
    attempts = row.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:LAST_ERROR_LENGTH]
    values: dict[str, Any] = {"attempts": attempts, "last_error": error}
    if attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
        logger.error(
            "Task %s (%s) not published after %d attempts; given up: %s",
            row.task_id,
            row.task_name,
            attempts,
            error,
        )
    else:
        values["available_at"] = now + backoff(attempts)
        logger.warning(
            "Task %s (%s) not published (attempt %d), retried in %s: %s",
            row.task_id,
            row.task_name,
            attempts,
            backoff(attempts),
            error,
        )
    connection.execute(
        update(OutboxMessage).where(OutboxMessage.task_id == row.task_id).values(**values)
    )


def backoff(attempts: int) -> timedelta:
    """The wait after a row's `attempts`-th failed publish."""
    return timedelta(seconds=min(2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def give_back(connection: Connection, rows: list[Claimed], now: datetime) -> None:
    """End the lease of rows claimed but not tried: due again, no attempt counted."""
    if rows:
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.task_id.in_([row.task_id for row in rows]))
            .values(available_at=now)
        )


def check_backlog(engine: Engine = engine) -> None:
    """Readiness: raise OutboxBacklogError when a row has waited over READY_MAX_AGE_SECONDS.

    Rows given up are not counted: they are logged as errors, and waiting fixes nothing.
    """
    with engine.connect() as connection:
        pending, oldest = connection.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.failed_at.is_(None)
            )
        ).one()
    if oldest is None:
        return
    # SQLite gives the stored time back without its zone: it was stored in UTC.
    age = (datetime.now(UTC) - oldest.replace(tzinfo=oldest.tzinfo or UTC)).total_seconds()
    if age > READY_MAX_AGE_SECONDS:
        raise OutboxBacklogError(
            f"{pending} pending, the oldest for {age:.0f}s (more than {READY_MAX_AGE_SECONDS}s)"
        )
