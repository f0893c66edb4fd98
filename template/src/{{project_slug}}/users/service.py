"""User CRUD. The router translates these exceptions into HTTP errors."""

import logging

from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import User
from .schemas import UserCreate, UserUpdate
from .tasks import send_welcome_email

logger = logging.getLogger(__name__)


class UserNotFoundError(LookupError):
    pass


class EmailTakenError(ValueError):
    pass


def list_users(session: Session, offset: int = 0, limit: int = 100) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id).offset(offset).limit(limit)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    return user


def create_user(session: Session, data: UserCreate) -> User:
    user = User(**data.model_dump())
    session.add(user)
    _commit(session, data.email)
    session.refresh(user)
    # Only now: a worker that picked the task up before the commit would not find the user.
    enqueue_welcome_email(user)
    return user


def update_user(session: Session, user_id: int, data: UserUpdate) -> User:
    user = get_user(session, user_id)
    # Every column is NOT NULL: a field sent as null keeps its value, like a field left out.
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(user, field, value)
    _commit(session, data.email)
    session.refresh(user)
    return user


def delete_user(session: Session, user_id: int) -> None:
    session.delete(get_user(session, user_id))
    session.commit()


def enqueue_welcome_email(user: User) -> str | None:
    """Queue the welcome email; return the task id, or None when the broker is unreachable."""
    try:
        result = send_welcome_email.delay(user.id)
    except BrokerUnavailable:
        # The user exists either way; losing a welcome email must not fail the sign-up.
        logger.exception("Welcome email for user %s not queued: broker unreachable", user.id)
        return None
    logger.info("Welcome email for user %s queued as task %s", user.id, result.id)
    return result.id


def _commit(session: Session, email: str | None) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise EmailTakenError(email) from None
