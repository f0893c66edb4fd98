"""The generated API beside open WebSockets: does watching tasks slow every other request?

For each result backend (a project generated with `result_backend=redis`, and one with
`postgres`), one uvicorn process with 0, 500 and 2,000 sockets open on /ws/tasks/{id}, each
watching a PENDING task of its own (no worker runs) and held by `bench.socket_holder` in a
process of its own. Meanwhile: rate and p50/p99 of GET /health/ready (the readiness probe: the
database, the broker and the result backend asked) and of GET /users/me, a few clients each;
how many database connections the server holds (PostgreSQL's pg_stat_activity); and how many
sockets the server closed during the run (none expected).

The socket caps are raised for the bench user (WS_MAX_PER_USER and WS_MAX_CONNECTIONS, with
WEB_LIMIT_CONCURRENCY above them): the caps answer 1013 by design, and these figures are about
what the sockets cost below them.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench import SLUG
from bench.api import Database, auth_header, bearer_token
from bench.concurrency import serve
from bench.load import REQUEST_TIMEOUT, run_load, tool
from bench.project import Generated, in_project, prepare
from bench.services import BROKERS, POSTGRES_ADMIN, celery_env, fresh_database, queue_name
from bench.stats import fmt_ms, fmt_rate, table
from fastcel.process import background

BACKENDS = ("redis", "postgres")
SOCKETS = (0, 500, 2000)
PROBES = (("GET /health/ready", "/health/ready"), ("GET /users/me", "/users/me"))
CLIENTS = 4  # concurrent clients of each probe
DURATION = 3.0  # seconds per probe and point
REQUEST_CAP = 100_000
OPEN_LIMIT = 180.0  # seconds to start the tasks and open the sockets of one point
MIGRATE_TIMEOUT = 180
# The aim of issue 13: the readiness probe's p50 at the most sockets.
READY_P50_TARGET_MS = 50.0
SOCKET_ROOM = {
    "WS_MAX_CONNECTIONS": str(max(SOCKETS) + 100),
    "WS_MAX_PER_USER": str(max(SOCKETS) + 100),
    "WEB_LIMIT_CONCURRENCY": str(2 * max(SOCKETS) + 200),
}


def backend_env(backend: str, database: Database, queue: str) -> dict[str, str]:
    """Settings of the server: Redis as broker; results in Redis or in the app's database."""
    env = {**celery_env("redis", queue), **database.env(), **SOCKET_ROOM}
    if backend == "postgres":
        env["CELERY_RESULT_BACKEND"] = ""  # the project's own database ("db+" + DATABASE_URL)
    return env


@contextlib.contextmanager
def held_sockets(project: Generated, url: str, token: str, count: int) -> Iterator[object]:
    """`count` sockets open (after their first state arrived) until the block ends; yields the
    holder's log, which names each socket the server closed."""
    if count == 0:
        yield None
        return
    command = [project.python, "-m", "bench.socket_holder", url, str(count)]
    with background(command, project.path, project.env(BENCH_TOKEN=token)) as (proc, log):
        deadline = time.monotonic() + OPEN_LIMIT
        while f"ready {count}" not in _read(log):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the socket holder did not open {count}:\n{_read(log)[-3000:]}")
            time.sleep(0.2)
        yield log


def _read(log) -> str:
    if log is None:
        return ""
    log.seek(0)
    return log.read()


def database_connections(database: Database) -> int:
    """Connections to the server's database (the server's own: nothing else runs on it)."""
    import psycopg

    name = database.url.rsplit("/", 1)[-1]
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchone()
    return int(row[0])


def measure_backend(backend: str, project: Generated, log: Callable) -> list[dict]:
    rows = []
    with fresh_database("bench_ws") as url:
        database = Database(url)
        queue = queue_name(f"ws-{backend}")
        env = backend_env(backend, database, queue)
        try:
            # prestart migrates, and creates Celery's result tables for the database backend.
            in_project(project, f"{SLUG}.prestart", timeout=MIGRATE_TIMEOUT, **env)
            for count in SOCKETS:
                # A server of its own per point: the sockets of one point do not linger into
                # the next one's.
                with serve(project, 1, env) as server:
                    token = bearer_token(server, database.password)
                    with held_sockets(project, server, token, count) as holder:
                        point = {"backend": backend, "sockets": count}
                        for label, path in PROBES:
                            result = run_load(
                                server + path, "GET", "", DURATION, REQUEST_CAP,
                                auth_header(token), CLIENTS,
                            )  # fmt: skip
                            point[label] = {
                                "ok_rps": result.ok_rps,
                                "p50": result.p50_ms,
                                "p99": result.p99_ms,
                                "failed": result.errors,
                            }
                        point["db_connections"] = database_connections(database)
                        point["closed"] = _read(holder).count("closed ")
                    rows.append(point)
                    log(f"sockets: {json.dumps(point)}")
        finally:
            in_project(project, "bench.brokers", "delete", BROKERS["redis"], queue)
    return rows


def verdicts(rows: list[dict]) -> list[str]:
    lines = []
    label = PROBES[0][0]
    for backend in BACKENDS:
        points = [r for r in rows if r["backend"] == backend]
        if not points:
            continue
        most = max(points, key=lambda r: r["sockets"])
        p50 = most[label]["p50"]
        met = not math.isnan(p50) and p50 < READY_P50_TARGET_MS
        closed = sum(r["closed"] for r in points)
        lines.append(
            f"- {backend} result backend: {label} p50 at {most['sockets']} sockets "
            f"{fmt_ms(p50)} ({'met' if met else 'NOT met'}: < {READY_P50_TARGET_MS:.0f} ms); "
            f"{closed} socket(s) closed by the server during the runs"
        )
    return lines


def report(rows: list[dict]) -> str:
    headers = ["result backend", "sockets", "endpoint", "2xx/s", "p50", "p99", "failed"]
    headers += ["DB connections"]
    body = [
        [
            r["backend"],
            r["sockets"],
            label,
            fmt_rate(r[label]["ok_rps"], ""),
            fmt_ms(r[label]["p50"]),
            fmt_ms(r[label]["p99"]),
            r[label]["failed"],
            r["db_connections"],
        ]
        for r in rows
        for label, _path in PROBES
    ]
    note = (
        f"Sockets: one uvicorn process; each socket watches a PENDING task of its own. Probes: "
        f"`{tool()}`, {CLIENTS} clients, {DURATION:g} s each while the sockets are open; failed: "
        f"non-2xx or no answer within {REQUEST_TIMEOUT:g} s. DB connections: the server's, "
        "counted after the probes. The socket holder and the probes share the machine's cores "
        "with the server."
    )
    return "\n".join([note, "", table(headers, body), "", "Aims:", *verdicts(rows)])


def run(template: Path | None, log: Callable = print) -> str:
    """The sockets section: one table and the verdicts, a project per result backend."""
    rows = []
    for backend in BACKENDS:
        # Redis is the template's default: that project is the other sections' one.
        data = {} if backend == "redis" else {"result_backend": backend}
        project = prepare(log, template, data)
        rows += measure_backend(backend, project, log)
    return report(rows)
