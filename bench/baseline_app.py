"""The baseline API: a minimal hand-written FastAPI app with the generated project's two routes.

POST /tasks/divide enqueues the same task (`demo.jobs.tasks.divide`) through Celery with default
settings (`bench.baseline_celery`); GET /health answers {"status": "ok"}. Both are plain `def`
endpoints, as in the generated project: publishing uses a blocking client, so FastAPI runs them in
its thread pool. Run in the generated project's venv: `uvicorn bench.baseline_app:app`.
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
def health() -> dict[str, str]:
    return {"status": "ok"}
