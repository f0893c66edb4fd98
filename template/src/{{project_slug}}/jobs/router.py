"""Start tasks and follow them: by polling GET /tasks/{id} or over a WebSocket.

Every task has an owner, the user who started it: only they (and superusers) see it.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from anyio import CapacityLimiter, to_thread
from celery import Celery
from celery.result import AsyncResult
from celery.states import READY_STATES
from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect, status
from fastapi.concurrency import run_in_threadpool
from kombu.exceptions import OperationalError as BrokerUnavailable

from .. import queue_cap, rate_limits
from ..auth.dependencies import (
    AUTHENTICATED,
    CurrentUser,
    TokenClaimsDep,
    invalid_token,
    user_for_token,
)
from ..celery_app import CeleryDep
from ..config import get_settings
from ..database import DATABASE_ERRORS, SessionDep, SessionLocal
from ..errors import UNREADABLE_BODY, Responses, error
from ..pagination import Limit, Offset
from . import service
from .schemas import DivideRequest, TaskCreated, TaskRunRead, TaskStatus
from .tasks import divide
from .updates import (
    RESULT_BACKEND_ERRORS,
    TaskUpdates,
    TooManySocketsError,
    UpdatesUnavailableError,
    Watch,
)

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/tasks",
    tags=["tasks"],
    responses={
        **AUTHENTICATED,
        status.HTTP_503_SERVICE_UNAVAILABLE: error("The database or the task queue is unavailable"),
    },
)
ws_router = APIRouter(tags=["tasks"])

# The WebSocket's first message must carry the token within this time.
AUTH_SECONDS = 10
MAX_TOKEN_LENGTH = 4096
NOT_FOUND = {status.HTTP_404_NOT_FOUND: error("No task of yours has this id")}
RESULT_BACKEND_UNAVAILABLE = "Result backend unavailable"
# WebSocket close codes of our own, 4000 + the HTTP status they stand for: no task of the
# caller's has the socket's id (404), and the socket was open for WS_MAX_SECONDS (408).
CLOSE_NOT_FOUND = 4404
CLOSE_LIFETIME = 4408

# Publishing and reading results talk to the broker and the result backend with blocking
# clients: that part runs in FastAPI's thread pool, off the event loop. Sending a task awaits
# only the record and the publish there; parsing the body and writing the answer stay on the
# event loop.
#
# A publish holds one of the process's pooled broker connections (CELERY_BROKER_POOL_LIMIT).
# More threads than connections would only wait for one, contending for the GIL with the event
# loop meanwhile; so requests beyond that wait on the event loop, in arrival order.
publishers = CapacityLimiter(get_settings().celery_broker_pool_limit)


# What every route that starts a task (service.start_task) may answer besides its own.
TASK_START_ERRORS: Responses = {
    status.HTTP_429_TOO_MANY_REQUESTS: error(
        "Too many tasks started by this user or client address; see Retry-After"
    ),
    status.HTTP_503_SERVICE_UNAVAILABLE: error(
        "The database or the task queue is unavailable, or the queue is full"
    ),
}


@contextmanager
def task_start_errors() -> Iterator[None]:
    """service.start_task's errors, as the HTTP answers of TASK_START_ERRORS (and 401)."""
    try:
        yield
    except service.OwnerRefusedError:
        raise invalid_token() from None
    except rate_limits.RateLimitedError as exc:
        raise rate_limits.too_many_requests("Too many tasks started", exc) from None
    except queue_cap.QueueFullError:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Task queue full") from None
    except BrokerUnavailable:
        # The broker's address stays in the log (celery's own), not in the answer.
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Task queue unavailable") from None


@router.post(
    "/divide",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **UNREADABLE_BODY,
        **TASK_START_ERRORS,
    },
)
async def start_divide(data: DivideRequest, owner: TokenClaimsDep, request: Request) -> TaskCreated:
    # The token is checked here, its user by the INSERT that records the task (one round trip
    # to the database for both; see service.start_task).
    address = rate_limits.client_address(request)
    with task_start_errors():
        task_id = await to_thread.run_sync(
            service.start_task, owner, address, divide, data.x, data.y, limiter=publishers
        )
    return TaskCreated(task_id=task_id)


