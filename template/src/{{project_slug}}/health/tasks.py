from datetime import UTC, datetime

from celery import shared_task
from celery.utils.log import get_task_logger

logger = get_task_logger(__name__)


@shared_task
def heartbeat() -> str:
    """Beat sends it every CELERY_HEARTBEAT_SECONDS (30 by default): the line it logs shows, in
    the worker's log and in Flower, that beat and a worker are both running. Returns when it ran."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    logger.info("Heartbeat at %s: beat sends periodic tasks and this worker runs them", now)
    return now
