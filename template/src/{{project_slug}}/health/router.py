from typing import Any

from fastapi import APIRouter, Response, status

from ..celery_app import CeleryDep
from ..database import engine
from .checks import run_checks

router = APIRouter(prefix="/health", tags=["health"])


@router.get("")
async def liveness() -> dict[str, str]:
    """The process is up and its event loop serving; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/ready")
def readiness(response: Response, celery: CeleryDep) -> dict[str, Any]:
    """200 when the database, the broker and the result backend all answer, else 503."""
    checks = run_checks(engine, celery)
    ready = all(result == "ok" for result in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ok" if ready else "unavailable", "checks": checks}
