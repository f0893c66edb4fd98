"""The caller's own account (/users/me), and every account for superusers (/users)."""

from typing import Annotated, BinaryIO

from anyio import to_thread
from fastapi import (
    APIRouter,
    File,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from .. import rate_limits
from ..auth.dependencies import (
    AUTHENTICATED,
    SUPERUSER_ONLY,
    CurrentUser,
    Superuser,
    TokenClaimsDep,
)
from ..auth.security import TokenClaims
from ..config import get_settings
from ..database import SessionDep
from ..errors import UNREADABLE_BODY, Responses, error
from ..jobs import service as jobs_service
from ..jobs.router import TASK_START_ERRORS, task_start_errors
from ..jobs.schemas import TaskCreated
from ..pagination import Limit, Offset
from ..storage import get_storage
from . import avatars, service
from .models import User
from .schemas import MAX_USER_ID, AvatarSize, UserRead, UserUpdate, UserUpdateMe
from .tasks import make_avatar_thumbnails

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


# Profile images (users/avatars.py). The multipart envelope around the file (boundaries, part
# headers) gets this much room above MEDIA_MAX_BYTES; the file itself is held to that setting.
MULTIPART_OVERHEAD = 16 * 1024


def _accept_avatar(owner: TokenClaims, address: str, file: BinaryIO) -> str:
    """Check the upload, store it under a name of our own, start its task; the task's id."""
    avatars.check(file, get_settings().media_max_pixels)
    version = avatars.new_version()
    key = avatars.upload_key(owner.user_id, version)
    storage = get_storage()
    file.seek(0)
    storage.save(key, file)
    try:
        task = make_avatar_thumbnails
        return jobs_service.start_task(owner, address, task, owner.user_id, version)
    except BaseException:
        storage.delete(key)
        raise


@router.put(
    "/me/avatar",
    status_code=status.HTTP_202_ACCEPTED,
    # Raises the app's REQUEST_MAX_BYTES for this route only: a body over it gets 413 as it
    # arrives, before the rest is read.
    max_body_size=get_settings().media_max_bytes + MULTIPART_OVERHEAD,
    responses={
        **UNREADABLE_BODY,
        **AUTHENTICATED,
        # In plain text when the whole body is too large (FastAPI's own answer, as it arrives).
        status.HTTP_413_CONTENT_TOO_LARGE: {
            **error("The file is larger than MEDIA_MAX_BYTES"),
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: error("The file is no PNG, JPEG or WebP image"),
        **TASK_START_ERRORS,
    },
)
async def upload_avatar(
    file: Annotated[UploadFile, File(description="A PNG, JPEG or WebP image")],
    owner: TokenClaimsDep,
    request: Request,
) -> TaskCreated:
    """Replace the caller's profile image. The thumbnails are made by a task: follow it with
    GET /tasks/{task_id}; once it succeeded, GET /users/{id}/avatar serves them.

    422 for an image that is damaged, truncated or has more than MEDIA_MAX_PIXELS pixels.
    """
    if file.size is not None and file.size > get_settings().media_max_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "File too large")
    address = rate_limits.client_address(request)
    try:
        with task_start_errors():
            task_id = await to_thread.run_sync(_accept_avatar, owner, address, file.file)
    except avatars.NotAnImageError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    except avatars.UnreadableImageError as exc:
        problem = {"type": "value_error", "loc": ("body", "file"), "msg": str(exc)}
        raise RequestValidationError([problem]) from None
    return TaskCreated(task_id=task_id)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get(
    "/{user_id}/avatar",
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "description": "The thumbnail, SIZE x SIZE pixels",
            "content": {avatars.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        status.HTTP_304_NOT_MODIFIED: {"description": "If-None-Match names the current version"},
        **AUTHENTICATED,
        status.HTTP_404_NOT_FOUND: error("No user has this id, or no profile image yet"),
    },
)
def read_avatar(
    user_id: UserId,
    _: CurrentUser,
    session: SessionDep,
    size: Annotated[AvatarSize, Query()] = AvatarSize.large,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """A user's profile image, to any logged-in user."""
    version = _get(session, user_id).avatar_version
    if version is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No profile image")
    # The version names the upload: a new upload, a new ETag.
    etag = f'"{version}.{size.value}"'
    max_age = get_settings().avatar_cache_seconds
    headers = {"ETag": etag, "Cache-Control": f"private, max-age={max_age}"}
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    try:
        with get_storage().open(avatars.thumbnail_key(user_id, version, size.value)) as file:
            content = file.read()
    except FileNotFoundError:  # replaced by a newer upload's since the row was read
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No profile image") from None
    return Response(content, media_type=avatars.MEDIA_TYPE, headers=headers)
