"""The service-accounts step against this machine's PostgreSQL and RabbitMQ: what is missing
is created with the project's drawn passwords when a local superuser can, and every other
refusal is said precisely, with the commands that fix it. Each test uses names of its own and
removes what it created."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fastcel.steps import PrepareServices, Project
from fastcel.steps.provision import is_local

SUPERUSER = "postgresql://postgres@127.0.0.1:5432/postgres"
pytestmark = pytest.mark.skipif(
    shutil.which("rabbitmqctl") is None, reason="needs this machine's RabbitMQ (rabbitmqctl)"
)


def superuser_sql(*statements: str) -> None:
    with psycopg.connect(SUPERUSER, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def rabbitmqctl(*args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rabbitmqctl", *args], input=secret, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def name() -> Iterator[str]:
    """A role, database and broker user name of this test's own; all removed afterwards."""
    made = f"fc_prov_{secrets.token_hex(4)}"
    yield made
    superuser_sql(f'DROP DATABASE IF EXISTS "{made}"', f'DROP ROLE IF EXISTS "{made}"')
    rabbitmqctl("delete_user", made)


def project_with(tmp_path: Path, env: str) -> Project:
    """A project whose interpreter is this one (it has psycopg and kombu) and whose .env is
    `env`."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (tmp_path / ".env").write_text(env)
    return Project(tmp_path, "fake")


def env_for(name: str, password: str, port: int = 5432) -> str:
    return (
        "APP_PROFILE=services\n"
        f"DATABASE_URL=postgresql+psycopg://{name}:{password}@localhost:{port}/{name}\n"
        f"CELERY_BROKER_URL=amqp://{name}:{password}@localhost:5672//\n"
    )


@pytest.fixture(autouse=True)
def no_service_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("DATABASE_URL", "CELERY_BROKER_URL", "APP_PROFILE"):
        monkeypatch.delenv(variable, raising=False)


def test_missing_accounts_are_created_with_the_drawn_passwords(tmp_path: Path, name: str):
    password = secrets.token_urlsafe(16)
    project = project_with(tmp_path, env_for(name, password))
    result = PrepareServices()(project)
    assert result.ok, result.error
    assert result.finding.detail == (
        f"created PostgreSQL role {name} (CREATEDB), PostgreSQL database {name}, "
        f"RabbitMQ user {name}"
    )
    assert password not in result.finding.detail and not result.finding.advice
    url = f"postgresql://{name}:{password}@127.0.0.1:5432/{name}"
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone() == (True,)
    assert rabbitmqctl("authenticate_user", name, password).returncode == 0
    # A second run finds everything in place and changes nothing.
    again = PrepareServices()(project)
    assert again.finding.detail == "the project's accounts work (PostgreSQL, RabbitMQ)"


def test_an_existing_broker_user_with_another_password_is_left_alone(tmp_path: Path, name: str):
    """Its password is not ours to change: the step says so and prints the commands. (This
    machine's PostgreSQL trusts local connections, so a wrong database password cannot be
    shown here.)"""
    rabbitmqctl("add_user", name, secret="theirs")
    project = project_with(tmp_path, env_for(name, "ours-" + secrets.token_hex(8)))
    result = PrepareServices()(project)
    assert result.ok and result.finding.notice
    assert result.finding.detail == (
        f"created PostgreSQL role {name} (CREATEDB), PostgreSQL database {name}; "
        f"RabbitMQ refuses user {name} (RABBITMQ_DEFAULT_PASS in .env)"
    )
    assert result.finding.advice == (
        f"sudo rabbitmqctl add_user {name}  # then type RABBITMQ_DEFAULT_PASS of .env",
        f"sudo rabbitmqctl set_permissions -p / {name} '.*' '.*' '.*'",
    )
    assert rabbitmqctl("authenticate_user", name, "theirs").returncode == 0


def test_a_role_without_createdb_or_database_gets_both(tmp_path: Path, name: str):
    superuser_sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD 'pw-{name}'")
    env = f"DATABASE_URL=postgresql+psycopg://{name}:pw-{name}@127.0.0.1:5432/{name}\n"
    result = PrepareServices()(project_with(tmp_path, env))
    assert result.finding.detail == (
        f"created PostgreSQL database {name}, PostgreSQL CREATEDB for role {name}"
    )


def test_a_missing_database_of_an_existing_role_is_created(tmp_path: Path, name: str):
    superuser_sql(f"CREATE ROLE \"{name}\" LOGIN CREATEDB PASSWORD 'pw-{name}'")
    env = f"DATABASE_URL=postgresql+psycopg://{name}:pw-{name}@127.0.0.1:5432/{name}\n"
    result = PrepareServices()(project_with(tmp_path, env))
    assert result.finding.detail == f"created PostgreSQL database {name}"


def test_a_role_without_createdb_gets_it(tmp_path: Path, name: str):
    superuser_sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD 'pw-{name}'", f'CREATE DATABASE "{name}"')
    env = f"DATABASE_URL=postgresql+psycopg://{name}:pw-{name}@127.0.0.1:5432/{name}\n"
    result = PrepareServices()(project_with(tmp_path, env))
    assert result.finding.detail == f"created PostgreSQL CREATEDB for role {name}"


def test_a_closed_port_is_said_without_commands(tmp_path: Path, name: str):
    project = project_with(tmp_path, env_for(name, "pw", port=1).replace(":5672", ":1"))
    result = PrepareServices()(project)
    assert result.finding.detail == (
        "PostgreSQL refuses connections at localhost:1; RabbitMQ refuses connections at localhost:1"
    )
    assert result.finding.advice == ()


def test_only_a_server_on_this_machine_gets_accounts_made() -> None:
    assert is_local("postgresql+psycopg://a:b@localhost:5432/a")
    assert is_local("amqp://a:b@127.0.0.1:5672//")
    assert not is_local("postgresql+psycopg://a:b@db.example.com:5432/a")
    assert not is_local("postgresql+psycopg://a:b@10.0.0.5/a")


def test_a_project_whose_check_cannot_run_is_told_not_stopped(tmp_path: Path) -> None:
    project = project_with(tmp_path, "DATABASE_URL=postgresql+psycopg://a:b@localhost/a\n")
    (tmp_path / ".venv" / "bin" / "python").write_text("#!/bin/sh\necho broken >&2; exit 3\n")
    result = PrepareServices()(project)
    assert result.ok and result.finding.notice
    assert result.finding.detail == "could not check the service accounts: broken (exit code 3)"


def test_the_embedded_profile_needs_no_account(tmp_path: Path) -> None:
    result = PrepareServices()(project_with(tmp_path, "APP_PROFILE=embedded\n"))
    assert result.finding.detail == "APP_PROFILE=embedded: no service account needed"
