"""Every domain of the project, registered in one place.

A domain is a package next to this file (router, schemas, models, service, tasks). Adding one:
1. name it in DOMAINS below (Celery finds its `tasks` module through this list);
2. include its router in api.py;
3. import its models in models.py (Alembic and the tests see its tables through that module).

tests/test_domains.py fails when a domain folder is missing from any of the three.
"""

DOMAINS = ("health", "auth", "users", "jobs", "comments", "outbox")
