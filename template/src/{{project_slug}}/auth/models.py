from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base


class LoginFailure(Base):
    """One failed login, for one key: "user:<id>", "name:<login name>" or "ip:<address>".

    Kept in the database so that every API process counts the same failures.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
