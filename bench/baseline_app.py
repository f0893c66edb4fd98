"""The baseline API: a minimal hand-written FastAPI app with the generated project's two routes.

POST /tasks/divide enqueues the same task (`demo.jobs.tasks.divide`) through Celery with default
settings (`bench.baseline_celery`) from a plain `def` endpoint: publishing uses a blocking client,
so FastAPI runs the whole endpoint in its thread pool, the simplest form that does not block the
event loop. GET /health answers {"status": "ok"} from an `async def`, as the generated project's
does. Run in the generated project's venv: `uvicorn bench.baseline_app:app`.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from bench.baseline_celery import divide

app = FastAPI()


class DivideRequest(BaseModel):
    x: float
    y: float


@app.post("/tasks/divide", status_code=202)
def start_divide(request: DivideRequest) -> dict[str, str]:
    return {"task_id": divide.delay(request.x, request.y).id}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
