"""Who is calling: FastAPI dependencies for routes that need a user, or a superuser.

A parameter `user: CurrentUser` takes any logged-in user (else 401); `admin: Superuser` takes a
superuser (401 when anonymous, 403 for other users).
"""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import SessionDep
from ..errors import Responses, error
from ..users.models import User
from .security import TokenClaims, claims_of, holder_of

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
    """The user a token stands for, or None (for the WebSocket, which has no headers)."""
    claims = claims_of(token)
    return None if claims is None else session.scalar(select(User).where(holder_of(claims)))


def invalid_token() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "Invalid or expired token",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_token_claims(token: Annotated[str | None, Depends(bearer_token)]) -> TokenClaims:
    """The claims of the request's token, checked without the database (signature, expiry).

    Routes that take these instead of CurrentUser check the user in their own query, with
    `holder_criteria` (POST /tasks/divide records its task with one INSERT that does).
    """
    if token is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    claims = claims_of(token)
    if claims is None:
        raise invalid_token()
    return claims


TokenClaimsDep = Annotated[TokenClaims, Depends(get_token_claims)]


def get_current_user(session: SessionDep, claims: TokenClaimsDep) -> User:
    user = session.scalar(select(User).where(holder_of(claims)))
    if user is None:
        raise invalid_token()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_superuser(user: CurrentUser) -> User:
    if not user.is_superuser:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Superusers only")
    return user


Superuser = Annotated[User, Depends(get_superuser)]
