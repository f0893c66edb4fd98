"""Tasks that users start, and who may see them. The router translates these exceptions into
HTTP errors."""

import uuid
from datetime import UTC, datetime

from celery import Task
from sqlalchemy import DateTime, String, Uuid, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from .. import queue_cap, rate_limits
from ..auth.security import TokenClaims, holder_criteria
from ..config import get_settings
from ..database import engine
from ..users.models import User
from .models import TaskRun


class OwnerRefusedError(PermissionError):
    """The token's user was deleted, deactivated or changed the password since."""


class TaskNotFoundError(LookupError):
    """No such task, or not the caller's: the same answer, so that ids reveal nothing."""


# Built once, so that SQLAlchemy compiles it once: per request this saves more CPU time than
# the query itself takes.
RECORD_RUN = (
    insert(TaskRun)
    .from_select(
        ["id", "owner_id", "task_name", "created_at"],
        select(
            bindparam("id", type_=Uuid()),
            User.id,
            bindparam("task_name", type_=String()),
            bindparam("created_at", type_=DateTime(timezone=True)),
        ).where(
            holder_criteria(
                bindparam("user_id"), bindparam("issued_at", type_=DateTime(timezone=True))
            )
        ),
    )
    .returning(TaskRun.id)
)
# One statement needs no transaction around it: autocommit saves the BEGIN and COMMIT round
# trips, and no transaction stays open while the task is published.
autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")


def start_task(owner: TokenClaims, address: str, task: Task, *args: object) -> str:
    """Count the request, record who starts the task, then send it; return its id.

    The owner's and the client address's rate limits come first (rate_limits.RateLimitedError).
    One INSERT both records the run and checks the token's user (`holder_criteria`): no row, no
    user, and OwnerRefusedError. The record is committed first, so its owner can follow the task
    from the moment it exists. If sending fails (the queue is full: queue_cap.QueueFullError;
    the broker is unreachable: kombu's OperationalError; both raised on), the record goes again.
    """
    settings = get_settings()
    limits = [
        rate_limits.Limit(f"tasks:user:{owner.user_id}", settings.tasks_per_minute_per_user, 60),
        rate_limits.Limit(f"tasks:address:{address}", settings.tasks_per_minute_per_address, 60),
    ]
    task_id = uuid.uuid4()
    values = {
        "id": task_id,
        "task_name": task.name,
        "created_at": datetime.now(UTC),
        "user_id": owner.user_id,
        "issued_at": owner.issued,
    }
    with autocommit.connect() as connection:
        rate_limits.hit(connection, limits)
        if connection.execute(RECORD_RUN, values).scalar_one_or_none() is None:
            raise OwnerRefusedError(owner.user_id)
        try:
            queue_cap.send(task, args, task_id=str(task_id))
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
