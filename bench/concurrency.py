"""The generated API under concurrent load: does it hold its rate, or collapse?

Measured: 2xx answers per second, p50/p99 latency of those, other answers and requests left
unanswered (no response within `bench.load.REQUEST_TIMEOUT`) for a read, GET /users/me (the
token checked and its user loaded from PostgreSQL), and for the enqueue, POST /tasks/divide (a
`task_runs` row, then a publish on Redis), at 30, 60, 120 and 200 concurrent keep-alive clients
against one and two uvicorn processes (`--workers`), a server of its own for each endpoint. One
run per point. After each run, the time until an authenticated GET /users/me answers 200 again:
a server that collapsed keeps working off its backlog long after the load stopped.

The server starts the way the project's Dockerfile starts it: `python -m <slug>.serve` when the
project has that module (its --limit-concurrency comes from the settings), else plain `uvicorn`.
One bench user makes every request, so the per-user and per-address rate limits and the queue cap
are raised out of the way (they would answer 429 and 503 by design; older projects ignore these
settings). No worker consumes: the queue fills (a few thousand small messages) and is deleted at
the end.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

from bench import SLUG
from bench.api import Database, app_database, auth_header, bearer_token
from bench.load import REQUEST_TIMEOUT, run_load, tool
from bench.project import Generated, in_project, wait_http
from bench.services import BROKERS, celery_env, queue_name
from bench.stats import fmt_ms, fmt_rate, fmt_seconds, table
from fastcel.process import background, free_port

CLIENTS = (30, 60, 120, 200)
PROCESSES = (1, 2)
# label, method, path, body; every request carries the bench user's token.
ENDPOINTS = (
    ("GET /users/me", "GET", "/users/me", ""),
    ("POST /tasks/divide", "POST", "/tasks/divide", json.dumps({"x": 1, "y": 2})),
)
DURATION = 3.0  # seconds per point
WARMUP = 1.0  # seconds at the lowest client count, per server and endpoint, not reported
REQUEST_CAP = 100_000  # per run: far above what two processes serve in DURATION
RECOVERY_LIMIT = 40.0  # seconds to wait for the server to answer again after a run
# The aims of issue 13.
RATE_KEPT = 0.8  # rate at the most clients >= this x the rate at the fewest
P99_CLIENTS = 60
P99_TARGET_MS = 250.0
UNLIMITED = str(10**9)
OUT_OF_THE_WAY = {
    "TASKS_PER_MINUTE_PER_USER": UNLIMITED,
    "TASKS_PER_MINUTE_PER_ADDRESS": UNLIMITED,
    "CELERY_QUEUE_MAX_LENGTH": UNLIMITED,
}


def server_command(project: Generated, port: int, processes: int) -> list[str]:
    """The project's own entry point (`<slug>.serve`) when it has one, else uvicorn's."""
    options = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(processes)]
    options += ["--no-access-log", "--log-level", "warning"]
    if (project.path / "src" / SLUG / "serve.py").is_file():
        return [str(project.python), "-m", f"{SLUG}.serve", *options]
    return [str(project.bin("uvicorn")), f"{SLUG}.main:app", *options]


@contextlib.contextmanager
def serve(project: Generated, processes: int, env: dict[str, str]) -> Iterator[str]:
    """Run the API with `processes` uvicorn processes until /health answers; yield its URL."""
    port = free_port()
    command = server_command(project, port, processes)
    with background(command, project.path, project.env(**env)) as (proc, _log):
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health", proc)
        yield url


def answers_again(url: str, token: str, limit: float = RECOVERY_LIMIT) -> float:
    """Seconds until GET /users/me answers 200 with `token`; NaN if not within `limit`."""
    start = time.monotonic()
    request = urllib.request.Request(f"{url}/users/me", headers=auth_header(token))
    while time.monotonic() - start < limit:
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(request, timeout=2) as response,
        ):
            if response.status == 200:
                return time.monotonic() - start
        time.sleep(0.1)
    return math.nan


def measure(url: str, token: str, method: str, path: str, body: str, clients: int) -> dict:
    """One point: the load generator's figures, then the time until the server answers again."""
    result = run_load(url + path, method, body, DURATION, REQUEST_CAP, auth_header(token), clients)
    return {
        "clients": clients,
        "ok_rps": result.ok_rps,
        "p50": result.p50_ms,
        "p99": result.p99_ms,
        "refused": result.errors - result.unanswered,
        "unanswered": result.unanswered,
        "recovery": answers_again(url, token),
    }


