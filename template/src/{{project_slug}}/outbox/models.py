import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base


class OutboxMessage(Base):
    """A task to send: written in the transaction that asks for it, deleted once published.

    A row that was never published (its publishes failed MAX_ATTEMPTS times) stays, with
    failed_at and last_error set (see service.py).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_available_at", "available_at"),)

    # Chosen when the row is written and used for the publish: a row published twice (see
    # service.py) is the same task twice, which the task's own idempotency absorbs.
    task_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When a relay may take the row: at once when written; the end of its lease while a relay
    # publishes it; the next try after a failed publish.
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int]  # failed publishes so far
    last_error: Mapped[str | None] = mapped_column(String(500))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
