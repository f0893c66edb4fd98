"""Sign up, and log in for an access token (OAuth2 password flow, as /docs uses it)."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status

from .. import rate_limits
from ..config import get_settings
from ..database import SessionDep
from ..errors import UNREADABLE_BODY, error
from ..users.schemas import UserRead
from ..users.service import AccountTakenError
from . import service
from .passwords import MAX_LENGTH
from .schemas import SignupRequest, Token

router = APIRouter(
    prefix="/auth",
    tags=["auth"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: error("The database is unavailable")},
)

# Bounded like every input; NUL can be neither an email, a username nor stored in PostgreSQL.
LoginField = Annotated[str, Form(min_length=1, max_length=320, pattern=r"^[^\x00]+$")]
PasswordField = Annotated[str, Form(min_length=1, max_length=MAX_LENGTH)]


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={
        **UNREADABLE_BODY,
        status.HTTP_409_CONFLICT: error("Another user has this email or username"),
        status.HTTP_429_TOO_MANY_REQUESTS: error(
            "Too many sign-ups from this client address; see Retry-After"
        ),
    },
)
def signup(data: SignupRequest, request: Request, session: SessionDep) -> UserRead:
    limit = rate_limits.Limit(
        f"signups:address:{rate_limits.client_address(request)}",
        get_settings().signups_per_hour_per_address,
        3600,
    )
    # Committed whatever follows: a sign-up refused (409) cost a password hash too.
    try:
        rate_limits.hit(session.connection(), [limit])
    except rate_limits.RateLimitedError as exc:
        session.commit()
        raise rate_limits.too_many_requests("Too many sign-ups", exc) from None
    session.commit()
    try:
        user = service.signup(session, data)
    except AccountTakenError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return UserRead.model_validate(user)


@router.post(
    "/token",
    responses={
        **UNREADABLE_BODY,
        status.HTTP_401_UNAUTHORIZED: error("Wrong login or password, or an inactive user"),
        status.HTTP_429_TOO_MANY_REQUESTS: error(
            "Too many failed logins for this account or client; see Retry-After"
        ),
    },
)
def login(
    username: LoginField, password: PasswordField, request: Request, session: SessionDep
) -> Token:
    """`username` is the email or the username. The token goes in `Authorization: Bearer`."""
    client = request.client.host if request.client else "unknown"
    try:
        token = service.login(session, username, password, client, get_settings())
    except service.TooManyFailuresError as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many failed logins: try again later",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    except service.InvalidCredentialsError:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Incorrect login or password",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    return Token(access_token=token.token, expires_in=token.expires_in)
