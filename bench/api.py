"""The generated API against a minimal hand-written one (`bench.baseline_app`).

Measured, per broker (Redis, RabbitMQ; results in Redis): requests/s, p50/p99 latency and the
server's CPU time per request of POST /tasks/divide (enqueues `divide`) and GET /health under
32 keep-alive connections on 127.0.0.1. The generated endpoint is authenticated: every request
carries `Authorization: Bearer <token>` of one bench user (signed up and logged in through the
API), so it checks the token and its user in PostgreSQL and commits a `task_runs` row before
publishing. The baseline stays unauthenticated: that difference is what is measured. The
generated app gets a fresh database of its own (created, migrated with the project's
`prestart`, dropped with FORCE at the end). Both apps run at the same time from the generated
project's venv, each under `uvicorn --workers 1` with the same options and the same broker, on
queues of their own; runs alternate between them (ABBA) so that the machine's noise falls on
both. No worker consumes: both queues fill alike (a few thousand small messages each) and are
deleted at the end.
Beside the table: each app's heap after import and the pause of one full garbage collection.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import SLUG
from bench.cpu import tree_cpu_seconds
from bench.load import CONNECTIONS, LoadResult, run_load, tool
from bench.project import Generated, in_project, prepare, wait_http
from bench.services import BROKERS, celery_env, fresh_database, queue_name
from bench.stats import fmt_ms, fmt_paired, fmt_rate, fmt_ratio, median, paired_ratios, table
from fastcel.process import background, free_port

# label, method, path, body, whether the generated app's requests carry the bench user's token
ENDPOINTS = (
    ("POST /tasks/divide", "POST", "/tasks/divide", json.dumps({"x": 1, "y": 2}), True),
    ("GET /health", "GET", "/health", "", False),
)
UVICORN_OPTIONS = ["--host", "127.0.0.1", "--workers", "1", "--no-access-log"]
UVICORN_OPTIONS += ["--log-level", "warning"]
DURATION = 2.0  # seconds per measured run
WARMUP = 1.0  # seconds of warm-up per app and endpoint
REQUEST_CAP = 200_000  # per run: a safety bound far above what one uvicorn process serves
P99_TARGET_MS = 50.0
RATE_TARGET = 0.9  # issue 12: the authenticated enqueue at >= 0.9x the unauthenticated baseline
APPS = {"generated": f"{SLUG}.main", "baseline": "bench.baseline_app"}
# The bench user: a password that passes the generated project's rules.
USER = {"email": "bench@example.com", "username": "bench_user", "full_name": "Bench"}
HTTP_TIMEOUT = 10  # seconds for each set-up request (sign-up, login, the checking enqueue)
MIGRATE_TIMEOUT = 180


@dataclass(frozen=True)
class Database:
    """The generated app's own database and the settings every process of this section uses."""

    url: str
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    password: str = field(default_factory=lambda: "Bench-" + secrets.token_hex(12))

    def env(self) -> dict[str, str]:
        # FIRST_SUPERUSER_EMAIL empty: the project's .env names one; the bench needs none. One
        # user on 127.0.0.1 enqueues thousands of tasks a second into queues no worker reads:
        # rate limits and queue caps far above that, so that the bench measures the full path.
        return {
            "DATABASE_URL": self.url,
            "APP_SECRET_KEY": self.secret_key,
            "FIRST_SUPERUSER_EMAIL": "",
            "TASKS_PER_MINUTE_PER_USER": str(10**9),
            "TASKS_PER_MINUTE_PER_ADDRESS": str(10**9),
            "CELERY_QUEUE_MAX_LENGTH": str(10**9),
        }


@contextlib.contextmanager
def app_database(project: Generated, log: Callable) -> Iterator[Database]:
    """A fresh PostgreSQL database, migrated by `python -m <slug>.prestart`; dropped afterwards."""
    with fresh_database("bench_api") as url:
        database = Database(url)
        # prestart needs a broker setting only to import the app's modules; nothing is sent.
        env = {**celery_env("redis", "bench-migrate"), **database.env()}
        in_project(project, f"{SLUG}.prestart", timeout=MIGRATE_TIMEOUT, **env)
        log(f"api: database {url.rsplit('/', 1)[-1]} created and migrated")
        yield database


@dataclass
class Server:
    """A running uvicorn: its base URL and process id."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server (and any child) has used so far."""
        return tree_cpu_seconds(self.pid)


