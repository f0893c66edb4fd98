"""Rate limits: requests counted per key ("tasks:user:<id>", "signups:address:<ip>") in the
database, so that every API process sees the same counts; one more is answered 429.

Hand-written because no well-kept library counts in SQL: `limits` (and slowapi over it) stores
in memory, Redis, Memcached, MongoDB or etcd, while the database is the one store every profile
of this project has (the broker may be RabbitMQ or a folder).

Each key has one row and each request costs one statement: an upsert that counts the request and
returns the counts (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on PostgreSQL and SQLite ≥
3.35), into a table that PostgreSQL does not write to its WAL (see RateCounter).

The window slides, approximately: the row keeps the hits of the current fixed window and of the
one before, and the previous window's hits count in proportion to how much of it the sliding
window still covers. A burst at a window's edge thus gets no second allowance.

Refused requests count too: a client that retries before Retry-After stays refused, for two
windows at most (then its counts have expired).
"""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from sqlalchemy import BigInteger, Connection, Integer, String, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import Insert

from .database import Base, engine

# Rows of keys unseen for two windows count nothing; this often, each process deletes them.
CLEANUP_SECONDS = 60
# Keys hold a client address: bounded like every input (an IPv6 address has at most 45).
MAX_KEY_LENGTH = 200


class RateCounter(Base):
    """The hits of one key in its current window and in the window before (see module doc).

    UNLOGGED on PostgreSQL (migration 0004): counting commits without waiting for the disk.
    """

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    # Unix seconds, a multiple of window_seconds.
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_seconds: Mapped[int] = mapped_column(Integer)
    hits: Mapped[int] = mapped_column(Integer)
    previous_hits: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Limit:
    """At most `hits` requests of `key` within any `window_seconds`."""

    key: str
    hits: int
    window_seconds: int


@dataclass
class RateLimitedError(Exception):
    retry_after: int  # seconds, for the Retry-After header


def hit(connection: Connection, limits: Sequence[Limit]) -> None:
    """Count one request against each limit; raise RateLimitedError if any is exceeded.

    Commits only if `connection` autocommits: callers that need the count kept whatever happens
    next use one that does.
    """
    now = time.time()
    _delete_expired(connection, now)
    by_key = {limit.key[:MAX_KEY_LENGTH]: limit for limit in limits}
    values = [
        {
            "key": key,
            "window_start": int(now // limit.window_seconds * limit.window_seconds),
            "window_seconds": limit.window_seconds,
        }
        for key, limit in by_key.items()
    ]
    rows = connection.execute(UPSERT, values)
    waits = [_seconds_to_wait(by_key[row.key], row, now) for row in rows]
    if longest := max((wait for wait in waits if wait is not None), default=None):
        raise RateLimitedError(max(1, math.ceil(longest)))


def _seconds_to_wait(limit: Limit, counts: RateCounter, now: float) -> float | None:
    """None if this request is within the limit; else how long until one more would be.

    The sliding window holds hits + previous_hits * (window - elapsed) / window: multiplied by
    the window below, so that whole numbers stay exact.
    """
    window, allowed = limit.window_seconds, limit.hits
    elapsed = now - counts.window_start
    if counts.previous_hits * (window - elapsed) + counts.hits * window <= allowed * window:
        return None
    if counts.hits < allowed and counts.previous_hits:
        # Within this window, once enough of the previous one has slid out.
        spare = allowed - counts.hits - 1
        return window - spare * window / counts.previous_hits - elapsed
    # In the next window, where this window's hits become the previous ones.
    return window - elapsed + max(0.0, window - (allowed - 1) * window / counts.hits)


def _upsert() -> Insert:
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(RateCounter).values(hits=1, previous_hits=0)
    new = statement.excluded
    same_window = RateCounter.window_start == new.window_start
    next_window = RateCounter.window_start + new.window_seconds == new.window_start
    return statement.on_conflict_do_update(
        index_elements=[RateCounter.key],
        set_={
            # Both refer to the row as it was: SET sees no other assignment's result.
            "previous_hits": case(
                (same_window, RateCounter.previous_hits),
                (next_window, RateCounter.hits),
                else_=0,
            ),
            "hits": case((same_window, RateCounter.hits + 1), else_=1),
            "window_start": new.window_start,
            "window_seconds": new.window_seconds,
        },
    ).returning(
        RateCounter.key, RateCounter.window_start, RateCounter.hits, RateCounter.previous_hits
    )


# Built once, so that SQLAlchemy compiles it once. Executed with one set of values per key,
# SQLAlchemy sends a single INSERT of several rows ("insertmanyvalues").
UPSERT = _upsert()

_next_cleanup = 0.0


def _delete_expired(connection: Connection, now: float) -> None:
    global _next_cleanup
    if now < _next_cleanup:
        return
    _next_cleanup = now + CLEANUP_SECONDS
    expired = RateCounter.window_start + 2 * RateCounter.window_seconds <= now
    connection.execute(delete(RateCounter).where(expired))


def client_address(request: Request) -> str:
    """The client's IP address. Behind a proxy, uvicorn gives the proxy's unless it runs with
    --proxy-headers and --forwarded-allow-ips=<the proxy's address>."""
    return request.client.host if request.client else "unknown"


def too_many_requests(detail: str, refused: RateLimitedError) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"{detail}: try again later",
        headers={"Retry-After": str(refused.retry_after)},
    )
