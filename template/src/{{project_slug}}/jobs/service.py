"""Tasks that users start, and who may see them. The router translates these exceptions into
HTTP errors."""

import uuid
from datetime import UTC, datetime

from celery import Task
from sqlalchemy import DateTime, String, Uuid, delete, insert, literal, select
from sqlalchemy.orm import Session

from ..auth.security import TokenClaims, holder_of
from ..database import engine
from ..users.models import User
from .models import TaskRun


class OwnerRefusedError(PermissionError):
    """The token's user was deleted, deactivated or changed the password since."""


class TaskNotFoundError(LookupError):
    """No such task, or not the caller's: the same answer, so that ids reveal nothing."""


def start_task(owner: TokenClaims, task: Task, *args: object) -> str:
    """Record who starts the task, then send it; return its id.

    One INSERT both records the run and checks the token's user (`holder_of`): no row, no user,
    and OwnerRefusedError. The record is committed first, so its owner can follow the task from
    the moment it exists. If sending fails (the broker is unreachable: kombu's OperationalError,
    raised on), the record goes again.
    """
    task_id = uuid.uuid4()
    values = select(
        literal(task_id, Uuid()),
        User.id,
        literal(task.name, String()),
        literal(datetime.now(UTC), DateTime(timezone=True)),
    ).where(holder_of(owner))
    columns = ["id", "owner_id", "task_name", "created_at"]
    record = insert(TaskRun).from_select(columns, values).returning(TaskRun.id)
    # One statement in autocommit: one round trip, no transaction held while publishing.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.execute(record).scalar_one_or_none() is None:
            raise OwnerRefusedError(owner.user_id)
        try:
            task.apply_async(args, task_id=str(task_id))
        except Exception:
            connection.execute(delete(TaskRun).where(TaskRun.id == task_id))
            raise
    return str(task_id)


def get_run(session: Session, task_id: uuid.UUID, user: User) -> TaskRun:
    run = session.get(TaskRun, task_id)
    if run is None or (run.owner_id != user.id and not user.is_superuser):
        raise TaskNotFoundError(task_id)
    return run


def list_runs(session: Session, user: User, offset: int, limit: int) -> list[TaskRun]:
    query = (
        select(TaskRun)
        .where(TaskRun.owner_id == user.id)
        .order_by(TaskRun.created_at.desc(), TaskRun.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(query))
