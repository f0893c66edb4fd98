import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base


class TaskRun(Base):
    """Who started which task: recorded before the API answers 202, and read by every route that
    shows a task (only its owner, or a superuser, sees it)."""

    __tablename__ = "task_runs"
    __table_args__ = (Index("ix_task_runs_owner_id_created_at", "owner_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the Celery task id
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    task_name: Mapped[str] = mapped_column(String(200))
    # Set here, to the microsecond on every database: GET /tasks lists the newest first.
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
