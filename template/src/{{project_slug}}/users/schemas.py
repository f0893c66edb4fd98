from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

# users.id is a PostgreSQL integer: no user has a larger id, and the database refuses one.
MAX_USER_ID = 2**31 - 1

# PostgreSQL refuses the NUL character in text, and no name needs one.
FullName = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]


class UserCreate(BaseModel):
    email: EmailStr = Field(max_length=320)
    full_name: FullName = ""


class UserUpdate(BaseModel):
    """Only the fields sent change; null, like a field left out, keeps the current value."""

    email: EmailStr | None = Field(default=None, max_length=320)
    full_name: FullName | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: EmailStr
    full_name: str
    is_active: bool
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def in_utc(cls, value: datetime) -> datetime:
        # SQLite (the embedded profile) keeps no time zone: its CURRENT_TIMESTAMP is in UTC.
        return value if value.tzinfo else value.replace(tzinfo=UTC)
