"""The HTTP API: every domain's routers, in the order the docs list them (see domains.py).

`main.create_app` includes each one in the app itself: a router nested in another router would be
matched once more for every request.
"""

from fastapi import APIRouter

from .auth.router import router as auth_router
from .comments.router import router as comments_router
from .health.router import router as health_router
from .jobs.router import router as jobs_router
from .jobs.router import ws_router as jobs_ws_router
from .users.router import router as users_router

ROUTERS: tuple[APIRouter, ...] = (
    health_router,
    auth_router,
    users_router,
    jobs_router,
    jobs_ws_router,
    comments_router,
)
