"""Helpers shared by fastcel's tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from fastcel.cli import app

ROOT = Path(__file__).resolve().parents[1]


def rendered(result) -> Path:
    """The project a pytest-copie result holds; raise the real error of a failed render
    (pytest-copie swallows it and reports exit_code -1)."""
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0
    return result.project_dir


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def lock(project: Path, python: str) -> None:
    """`uv lock` in a rendered project, as `fastcel new` does after rendering."""
    from fastcel.interpreters import uv_binary

    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv_binary(), "lock", "-q", "--python", python],
        cwd=project, env=env, check=True, timeout=300,
    )  # fmt: skip


def fastcel_exe() -> str:
    """The installed `fastcel` script of the interpreter running the tests."""
    exe = Path(sys.executable).parent / "fastcel"
    found = str(exe) if exe.exists() else shutil.which("fastcel")
    assert found, "fastcel is not installed: pip install -e ."
    return found


# Service URLs on closed ports: `fastcel new` falls back to the embedded profile.
CLOSED = {
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:1/1",
}


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


def new(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["new", *args])
    assert result.exit_code == 0, result.output
    return result.output


def dotenv(project: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (project / ".env").read_text().splitlines())
    return {p[0]: p[1] for p in pairs if len(p) == 2 and not p[0].startswith("#")}


# A git identity for the commits tests make as "the user" (CI machines may have none).
IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def commit_all(path: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, timeout=60)
    subprocess.run(
        ["git", "commit", "-q", "--no-verify", "-m", message],
        cwd=path,
        check=True,
        timeout=60,
        env={**os.environ, **IDENTITY},
    )


def release(repo: Path, tag: str) -> None:
    """Commit what changed in `repo` (if anything) and tag it."""
    if git(repo, "status", "--porcelain"):
        commit_all(repo, f"template {tag}")
    git(repo, "tag", tag)


def make_template(where: Path, extra: str = "", readme: str = "# {{ project_name }}\n") -> Path:
    """A tiny git template: fastcel's own copier.yml (plus `extra`), a README and the answers
    file, committed and tagged v1.0.0."""
    template = where / "tpl"
    (template / "template").mkdir(parents=True)
    (template / "copier.yml").write_text((ROOT / "copier.yml").read_text() + "\n" + extra)
    (template / "template" / "README.md.jinja").write_text(readme)
    (template / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n"
    )
    git(template, "init", "-q")
    release(template, "v1.0.0")
    return template


def lines(output: str) -> list[str]:
    """The non-blank lines of a command's output."""
    return [line for line in output.splitlines() if line.strip()]


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file of the work tree (git's own folder aside: `git status` refreshes its index)."""
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }


def run_in_project(project: Path, env: dict[str, str], *cmd: str, timeout: float = 900) -> str:
    """Run one of the project's .venv commands in the project; it must succeed. Returns stdout."""
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
    return proc.stdout


def drop_role_and_its_databases(role: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        owned = conn.execute(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON d.datdba = r.oid"
            " WHERE r.rolname = %s",
            (role,),
        ).fetchall()
        for (database,) in owned:
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
