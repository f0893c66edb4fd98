"""Users: creating, finding, changing and deleting them. The routers translate these exceptions
into HTTP errors."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..auth.passwords import password_problem
from ..auth.security import hash_password, verify_password
from ..config import Settings
from ..outbox import service as outbox
from ..storage import get_storage
from . import avatars
from .models import User
from .tasks import send_welcome_email


class UserNotFoundError(LookupError):
    pass


class AccountTakenError(ValueError):
    """Another user has this email or username; the message says which."""


class WrongPasswordError(ValueError):
    pass


class PasswordRefusedError(ValueError):
    """The new password is the user's own email or username; the message says so."""


def list_users(session: Session, offset: int = 0, limit: int = 100) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id).offset(offset).limit(limit)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    return user


def find_by_login(session: Session, login: str) -> User | None:
    """The user whose email or username is `login`, in any case."""
    login = login.lower()
    return session.scalar(select(User).where(or_(User.email == login, User.username == login)))


def create_user(
    session: Session,
    *,
    email: str,
    username: str,
    password: str,
    full_name: str = "",
    is_superuser: bool = False,
    welcome: bool = False,
) -> User:
    """Create and commit the user; with `welcome`, their welcome email too.

    The email is a task of the outbox, committed with the user: sent right after the commit, or
    once the broker is back if it is unreachable then (outbox/service.py).
    """
    _check_free(session, email=email, username=username)
    user = User(
        email=email,
        username=username,
        full_name=full_name,
        hashed_password=hash_password(password),
        is_superuser=is_superuser,
    )
    session.add(user)
    with _unique_names(session):
        session.flush()  # the user's id, the task's argument
        welcome_task = outbox.add(session, send_welcome_email, user.id) if welcome else None
        session.commit()
    if welcome_task is not None:
        outbox.publish([welcome_task])
    session.refresh(user)
    return user


def update_user(session: Session, user: User, changes: dict[str, Any]) -> User:
    """Apply the validated `changes`; a new password is hashed and ends older tokens."""
    _check_free(session, email=changes.get("email"), username=changes.get("username"), user=user)
    password = changes.pop("password", None)
    if password is not None:
        # The schema compared it with the new email and username; here, with the current ones.
        problem = password_problem(password, user.email, user.username)
        if problem:
            raise PasswordRefusedError(problem)
    for field, value in changes.items():
        setattr(user, field, value)
    if password is not None:
        set_password(user, password)
    _commit(session)
    session.refresh(user)
    return user


def set_password(user: User, password: str) -> None:
    user.hashed_password = hash_password(password)
    user.password_changed_at = datetime.now(UTC)


def check_password(user: User, password: str) -> None:
    """Raise WrongPasswordError unless `password` is the user's (PATCH /users/me)."""
    matches, _ = verify_password(password, user.hashed_password)
    if not matches:
        raise WrongPasswordError(user.id)


def delete_user(session: Session, user: User) -> None:
    """Delete the user (their tasks, comments and mentions go with the rows) and their profile
    image's thumbnails."""
    user_id, version = user.id, user.avatar_version
    session.delete(user)
    session.commit()
    if version is not None:
        storage = get_storage()
        for size in avatars.SIZES:
            storage.delete(avatars.thumbnail_key(user_id, version, size))


def ensure_first_superuser(session: Session, settings: Settings) -> str:
    """Create FIRST_SUPERUSER_EMAIL as a superuser unless a user has that email or username.

    Run at every deployment (`python -m <package>.prestart`): an existing user is never
    changed, so a password changed since is kept.
    """
    email = settings.first_superuser_email.lower()
    password = settings.first_superuser_password.get_secret_value()
    if not email or not password:
        return "no FIRST_SUPERUSER_EMAIL and FIRST_SUPERUSER_PASSWORD: no superuser created"
    username = settings.first_superuser_username.lower()
    if find_by_login(session, email) or find_by_login(session, username):
        return f"superuser {email} exists"
    try:
        create_user(session, email=email, username=username, password=password, is_superuser=True)
    except AccountTakenError:  # another process created it meanwhile
        return f"superuser {email} exists"
    return f"superuser {email} created"


def _check_free(
    session: Session, *, email: str | None, username: str | None, user: User | None = None
) -> None:
    """Name what is taken, for a clear 409 (the unique indexes still decide under a race)."""
    for column, value in ((User.email, email), (User.username, username)):
        if value is None:
            continue
        owner = session.scalar(select(User.id).where(column == value))
        if owner is not None and (user is None or owner != user.id):
            raise AccountTakenError(f"{column.key.capitalize()} already registered")


def _commit(session: Session) -> None:
    with _unique_names(session):
        session.commit()


@contextmanager
def _unique_names(session: Session) -> Iterator[None]:
    """A write that breaks the unique email or username indexes raises AccountTakenError."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise AccountTakenError("Email or username already registered") from None