def measure_endpoint(
    project: Generated, database: Database, processes: int, endpoint: tuple, log: Callable
) -> list[dict]:
    """Every client count at one endpoint, against a server of `processes` processes of its
    own: a server that collapsed under one endpoint's load would slow the next one's."""
    label, method, path, body = endpoint
    queue = queue_name(f"load-{processes}")
    env = {**celery_env("redis", queue), **database.env(), **OUT_OF_THE_WAY}
    rows = []
    try:
        with serve(project, processes, env) as url:
            token = bearer_token(url, database.password)
            run_load(url + path, method, body, WARMUP, REQUEST_CAP, auth_header(token))
            for clients in CLIENTS:
                point = measure(url, token, method, path, body, clients)
                rows.append({"processes": processes, "endpoint": label, **point})
                log(f"load: {processes} process(es), {label}: {json.dumps(point)}")
    finally:
        in_project(project, "bench.brokers", "delete", BROKERS["redis"], queue)
    return rows


def verdicts(rows: list[dict]) -> list[str]:
    """One line per server and endpoint on the aims: rate kept, nothing unanswered, p99."""
    lines = []
    for processes in PROCESSES:
        for label, *_ in ENDPOINTS:
            points = {
                r["clients"]: r
                for r in rows
                if r["processes"] == processes and r["endpoint"] == label
            }
            if not points:
                continue
            fewest, most = points[min(points)], points[max(points)]
            kept = most["ok_rps"] / fewest["ok_rps"] if fewest["ok_rps"] else math.nan
            unanswered = sum(r["unanswered"] for r in points.values())
            p99 = points[P99_CLIENTS]["p99"] if P99_CLIENTS in points else math.nan
            lines.append(
                f"- {processes} process{'es' if processes > 1 else ''}, {label}: rate at "
                f"{max(points)} clients {kept:.2f}x the rate at {min(points)} "
                f"({'met' if kept >= RATE_KEPT else 'NOT met'}: >= {RATE_KEPT:.2f}x); "
                f"{unanswered} unanswered ({'met' if unanswered == 0 else 'NOT met'}: 0); p99 at "
                f"{P99_CLIENTS} clients {fmt_ms(p99)} "
                f"({'met' if p99 < P99_TARGET_MS else 'NOT met'}: < {P99_TARGET_MS:.0f} ms)"
            )
    return lines


def report(rows: list[dict]) -> str:
    headers = ["processes", "endpoint", "clients", "2xx/s", "p50", "p99", "other answers"]
    headers += ["unanswered", "answers again after"]
    body = [
        [
            r["processes"],
            r["endpoint"],
            r["clients"],
            fmt_rate(r["ok_rps"], ""),
            fmt_ms(r["p50"]),
            fmt_ms(r["p99"]),
            r["refused"],
            r["unanswered"],
            "never" if math.isnan(r["recovery"]) else fmt_seconds(r["recovery"]),
        ]
        for r in rows
    ]
    note = (
        f"Load: `{tool()}`, {DURATION:g} s per point after a {WARMUP:g} s warm-up per endpoint; "
        f"unanswered: no response within {REQUEST_TIMEOUT:g} s; latencies of 2xx answers only; "
        "'other answers' are non-2xx (503 from a limit). 'answers again after': after the run, "
        f"until GET /users/me answers 200 (up to {RECOVERY_LIMIT:g} s, else 'never'). The load "
        "generator shares the machine's cores with the server and PostgreSQL."
    )
    return "\n".join([note, "", table(headers, body), "", "Aims:", *verdicts(rows)])


def run(project: Generated, log: Callable = print) -> str:
    """The load section: one table and the verdicts."""
    rows = []
    with app_database(project, log) as database:
        for processes in PROCESSES:
            for endpoint in ENDPOINTS:
                rows += measure_endpoint(project, database, processes, endpoint, log)
    return report(rows)
