"""The generated project's Celery settings against Celery's defaults, with a real worker.

Measured, per broker (Redis, RabbitMQ; results in Redis): end-to-end tasks/s of COUNT no-op
tasks, from the first send until the result backend holds every result (`bench.client`), with
a real `celery worker` (prefork, the same concurrency for both) for each app:
`bench.generated_celery` (the project's app, unchanged) and `bench.baseline_celery` (only the
broker and backend URLs), and the CPU time the worker (main process and pool) spends per task.
Both workers run at the same time on queues of their own and runs alternate between them (ABBA).
Beside them, the broker's own ceiling: `redis-benchmark -t lpush` and the publish rate of a bare
kombu producer (`bench.brokers publish-rate`).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator

from bench.cpu import tree_cpu_seconds
from bench.project import Generated, in_project
from bench.services import BROKERS, REDIS_HOST, REDIS_PORT, celery_env, queue_name, result_backend
from bench.stats import fmt_paired, fmt_rate, fmt_seconds, median, paired_ratios, table
from fastcel.process import background

COUNT = 5_000  # tasks per measured run
WARMUP_COUNT = 500
RUN_TIMEOUT = 120  # seconds a run may take before it counts as failed
CONCURRENCY = 2
KOMBU_MESSAGES = 5_000
REDIS_BENCHMARK_DB = 12
APPS = ("generated", "baseline")


def worker_command(project: Generated, which: str, name: str) -> list:
    """`celery worker` for one app, with options common to both."""
    return [
        project.bin("celery"),
        "-A",
        f"bench.{which}_celery",
        "worker",
        "--pool=prefork",
        f"--concurrency={CONCURRENCY}",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
        "-n",
        f"{name}@%h",
    ]


@contextlib.contextmanager
def workers(
    project: Generated, broker: str, token: str
) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """Start both workers on queues of their own; yield ({app: queue}, {app: worker pid});
    delete the queues afterwards."""
    queues = {which: queue_name(f"w{token}-{which[:3]}") for which in APPS}
    pids = {}
    try:
        with contextlib.ExitStack() as stack:
            for which in APPS:
                env = project.env(**celery_env(broker, queues[which]))
                command = worker_command(project, which, f"bench-w{token}-{which}")
                proc, _log = stack.enter_context(background(command, project.path, env))
                pids[which] = proc.pid
            yield queues, pids
    finally:
        names = [f"{q}{suffix}" for q in queues.values() for suffix in ("", ".high", ".low")]
        in_project(project, "bench.brokers", "delete", BROKERS[broker], *names)
        if broker == "redis":
            in_project(
                project, "bench.brokers", "redis-cleanup", BROKERS[broker], f"bench-w{token}-"
            )


def send_and_wait(project: Generated, broker: str, which: str, queue: str, count: int) -> dict:
    """One run of `bench.client`: its JSON result."""
    out = in_project(
        project,
        "bench.client",
        which,
        str(count),
        str(RUN_TIMEOUT),
        timeout=RUN_TIMEOUT + 60,
        **celery_env(broker, queue),
    )
    return json.loads(out.strip().splitlines()[-1])


def measure_broker(project: Generated, broker: str, runs: int, log: Callable) -> dict:
    """Both apps on one broker: median tasks/s over `runs` runs of COUNT tasks."""
    token = secrets.token_hex(3)
    results: dict[str, list[dict]] = {which: [] for which in APPS}
    with workers(project, broker, token) as (queues, pids):
        for which in APPS:  # warm-up; also waits for the workers to be up
            send_and_wait(project, broker, which, queues[which], WARMUP_COUNT)
        for i in range(runs):
            order = APPS if i % 2 == 0 else APPS[::-1]
            for which in order:
                before = tree_cpu_seconds(pids[which])
                result = send_and_wait(project, broker, which, queues[which], COUNT)
                result["cpu_us"] = (tree_cpu_seconds(pids[which]) - before) * 1e6 / COUNT
                results[which].append(result)
    log(f"worker: {broker} done")
    summary: dict = {"broker": broker}
    for which, runs_of in results.items():
        complete = [r for r in runs_of if r["finished"] == r["count"]]
        summary[which] = {
            "rate": median([r["count"] / r["seconds"] for r in complete]) if complete else None,
            "seconds": median([r["seconds"] for r in complete]) if complete else None,
            "send_rate": median([r["sent"] / r["send_seconds"] for r in runs_of]),
            "cpu_us": median([r["cpu_us"] for r in runs_of]),
            "incomplete": len(runs_of) - len(complete),
            "failed": sum(r["failed"] for r in runs_of),
        }

    # Per run: both workers were measured back to back, so their ratio shares the noise.
    def rate(run: dict) -> float | None:
        return run["count"] / run["seconds"] if run["finished"] == run["count"] else None

    generated, baseline = results["generated"], results["baseline"]
    summary["ratios"] = paired_ratios([rate(r) for r in generated], [rate(r) for r in baseline])
    summary["cpu_ratios"] = paired_ratios(
        [r["cpu_us"] for r in generated], [r["cpu_us"] for r in baseline]
    )
    return summary


def redis_benchmark() -> float | None:
    """LPUSH requests/s of `redis-benchmark -t lpush -n 100000 -q` on 127.0.0.1 (db 12)."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        return None
    command = [exe, "-h", REDIS_HOST, "-p", str(REDIS_PORT), "--dbnum", str(REDIS_BENCHMARK_DB)]
    done = subprocess.run(
        [*command, "-t", "lpush", "-n", "100000", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # redis-benchmark's LPUSH test pushes to the key "mylist" in the chosen db.
    cli = ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "-n", str(REDIS_BENCHMARK_DB)]
    subprocess.run(
        [*cli, "DEL", "mylist"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    found = re.findall(r"LPUSH: ([\d.]+) requests per second", done.stdout.replace("\r", "\n"))
    return float(found[-1]) if found else None


def kombu_rate(project: Generated, broker: str) -> float:
    """Messages/s of a bare kombu producer (`bench.brokers publish-rate`)."""
    out = in_project(project, "bench.brokers", "publish-rate", BROKERS[broker], str(KOMBU_MESSAGES))
    data = json.loads(out)
    return data["count"] / data["seconds"]


def ceilings(project: Generated, runs: int) -> dict[str, dict[str, float | None]]:
    """Each broker's ceiling: medians of `runs` runs after one warm-up."""
    out: dict[str, dict[str, float | None]] = {}
    for broker in BROKERS:
        kombu_rate(project, broker)
        out[broker] = {"kombu": median([kombu_rate(project, broker) for _ in range(runs)])}
    rates = [redis_benchmark() for _ in range(runs + 1)][1:]
    valid = [r for r in rates if r is not None]
    out["redis"]["redis-benchmark"] = median(valid) if valid else None
    return out


def run(project: Generated, runs: int, log: Callable = print) -> str:
    """The worker section: throughput table and the brokers' ceilings."""
    rows = [measure_broker(project, broker, runs, log) for broker in BROKERS]
    limits = ceilings(project, runs)
    log("worker: broker ceilings done")
    headers = [
        "broker",
        "tasks/s gen / base",
        "ratio",
        f"{COUNT:,} tasks gen / base",
        "worker CPU/task gen / base",
        "CPU ratio",
        "send rate gen / base",
        "kombu publish ceiling",
        "redis-benchmark LPUSH",
        "incomplete runs + failed tasks",
    ]
    body = []
    for r in rows:
        gen, base = r["generated"], r["baseline"]
        lpush = limits[r["broker"]].get("redis-benchmark")
        body.append(
            [
                r["broker"],
                f"{fmt_rate(gen['rate'], '')} / {fmt_rate(base['rate'], '')}",
                fmt_paired(r["ratios"]),
                f"{fmt_seconds(gen['seconds'])} / {fmt_seconds(base['seconds'])}",
                f"{gen['cpu_us'] / 1000:.2f} ms / {base['cpu_us'] / 1000:.2f} ms",
                fmt_paired(r["cpu_ratios"]),
                f"{fmt_rate(gen['send_rate'], '')} / {fmt_rate(base['send_rate'], '')}",
                fmt_rate(limits[r["broker"]]["kombu"], " msg/s"),
                fmt_rate(lpush, " req/s") if r["broker"] == "redis" else "-",
                f"{gen['incomplete'] + gen['failed']} / {base['incomplete'] + base['failed']}",
            ]
        )
    note = (
        f"{COUNT:,} no-op tasks per run (send all, then wait for every result; {RUN_TIMEOUT} s "
        f"cap), `celery worker --pool=prefork --concurrency={CONCURRENCY}` for each app, "
        f"median of {runs} runs after a {WARMUP_COUNT}-task warm-up; ratio = generated / "
        "baseline, the median of the per-run ratios with their range in brackets (tasks/s: "
        "higher is better; CPU time of the worker and its pool per task: lower is better). "
        "Results in Redis "
        f"({', '.join(f'{b}: {result_backend(b)}' for b in BROKERS)}). "
        f"Ceilings: a bare kombu producer publishing {KOMBU_MESSAGES:,} messages, and "
        "`redis-benchmark -t lpush -n 100000 -q`."
    )
    return "\n".join([note, "", table(headers, body)])
