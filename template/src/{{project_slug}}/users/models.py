from datetime import datetime

from sqlalchemy import DateTime, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Both kept in lower case, so each is unique whatever case a client types.
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    username: Mapped[str] = mapped_column(String(30), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    # None: the user cannot log in until a password is set (users made before accounts existed).
    hashed_password: Mapped[str | None] = mapped_column(String(255), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Tokens issued before this moment are refused: changing the password logs out everywhere.
    password_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    # Set once the welcome email went out: a redelivered task sees it and sends nothing.
    welcomed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # The profile image's thumbnails (users/avatars.py names their storage keys after it); None
    # until the first upload's thumbnails are made.
    avatar_version: Mapped[str | None] = mapped_column(String(32), default=None)
    avatar_updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
