"""Every combination of the options that change what runs, run for real on this machine's services.

For each combination: the generated project's own test suite passes against the real PostgreSQL,
Redis and RabbitMQ with a real worker; its migrations go up, down to base and up again; and its
processes start as compose.yaml starts them (uvicorn, worker, beat and Flower when enabled)
and answer.

All projects of one run share one prepared environment: the union of their dependencies is installed
once, and each project runs from its own source folder (PYTHONPATH), with nothing resolved again.
Each project gets its own database and its own queue names, so parallel runs never share tasks.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from helpers import dotenv, lock
from matrix import Combination, runtime_combinations
from test_matrix_static import render

from fastcel.add import register
from fastcel.interpreters import find_python, uv_binary
from fastcel.process import background, free_port, read_log
from fastcel.recorded_answers import domain_answers_file
from fastcel.steps import AddMigration, Project

COMBINATIONS = runtime_combinations()
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Each combination has its own Redis database (16 combinations, Redis's 16 databases) and
# RabbitMQ queues of its own (CELERY_QUEUE), so parallel projects never see each other's keys.
SERVICES = {
    "broker": {
        "redis": "redis://127.0.0.1:6379/{index}",
        "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
    },
    "result_backend": {"redis": "redis://127.0.0.1:6379/{index}"},
}
pytestmark = pytest.mark.runtime


# Issue 5's scenarios, in the generated project's own suite: each must run and pass (a skip is a
# failure here) in every combination.
RELIABILITY_SCENARIOS = (
    "test_redelivery.test_task_survives_its_worker_being_killed",
    "test_redelivery.test_task_survives_its_pool_process_being_killed",
    "test_redelivery.test_stuck_task_is_stopped_by_its_time_limit",
    "test_outages.test_broker_outage_gives_503_then_recovers[refuse]",
    "test_outages.test_broker_outage_gives_503_then_recovers[hang]",
    "test_outages.test_database_outage_gives_503_then_recovers[refuse]",
    "test_outages.test_database_outage_gives_503_then_recovers[hang]",
    "test_api_schema.",
    # Issue 16's use cases: the mention emails through a real SMTP server (a worker killed
    # mid-fan-out included), and profile images thumbnailed by the worker.
    "test_comments.",
    "test_mentions.",
    "test_avatars.",
    # Issue 17's domain and task (add_orders_with_a_task below): CRUD, and a task through a worker.
    "test_orders.",
    "test_tasks.",
)


def junit_outcomes(report: Path) -> dict[str, str]:
    """{"module.test_name[param]": "passed" | "failed" | "skipped"} from a JUnit XML report."""
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname', '').rpartition('.')[2]}.{case.get('name')}"
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcomes[name] = "failed" if failed else "skipped" if skipped else "passed"
    return outcomes


def dependencies(project: Path) -> list[str]:
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    return [*meta["project"]["dependencies"], *meta.get("dependency-groups", {}).get("dev", [])]


@pytest.fixture(scope="session")
def shared_env(template_copy, tmp_path_factory) -> Path:
    """One virtual environment with the union of every runtime combination's dependencies.

    pytest-xdist workers share it: the first builds it under a file lock, the others reuse it.
    """
    from copier import run_copy

    wanted: set[str] = set()
    versions = set()
    for combination in COMBINATIONS:
        project = tmp_path_factory.mktemp("deps")
        run_copy(str(template_copy), project, data=combination.answers, defaults=True, quiet=True)
        wanted.update(dependencies(project))
        versions.add(
            yaml.safe_load((project / ".copier-answers.yml").read_text())["python_version"]
        )
    (python_version,) = versions
    key = hashlib.sha256("\n".join(sorted(wanted)).encode()).hexdigest()[:12]
    venv = Path(tempfile.gettempdir()) / f"fastcel-matrix-{python_version}-{key}"
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "ready").exists():
            python = find_python(python_version).exe
            uv = uv_binary()
            env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
            subprocess.run([uv, "venv", "--clear", "-q", "-p", python, venv], env=env, check=True)
            subprocess.run(
                [
                    uv,
                    "pip",
                    "install",
                    "-q",
                    "--compile-bytecode",
                    "-p",
                    venv / "bin" / "python",
                    *sorted(wanted),
                ],
                env=env,
                check=True,
                timeout=900,
            )
            (venv / "ready").write_text("\n".join(sorted(wanted)))
    return venv


@contextlib.contextmanager
def fresh_database(name: str):
    """CREATE DATABASE for one project; DROP it afterwards."""
    import psycopg

    admin = POSTGRES_ADMIN.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def project_env(project: Path, venv: Path, combination: Combination, **extra: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DATABASE_", "APP_", "PYTEST_"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        VIRTUAL_ENV=str(venv),
        PYTHONPATH=str(project / "src"),
    )
    index = COMBINATIONS.index(combination) % 16
    broker = SERVICES["broker"][combination.answers["broker"]]
    env["CELERY_BROKER_URL"] = broker.format(index=index)
    backend = SERVICES["result_backend"].get(combination.answers["result_backend"])
    if backend:
        env["CELERY_RESULT_BACKEND"] = backend.format(index=index)
    env.update(extra)
    return env


def run(command: list[str], project: Path, env: dict, timeout: int = 600) -> str:
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = f"$ {' '.join(map(str, command))}  (in {project})\n{done.stdout}{done.stderr}"
    assert done.returncode == 0, output
    return output


def wait_for(probe, what: str, log, limit: float = 60.0):
    """Call probe until it returns a truthy value; fail with the process log after `limit` s."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except (OSError, urllib.error.URLError, ValueError) as error:
            last = error
        time.sleep(0.5)
    pytest.fail(f"{what} did not answer in {limit:.0f} s (last error: {last})\n{read_log(log)}")


