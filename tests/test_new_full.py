"""A full `fastcel new --defaults`: install, migrate, smoke-test a real worker, then the
generated project's own ruff and pytest. Needs Postgres, Redis and RabbitMQ on 127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import (
    CLOSED,
    ROOT,
    clean_env,
    dotenv,
    drop_role_and_its_databases,
    git,
    run_fastcel,
    run_in_project,
)

import fastcel
from fastcel.interpreters import find_python
from fastcel.process import background, free_port, read_log
from fastcel.steps import new_project_plan
from fastcel.steps.smoke import SMOKE_SCRIPT

pytestmark = pytest.mark.slow

# Every step of a full `fastcel new` (tests/test_steps.py `test_plan` spells the plan out).
STEPS = ("render", *(step.title for step in new_project_plan()))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/1",
}
RABBITMQ = {
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/1",
}


def psql(*args: str) -> None:
    subprocess.run(
        [
            shutil.which("psql") or "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            *args,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own, so that runs do not share tables or alembic_version."""
    name = f"fastcel_{secrets.token_hex(4)}"
    psql(f"CREATE DATABASE {name}")
    try:
        yield f"{PG}/{name}"
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def fastcel_new(cwd: Path, env: dict[str, str], *args: str) -> str:
    output = run_fastcel(cwd, env, "new", "demo", "--defaults", *args)
    for step in STEPS:
        assert f"✓ {step}" in output, output
    assert "✗" not in output
    return output


# The generated suite's tests of the first run, the migrations, tasks and accounts: enough to show
# that the services `fastcel new` set up serve the project's own tests (test databases included).
# The whole suite runs once per option combination in test_matrix_runtime.py, and here on the
# embedded profile, which the matrix does not cover.
SERVICE_TESTS = ("tests/test_first_run.py", "tests/test_migrations.py", "tests/test_jobs.py",
                 "tests/test_users.py")  # fmt: skip


def check_project(project: Path, env: dict[str, str], *tests: str) -> None:
    run_in_project(project, env, "ruff", "check", ".")
    run_in_project(project, env, "ruff", "format", "--check", ".")
    run_in_project(project, env, "pytest", "-q", "-p", "no:cacheprovider", *tests)


@pytest.mark.parametrize(
    ("broker", "services"),
    [pytest.param("redis", REDIS, id="redis"), pytest.param("rabbitmq", RABBITMQ, id="rabbitmq")],
)
def test_full_new_with_services(tmp_path: Path, database: str, broker: str, services) -> None:
    env = clean_env(DATABASE_URL=database, **services)
    output = fastcel_new(tmp_path, env, "--data", f"broker={broker}")
    assert "embedded" not in output.split("Next steps")[0], output
    assert "divide(1, 2) = 0.5" in output
    project = tmp_path / "demo"
    assert f"broker: {broker}" in (project / ".copier-answers.yml").read_text()
    check_project(project, env, *SERVICE_TESTS)


def test_full_new_creates_its_own_service_accounts(tmp_path: Path) -> None:
    """No service URL in the environment: .env's own PostgreSQL role and database and RabbitMQ
    user do not exist yet; `fastcel new` creates them (this machine's PostgreSQL trusts local
    connections as postgres, and rabbitmqctl runs), uses them, and the project's own suite
    passes on them, its test databases made by its role (CREATEDB)."""
    name = f"acct-{secrets.token_hex(3)}"
    slug = name.replace("-", "_")
    env = clean_env()
    for variable in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(variable, None)
    try:
        output = run_fastcel(
            tmp_path,
            env,
            *("new", name, "--defaults", "-d", "broker=rabbitmq", "-d", "result_backend=postgres"),
        )
        assert (
            f"created PostgreSQL role {slug} (CREATEDB), PostgreSQL database {slug}, "
            f"RabbitMQ user {slug}"
        ) in output, output
        assert "database, broker and result backend reachable" in output, output
        assert "embedded" not in output.split("Next steps")[0], output
        project = tmp_path / name
        assert dotenv(project)["APP_PROFILE"] == "services"
        for secret in ("POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS"):
            assert dotenv(project)[secret] not in output
        check_project(project, env, *SERVICE_TESTS)
    finally:
        drop_role_and_its_databases(slug)
        subprocess.run(["rabbitmqctl", "delete_user", slug], capture_output=True, timeout=60)


