"""Tasks that users start, and who may see them. The router translates these exceptions into
HTTP errors."""

import uuid

from celery import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..users.models import User
from .models import TaskRun


class TaskNotFoundError(LookupError):
    """No such task, or not the caller's: the same answer, so that ids reveal nothing."""


def start_task(session: Session, owner: User, task: Task, *args: object) -> str:
    """Record who starts the task, then send it; return its id.

    The record is committed first, so its owner can follow the task from the moment it exists.
    If the broker is unreachable (kombu's OperationalError, raised on), the record goes again.
    """
    run = TaskRun(id=uuid.uuid4(), owner_id=owner.id, task_name=task.name)
    session.add(run)
    session.commit()
    try:
        task.apply_async(args, task_id=str(run.id))
    except Exception:
        session.delete(run)
        session.commit()
        raise
    return str(run.id)


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
