"""A full `fastcel new --defaults`: install, migrate, smoke-test a real worker, then the
generated project's own ruff and pytest. Needs Postgres, Redis and RabbitMQ on 127.0.0.1."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, fastcel_exe, git

import fastcel

pytestmark = pytest.mark.slow

STEPS = (
    "render",
    "git init + first commit",
    "virtual environment",
    "services",
    "migrations",
    "smoke test",
)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/1",
}
RABBITMQ = {
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/1",
}
CLOSED = {
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:1/1",
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


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "APP_PROFILE", "CELERY_QUEUE", "PYTHONPATH"}
    }
    env.update(extra)
    return env


def run_fastcel(cwd: Path, env: dict[str, str], *args: str) -> str:
    """Run the installed `fastcel` with no terminal; it must succeed. Returns its output."""
    proc = subprocess.run(
        [fastcel_exe(), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    return output


def fastcel_new(cwd: Path, env: dict[str, str], *args: str) -> str:
    output = run_fastcel(cwd, env, "new", "demo", "--defaults", *args)
    for step in STEPS:
        assert f"✓ {step}" in output, output
    assert "✗" not in output
    return output


def run_in_project(project: Path, env: dict[str, str], *cmd: str, timeout: float = 900) -> None:
    proc = subprocess.run(
        [str(project / ".venv" / "bin" / cmd[0]), *cmd[1:]],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"


def check_project(project: Path, env: dict[str, str]) -> None:
    run_in_project(project, env, "ruff", "check", ".")
    run_in_project(project, env, "ruff", "format", "--check", ".")
    run_in_project(project, env, "pytest", "-q", "-p", "no:cacheprovider")


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
    check_project(project, env)


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


def test_installed_wheel_renders_from_its_bundled_template(tmp_path: Path) -> None:
    """The wheel carries copier.yml and template/ as fastcel/_template (no checkout needed)."""
    from fastcel.steps import find_python, uv_binary

    uv = uv_binary()
    assert uv, "uv is a dependency of fastcel"
    env = clean_env(UV_PYTHON_DOWNLOADS="never")
    python, _ = find_python("3.11")
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
    run_fastcel(tmp_path, env, "new", "demo", "--defaults", "--no-smoke", f"--template={template}")
    versions = template / "template" / "migrations" / "versions"
    head = max(int(path.name[:4]) for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    revision, down_revision = f"{head + 1:04d}", f"{head:04d}"
    migration = NEW_MIGRATION.replace("{revision}", revision)
    (versions / f"{revision}_add_users_note.py").write_text(
        migration.replace("{down_revision}", down_revision)
    )
    for args in (["add", "-A"], ["commit", "-q", "-m", "v2"], ["tag", "v2"]):
        git(template, *args)
    output = run_fastcel(tmp_path, env, "update", "demo", "--defaults")
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
