"""Failed logins, counted per key in the database so that every API process sees them.

After LOGIN_MAX_FAILURES failures of one key within LOGIN_FAILURE_WINDOW_SECONDS, logins for that
key are refused (429) until the oldest of those failures leaves the window. Two requests failing
at the same instant may both be counted before either is refused: the bound holds to within the
number of requests in flight.
"""

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..timestamps import in_utc
from .models import LoginFailure


def seconds_until_allowed(
    session: Session, keys: Iterable[str], settings: Settings, now: datetime
) -> int | None:
    """Seconds to wait before any of `keys` may try again, or None if none is throttled."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    longest: int | None = None
    for key in keys:
        recent = list(
            session.scalars(
                select(LoginFailure.failed_at)
                .where(LoginFailure.key == key, LoginFailure.failed_at > now - window)
                .order_by(LoginFailure.failed_at.desc())
                .limit(settings.login_max_failures)
            )
        )
        if len(recent) < settings.login_max_failures:
            continue
        # Allowed again once the oldest of these leaves the window.
        wait = max(1, math.ceil((in_utc(recent[-1]) + window - now).total_seconds()))
        longest = wait if longest is None else max(longest, wait)
    return longest


def record_failure(
    session: Session, keys: Iterable[str], settings: Settings, now: datetime
) -> None:
    session.add_all(LoginFailure(key=key, failed_at=now) for key in keys)
    # Failures that left the window count no more: keep the table small.
    window = timedelta(seconds=settings.login_failure_window_seconds)
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - window))
    session.commit()


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.key == key))
    session.commit()
