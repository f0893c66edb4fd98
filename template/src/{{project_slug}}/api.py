"""The HTTP API: every domain's routers, in the order of DOMAINS (see domains.py).

`main.create_app` includes each one in the app itself: a router nested in another router would be
matched once more for every request.
"""

from importlib import import_module

from fastapi import APIRouter

from .domains import domain_modules


def _domain_routers() -> tuple[APIRouter, ...]:
    """Every APIRouter that a domain's router module defines, in the order it defines them."""
    routers: list[APIRouter] = []
    for name in domain_modules("router"):
        for value in vars(import_module(name)).values():
            if isinstance(value, APIRouter) and not any(value is seen for seen in routers):
                routers.append(value)
    return tuple(routers)


ROUTERS: tuple[APIRouter, ...] = _domain_routers()
