"""Wait for the database before migrations run: `python -m <package>.prestart`.

Retries for a bounded time, then exits non-zero so that the container (or CI step) fails loudly.
"""

import logging
import sys
import time

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from .database import engine

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


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if wait_for_database():
        return 0
    logger.error("Database still unreachable after %d attempts; giving up", ATTEMPTS)
    return 1


if __name__ == "__main__":
    sys.exit(main())
