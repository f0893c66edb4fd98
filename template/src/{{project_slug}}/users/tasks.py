from celery import shared_task
from celery.utils.log import get_task_logger
from sqlalchemy import func, select, update

from ..config import get_settings
from ..database import SessionLocal
from ..storage import get_storage
from . import avatars
from .email import RETRIES, send_email
from .models import User

logger = get_task_logger(__name__)


# Retried while the mail server is away or slow; a refused recipient or a bad login is final.
@shared_task(**RETRIES)
def send_welcome_email(user_id: int) -> None:
    """Send the welcome email once, even when the task runs twice.

    Tasks are delivered at least once: a worker killed after sending but before acknowledging
    leaves the task to run again. The user's welcomed_at mark makes that second run a no-op; only
    a crash between sending and marking can still send a second email.
    """
    with SessionLocal() as session:
        user = session.get(User, user_id)
    if user is None:
        logger.warning("User %s no longer exists; no welcome email", user_id)
        return
    if user.welcomed_at is not None:
        logger.info("User %s was already welcomed; nothing to send", user_id)
        return
    app_name = get_settings().app_name
    send_email(
        to=user.email,
        subject=f"Welcome to {app_name}",
        body=f"Hello {user.full_name or user.email},\n\nyour {app_name} account is ready.\n",
    )
    with SessionLocal() as session:
        session.execute(
            update(User)
            .where(User.id == user_id, User.welcomed_at.is_(None))
            .values(welcomed_at=func.now())
        )
        session.commit()
    logger.info("Sent welcome email to %s", user.email)


@shared_task
def report_user_stats() -> dict[str, int]:
    """Periodic report: how many users there are, and how many are active."""
    with SessionLocal() as session:
        total = session.scalar(select(func.count()).select_from(User)) or 0
        active = session.scalar(select(func.count()).where(User.is_active)) or 0
    logger.info("Users: %d total, %d active", total, active)
    return {"total": total, "active": active}


@shared_task
def make_avatar_thumbnails(user_id: int, version: str) -> dict[str, list[int]]:
    """Make the thumbnails of an upload that PUT /users/me/avatar checked and stored, then show
    them in place of the user's previous ones.

    Safe to run twice (a redelivered task): thumbnails are written whole or not at all, and a
    user's version only ever moves to a newer upload, so that of two uploads in a row the later
    one wins whichever task ends last.
    """
    storage = get_storage()
    upload = avatars.upload_key(user_id, version)
    try:
        with storage.open(upload) as file:
            made = avatars.thumbnails(file, get_settings().media_max_pixels)
    except FileNotFoundError:
        logger.info("Upload %s of user %s is gone: done already", version, user_id)
        return {"sizes": list(avatars.SIZES)}
    except (avatars.NotAnImageError, avatars.UnreadableImageError):
        storage.delete(upload)
        raise
    for size, data in made.items():
        storage.save(avatars.thumbnail_key(user_id, version, size), data)
    with SessionLocal() as session:
        user = session.get(User, user_id, with_for_update=True)
        previous = user.avatar_version if user else None
        if user is not None and (previous is None or previous < version):
            user.avatar_version = version
            user.avatar_updated_at = func.now()
            session.commit()
            stale = previous
        else:
            stale = None if previous == version else version  # deleted user, or a newer upload
    if stale is not None:
        for size in avatars.SIZES:
            storage.delete(avatars.thumbnail_key(user_id, stale, size))
    storage.delete(upload)
    return {"sizes": list(avatars.SIZES)}
