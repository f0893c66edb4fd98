"""Start tasks and follow them: by polling GET /tasks/{id} or over a WebSocket.

Every task has an owner, the user who started it: only they (and superusers) see it.
"""

import asyncio
import json
import uuid
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from celery.result import AsyncResult
from celery.states import READY_STATES
from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect, status
from fastapi.concurrency import run_in_threadpool
from kombu.exceptions import OperationalError as BrokerUnavailable

from ..auth.dependencies import (
    AUTHENTICATED,
    CurrentUser,
    TokenClaimsDep,
    invalid_token,
    user_for_token,
)
from ..celery_app import CeleryDep
from ..config import get_settings
from ..database import SessionDep, SessionLocal
from ..errors import UNREADABLE_BODY, error
from . import service
from .schemas import DivideRequest, TaskCreated, TaskRunRead, TaskStatus
from .tasks import divide

router = APIRouter(
    prefix="/tasks",
    tags=["tasks"],
    responses={
        **AUTHENTICATED,
        status.HTTP_503_SERVICE_UNAVAILABLE: error("The database or the task queue is unavailable"),
    },
)
ws_router = APIRouter(tags=["tasks"])

POLL_SECONDS = 0.5
# The WebSocket's first message must carry the token within this time.
AUTH_SECONDS = 10
MAX_TOKEN_LENGTH = 4096
NOT_FOUND = {status.HTTP_404_NOT_FOUND: error("No task of yours has this id")}

# Publishing and reading results talk to the broker and the result backend with blocking
# clients: that part runs in FastAPI's thread pool, off the event loop. Sending a task awaits
# only the record and the publish there; parsing the body and writing the answer stay on the
# event loop.
#
# A publish holds one of the process's pooled broker connections (CELERY_BROKER_POOL_LIMIT).
# More threads than connections would only wait for one, contending for the GIL with the event
# loop meanwhile; so requests beyond that wait on the event loop, in arrival order.
publishers = CapacityLimiter(get_settings().celery_broker_pool_limit)


@router.post("/divide", status_code=status.HTTP_202_ACCEPTED, responses=UNREADABLE_BODY)
async def start_divide(request: DivideRequest, owner: TokenClaimsDep) -> TaskCreated:
    # The token is checked here, its user by the INSERT that records the task (one round trip
    # to the database for both; see service.start_task).
    try:
        task_id = await to_thread.run_sync(
            service.start_task, owner, divide, request.x, request.y, limiter=publishers
        )
    except service.OwnerRefusedError:
        raise invalid_token() from None
    except BrokerUnavailable:
        # The broker's address stays in the log (celery's own), not in the answer.
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Task queue unavailable") from None
    return TaskCreated(task_id=task_id)


@router.get("")
def list_tasks(
    user: CurrentUser,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskRunRead]:
    """The caller's own tasks, newest first."""
    runs = service.list_runs(session, user, offset, limit)
    return [TaskRunRead.model_validate(run) for run in runs]


@router.get("/{task_id}", responses=NOT_FOUND)
def get_task(
    task_id: uuid.UUID, user: CurrentUser, session: SessionDep, celery: CeleryDep
) -> dict[str, Any]:
    try:
        service.get_run(session, task_id, user)
    except service.TaskNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found") from None
    return TaskStatus.from_result(AsyncResult(str(task_id), app=celery)).public()


def _may_watch(token: str, task_id: uuid.UUID) -> bool:
    # A session of its own, closed at once: the socket may stay open for minutes.
    with SessionLocal() as session:
        user = user_for_token(session, token)
        if user is None:
            return False
        try:
            service.get_run(session, task_id, user)
        except service.TaskNotFoundError:
            return False
    return True


async def _read_token(websocket: WebSocket) -> str | None:
    """The token of the first message, {"token": "<access token>"}; None if there is none.

    Raises WebSocketDisconnect if the client leaves first.
    """
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout=AUTH_SECONDS)
    except TimeoutError:
        return None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        token = json.loads(message.get("text") or "null")["token"]
    except (ValueError, TypeError, KeyError):
        return None
    return token if isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH else None


@ws_router.websocket("/ws/tasks/{task_id}")
async def watch_task(websocket: WebSocket, task_id: uuid.UUID, celery: CeleryDep) -> None:
    """Send {"token": "<access token>"} first; then {"state": ...} arrives on every change, then
    the final status as GET /tasks/{id} gives it.

    Without a valid token, or for a task that is not the caller's, the socket is closed with
    code 1008 (policy violation) before anything is sent.
    """
    await websocket.accept()
    try:
        token = await _read_token(websocket)
    except WebSocketDisconnect:
        return
    if token is None or not await run_in_threadpool(_may_watch, token, task_id):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="Not authorised")
        return
    result = AsyncResult(str(task_id), app=celery)
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
