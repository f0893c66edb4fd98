"""Who is calling: FastAPI dependencies for routes that need a user, or a superuser.

A parameter `user: CurrentUser` takes any logged-in user (else 401); `admin: Superuser` takes a
superuser (401 when anonymous, 403 for other users).
"""

from datetime import UTC
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from ..database import SessionDep
from ..errors import Responses, error
from ..users.models import User
from ..users.schemas import MAX_USER_ID
from .security import InvalidTokenError, read_access_token

# Declares the bearer scheme in the OpenAPI schema, so that /docs can log in and authorise.
bearer_token = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)

AUTHENTICATED: Responses = {
    status.HTTP_401_UNAUTHORIZED: error("No access token, or one that is invalid or expired"),
}
SUPERUSER_ONLY: Responses = {
    **AUTHENTICATED,
    status.HTTP_403_FORBIDDEN: error("The user is not a superuser"),
}


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a valid token was issued to, or None.

    None for a token that is malformed, expired or not signed by us, and for one whose user
    was deleted, was deactivated or changed the password after the token was issued.
    """
    try:
        claims = read_access_token(token)
    except InvalidTokenError:
        return None
    if not 1 <= claims.user_id <= MAX_USER_ID:
        return None
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active:
        return None
    changed = user.password_changed_at
    if changed is not None:
        changed = changed if changed.tzinfo else changed.replace(tzinfo=UTC)
        if claims.issued_at < changed.timestamp():
            return None
    return user


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def get_current_user(
    session: SessionDep, token: Annotated[str | None, Depends(bearer_token)]
) -> User:
    if token is None:
        raise _unauthorized("Not authenticated")
    user = user_for_token(session, token)
    if user is None:
        raise _unauthorized("Invalid or expired token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_superuser(user: CurrentUser) -> User:
    if not user.is_superuser:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Superusers only")
    return user


Superuser = Annotated[User, Depends(get_superuser)]
