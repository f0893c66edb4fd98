"""The FastAPI application: `uvicorn <package>.main:app`."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from .api import ROUTERS
from .config import Settings, get_settings
from .database import engine
from .health.router import liveness

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What is loaded by now lives as long as the process: keep it out of the garbage
    # collector's full passes, which would otherwise pause requests (p99 latency).
    gc.freeze()
    yield
    # Close pooled database connections on shutdown.
    engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    docs = settings.docs_enabled
    app = FastAPI(
        title=settings.app_name,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    for error in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(error, database_unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_api_route("/health", liveness, methods=["GET"], tags=["health"])
    for router in ROUTERS:
        app.include_router(router)
    return app


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database is down or does not answer: 503 with a JSON error, not a 500 and a trace."""
    logger.error("Database unavailable during %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "Database unavailable"}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
    )


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 as FastAPI answers it; without the inputs when JSON cannot carry them back.

    Python's JSON parser accepts NaN, Infinity and lone surrogates ("\\ud800"): echoed back in
    each error's "input", they would turn the 422 into a 500.
    """
    try:
        return await request_validation_exception_handler(request, exc)
    except ValueError:  # from json.dumps, and UnicodeEncodeError from encoding it to UTF-8
        errors = [
            {key: value for key, value in error.items() if key not in {"input", "ctx"}}
            for error in exc.errors()
        ]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


app = create_app()
