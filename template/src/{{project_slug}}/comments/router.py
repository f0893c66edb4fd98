"""Comments: posted by logged-in users, read by their author, the users they mention, and
superusers."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from .. import rate_limits
from ..auth.dependencies import AUTHENTICATED, CurrentUser
from ..config import get_settings
from ..database import SessionDep
from ..errors import UNREADABLE_BODY, error
from . import service
from .schemas import MAX_COMMENT_ID, CommentCreate, CommentRead

router = APIRouter(
    prefix="/comments",
    tags=["comments"],
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: error("The database is unavailable")},
)

CommentId = Annotated[int, Path(ge=1, le=MAX_COMMENT_ID)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **UNREADABLE_BODY,
        **AUTHENTICATED,
        status.HTTP_429_TOO_MANY_REQUESTS: error("Too many comments by this user; see Retry-After"),
    },
)
def create_comment(data: CommentCreate, author: CurrentUser, session: SessionDep) -> CommentRead:
    """Post a comment. Every @username it names (an active user other than the author) gets an
    email, sent by the worker after the commit; names of nobody come back in unknown_mentions."""
    limit = rate_limits.Limit(
        f"comments:user:{author.id}", get_settings().comments_per_minute_per_user, 60
    )
    try:
        rate_limits.hit(session.connection(), [limit])
    except rate_limits.RateLimitedError as exc:
        session.commit()  # the refused request counts too
        raise rate_limits.too_many_requests("Too many comments", exc) from None
    return CommentRead.model_validate(service.create_comment(session, author, data.body))


@router.get(
    "/{comment_id}",
    responses={
        **AUTHENTICATED,
        status.HTTP_404_NOT_FOUND: error("No comment that the caller may read has this id"),
    },
)
def get_comment(comment_id: CommentId, reader: CurrentUser, session: SessionDep) -> CommentRead:
    """A comment that the caller wrote or is mentioned in (a superuser reads every one)."""
    try:
        return CommentRead.model_validate(service.get_comment(session, comment_id, reader))
    except service.CommentNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Comment not found") from None
