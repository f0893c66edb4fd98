"""Step: make the project's local PostgreSQL and RabbitMQ accept it, or say exactly why not.

The project's .env names a role, a database and a broker user that a development machine
does not have yet. When the server is on this machine and a superuser connection works
without a password (trust or peer auth), the role (with CREATEDB: the test suite makes its
own databases), its database and the RabbitMQ user are created with the drawn passwords.
Otherwise the step prints the commands to run; the service probe then falls back to the
embedded profile.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import dotenv

from .. import process
from ..errors import StepFailed
from .base import Finding, Project, Step, run_command

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
CHECK_SCRIPT = Path(__file__).with_name("service_check.py")
CHECK_TIMEOUT = 60
SERVICES = {"postgres": "PostgreSQL", "amqp": "RabbitMQ"}
RABBITMQCTL_TIMEOUT = 60
PG_SAID = {
    "refused": "PostgreSQL refuses connections at {where}",
    "no_answer": "PostgreSQL at {where} does not answer",
    "no_role": "PostgreSQL has no role {user}",
    "wrong_password": "PostgreSQL refuses role {user}'s password (POSTGRES_PASSWORD in .env)",
    "no_database": "PostgreSQL has no database {db}",
    "no_createdb": "PostgreSQL role {user} may not create databases (the tests need CREATEDB)",
}
AMQP_SAID = {
    "refused": "RabbitMQ refuses connections at {where}",
    "no_answer": "RabbitMQ at {where} does not answer",
    "wrong_login": "RabbitMQ refuses user {user} (RABBITMQ_DEFAULT_PASS in .env)",
    "no_vhost": "RabbitMQ has no virtual host {vhost}",
}


def settings_of(project: Project) -> dict[str, str]:
    """The project's settings as it reads them: .env, then the environment over it."""
    recorded = dotenv.dotenv_values(project.path / ".env")
    return {**{k: v or "" for k, v in recorded.items()}, **project.environ()}


class PrepareServices(Step):
    """Create the project's PostgreSQL role and database and RabbitMQ user where possible."""

    title = "service accounts"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        settings = settings_of(project)
        if settings.get("APP_PROFILE") == "embedded":
            return Finding("APP_PROFILE=embedded: no service account needed")
        database_url = settings.get("DATABASE_URL", "")
        broker_url = settings.get("CELERY_BROKER_URL", "")
        request: dict[str, Any] = {}
        if database_url.startswith("postgresql"):
            request["database_url"] = database_url
            request["create"] = is_local(database_url)
        if broker_url.startswith("amqp"):
            request["broker_url"] = broker_url
        if not request:
            return Finding("no PostgreSQL or RabbitMQ in the settings")
        try:
            answer = check(project, request)
        except StepFailed as err:
            last = " ".join(err.tail.splitlines()[-2:])
            return Finding(f"could not check the service accounts: {last}", notice=True)
        said, advice, created = [], [], []
        if pg := answer.get("postgres"):
            created += [f"PostgreSQL {name}" for name in pg["created"]]
            if pg["state"] != "ok":
                said.append(pg_said(pg["state"], database_url))
                advice += pg_commands(pg["state"], database_url)
        if (broker := answer.get("amqp")) and broker["state"] != "ok":
            if broker["state"] in {"wrong_login", "no_vhost"} and rabbitmq_create(
                project, broker_url
            ):
                created.append(f"RabbitMQ user {amqp_parts(broker_url)['user']}")
                broker = check(project, {"broker_url": broker_url})["amqp"]
            if broker["state"] != "ok":
                said.append(amqp_said(broker["state"], broker_url))
                advice += amqp_commands(broker["state"], broker_url)
        parts = [f"created {', '.join(created)}"] if created else []
        parts += said
        if not parts:
            checked = [name for key, name in SERVICES.items() if key in answer]
            return Finding(f"the project's accounts work ({', '.join(checked)})")
        return Finding("; ".join(parts), notice=bool(said), advice=tuple(advice))


def is_local(url: str) -> bool:
    """Tell whether a service URL names a server on this machine."""
    return urlsplit(url).hostname in LOCAL_HOSTS


