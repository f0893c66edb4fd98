"""The one SQLAlchemy engine of the process, its sessions and the declarative base."""

import logging
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import MetaData, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import get_settings

logger = logging.getLogger(__name__)

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
        # Seconds; a database that does not answer fails fast instead of hanging requests.
        return {"connect_timeout": 5}
    return {}


def _enforce_foreign_keys(connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (ON DELETE CASCADE included) unless each connection asks.
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_database_url = get_settings().database_url
engine = create_engine(
    _database_url,
    pool_pre_ping=True,
    # As many connections as the API publishes tasks at once (each records its task first):
    # fewer would open and close connections beyond the pool under load.
    pool_size=get_settings().database_pool_size,
    connect_args=_connect_args(_database_url),
)
if engine.dialect.name == "sqlite":
    event.listen(engine, "connect", _enforce_foreign_keys)
SessionLocal = sessionmaker(engine, expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards."""
    session = SessionLocal()
    try:
        yield session
    finally:
        try:
            session.close()
        except DBAPIError as exc:
            # The database went away mid-request: the request has already failed with 503, and
            # an error here would cut that response off.
            logger.warning("Could not close a database session: %s", exc)


SessionDep = Annotated[Session, Depends(get_session)]
