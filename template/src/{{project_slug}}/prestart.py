"""Prepare the database for this version: `python -m <package>.prestart`, from the project folder.

Waits for the database (bounded: then exits non-zero, so that the container or CI step fails
loudly), applies the migrations (`alembic upgrade head`), creates the tables of Celery's database
result backend when it is one, and creates the first superuser from FIRST_SUPERUSER_EMAIL /
FIRST_SUPERUSER_PASSWORD unless it exists. Compose's `migrate` service (as the owner of the
schema) and `fastcel new` run it; running it again changes nothing.
"""

import logging
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from celery.backends.database import DatabaseBackend
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from .celery_app import celery_app
from .config import get_settings
from .database import SessionLocal, engine
from .users.service import ensure_first_superuser

logger = logging.getLogger(__name__)

ATTEMPTS = 30
DELAY_SECONDS = 1.0


def wait_for_database(attempts: int = ATTEMPTS, delay: float = DELAY_SECONDS) -> bool:
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            logger.warning("Database not ready (attempt %d/%d): %s", attempt, attempts, exc.orig)
            if attempt < attempts:
                time.sleep(delay)
        else:
            logger.info("Database is ready")
            return True
    return False


def migrate(alembic_ini: Path = Path("alembic.ini")) -> None:
    config = Config(str(alembic_ini))
    # Keep this module's logging set-up instead of alembic.ini's.
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def create_result_tables() -> None:
    """Celery's database result backend creates its tables on first use, which the application's
    database role may not do (compose's app services connect as one that may only read and write
    rows): create them here, with the migrations."""
    if isinstance(celery_app.backend, DatabaseBackend):
        celery_app.backend.ResultSession().close()


def create_first_superuser() -> str:
    with SessionLocal() as session:
        return ensure_first_superuser(session, get_settings())


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not wait_for_database():
        logger.error("Database still unreachable after %d attempts; giving up", ATTEMPTS)
        return 1
    migrate()
    create_result_tables()
    logger.info("Migrations applied; %s", create_first_superuser())
    return 0


if __name__ == "__main__":
    sys.exit(main())