def test_full_new_falls_back_to_embedded(tmp_path: Path) -> None:
    env = clean_env(**CLOSED)
    output = fastcel_new(tmp_path, env)
    notices = [line for line in output.splitlines() if "unreachable" in line]
    assert len(notices) == 1, output
    assert "database" in notices[0] and "embedded profile" in notices[0]
    assert "divide(1, 2) = 0.5" in output
    project = tmp_path / "demo"
    assert (project / "var").is_dir()  # the embedded profile's SQLite files and broker folder
    check_project(project, clean_env(APP_PROFILE="embedded"))


def panel_lines(output: str) -> list[str]:
    """The lines of the closing "Next steps" panel, as printed (rich draws it with │)."""
    panel = output.split("Next steps", 1)[1]
    return [line.strip().strip("│").strip() for line in panel.splitlines() if line.startswith("│")]


def wait_until(check, what: str, log, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if check():
                return
        time.sleep(0.3)
    raise AssertionError(f"{what} not ready within {timeout:.0f}s:\n{read_log(log)[-4000:]}")


def answers_ok(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
        return response.status == 200


def post_form(url: str, fields: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.parametrize("setup", [True, False], ids=["setup", "no-setup"])
def test_printed_next_steps_work_as_written(tmp_path: Path, setup: bool) -> None:
    """Every command of the closing panel, typed as printed in a shell with no services (Docker
    aside): the prestart, then uvicorn and the worker side by side; then the first superuser of
    .env logs in, as the panel's last line says."""
    flags = ["--no-smoke"] if setup else ["--no-setup"]
    output = run_fastcel(tmp_path, clean_env(**CLOSED), "new", "demo", "--defaults", *flags)
    printed = panel_lines(output)
    assert printed[0] == "cd demo" and printed[1].startswith("docker compose up"), printed
    port = free_port()
    # Additions to the user's shell: uvicorn's default port 8000 may be taken here, and `uv venv`
    # could only download a Python (no network here) where PATH has no working python3.12: a
    # `python3` on PATH that fits (never UV_PYTHON, which `uv pip install` would install into).
    wanted = yaml.safe_load((tmp_path / "demo" / ".copier-answers.yml").read_text())
    python = find_python(wanted["python_version"]).exe
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(python)
    shell = clean_env(UVICORN_PORT=str(port), UV_PYTHON_DOWNLOADS="never")
    shell["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{shell['PATH']}"
    cwd, started = tmp_path, []
    with contextlib.ExitStack() as running:
        for line in printed:
            if line.startswith(("#", "docker ")):  # no Docker daemon in the tests
                continue
            if line.startswith("cd "):
                cwd = cwd / line.removeprefix("cd ")
                continue
            if "bin/uvicorn " in line:
                _web, web_log = running.enter_context(background(["bash", "-c", line], cwd, shell))
                wait_until(functools.partial(answers_ok, port), "uvicorn", web_log)
                started.append("uvicorn")
                continue
            if "bin/celery " in line and line.endswith(" worker"):
                worker, log = running.enter_context(background(["bash", "-c", line], cwd, shell))
                # The smoke test's own check: divide(1, 2) and divide(1, 0) through this worker.
                sent = subprocess.run(
                    [cwd / ".venv" / "bin" / "python", "-c", SMOKE_SCRIPT, "demo", "60"],
                    cwd=cwd,
                    env=clean_env(APP_PROFILE="embedded"),
                    capture_output=True,
                    text=True,
                    timeout=240,
                )
                outcome = sent.stdout + sent.stderr + read_log(log)[-3000:]
                assert sent.returncode == 0 and '"value": 0.5' in sent.stdout, outcome
                assert worker.poll() is None, outcome
                started.append("worker")
                continue
            proc = subprocess.run(
                ["bash", "-c", line],
                cwd=cwd,
                env=shell,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=600,  # the install of the --no-setup panel; the prestart takes seconds
            )
            assert proc.returncode == 0, f"{line}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        assert started == ["uvicorn", "worker"], printed
        assert printed[-1].startswith("# log in: POST /auth/token"), printed
        settings = dotenv(cwd)
        token = f"http://127.0.0.1:{port}/auth/token"
        login = settings["FIRST_SUPERUSER_EMAIL"]
        assert post_form(token, {"username": login, "password": "wrong"}) == 401
        password = settings["FIRST_SUPERUSER_PASSWORD"]
        assert post_form(token, {"username": login, "password": password}) == 200


def test_installed_wheel_renders_from_its_bundled_template(tmp_path: Path) -> None:
    """The wheel carries copier.yml and template/ as fastcel/_template (no checkout needed)."""
    from fastcel.interpreters import find_python, uv_binary

    uv = uv_binary()
    assert uv, "uv is a dependency of fastcel"
    env = clean_env(UV_PYTHON_DOWNLOADS="never")
    python = find_python("3.11").exe
    wheels = tmp_path / "dist"

    def run(*cmd: str | Path, cwd: Path = tmp_path) -> str:
        proc = subprocess.run(
            [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    run(uv, "build", "--wheel", "--python", python, "-o", wheels, ROOT, cwd=ROOT)
    (wheel,) = wheels.glob("fastcel-*.whl")
    run(uv, "venv", "--python", python, tmp_path / "venv")
    run(uv, "pip", "install", "--python", tmp_path / "venv" / "bin" / "python", wheel)
    output = run(tmp_path / "venv" / "bin" / "fastcel", "new", "demo", "--defaults", "--no-setup")
    assert "✓ render" in output
    recorded = yaml.safe_load((tmp_path / "demo" / ".copier-answers.yml").read_text())
    # An installed fastcel renders from its template store (see README: Updating).
    store = Path(os.environ["XDG_DATA_HOME"]) / "fastcel" / "template"
    assert recorded["_src_path"] == str(store)
    assert recorded["_commit"] == f"v{fastcel.__version__}"
    assert (tmp_path / "demo" / ".env").exists()
    assert not list((tmp_path / "demo").rglob("*.pyc"))


NEW_MIGRATION = '''"""Add a note to users."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "note")
'''


def test_update_reruns_migrations(tmp_path: Path) -> None:
    """`fastcel update` on a set-up project: a new migration arrives, so the services are probed
    and the database migrated to it."""
    template = tmp_path / "tpl"
    template.mkdir()
    shutil.copy(ROOT / "copier.yml", template)
    shutil.copytree(
        ROOT / "template",
        template / "template",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "v1"], ["tag", "v1"]):
        git(template, *args)
    env = clean_env(**CLOSED)
    run_fastcel(
        tmp_path,
        env,
        "new",
        "demo",
        "--defaults",
        "--no-smoke",
        "--trust",
        f"--template={template}",
    )
    versions = template / "template" / "migrations" / "versions"
    head = max(int(path.name[:4]) for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    revision, down_revision = f"{head + 1:04d}", f"{head:04d}"
    migration = NEW_MIGRATION.replace("{revision}", revision)
    (versions / f"{revision}_add_users_note.py").write_text(
        migration.replace("{down_revision}", down_revision)
    )
    for args in (["add", "-A"], ["commit", "-q", "-m", "v2"], ["tag", "v2"]):
        git(template, *args)
    output = run_fastcel(tmp_path, env, "update", "demo", "--defaults", "--trust")
    for step in ("copier update", "services", "migrations"):
        assert f"✓ {step}" in output, output
    assert re.search(rf"added +migrations/versions/{revision}_add_users_note\.py", output), output
    project = tmp_path / "demo"
    current = subprocess.run(
        [project / ".venv" / "bin" / "alembic", "current"],
        cwd=project,
        env=clean_env(APP_PROFILE="embedded"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"{revision} (head)" in current.stdout, current.stdout + current.stderr
