"""Run by a generated project's interpreter (it has psycopg and kombu): say precisely why its
PostgreSQL or RabbitMQ refuses it, and create its PostgreSQL role and database when a local
superuser connection works without a password.

Reads a JSON request on standard input, prints one JSON answer:
{"postgres": {"state": ..., "detail": ..., "created": [...]}, "amqp": {"state": ...}}.
States: ok, refused, no_answer, no_role, wrong_password, no_database, no_createdb, error.
"""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

TIMEOUT = 3  # seconds, each connection attempt
PG_STATES = (
    ("does not exist", None),  # role or database: told apart below
    ("password authentication failed", "wrong_password"),
    ("Connection refused", "refused"),
    ("timeout expired", "no_answer"),
)


def pg_target(url: str) -> dict[str, Any]:
    """The connection keywords of a SQLAlchemy PostgreSQL URL."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "dbname": unquote(parts.path.lstrip("/")),
    }


def pg_state(target: dict[str, Any]) -> tuple[str, str]:
    """(state, detail) of connecting as the project."""
    import psycopg

    try:
        with psycopg.connect(**target, connect_timeout=TIMEOUT) as conn:
            row = conn.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
    except psycopg.OperationalError as err:
        text = " ".join(str(err).split())
        for needle, state in PG_STATES:
            if needle in text:
                if state is None:
                    state = "no_role" if f'role "{target["user"]}"' in text else "no_database"
                return state, text.split("FATAL:")[-1].strip()[:200]
        return "error", text[:200]
    if not (row and row[0]):
        return "no_createdb", f"role {target['user']} may not create databases (tests need it)"
    return "ok", ""


def superuser(target: dict[str, Any]) -> Any:
    """A connection as a local superuser without a password (trust or peer auth), or None."""
    import psycopg

    for user in dict.fromkeys(("postgres", getpass.getuser())):
        for host in (target["host"], None):  # TCP as configured, then the local socket
            try:
                conn = psycopg.connect(
                    host=host,
                    port=target["port"],
                    user=user,
                    dbname="postgres",
                    connect_timeout=TIMEOUT,
                    autocommit=True,
                )
            except psycopg.OperationalError:
                continue
            row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if (found := row.fetchone()) and found[0]:
                return conn
            conn.close()
    return None


def pg_create(target: dict[str, Any], state: str) -> list[str]:
    """Create what is missing (the role with CREATEDB, the database); what was created."""
    from psycopg import sql

    conn = superuser(target)
    if conn is None:
        return []
    created = []
    role, database = sql.Identifier(target["user"]), sql.Identifier(target["dbname"])
    with conn:
        if state == "no_role":
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                    role, sql.Literal(target["password"])
                )
            )
            created.append(f"role {target['user']} (CREATEDB)")
        elif state == "no_createdb":
            conn.execute(sql.SQL("ALTER ROLE {} CREATEDB").format(role))
            created.append(f"CREATEDB for role {target['user']}")
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target["dbname"],)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
            created.append(f"database {target['dbname']}")
    return created


def postgres(url: str, create: bool) -> dict[str, Any]:
    """Diagnose the project's database, creating what is missing when allowed and possible
    (a missing role, then its database, then CREATEDB: each found by the look after)."""
    target = pg_target(url)
    state, detail = pg_state(target)
    created: list[str] = []
    while create and state in {"no_role", "no_database", "no_createdb"}:
        made = pg_create(target, state)
        if not made:
            break
        created += made
        state, detail = pg_state(target)
    return {"state": state, "detail": detail, "created": created}


def amqp(url: str) -> dict[str, Any]:
    """Diagnose the project's RabbitMQ connection."""
    from kombu import Connection
    from kombu.exceptions import OperationalError

    try:
        with Connection(url, connect_timeout=TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
    except OperationalError as err:
        text = str(err)
        state = "refused" if "refused" in text.lower() else "no_answer"
        return {"state": state, "detail": text[:200]}
    except Exception as err:  # amqp's AccessRefused, NotAllowed: the broker's own answer
        text = str(err)
        if "ACCESS_REFUSED" in text:
            return {"state": "wrong_login", "detail": "login refused"}
        if "vhost" in text and "not found" in text:
            return {"state": "no_vhost", "detail": text[:200]}
        return {"state": "error", "detail": f"{type(err).__name__}: {text[:200]}"}
    return {"state": "ok", "detail": ""}


def main() -> None:
    """Answer the request read from standard input."""
    request = json.load(sys.stdin)
    answer: dict[str, Any] = {}
    if url := request.get("database_url"):
        answer["postgres"] = postgres(url, bool(request.get("create")))
    if url := request.get("broker_url"):
        answer["amqp"] = amqp(url)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
