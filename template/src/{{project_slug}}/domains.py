"""Every domain of the project, registered in one place: DOMAINS below.

A domain is a package next to this file (router, schemas, models, service, tasks). Naming it in
DOMAINS is all it takes:
- api.py serves every APIRouter its `router` module defines, in the order of DOMAINS;
- models.py imports its `models` module (Alembic and the tests see its tables through it);
- Celery finds its `tasks` module (celery_app.py autodiscovers them from this list), and its
  `queues` module, if any, for the lanes and beat entries of its tasks (queues.py);

`fastcel add domain NAME` writes a new domain and adds its name here. tests/test_domains.py
fails when a domain folder is missing from DOMAINS.
"""

DOMAINS = (
    "health",
    "auth",
    "users",
    "jobs",
    "comments",
    "outbox",
)


def domain_modules(module: str) -> list[str]:
    """The import names of every domain's `module` (e.g. "router"), in the order of DOMAINS,
    for the domains that have one."""
    from importlib.util import find_spec

    names = [f"{__package__}.{domain}.{module}" for domain in DOMAINS]
    return [name for name in names if find_spec(name) is not None]
