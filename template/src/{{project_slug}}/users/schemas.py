from enum import IntEnum
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..auth.passwords import MAX_LENGTH, password_problem
from ..auth.schemas import Email, FullName, Password, Username
from ..timestamps import UtcDatetime

# users.id is a PostgreSQL integer: no user has a larger id, and the database refuses one.
MAX_USER_ID = 2**31 - 1


class AvatarSize(IntEnum):
    """The sizes of the profile image's thumbnails (users/avatars.py SIZES), in pixels."""

    small = 64
    large = 256


class UserRead(BaseModel):
    """A user as the API shows it: never the password or its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    username: str
    full_name: str
    is_active: bool
    is_superuser: bool
    created_at: UtcDatetime


class _Changes(BaseModel):
    """Only the fields sent change; null, like a field left out, keeps the current value."""

    email: Email | None = None
    username: Username | None = None
    full_name: FullName | None = None
    password: Password | None = None

    @field_validator("password")
    @classmethod
    def password_is_acceptable(cls, password: str | None, info: ValidationInfo) -> str | None:
        if password is not None:
            problem = password_problem(password, info.data.get("email"), info.data.get("username"))
            if problem:
                raise ValueError(problem)
        return password

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True, exclude_none=True)


class UserUpdateMe(_Changes):
    """PATCH /users/me. A new email or password needs the current password."""

    current_password: Annotated[str, Field(max_length=MAX_LENGTH)] | None = None

    @model_validator(mode="after")
    def current_password_given(self) -> Self:
        if (self.email is not None or self.password is not None) and not self.current_password:
            raise ValueError("changing the email or password needs current_password")
        return self

    def changes(self) -> dict[str, object]:
        return {k: v for k, v in super().changes().items() if k != "current_password"}


class UserUpdate(_Changes):
    """PATCH /users/{id}, by a superuser: also activates, deactivates and promotes users, and
    sets a password for users who have none."""

    is_active: bool | None = None
    is_superuser: bool | None = None