@contextlib.contextmanager
def serve(project: Generated, module: str, env: dict[str, str]) -> Iterator[Server]:
    """Run `uvicorn module:app` from the project's venv until /health answers."""
    port = free_port()
    command = [project.bin("uvicorn"), f"{module}:app", "--port", str(port), *UVICORN_OPTIONS]
    with background(command, project.path, project.env(**env)) as (proc, _log):
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health", proc)
        yield Server(url, proc.pid)


def _call(
    url: str, data: bytes, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, dict]:
    """POST `data` to `url` (127.0.0.1 only); the status and the JSON answer."""
    if urllib.parse.urlsplit(url).hostname != "127.0.0.1":
        raise ValueError(f"set-up requests only go to 127.0.0.1, not {url}")
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def bearer_token(url: str, password: str) -> str:
    """Sign the bench user up (201; 409 when an earlier broker's run did), log in, and check
    that the token enqueues (202). Returns the access token."""
    signup = json.dumps({**USER, "password": password}).encode()
    status, answer = _call(f"{url}/auth/signup", signup, "application/json")
    if status not in (201, 409):
        raise RuntimeError(f"POST /auth/signup answered {status}: {answer}")
    form = urllib.parse.urlencode({"username": USER["username"], "password": password}).encode()
    status, answer = _call(f"{url}/auth/token", form, "application/x-www-form-urlencoded")
    if status != 200 or answer.get("token_type") != "bearer":
        raise RuntimeError(f"POST /auth/token answered {status}: {answer}")
    token = answer["access_token"]
    _label, _method, path, body, _auth = ENDPOINTS[0]
    status, answer = _call(url + path, body.encode(), "application/json", auth_header(token))
    if status != 202:
        raise RuntimeError(f"an authenticated POST {path} answered {status}: {answer}")
    return token


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def load_once(
    server: Server,
    method: str,
    path: str,
    body: str,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> dict:
    """One load run: the load generator's figures plus the server's CPU ms per request."""
    before = server.cpu_seconds()
    result: LoadResult = run_load(server.url + path, method, body, seconds, REQUEST_CAP, headers)
    cpu = (server.cpu_seconds() - before) * 1000 / result.requests if result.requests else None
    return {
        "rps": result.rps,
        "p50": result.p50_ms,
        "p99": result.p99_ms,
        "cpu": cpu,
        "errors": result.errors,
    }


def measure_broker(
    project: Generated, database: Database, broker: str, runs: int, log: Callable
) -> list[dict]:
    """All endpoints of both apps on one broker: the median of `runs` runs of each."""
    queues = {which: queue_name(f"api-{which[:3]}") for which in APPS}
    # The baseline never reads these settings; both get them so that the environments match.
    envs = {which: {**celery_env(broker, queues[which]), **database.env()} for which in APPS}
    rows = []
    try:
        with contextlib.ExitStack() as stack:
            servers = {
                which: stack.enter_context(serve(project, APPS[which], envs[which]))
                for which in APPS
            }
            token = bearer_token(servers["generated"].url, database.password)
            log(f"api: {broker} bench user logged in")

            for label, method, path, body, auth in ENDPOINTS:
                headers = {"generated": auth_header(token) if auth else {}, "baseline": {}}
                results: dict[str, list[dict]] = {which: [] for which in APPS}
                for i in range(-1, runs):  # -1: the warm-up
                    order = ("generated", "baseline") if i % 2 == 0 else ("baseline", "generated")
                    for which in order:
                        seconds = WARMUP if i < 0 else DURATION
                        run = load_once(servers[which], method, path, body, seconds, headers[which])
                        if i >= 0:
                            results[which].append(run)
                log(f"api: {broker} {label} done")
                rows.append(summarize(broker, label, results))
    finally:
        in_project(project, "bench.brokers", "delete", BROKERS[broker], *queues.values())
    return rows


def summarize(broker: str, label: str, results: dict[str, list[dict]]) -> dict:
    """Medians per app and the generated/baseline ratios."""
    out: dict = {"broker": broker, "endpoint": label}
    for which, runs in results.items():
        cpu = [r["cpu"] for r in runs if r["cpu"] is not None]
        out[which] = {key: median([r[key] for r in runs]) for key in ("rps", "p50", "p99")}
        out[which]["cpu"] = median(cpu) if cpu else float("nan")
        out[which]["errors"] = sum(r["errors"] for r in runs)
        out[which]["p99_runs"] = [r["p99"] for r in runs]
    for key in ("rps", "p99", "cpu"):
        # Per run: both apps were measured back to back, so their ratio shares the noise.
        ratios = paired_ratios(
            [r[key] for r in results["generated"]], [r[key] for r in results["baseline"]]
        )
        valid = [r for r in ratios if not math.isnan(r)]
        out[f"{key}_ratios"] = ratios
        out[f"{key}_ratio"] = median(valid) if valid else math.nan
    return out


def heaps(project: Generated, database: Database) -> dict[str, dict[str, float]]:
    """Objects tracked by the garbage collector after import, and one full collection's pause."""
    env = {**celery_env("redis", "bench-heap"), **database.env()}
    return {
        which: json.loads(in_project(project, "bench.heap", module, **env))
        for which, module in APPS.items()
    }


def little_ms(rps: float) -> float:
    """Mean time in the server, in ms, of CONNECTIONS closed-loop clients served at `rps`."""
    return CONNECTIONS * 1000 / rps if rps else math.nan


def enqueue_verdict(row: dict, rate_target: float = 1.0) -> str:
    """One line on the enqueue targets: rate >= `rate_target` x the baseline's, p99 < 50 ms
    (median of runs). The run passes RATE_TARGET: the generated endpoint is authenticated."""
    gen = row["generated"]
    rate_ok = row["rps_ratio"] >= rate_target
    p99, runs = gen["p99"], gen["p99_runs"]
    under = sum(value < P99_TARGET_MS for value in runs)
    return (
        f"- {row['broker']}: generated enqueues at {fmt_ratio(row['rps_ratio'])} the "
        f"baseline's rate ({'met' if rate_ok else 'NOT met'}: >= {rate_target:.2f}x); its p99 is "
        f"{fmt_ms(p99)} ({'met' if p99 < P99_TARGET_MS else 'NOT met'}: < 50 ms; runs "
        f"{fmt_ms(min(runs))} to {fmt_ms(max(runs))}, {under} of {len(runs)} under); "
        f"{CONNECTIONS} connections at {fmt_rate(gen['rps'], ' req/s')} keep each request "
        f"{fmt_ms(little_ms(gen['rps']))} on average (Little's law)"
    )


def run(project: Generated, runs: int, log: Callable = print, template: Path | None = None) -> str:
    """The API section: one table, the heaps, and the targets' verdicts.

    `project` is the template's default (broker Redis); RabbitMQ is measured on a project
    generated for it (its queues capped by RabbitMQ, its publishes confirmed), same database.
    """
    rows = []
    with app_database(project, log) as database:
        for broker in BROKERS:
            own = project if broker == "redis" else prepare(log, template, {"broker": broker})
            rows += measure_broker(own, database, broker, runs, log)
        heap = heaps(project, database)
    headers = ["broker", "endpoint", "req/s gen / base", "ratio", "p50 gen / base"]
    headers += ["p99 gen / base", "p99 ratio", "CPU/req gen / base", "CPU ratio", "errors"]
    body = []
    for r in rows:
        gen, base = r["generated"], r["baseline"]
        body.append(
            [
                r["broker"],
                r["endpoint"],
                f"{fmt_rate(gen['rps'], '')} / {fmt_rate(base['rps'], '')}",
                fmt_paired(r["rps_ratios"]),
                f"{fmt_ms(gen['p50'])} / {fmt_ms(base['p50'])}",
                f"{fmt_ms(gen['p99'])} / {fmt_ms(base['p99'])}",
                fmt_paired(r["p99_ratios"]),
                f"{fmt_ms(gen['cpu'])} / {fmt_ms(base['cpu'])}",
                fmt_paired(r["cpu_ratios"]),
                f"{gen['errors']} / {base['errors']}",
            ]
        )
    heap_line = "Heap after import (objects tracked; one full `gc.collect()`): " + "; ".join(
        f"{which} {h['objects']:,.0f} objects, {fmt_ms(h['gc_ms'])}" for which, h in heap.items()
    )
    verdicts = [enqueue_verdict(r, RATE_TARGET) for r in rows if r["endpoint"].startswith("POST")]
    note = (
        f"Load: `{tool()}`, {CONNECTIONS} connections, {DURATION:g} s per run, median of "
        f"{runs} runs after a {WARMUP:g} s warm-up; `uvicorn --workers 1` each. The generated "
        "`POST /tasks/divide` is authenticated (bearer token; its user checked and a `task_runs` "
        "row committed in PostgreSQL per request); the baseline's is not. Ratios = "
        "generated / baseline, the median of the per-run ratios with their range in brackets "
        "(req/s: higher is better; p99 and server CPU time per request: lower is better)."
    )
    return "\n".join([note, "", table(headers, body), "", heap_line, "", "Targets:", *verdicts])
