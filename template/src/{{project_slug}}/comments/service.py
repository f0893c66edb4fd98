"""Comments: posting them (with their mentions' notifications) and reading them. The router
translates these exceptions into HTTP errors."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..outbox import service as outbox
from ..users.models import User
from .mentions import mentioned_names
from .models import Comment, Mention
from .tasks import notify_mentions


class CommentNotFoundError(LookupError):
    """No such comment, or not one the caller may read: the same answer, so ids reveal nothing."""


def create_comment(session: Session, author: User, body: str) -> Comment:
    """Commit the comment and its mentions; their emails leave once it has committed.

    Every active user named with @username is mentioned, except the author; names of nobody
    are kept as unknown_mentions. One task of the outbox, committed with the comment, fans the
    emails out (tasks.py): sent right after the commit, or once the broker is back.
    """
    names = mentioned_names(body)
    found = dict(
        session.execute(
            select(User.username, User.id).where(User.username.in_(names), User.is_active)
        ).all()
    )
    comment = Comment(
        author_id=author.id,
        body=body,
        unknown_mentions=[name for name in names if name not in found],
    )
    comment.mentions = [
        Mention(user_id=user_id) for user_id in sorted(found.values()) if user_id != author.id
    ]
    session.add(comment)
    session.flush()  # the comment's id, the task's argument
    fan_out = outbox.add(session, notify_mentions, comment.id) if comment.mentions else None
    session.commit()
    if fan_out is not None:
        outbox.publish([fan_out])
    return comment


def get_comment(session: Session, comment_id: int, reader: User) -> Comment:
    """The comment, if `reader` wrote it, is mentioned in it, or is a superuser."""
    comment = session.get(Comment, comment_id)
    if comment is None or not (
        reader.is_superuser
        or comment.author_id == reader.id
        or any(mention.user_id == reader.id for mention in comment.mentions)
    ):
        raise CommentNotFoundError(comment_id)
    return comment
