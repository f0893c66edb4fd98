import logging
from typing import Any

from fastapi import APIRouter, Response, status

from ..celery_app import CeleryDep
from ..database import engine
from .checks import run_checks

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


async def liveness() -> dict[str, str]:
    """GET /health: the process is up and its event loop serving; says nothing of dependencies.

    `main.create_app` declares it on the app itself rather than on `router`: FastAPI matches
    the routes of an included router a second time for every request, and probes call this one
    every few seconds.
    """
    return {"status": "ok"}


@router.get("/ready")
def readiness(response: Response, celery: CeleryDep) -> dict[str, Any]:
    """200 when the database, the broker and the result backend all answer, else 503; within
    about checks.TIMEOUT_SECONDS either way.

    Answers each dependency's state only, {"database": "ok" | "unavailable", ...}: the causes
    (`python -m <package>.health` prints them) go to the log, with the drivers' errors.
    """
    checks = run_checks(engine, celery)
    ready = all(result.ok for result in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        for name, result in checks.items():
            if not result.ok:
                # The driver's error names the host and port: for the log, not the caller.
                logger.error("Not ready, %s %s (%s)", name, result, result.error or "")
    states = {name: "ok" if result.ok else "unavailable" for name, result in checks.items()}
    return {"status": "ok" if ready else "unavailable", "checks": states}