def check(project: Project, request: dict[str, Any]) -> dict[str, Any]:
    """Ask service_check.py, run by the project's interpreter."""
    done = run_command(
        "service accounts",
        [project.bin("python"), CHECK_SCRIPT],
        project,
        timeout=CHECK_TIMEOUT,
        input=json.dumps(request),
    )
    return json.loads(done.output.strip().splitlines()[-1])


def pg_parts(url: str) -> dict[str, str]:
    """Where, as whom and which database a PostgreSQL URL names."""
    parts = urlsplit(url)
    return {
        "where": f"{parts.hostname}:{parts.port or 5432}",
        "user": unquote(parts.username or ""),
        "db": unquote(parts.path.lstrip("/")),
    }


def pg_said(state: str, url: str) -> str:
    """What is wrong with the project's PostgreSQL, in one phrase."""
    return PG_SAID.get(state, "PostgreSQL refuses the project: {where}").format(**pg_parts(url))


def pg_commands(state: str, url: str) -> list[str]:
    """The commands that fix `state` on a machine where `sudo -u postgres` works."""
    parts = pg_parts(url)
    user, db = parts["user"], parts["db"]
    if state == "no_role":
        return [
            f"sudo -u postgres createuser --createdb --pwprompt {user}"
            "  # password: POSTGRES_PASSWORD of .env",
            f"sudo -u postgres createdb --owner {user} {db}",
        ]
    if state == "no_database":
        return [f"sudo -u postgres createdb --owner {user} {db}"]
    if state == "no_createdb":
        return [f'sudo -u postgres psql -c "ALTER ROLE {user} CREATEDB"']
    if state == "wrong_password":
        return [f"sudo -u postgres psql -c '\\password {user}'  # type POSTGRES_PASSWORD of .env"]
    return []


def amqp_parts(url: str) -> dict[str, str]:
    """Where, as whom and which virtual host an AMQP URL names."""
    parts = urlsplit(url)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return {
        "where": f"{parts.hostname}:{parts.port or 5672}",
        "user": unquote(parts.username or "guest"),
        "password": unquote(parts.password or ""),
        "vhost": vhost,
    }


def amqp_said(state: str, url: str) -> str:
    """What is wrong with the project's RabbitMQ, in one phrase."""
    return AMQP_SAID.get(state, "RabbitMQ refuses the project: {where}").format(**amqp_parts(url))


def amqp_commands(state: str, url: str) -> list[str]:
    """The commands that give the project its RabbitMQ user and virtual host."""
    parts = amqp_parts(url)
    if state not in {"wrong_login", "no_vhost"}:
        return []
    user, vhost = parts["user"], parts["vhost"]
    lines = [f"sudo rabbitmqctl add_user {user}  # then type RABBITMQ_DEFAULT_PASS of .env"]
    if vhost != "/":
        lines.append(f"sudo rabbitmqctl add_vhost {vhost}")
    lines.append(f"sudo rabbitmqctl set_permissions -p {vhost} {user} '.*' '.*' '.*'")
    return lines


def rabbitmq_create(project: Project, url: str) -> bool:
    """Create the project's RabbitMQ user (and virtual host) with rabbitmqctl, on a local
    broker where this user may run it; False when it cannot, or the user exists already
    (its password is then not ours to change)."""
    parts = amqp_parts(url)
    ctl = shutil.which("rabbitmqctl")
    if ctl is None or not is_local(url):
        return False

    def rabbitmqctl(*args: str, secret: str | None = None) -> process.Finished | None:
        try:
            return process.run([ctl, *args], timeout=RABBITMQCTL_TIMEOUT, input=secret)
        except process.CommandFailed:
            return None

    users = rabbitmqctl("list_users", "--formatter", "json")
    if users is None or f'"user":"{parts["user"]}"' in users.output.replace(" ", ""):
        return False
    vhosts = rabbitmqctl("list_vhosts", "--formatter", "json")
    if vhosts is None:
        return False
    if f'"name":"{parts["vhost"]}"' not in vhosts.output.replace(" ", ""):
        rabbitmqctl("add_vhost", parts["vhost"])
    # The password goes through standard input: never on a command line others can read.
    if rabbitmqctl("add_user", parts["user"], secret=parts["password"]) is None:
        return False
    granted = rabbitmqctl("set_permissions", "-p", parts["vhost"], parts["user"], ".*", ".*", ".*")
    return granted is not None
