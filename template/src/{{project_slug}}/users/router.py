"""The caller's own account (/users/me), and every account for superusers (/users)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from ..auth.dependencies import AUTHENTICATED, SUPERUSER_ONLY, CurrentUser, Superuser
from ..database import SessionDep
from ..errors import UNREADABLE_BODY, Responses, error
from ..pagination import Limit, Offset
from . import service
from .models import User
from .schemas import MAX_USER_ID, UserRead, UserUpdate, UserUpdateMe

router = APIRouter(
    prefix="/users",
    tags=["users"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: error("The database is unavailable")},
)

# Sync endpoints: FastAPI runs them in a thread pool, so database calls and password hashing
# never block the event loop.

# Ids start at 1 and fit the users.id column; any other id is refused (422) before the query.
UserId = Annotated[int, Path(ge=1, le=MAX_USER_ID)]

NOT_FOUND: Responses = {status.HTTP_404_NOT_FOUND: error("No user has this id")}
TAKEN: Responses = {status.HTTP_409_CONFLICT: error("Another user has this email or username")}
WRONG_PASSWORD: Responses = {status.HTTP_403_FORBIDDEN: error("current_password is wrong")}


def _update(session: Session, user: User, changes: dict[str, object]) -> UserRead:
    try:
        return UserRead.model_validate(service.update_user(session, user, changes))
    except service.AccountTakenError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except service.PasswordRefusedError as exc:
        # Answered like the schema's own checks, so that clients read one 422 format.
        problem = {"type": "value_error", "loc": ("body", "password"), "msg": str(exc)}
        raise RequestValidationError([problem]) from None


@router.get("/me", responses=AUTHENTICATED)
async def read_me(user: CurrentUser) -> UserRead:
    # No database work of its own (the user is loaded): on the event loop, two thread hops fewer.
    return UserRead.model_validate(user)


@router.patch("/me", responses={**UNREADABLE_BODY, **AUTHENTICATED, **WRONG_PASSWORD, **TAKEN})
def update_me(data: UserUpdateMe, user: CurrentUser, session: SessionDep) -> UserRead:
    if data.email is not None or data.password is not None:  # the schema required it then
        try:
            service.check_password(user, data.current_password or "")
        except service.WrongPasswordError:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "current_password is wrong") from None
    return _update(session, user, data.changes())


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, responses=AUTHENTICATED)
def delete_me(user: CurrentUser, session: SessionDep) -> None:
    service.delete_user(session, user)


@router.get("", responses=SUPERUSER_ONLY)
def list_users(
    _: Superuser,
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[UserRead]:
    return [UserRead.model_validate(user) for user in service.list_users(session, offset, limit)]


def _get(session: Session, user_id: int) -> User:
    try:
        return service.get_user(session, user_id)
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None


@router.get("/{user_id}", responses={**SUPERUSER_ONLY, **NOT_FOUND})
def get_user(user_id: UserId, _: Superuser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(_get(session, user_id))


@router.patch("/{user_id}", responses={**UNREADABLE_BODY, **SUPERUSER_ONLY, **NOT_FOUND, **TAKEN})
def update_user(user_id: UserId, data: UserUpdate, _: Superuser, session: SessionDep) -> UserRead:
    return _update(session, _get(session, user_id), data.changes())


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**SUPERUSER_ONLY, **NOT_FOUND}
)
def delete_user(user_id: UserId, _: Superuser, session: SessionDep) -> None:
    service.delete_user(session, _get(session, user_id))
