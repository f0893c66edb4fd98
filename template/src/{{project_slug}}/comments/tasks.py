"""The emails of a comment's mentions: one task fans out, one task per user sends.

Each user's email is a task of its own, retried on its own (with backoff and jitter) while the
mail server fails or is slow: one recipient whose server refuses for now holds back nobody.
"""

from celery import group, shared_task
from celery.utils.log import get_task_logger
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from ..config import get_settings
from ..database import SessionLocal
from ..users.email import RETRIES, send_email
from ..users.models import User
from .models import Comment, Mention

logger = get_task_logger(__name__)

# Characters of the comment quoted in the email.
EXCERPT_CHARS = 500


@shared_task(autoretry_for=(BrokerUnavailable,), retry_backoff=True, max_retries=8)
def notify_mentions(comment_id: int) -> int:
    """Send one notify_mention per mentioned user not yet notified; return how many.

    Run again (retried because the broker refused the group, redelivered, or published twice by
    the outbox), it sends the group again for those still waiting; a user already marked as
    notified gets nothing more.
    """
    with SessionLocal() as session:
        waiting = session.scalars(
            select(Mention.user_id)
            .where(Mention.comment_id == comment_id, Mention.notified_at.is_(None))
            .order_by(Mention.user_id)
        ).all()
    if waiting:
        group(notify_mention.s(comment_id, user_id) for user_id in waiting).apply_async()
    logger.info("Comment %s: %d mention emails queued", comment_id, len(waiting))
    return len(waiting)


@shared_task(**RETRIES)
def notify_mention(comment_id: int, user_id: int) -> bool:
    """Email `user_id` that comment `comment_id` mentions them, once; True if sent now.

    The mention's notified_at mark makes a second run (a redelivered task) a no-op; only a
    crash between the mail server's acceptance and the mark can still send a second email.
    """
    author = aliased(User)
    with SessionLocal() as session:
        found = session.execute(
            select(Mention.notified_at, User.email, User.is_active, author.username, Comment.body)
            .join(User, User.id == Mention.user_id)
            .join(Comment, Comment.id == Mention.comment_id)
            .join(author, author.id == Comment.author_id)
            .where(Mention.comment_id == comment_id, Mention.user_id == user_id)
        ).one_or_none()
    if found is None or not found.is_active:
        logger.info("Comment %s or user %s is gone or inactive; no email", comment_id, user_id)
        return False
    if found.notified_at is not None:
        logger.info("User %s was already notified of comment %s", user_id, comment_id)
        return False
    settings = get_settings()
    excerpt = found.body[:EXCERPT_CHARS] + ("..." if len(found.body) > EXCERPT_CHARS else "")
    send_email(
        to=found.email,
        subject=f"{found.username} mentioned you in a comment",
        body=(
            f"{found.username} mentioned you in a comment on {settings.app_name}:\n\n"
            f"{excerpt}\n\n{settings.public_url}/comments/{comment_id}\n"
        ),
    )
    with SessionLocal() as session:
        session.execute(
            update(Mention)
            .where(
                Mention.comment_id == comment_id,
                Mention.user_id == user_id,
                Mention.notified_at.is_(None),
            )
            .values(notified_at=func.now())
        )
        session.commit()
    logger.info("Sent mention of comment %s to user %s", comment_id, user_id)
    return True
