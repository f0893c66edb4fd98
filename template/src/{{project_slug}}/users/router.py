from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from ..database import SessionDep
from ..errors import UNREADABLE_BODY, Responses, error
from . import service
from .schemas import MAX_USER_ID, UserCreate, UserRead, UserUpdate

router = APIRouter(
    prefix="/users",
    tags=["users"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: error("The database is unavailable")},
)

# Sync endpoints: FastAPI runs them in a thread pool, so database calls and task publishing
# never block the event loop.

# Ids start at 1 and fit the users.id column; any other id is refused (422) before the query.
UserId = Annotated[int, Path(ge=1, le=MAX_USER_ID)]

NOT_FOUND: Responses = {status.HTTP_404_NOT_FOUND: error("No user has this id")}
EMAIL_TAKEN: Responses = {status.HTTP_409_CONFLICT: error("Another user has this email")}


@router.post("", status_code=status.HTTP_201_CREATED, responses={**UNREADABLE_BODY, **EMAIL_TAKEN})
def create_user(data: UserCreate, session: SessionDep) -> UserRead:
    try:
        user = service.create_user(session, data)
    except service.EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, "Email already registered") from None
    return UserRead.model_validate(user)


@router.get("")
def list_users(
    session: SessionDep,
    # There are never more users than ids: a larger offset could only answer [].
    offset: Annotated[int, Query(ge=0, le=MAX_USER_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UserRead]:
    return [UserRead.model_validate(user) for user in service.list_users(session, offset, limit)]


@router.get("/{user_id}", responses=NOT_FOUND)
def get_user(user_id: UserId, session: SessionDep) -> UserRead:
    try:
        return UserRead.model_validate(service.get_user(session, user_id))
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None


@router.patch("/{user_id}", responses={**UNREADABLE_BODY, **NOT_FOUND, **EMAIL_TAKEN})
def update_user(user_id: UserId, data: UserUpdate, session: SessionDep) -> UserRead:
    try:
        return UserRead.model_validate(service.update_user(session, user_id, data))
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None
    except service.EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, "Email already registered") from None


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_user(user_id: UserId, session: SessionDep) -> None:
    try:
        service.delete_user(session, user_id)
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None
