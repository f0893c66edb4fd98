"""Start tasks and follow them: by polling GET /tasks/{id} or over a WebSocket."""

import asyncio
from typing import Any

from anyio import CapacityLimiter, to_thread
from celery.result import AsyncResult
from celery.states import READY_STATES
from fastapi import APIRouter, HTTPException, WebSocket, status
from fastapi.concurrency import run_in_threadpool
from kombu.exceptions import OperationalError as BrokerUnavailable

from ..celery_app import CeleryDep
from ..config import get_settings
from ..errors import UNREADABLE_BODY, error
from .schemas import DivideRequest, TaskCreated, TaskStatus
from .tasks import divide

router = APIRouter(prefix="/tasks", tags=["tasks"])
ws_router = APIRouter(tags=["tasks"])

POLL_SECONDS = 0.5

# Publishing and reading results talk to the broker and the result backend with blocking
# clients: that part runs in FastAPI's thread pool, off the event loop. Sending a task awaits
# only the publish there; parsing the body and writing the answer stay on the event loop.
#
# A publish holds one of the process's pooled broker connections (CELERY_BROKER_POOL_LIMIT).
# More threads than connections would only wait for one, contending for the GIL with the event
# loop meanwhile; so requests beyond that wait on the event loop, in arrival order.
publishers = CapacityLimiter(get_settings().celery_broker_pool_limit)


@router.post(
    "/divide",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **UNREADABLE_BODY,
        status.HTTP_503_SERVICE_UNAVAILABLE: error("The task queue is unavailable"),
    },
)
async def start_divide(request: DivideRequest) -> TaskCreated:
    try:
        result = await to_thread.run_sync(divide.delay, request.x, request.y, limiter=publishers)
    except BrokerUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"Task queue unavailable: {exc}"
        ) from None
    return TaskCreated(task_id=result.id)


@router.get("/{task_id}")
def get_task(task_id: str, celery: CeleryDep) -> dict[str, Any]:
    return TaskStatus.from_result(AsyncResult(task_id, app=celery)).public()


@ws_router.websocket("/ws/tasks/{task_id}")
async def watch_task(websocket: WebSocket, task_id: str, celery: CeleryDep) -> None:
    """Push {"state": ...} on every change, then the final status as GET /tasks/{id} does."""
    await websocket.accept()
    result = AsyncResult(task_id, app=celery)
    last_state = None
    while True:
        task = await run_in_threadpool(TaskStatus.from_result, result)
        if task.state in READY_STATES:
            await websocket.send_json(task.public())
            await websocket.close()
            return
        if task.state != last_state:
            await websocket.send_json({"state": task.state})
            last_state = task.state
        # Wait for the next poll, but notice at once when the client goes away.
        try:
            message = await asyncio.wait_for(websocket.receive(), timeout=POLL_SECONDS)
        except TimeoutError:
            continue
        if message["type"] == "websocket.disconnect":
            return
