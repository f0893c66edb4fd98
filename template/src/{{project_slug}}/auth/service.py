"""Signing up and logging in. The router translates these exceptions into HTTP errors."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from ..config import Settings
from ..users import service as users
from ..users.models import User
from . import throttle
from .schemas import SignupRequest
from .security import AccessToken, create_access_token, verify_password


class InvalidCredentialsError(ValueError):
    """Unknown login, wrong password or inactive user: deliberately one error for all three."""


@dataclass
class TooManyFailuresError(Exception):
    retry_after: int  # seconds


def signup(session: Session, data: SignupRequest) -> User:
    return users.create_user(
        session,
        email=data.email,
        username=data.username,
        password=data.password,
        full_name=data.full_name,
        welcome=True,
    )


def login(
    session: Session, login: str, password: str, client: str, settings: Settings
) -> AccessToken:
    now = datetime.now(UTC)
    client_key = f"ip:{client}"
    if wait := throttle.seconds_until_allowed(session, [client_key], settings, now):
        raise TooManyFailuresError(wait)
    user = users.find_by_login(session, login)
    account_key = f"user:{user.id}" if user else f"name:{login.lower()}"
    if wait := throttle.seconds_until_allowed(session, [account_key], settings, now):
        raise TooManyFailuresError(wait)
    # Verified before anything else is looked at, and against a dummy hash when there is no
    # user: every refusal costs the same time.
    matches, new_hash = verify_password(password, user.hashed_password if user else None)
    if user is None or not matches or not user.is_active:
        throttle.record_failure(session, [client_key, account_key], settings, now)
        raise InvalidCredentialsError(login)
    if new_hash is not None:  # hashed with older parameters: store the stronger hash
        user.hashed_password = new_hash
        session.commit()
    throttle.clear_failures(session, account_key)
    return create_access_token(user.id, settings)