def get_json(url: str, auth: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


ORDER_FIELDS = [
    {"name": "title", "type": "str", "nullable": False, "unique": True},
    {"name": "due", "type": "date", "nullable": True, "unique": False},
]


def add_orders_with_a_task(project: Path, template: Path, venv: Path, env: dict) -> None:
    """What `fastcel add domain orders -f title:str:unique -f 'due:date?'` and then `fastcel add
    task orders recount -q high [--periodic '*/15 * * * *']` write: the domain, rendered with its
    task from the domain template, registered, and its migration autogenerated (on a database of
    its own, with the shared environment as the project's .venv for the while)."""
    import copier

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    periodic = "*/15 * * * *" if answers["use_beat"] else ""
    data = {
        **{key: value for key, value in answers.items() if not key.startswith("_")},
        "domain_name": "orders",
        "domain_model": "Order",
        "domain_owned": True,
        "domain_fields": ORDER_FIELDS,
        "domain_tasks": [{"name": "recount", "queue": "high", "periodic": periodic}],
    }
    copier.run_copy(str(template), project, data=data, answers_file=domain_answers_file("orders"),
                    defaults=True, unsafe=True, quiet=True)  # fmt: skip
    slug = answers["project_slug"]
    register(project / "src" / slug / "domains.py", "orders")
    (project / ".venv").symlink_to(venv)
    try:
        with fresh_database(f"orders_{secrets.token_hex(4)}") as database_url:
            migrating = Project(path=project, slug=slug, env={**env, "DATABASE_URL": database_url})
            run([str(venv / "bin" / "alembic"), "upgrade", "head"], project, migrating.environ())
            AddMigration("orders").run(migrating)
    finally:
        (project / ".venv").unlink()


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_combination_runs_for_real(copie, template_copy, shared_env, combination):
    project = render(copie, template_copy, combination)
    python = str(shared_env / "bin" / "python")
    lock(project, python)  # as `fastcel new` does: the README's `uv sync --locked` needs it
    slug = yaml.safe_load((project / ".copier-answers.yml").read_text())["project_slug"]
    hint = f"reproduce: fastcel new demo --defaults {combination.data_flags()}"
    token = secrets.token_hex(4)
    add_orders_with_a_task(project, template_copy, shared_env,
                           project_env(project, shared_env, combination))  # fmt: skip

    # 1. the project's own test suite (it makes its own database and queue names)
    env = project_env(project, shared_env, combination, DATABASE_URL=POSTGRES_ADMIN)
    report = project / f"junit-{token}.xml"
    suite = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        project,
        env,
        900,
    )
    assert re.search(r"\d+ passed", suite) and " failed" not in suite, f"{hint}\n{suite}"
    outcomes = junit_outcomes(report)
    for scenario in RELIABILITY_SCENARIOS:
        held = [name for name, outcome in outcomes.items() if name.startswith(scenario)]
        assert held, f"{hint}\nno test {scenario} ran:\n{suite}"
        assert all(outcomes[name] == "passed" for name in held), (
            f"{hint}\n{scenario}: {[(name, outcomes[name]) for name in held]}\n{suite}"
        )

    with fresh_database(f"matrix_{token}") as database_url:
        env = project_env(
            project,
            shared_env,
            combination,
            DATABASE_URL=database_url,
            CELERY_QUEUE=f"{slug}-matrix-{token}",
        )
        # 2. migrations: up, down to base, up again
        for step in (["upgrade", "head"], ["downgrade", "base"], ["upgrade", "head"]):
            run([python, "-m", "alembic", *step], project, env)

        # 3. the processes compose.yaml runs, as plain processes
        port, flower_port = free_port(), free_port()
        worker_name = f"matrix-{token}@%h"
        app = f"{slug}.celery_app"
        with contextlib.ExitStack() as stack:
            worker, worker_log = stack.enter_context(
                background(
                    [python, "-m", "celery", "-A", app, "worker", "-n", worker_name,
                     "--loglevel=INFO", "--concurrency=1"],
                    project, env,
                )
            )  # fmt: skip
            _web, web_log = stack.enter_context(
                background(
                    [python, "-m", "uvicorn", f"{slug}.main:app", "--host", "127.0.0.1",
                     "--port", str(port)],
                    project, env,
                )
            )  # fmt: skip
            status, body = wait_for(
                lambda: get_json(f"http://127.0.0.1:{port}/health/ready"), "web", web_log
            )
            assert status == 200, f"{hint}\n/health/ready answered {status} {body}"
            assert set(body["checks"].values()) == {"ok"}, body

            if combination.answers["use_beat"]:
                beat, beat_log = stack.enter_context(
                    background(
                        [python, "-m", "celery", "-A", app, "beat", "--loglevel=INFO",
                         "--schedule", str(project / f"beat-{token}")],
                        project, env,
                    )
                )  # fmt: skip
                wait_for(lambda: "beat: Starting" in read_log(beat_log), "celery beat", beat_log)
                assert beat.poll() is None, read_log(beat_log)

            if combination.answers["use_flower"]:
                auth = dotenv(project)["FLOWER_BASIC_AUTH"]
                _flower, flower_log = stack.enter_context(
                    background(  # the launcher reads the login from .env, as compose runs it
                        [python, "-m", f"{slug}.flower", f"--port={flower_port}",
                         "--address=127.0.0.1"],
                        project, env,
                    )
                )  # fmt: skip
                url = f"http://127.0.0.1:{flower_port}/api/workers?refresh=1"
                unauthorised, _ = wait_for(lambda: get_json(url), "flower", flower_log)
                assert unauthorised == 401, "Flower answered without credentials"
                expected = worker_name.replace("%h", socket.gethostname())
                wait_for(lambda: expected in get_json(url, auth)[1], "Flower's workers", flower_log)
            assert worker.poll() is None, read_log(worker_log)
