from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from ..database import SessionDep
from . import service
from .schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

# Sync endpoints: FastAPI runs them in a thread pool, so database calls and task publishing
# never block the event loop.


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, session: SessionDep) -> UserRead:
    try:
        user = service.create_user(session, data)
    except service.EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, "Email already registered") from None
    return UserRead.model_validate(user)


@router.get("")
def list_users(
    session: SessionDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UserRead]:
    return [UserRead.model_validate(user) for user in service.list_users(session, offset, limit)]


@router.get("/{user_id}")
def get_user(user_id: int, session: SessionDep) -> UserRead:
    try:
        return UserRead.model_validate(service.get_user(session, user_id))
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None


@router.patch("/{user_id}")
def update_user(user_id: int, data: UserUpdate, session: SessionDep) -> UserRead:
    try:
        return UserRead.model_validate(service.update_user(session, user_id, data))
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None
    except service.EmailTakenError:
        raise HTTPException(status.HTTP_409_CONFLICT, "Email already registered") from None


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: int, session: SessionDep) -> None:
    try:
        service.delete_user(session, user_id)
    except service.UserNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "User not found") from None
