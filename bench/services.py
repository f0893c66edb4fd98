"""The services on 127.0.0.1 the benchmarks use, and the names that keep them apart.

Redis databases 10 to 12 belong to the benchmark: 10 the Redis broker, 11 results when Redis is
the broker, 12 results when RabbitMQ is. Queues are named `bench-...` with a random part, and
removed afterwards (see `bench.brokers`).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_BROKER_DB = 10
REDIS_RESULTS_DB = {"redis": 11, "rabbitmq": 12}
BROKERS = {
    "redis": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_BROKER_DB}",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


def result_backend(broker: str) -> str:
    """The Redis result backend used beside `broker`."""
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_RESULTS_DB[broker]}"


def celery_env(broker: str, queue: str) -> dict[str, str]:
    """CELERY_* variables for both the generated project and the baseline apps."""
    return {
        "CELERY_BROKER_URL": BROKERS[broker],
        "CELERY_RESULT_BACKEND": result_backend(broker),
        "CELERY_QUEUE": queue,
    }


def queue_name(what: str) -> str:
    """A queue name of our own: `bench-<what>-<random>`."""
    return f"bench-{what}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def fresh_database(prefix: str = "bench") -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random> on the local PostgreSQL; DROP it afterwards.

    Yields its SQLAlchemy URL (psycopg 3 driver).
    """
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
