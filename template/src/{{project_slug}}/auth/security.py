"""Password hashes (pwdlib, Argon2) and access tokens (PyJWT, HS256)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from pwdlib import PasswordHash
from sqlalchemy import ColumnElement, and_, or_

from ..config import Settings, get_settings
from ..users.models import User
from ..users.schemas import MAX_USER_ID

ALGORITHM = "HS256"
# Argon2 with pwdlib's recommended parameters. verify_and_update also rehashes a password whose
# hash was made with older parameters (or another hasher listed here), on the next login.
password_hash = PasswordHash.recommended()


def hash_password(password: str) -> str:
    return password_hash.hash(password)


@lru_cache
def _dummy_hash() -> str:
    return password_hash.hash("a password that no user has")


def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """(matches, a new hash to store or None).

    With no hash to compare (no such user, or a user without a password) the password is checked
    against a dummy hash all the same: an unknown login costs the same time as a wrong password.
    """
    if hashed is None:
        password_hash.verify(password, _dummy_hash())
        return False, None
    return password_hash.verify_and_update(password, hashed)


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int  # seconds


def create_access_token(user_id: int, settings: Settings | None = None) -> AccessToken:
    settings = settings or get_settings()
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        # To the microsecond (JWT allows fractions): a token issued just after a password change
        # is valid, one issued just before it is not.
        "iat": now.timestamp(),
        "exp": now + lifetime,
    }
    token = jwt.encode(claims, settings.app_secret_key.get_secret_value(), algorithm=ALGORITHM)
    return AccessToken(token, int(lifetime.total_seconds()))


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    issued_at: float  # seconds since the epoch, with microseconds

    @property
    def issued(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, UTC)


class InvalidTokenError(ValueError):
    pass


def read_access_token(token: str, settings: Settings | None = None) -> TokenClaims:
    """The claims of a valid token; InvalidTokenError for anything else.

    Only HS256 with our key: "none", other algorithms, a wrong signature, a token without
    exp, iat or sub, or an expired one are all refused.
    """
    settings = settings or get_settings()
    try:
        claims = jwt.decode(
            token,
            settings.app_secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        return TokenClaims(user_id=int(claims["sub"]), issued_at=float(claims["iat"]))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidTokenError(str(exc)) from None


def claims_of(token: str) -> TokenClaims | None:
    """The claims of a token that we signed and that has not expired, or None."""
    try:
        claims = read_access_token(token)
    except InvalidTokenError:
        return None
    return claims if 1 <= claims.user_id <= MAX_USER_ID else None


def holder_criteria(user_id: Any, issued_at: Any) -> ColumnElement[bool]:
    """SQL criteria for the user a valid token stands for: the user it was issued to, still
    active, whose password has not changed since. A deleted user matches no row.

    Takes values or bound parameters (a statement built once, as jobs/service.py does)."""
    return and_(
        User.id == user_id,
        User.is_active,
        or_(User.password_changed_at.is_(None), User.password_changed_at <= issued_at),
    )


def holder_of(claims: TokenClaims) -> ColumnElement[bool]:
    return holder_criteria(claims.user_id, claims.issued)
