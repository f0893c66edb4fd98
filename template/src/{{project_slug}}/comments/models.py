from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The @names of the body that matched no active user when it was posted, in lower case.
    unknown_mentions: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    mentions: Mapped[list["Mention"]] = relationship(
        order_by="Mention.user_id", lazy="selectin", passive_deletes=True
    )


class Mention(Base):
    """A user named in a comment: notified once, whatever the number of task runs."""

    __tablename__ = "comment_mentions"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # Set once the email went out: a redelivered task sees it and sends nothing.
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