@router.get("")
def list_tasks(
    user: CurrentUser,
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[TaskRunRead]:
    """The caller's own tasks, newest first."""
    runs = service.list_runs(session, user, offset, limit)
    return [TaskRunRead.model_validate(run) for run in runs]


@router.get(
    "/{task_id}",
    responses={
        **NOT_FOUND,
        status.HTTP_503_SERVICE_UNAVAILABLE: error(
            "The database or the result backend is unavailable"
        ),
    },
)
def get_task(
    task_id: uuid.UUID, user: CurrentUser, session: SessionDep, celery: CeleryDep
) -> dict[str, Any]:
    try:
        service.get_run(session, task_id, user)
    except service.TaskNotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found") from None
    try:
        task = TaskStatus.from_result(AsyncResult(str(task_id), app=celery))
    except RESULT_BACKEND_ERRORS as exc:
        # Its address stays in the log, not in the answer.
        logger.error("Result backend unavailable: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, RESULT_BACKEND_UNAVAILABLE
        ) from None
    return task.public()


def _watcher_id(token: str, task_id: uuid.UUID) -> int | None:
    """The id of the token's user, None for a token that is not valid.

    Raises service.TaskNotFoundError if no task of the user's has this id.
    """
    # A session of its own, closed at once: the socket may stay open for minutes.
    with SessionLocal() as session:
        user = user_for_token(session, token)
        if user is None:
            return None
        service.get_run(session, task_id, user)
        return user.id


def _origin_allowed(websocket: WebSocket) -> bool:
    """A browser names the page's origin: only CORS_ORIGINS and the API's own are let in.

    Without this check any web page could open the socket; clients other than browsers send no
    Origin and pass.
    """
    origin = websocket.headers.get("origin")
    if origin is None or origin in get_settings().cors_origins:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


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


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it leaves."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


@ws_router.websocket("/ws/tasks/{task_id}")
async def watch_task(websocket: WebSocket, task_id: uuid.UUID, celery: CeleryDep) -> None:
    """Send {"token": "<access token>"} first; then {"state": ...} arrives on every change, then
    the final status as GET /tasks/{id} gives it, and the socket closes with 1000.

    Refused at the handshake (HTTP 403): a browser Origin other than CORS_ORIGINS or the API's
    own, and a task id that is not a UUID. Otherwise the socket closes with:
    - 1008 (policy violation), before anything is sent: no valid token within AUTH_SECONDS;
    - 4404, before anything is sent: no task of the caller's has this id (reason "Task not
      found"; a task id is known from the moment POST answered 202 with it);
    - 1013 (try again later): WS_MAX_CONNECTIONS sockets open in this process, or
      WS_MAX_PER_USER of the caller's (reason "Too many connections"); or the result backend is
      unavailable (reason "Result backend unavailable"), or the database (reason "Database
      unavailable");
    - 4408: open for WS_MAX_SECONDS (reason "Maximum lifetime reached"); GET /tasks/{id} or a
      new socket tells the rest.
    """
    if not _origin_allowed(websocket):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    updates: TaskUpdates = websocket.app.state.task_updates
    await websocket.accept()
    try:
        async with asyncio.timeout(get_settings().ws_max_seconds):
            code, reason = await _follow(websocket, updates, task_id, celery)
    except TimeoutError:
        code, reason = CLOSE_LIFETIME, "Maximum lifetime reached"
    except WebSocketDisconnect:
        return
    await websocket.close(code=code, reason=reason)


async def _follow(
    websocket: WebSocket, updates: TaskUpdates, task_id: uuid.UUID, celery: Celery
) -> tuple[int, str]:
    """Authorise the socket, then send the task's states until it is ready; the close code."""
    try:
        async with updates.socket():
            token = await _read_token(websocket)
            try:
                user_id = token and await run_in_threadpool(_watcher_id, token, task_id)
            except DATABASE_ERRORS as exc:
                logger.error("Database unavailable for a WebSocket: %s", exc)
                return status.WS_1013_TRY_AGAIN_LATER, "Database unavailable"
            except service.TaskNotFoundError:
                return CLOSE_NOT_FOUND, "Task not found"
            if not user_id:
                return status.WS_1008_POLICY_VIOLATION, "Not authorised"
            async with updates.user_socket(user_id), updates.watch(str(task_id)) as watch:
                return await _send_states(websocket, watch, AsyncResult(str(task_id), app=celery))
    except TooManySocketsError:
        return status.WS_1013_TRY_AGAIN_LATER, "Too many connections"
    except UpdatesUnavailableError:
        return status.WS_1013_TRY_AGAIN_LATER, RESULT_BACKEND_UNAVAILABLE


async def _send_states(websocket: WebSocket, watch: Watch, result: AsyncResult) -> tuple[int, str]:
    leaving = asyncio.create_task(_until_disconnect(websocket))
    changed = asyncio.create_task(watch.changed())
    try:
        while True:
            await asyncio.wait({leaving, changed}, return_when=asyncio.FIRST_COMPLETED)
            if leaving.done():
                raise WebSocketDisconnect
            if watch.unavailable:
                return status.WS_1013_TRY_AGAIN_LATER, RESULT_BACKEND_UNAVAILABLE
            if watch.state in READY_STATES:
                # One read of the result, in a thread (the listener saw only the state).
                try:
                    task = await run_in_threadpool(TaskStatus.from_result, result)
                except RESULT_BACKEND_ERRORS:
                    return status.WS_1013_TRY_AGAIN_LATER, RESULT_BACKEND_UNAVAILABLE
                await websocket.send_json(task.public())
                return status.WS_1000_NORMAL_CLOSURE, ""
            await websocket.send_json({"state": watch.state})
            changed = asyncio.create_task(watch.changed())
    finally:
        leaving.cancel()
        changed.cancel()
