"""The one SQLAlchemy engine of the process, its sessions and the declarative base."""

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from anyio import Semaphore, fail_after, to_thread
from fastapi import Depends, HTTPException, status
from sqlalchemy import MetaData, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import get_settings

logger = logging.getLogger(__name__)

# What a database that is down, unreachable or out of connections raises: answered 503.
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic filter: autogenerate compares only the tables of our own metadata.

    Celery's database result backend keeps celery_taskmeta and celery_tasksetmeta in the same
    database; without this filter autogenerate would propose dropping them.
    """
    if type_ == "table":
        return name in Base.metadata.tables
    return True


def _connect_args(database_url: str) -> dict[str, Any]:
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        # FastAPI runs sync endpoints in a thread pool: a connection may change threads.
        return {"check_same_thread": False}
    if backend == "postgresql":
        # A database that does not answer fails fast instead of hanging requests.
        return {"connect_timeout": get_settings().database_connect_timeout}
    return {}


def _enforce_foreign_keys(connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (ON DELETE CASCADE included) unless each connection asks.
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


settings = get_settings()
engine = create_engine(
    settings.database_url,
    pool_pre_ping=True,
    # One connection for each request session (DATABASE_POOL_SIZE, see get_session) and each
    # task being published (CELERY_BROKER_POOL_LIMIT; jobs/router.py holds that many at most):
    # neither waits for the other. The overflow serves the rest (readiness checks, WebSocket
    # authorisations), opened and closed as needed.
    pool_size=settings.database_pool_size + settings.celery_broker_pool_limit,
    max_overflow=10,
    pool_timeout=settings.database_pool_timeout,
    connect_args=_connect_args(settings.database_url),
)
if engine.dialect.name == "sqlite":
    event.listen(engine, "connect", _enforce_foreign_keys)
SessionLocal = sessionmaker(engine, expire_on_commit=False)

# Request sessions open at once. A request beyond waits here, on the event loop: waiting in a
# worker thread instead (for a pooled connection) would hold the thread that the requests
# holding connections need to finish, and with every thread waiting, nothing finishes.
free_sessions = Semaphore(settings.database_pool_size)


async def get_session() -> AsyncIterator[Session]:
    """FastAPI dependency: one session per request, closed as soon as the endpoint returns.

    Waits at most DATABASE_POOL_TIMEOUT seconds for one of the DATABASE_POOL_SIZE sessions,
    then answers 503 "Database busy". Declared with scope="function" (SessionDep): the session
    and its connection go back before the response is sent, not after a slow client read it.
    """
    try:
        with fail_after(settings.database_pool_timeout):
            await free_sessions.acquire()
    except TimeoutError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "Database busy", headers={"Retry-After": "1"}
        ) from None
    session = SessionLocal()
    try:
        yield session
    finally:
        try:
            if session.in_transaction():
                # In a thread: giving the connection back rolls it back, a database round trip.
                await to_thread.run_sync(session.close)
            else:
                session.close()
        except DBAPIError as exc:
            # The database went away mid-request: the request has already failed with 503, and
            # an error here would cut that response off.
            logger.warning("Could not close a database session: %s", exc)
        finally:
            free_sessions.release()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
