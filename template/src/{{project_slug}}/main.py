"""The FastAPI application: `uvicorn <package>.main:app`."""

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import JSONResponse

from .api import ROUTERS
from .config import Settings, get_settings
from .database import DATABASE_ERRORS, engine
from .docs import add_docs
from .health.router import liveness
from .jobs.updates import task_updates
from .middleware import SecurityHeaders
from .outbox.relay import relay as outbox_relay

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What is loaded by now lives as long as the process: keep it out of the garbage
    # collector's full passes, which would otherwise pause requests (p99 latency).
    gc.freeze()
    # Sync endpoints and dependencies run in these threads (WEB_THREADS; see database.py for
    # why requests never wait for a database connection in one).
    to_thread.current_default_thread_limiter().total_tokens = get_settings().web_threads
    # One listener of task updates for all the process's WebSockets (jobs/updates.py), and the
    # relay of the tasks that the outbox holds (outbox/relay.py).
    async with task_updates(app), outbox_relay():
        yield
    # Close pooled database connections on shutdown.
    engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    app = FastAPI(
        title=settings.app_name,
        lifespan=lifespan,
        # /docs and /redoc are added below, with their assets served from this app (docs.py).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        # Bodies over it get 413 as they arrive, before they are read into memory.
        max_body_size=settings.request_max_bytes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    # The last added runs first: a request naming a host that is not ours gets 400 before
    # anything else reads it, and every answer, that 400 included, gets the security headers.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_api_route("/health", liveness, methods=["GET"], tags=["health"])
    for router in ROUTERS:
        app.include_router(router)
    if settings.docs_enabled:
        add_docs(app)
    return app


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database is down or does not answer: 503 with a JSON error, not a 500 and a trace."""
    method = request.scope.get("method", "WebSocket")
    logger.error("Database unavailable during %s %s: %s", method, request.url.path, exc)
    return JSONResponse(
        {"detail": "Database unavailable"}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
    )


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 as FastAPI answers it, but each error's "input" cut short (see `_echo`)."""
    errors = []
    for error in exc.errors():
        shown = {key: value for key, value in error.items() if key != "input"}
        if "input" in error and (echo := _echo(error["input"])) is not _OMITTED:
            shown["input"] = echo
        errors.append(shown)
    try:
        content = jsonable_encoder({"detail": errors})
        return JSONResponse(content, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    except ValueError:  # an error's "ctx" that JSON cannot carry; UnicodeEncodeError included
        for error in errors:
            error.pop("ctx", None)
        return JSONResponse(
            jsonable_encoder({"detail": errors}), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )


# An offending value is echoed back cut to this many characters: enough to recognise it, and
# never a copy of a large body.
ECHO_CHARS = 64
_OMITTED = object()


def _echo(value: Any) -> Any:
    """What a 422 shows of an offending value: itself if short, a prefix of a long string, or
    _OMITTED (a long list or object; a value that JSON cannot carry back, such as NaN or a lone
    surrogate "\\ud800", which Python's JSON parser accepts).
    """
    if isinstance(value, str):
        value = value[:ECHO_CHARS]
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode()
    except (TypeError, ValueError):
        return _OMITTED
    return value if isinstance(value, str) or len(text) <= ECHO_CHARS else _OMITTED


app = create_app()
