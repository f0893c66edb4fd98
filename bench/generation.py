"""Wall time of generating a project, against plain Copier rendering the same template.

Measured, each in a fresh temp folder, interleaved round by round (so noise falls on all):
- `copier copy --defaults --trust --vcs-ref HEAD <repo> demo` (the reference);
- `fastcel new demo --defaults --no-setup` (render + git commit);
- `fastcel new demo --defaults` (render, commit, .venv from the warm uv cache, migrations on a
  fresh PostgreSQL database of its own, smoke test with a real worker on Redis db 10/11).
Both fastcel and copier are the executables next to the running Python.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import SLUG
from bench.project import ROOT, Generated, clean_env, copier_exe, fastcel_exe, in_project
from bench.services import BROKERS, fresh_database, result_backend
from bench.stats import fmt_ratio, fmt_seconds, median, ratio, table

RENDER_TIMEOUT = 120
FULL_TIMEOUT = 600
COMMANDS = {
    "copier": "`copier copy --defaults --trust --vcs-ref HEAD <repo> demo`",
    "no-setup": f"`fastcel new {SLUG} --defaults --no-setup`",
    "full": f"`fastcel new {SLUG} --defaults` (PostgreSQL + Redis)",
}


def timed(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> float:
    """Run `command`; its wall time in seconds. Raises RuntimeError with the output's tail."""
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    return seconds


def run_copier() -> float:
    """Plain Copier, rendering the repository at HEAD."""
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as folder:
        command = [copier_exe(), "copy", "--defaults", "--trust", "--vcs-ref", "HEAD"]
        command += [str(ROOT), str(Path(folder) / SLUG)]
        return timed(command, Path(folder), clean_env(), RENDER_TIMEOUT)


def run_no_setup() -> float:
    """fastcel: render and commit only."""
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as folder:
        command = [fastcel_exe(), "new", SLUG, "--defaults", "--no-setup"]
        return timed(command, Path(folder), clean_env(), RENDER_TIMEOUT)


def run_full(project: Generated) -> float:
    """fastcel with every step, against a fresh database; its smoke queue is removed after."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-gen-") as folder,
        fresh_database("bench_new") as database_url,
    ):
        env = clean_env(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=BROKERS["redis"],
            CELERY_RESULT_BACKEND=result_backend("redis"),
            CELERY_RESULT_EXPIRES="600",  # the smoke test's two results expire by themselves
        )
        try:
            return timed(
                [fastcel_exe(), "new", SLUG, "--defaults"], Path(folder), env, FULL_TIMEOUT
            )
        finally:
            marker = f"{SLUG}-smoke-"
            in_project(project, "bench.brokers", "redis-cleanup", BROKERS["redis"], marker)
            shutil.rmtree(folder, ignore_errors=True)


def run(project: Generated, runs: int, log: Callable = print) -> str:
    """The generation section: medians of `runs` rounds after a warm-up round."""
    funcs: dict[str, Callable[[], float]] = {
        "copier": run_copier,
        "no-setup": run_no_setup,
        "full": lambda: run_full(project),
    }
    times: dict[str, list[float]] = {name: [] for name in funcs}
    failures: dict[str, list[str]] = {name: [] for name in funcs}
    for round_ in range(runs + 1):
        order = ["copier", "no-setup"] if round_ % 2 == 0 else ["no-setup", "copier"]
        for name in [*order, "full"]:
            try:
                seconds = funcs[name]()
            except (RuntimeError, subprocess.TimeoutExpired) as err:
                failures[name].append(str(err))
                log(f"generation: {name} failed: {err}")
                continue
            if round_ > 0:  # round 0 is the warm-up
                times[name].append(seconds)
        log(f"generation: round {round_}/{runs} done")
    reference = median(times["copier"]) if times["copier"] else float("nan")
    rows = []
    for name, label in COMMANDS.items():
        value = median(times[name]) if times[name] else float("nan")
        rows.append(
            [
                label,
                fmt_seconds(value),
                fmt_ratio(ratio(value, reference)),
                f"{len(times[name])}/{runs}"
                + (f" ({len(failures[name])} failed)" if failures[name] else ""),
            ]
        )
    note = (
        f"Median wall time of {runs} rounds after a warm-up round, each command in a fresh temp "
        "folder; ratio = time / `copier copy` time (lower is better)."
    )
    body = table(["command", "wall time", "ratio to copier", "runs ok"], rows)
    errors = [f"- {name}: {message}" for name, msgs in failures.items() for message in msgs[:1]]
    return "\n".join([note, "", body, *(["", "Failures:", *errors] if errors else [])])
