"""Post-generation steps: plain functions that each return a StepResult.

Each step runs its commands as subprocesses with a timeout. A failure becomes a
`StepResult(ok=False)` whose `error` carries the failing command, the tail of
its output and how to rerun it; `run_steps` stops at the first failure and the
generated files stay where they are.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StepFailed

TAIL_LINES = 20
INSTALL_TIMEOUT = 900
COMMAND_TIMEOUT = 180
SMOKE_TASK_TIMEOUT = 60
CELERY_URL_VARIABLES = (
    "CELERY_BROKER_URL",
    "CELERY_BROKER_READ_URL",
    "CELERY_BROKER_WRITE_URL",
    "CELERY_RESULT_BACKEND",
)


@dataclass
class Project:
    """A generated project and the environment its commands run in."""

    path: Path
    slug: str
    python_version: str = "3.12"
    author_name: str = ""
    author_email: str = ""
    python: str | None = None  # interpreter chosen by the user (--python)
    env: dict[str, str] = field(default_factory=dict)  # extra env, e.g. APP_PROFILE
    notices: list[str] = field(default_factory=list)

    @classmethod
    def from_answers(cls, path: Path, answers: dict[str, Any], **kwargs: Any) -> Project:
        return cls(
            path=path,
            slug=str(answers["project_slug"]),
            python_version=str(answers.get("python_version", "3.12")),
            author_name=str(answers.get("author_name") or ""),
            author_email=str(answers.get("author_email") or ""),
            **kwargs,
        )

    @property
    def venv(self) -> Path:
        return self.path / ".venv"

    def bin(self, name: str) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin") / name

    @property
    def embedded(self) -> bool:
        return self.env.get("APP_PROFILE", os.environ.get("APP_PROFILE")) == "embedded"

    def environ(self, **extra: str) -> dict[str, str]:
        """The environment for the project's commands."""
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONHOME"}}
        env.update(self.env)
        env.update(extra)
        if env.get("APP_PROFILE") == "embedded":
            # Celery lets these variables win over its configuration: the unreachable
            # service URLs would otherwise replace the embedded profile's.
            for name in CELERY_URL_VARIABLES:
                env.pop(name, None)
        return env

    def prefix(self) -> str:
        """Shell prefix a user types to rerun a command in the same environment."""
        return "".join(f"{k}={shlex.quote(v)} " for k, v in self.env.items())


@dataclass
class StepResult:
    name: str
    ok: bool
    duration: float
    detail: str = ""
    error: StepFailed | None = None


Step = Callable[[Project], StepResult]


def step(title: str) -> Callable[[Callable[[Project], str]], Step]:
    """Turn a function returning a detail line into a timed step returning a StepResult."""

    def decorate(func: Callable[[Project], str]) -> Step:
        @functools.wraps(func)
        def wrapper(project: Project) -> StepResult:
            start = time.monotonic()
            try:
                detail = func(project)
            except StepFailed as err:
                return StepResult(title, False, time.monotonic() - start, err.message, err)
            return StepResult(title, True, time.monotonic() - start, detail)

        wrapper.title = title  # type: ignore[attr-defined]
        return wrapper

    return decorate


# Running commands ---------------------------------------------------------------


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def display(cmd: Sequence[str | os.PathLike[str]], project: Project | None = None) -> str:
    """A command as a user would type it, paths relative to the project."""
    parts = []
    for part in cmd:
        text = str(part)
        if project is not None:
            with contextlib.suppress(ValueError):
                text = str(Path(text).relative_to(project.path))
        parts.append(shlex.quote(text))
    return " ".join(parts)


def run(
    step_name: str,
    cmd: Sequence[str | os.PathLike[str]],
    project: Project,
    *,
    timeout: float = COMMAND_TIMEOUT,
    env: dict[str, str] | None = None,
    rerun: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` in the project; raise StepFailed on error, timeout or non-zero exit."""
    shown = display(cmd, project)
    hint = rerun or f"cd {shlex.quote(str(project.path))} && {project.prefix()}{shown}"
    try:
        proc = subprocess.run(
            [str(c) for c in cmd],
            cwd=project.path,
            env=env or project.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise StepFailed(step_name, shown, f"{cmd[0]}: command not found", hint) from None
    except subprocess.TimeoutExpired as err:
        output = err.output.decode(errors="replace") if isinstance(err.output, bytes) else ""
        raise StepFailed(
            step_name, shown, tail(output) + f"\n(timed out after {timeout:.0f}s)", hint
        ) from None
    if check and proc.returncode != 0:
        raise StepFailed(
            step_name, shown, tail(proc.stdout) + f"\n(exit code {proc.returncode})", hint
        )
    return proc


# 1. git -------------------------------------------------------------------------


@step("git init + first commit")
def git_commit(project: Project) -> str:
    git = shutil.which("git")
    if git is None:
        raise StepFailed("git", "git", "git is not on PATH", "install git, then: git init")
    env = project.environ()
    run("git", [git, "-c", "init.defaultBranch=main", "init", "-q"], project, timeout=30, env=env)
    identity: list[str] = []
    for key, value in (
        ("user.name", project.author_name or "fastcel"),
        ("user.email", project.author_email or "fastcel@localhost"),
    ):
        configured = run("git", [git, "config", key], project, timeout=30, env=env, check=False)
        if not configured.stdout.strip():
            identity += ["-c", f"{key}={value}"]
    run("git", [git, "add", "-A"], project, timeout=60, env=env)
    commit = [git, *identity, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify"]
    run("git", [*commit, "-m", "Initial commit from fastcel"], project, timeout=60, env=env)
    head = run("git", [git, "rev-parse", "--short", "HEAD"], project, timeout=30, env=env)
    return f"commit {head.stdout.strip()}"


# 2. virtual environment -----------------------------------------------------------


def python_version_of(exe: str, timeout: float = 15) -> tuple[int, int] | None:
    """Ask an interpreter its version; None if it does not run (e.g. a pyenv shim)."""
    try:
        proc = subprocess.run(
            [exe, "-c", "import sys;print(sys.version_info[:2])"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"\((\d+), (\d+)\)", proc.stdout.strip())
    if proc.returncode != 0 or not match:
        return None
    return int(match[1]), int(match[2])


def python_candidates() -> list[str]:
    """Interpreters worth asking: fastcel's own, python3.x on PATH, pyenv's versions."""
    found = [sys.executable]
    for name in ("python3.13", "python3.12", "python3.11", "python3"):
        if exe := shutil.which(name):
            found.append(exe)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found += sorted(str(p) for p in pyenv_root.glob("versions/3.*/bin/python3"))
    unique: dict[str, str] = {}
    for exe in found:
        with contextlib.suppress(OSError):
            unique.setdefault(os.path.realpath(exe), exe)
    return list(unique.values())


def find_python(minimum: str, explicit: str | None = None) -> tuple[str, tuple[int, int]]:
    """The newest working interpreter whose version is at least `minimum` (e.g. "3.12")."""
    need = tuple(int(p) for p in minimum.split(".")[:2])
    if explicit:
        version = python_version_of(explicit)
        if version is None:
            raise StepFailed("virtual environment", explicit, f"{explicit} does not run", "")
        if version < need:
            raise StepFailed(
                "virtual environment",
                explicit,
                f"{explicit} is Python {version[0]}.{version[1]}, the project needs >= {minimum}",
                f"pass --python with a Python >= {minimum}",
            )
        return explicit, version
    best: tuple[str, tuple[int, int]] | None = None
    for exe in python_candidates():
        version = python_version_of(exe)
        if version is not None and version >= need and (best is None or version > best[1]):
            best = (exe, version)
    if best is None:
        raise StepFailed(
            "virtual environment",
            f"find a Python >= {minimum}",
            f"no working python3.13/python3.12/python3.11 on PATH or in pyenv is >= {minimum}",
            f"install Python {minimum} or newer, or pass --python /path/to/python{minimum}",
        )
    return best


def uv_binary() -> str | None:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


@step("virtual environment")
def create_venv(project: Project) -> str:
    exe, version = find_python(project.python_version, project.python)
    uv = uv_binary()
    if uv:
        env = project.environ(UV_PYTHON_DOWNLOADS="never")
        run("venv", [uv, "venv", "--clear", "--python", exe, project.venv], project, env=env)
    else:
        run("venv", [exe, "-m", "venv", "--clear", project.venv], project)
    tool = _install(project, uv)
    return f".venv with Python {version[0]}.{version[1]} ({tool})"


@step("dependencies")
def install_dependencies(project: Project) -> str:
    """Reinstall the project into its existing .venv (after an update changed pyproject.toml)."""
    tool = _install(project, uv_binary())
    return f"pyproject.toml changed: .venv reinstalled ({tool})"


def _install(project: Project, uv: str | None) -> str:
    python = project.bin("python")
    if uv:
        install = [uv, "pip", "install", "--python", python, "-e", ".[dev]"]
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            # Python will not cache bytecode itself: without it every step recompiles
            # FastAPI, Celery and SQLAlchemy from source (seconds per process).
            install.insert(3, "--compile-bytecode")
        env = project.environ(UV_PYTHON_DOWNLOADS="never")
        run("install", install, project, env=env, timeout=INSTALL_TIMEOUT)
        return "uv"
    install = [python, "-m", "pip", "install", "-e", ".[dev]"]
    run("install", install, project, timeout=INSTALL_TIMEOUT)
    return "pip"


# 3. services ----------------------------------------------------------------------

EMBEDDED_NOTE = "embedded profile (SQLite, filesystem broker)"


@step("services")
def probe_services(project: Project) -> str:
    cmd = [project.bin("python"), "-m", f"{project.slug}.health"]
    if project.embedded:
        run("services", cmd, project, timeout=60)
        return f"APP_PROFILE=embedded: {EMBEDDED_NOTE}"
    proc = run("services", cmd, project, timeout=60, check=False)
    if proc.returncode == 0:
        return "database, broker and result backend reachable"
    if "Traceback (most recent call last)" in proc.stdout:
        raise StepFailed("services", display(cmd, project), tail(proc.stdout))
    checks = re.findall(r"^(\w+): (.*)$", proc.stdout, flags=re.MULTILINE)
    failing = [name for name, outcome in checks if outcome.strip() != "ok"]
    project.env["APP_PROFILE"] = "embedded"
    run("services (embedded profile)", cmd, project, timeout=60)
    notice = (
        f"{', '.join(dict.fromkeys(failing)) or 'services'} unreachable: using the {EMBEDDED_NOTE}"
    )
    project.notices.append(notice)
    return notice


# 4. migrations --------------------------------------------------------------------


SECRET_VARIABLES = ("FIRST_SUPERUSER_PASSWORD",)


def prestart_command(project: Project) -> list[str | os.PathLike[str]]:
    """The project's own preparation of its database, run from the project folder: wait for
    the database, `alembic upgrade head`, create the first superuser unless it exists."""
    return [project.bin("python"), "-m", f"{project.slug}.prestart"]


def secrets_of(project: Project) -> list[str]:
    """Values never to print: the first superuser's password (environment, then .env)."""
    values = [project.environ().get(name, "") for name in SECRET_VARIABLES]
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in (project.path / ".env").read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            if name.strip() in SECRET_VARIABLES:
                values.append(value.strip().strip("'\""))
    return [value for value in values if len(value) >= 4]


def redact(text: str, hidden: Sequence[str]) -> str:
    for value in hidden:
        text = text.replace(value, "***")
    return text


@step("migrations")
def migrate(project: Project) -> str:
    hidden = secrets_of(project)
    # A project of an older template version has a prestart that only waits for the database:
    # `alembic upgrade head` after it migrates such a project, and changes nothing in the others.
    output = ""
    for cmd in (prestart_command(project), [project.bin("alembic"), "upgrade", "head"]):
        try:
            output += run("migrations", cmd, project).stdout
        except StepFailed as err:
            err.tail = redact(err.tail, hidden)
            raise
    output = redact(output, hidden)
    applied = len(re.findall(r"Running upgrade ", output))
    done = f"{applied} migration(s) applied" if applied else "no migration to apply"
    # The prestart's last line: "Migrations applied; superuser x created" (or "... exists").
    last = re.findall(r"Migrations applied; (.+)$", output, flags=re.MULTILINE)
    return f"{project.slug}.prestart: {done}" + (f", {last[-1].strip()}" if last else "")


# 5. smoke test --------------------------------------------------------------------

SMOKE_SCRIPT = """
import importlib, json, sys
slug, timeout = sys.argv[1], float(sys.argv[2])
importlib.import_module(slug + ".celery_app")
divide = importlib.import_module(slug + ".jobs.tasks").divide
ok = divide.delay(1, 2)
value = ok.get(timeout=timeout)
bad = divide.delay(1, 0)
try:
    bad.get(timeout=timeout)
except Exception as error:
    raised = type(error).__name__
else:
    raised = None
print(json.dumps({"state": ok.state, "value": value, "bad_state": bad.state, "raised": raised}))
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def background(cmd: Sequence[str | os.PathLike[str]], cwd: Path, env: dict[str, str]):
    """Start a process in its own session; always stop it (and its children) on exit."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc, log
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def read_log(log: Any) -> str:
    log.flush()
    log.seek(0)
    return log.read()


@step("smoke test")
def smoke_test(project: Project) -> str:
    queue = f"{project.slug}-smoke-{secrets.token_hex(4)}"
    env = project.environ(CELERY_QUEUE=queue)
    prefix = project.prefix() + f"CELERY_QUEUE={queue} "
    worker = [
        project.bin("celery"),
        "-A",
        f"{project.slug}.celery_app",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    worker_hint = f"cd {shlex.quote(str(project.path))} && {prefix}{display(worker, project)}"
    with background(worker, project.path, env) as (proc, log):
        check = [project.bin("python"), "-c", SMOKE_SCRIPT, project.slug, str(SMOKE_TASK_TIMEOUT)]
        try:
            out = run("smoke test", check, project, env=env, timeout=3 * SMOKE_TASK_TIMEOUT)
        except StepFailed as err:
            if proc.poll() is not None or "TimeoutError" in err.tail:
                err.command = display(worker, project)
                err.tail = tail(read_log(log)) + f"\n(worker exit code {proc.poll()})"
                err.rerun = worker_hint
            else:
                err.command = "python -c <send divide(1, 2) and divide(1, 0)>"
                send = (
                    f"from {project.slug}.celery_app import celery_app; "
                    f"from {project.slug}.jobs.tasks import divide; "
                    "print(divide.delay(1, 2).get(timeout=30))"
                )
                err.rerun = (
                    f"{worker_hint}\n  then in another shell: {prefix}.venv/bin/python -c "
                    + shlex.quote(send)
                )
            err.message = f"smoke test failed: {err.command}"
            raise
        outcome = json.loads(out.stdout.strip().splitlines()[-1])
        expected = {"state": "SUCCESS", "value": 0.5, "bad_state": "FAILURE"}
        if {k: outcome[k] for k in expected} != expected or outcome["raised"] != (
            "ZeroDivisionError"
        ):
            raise StepFailed(
                "smoke test",
                "divide(1, 2) and divide(1, 0)",
                f"expected SUCCESS 0.5 and FAILURE ZeroDivisionError, got {outcome}\n"
                + tail(read_log(log)),
                worker_hint,
            )
    status = check_http(project, env)
    return f"divide(1, 2) = 0.5, divide(1, 0) -> ZeroDivisionError, GET /health {status}"


def check_http(project: Project, env: dict[str, str], timeout: float = 60) -> int:
    """Start uvicorn on a free port and GET /health; return the status (200)."""
    port = free_port()
    web = [
        project.bin("uvicorn"),
        f"{project.slug}.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    hint = f"cd {shlex.quote(str(project.path))} && {project.prefix()}{display(web, project)}"
    url = f"http://127.0.0.1:{port}/health"
    with background(web, project.path, env) as (proc, log):
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = json.loads(response.read() or b"null")
                    if response.status == 200 and body == {"status": "ok"}:
                        return response.status
                    last = f"GET /health -> {response.status} {body}"
                    break
            except urllib.error.HTTPError as err:
                last = f"GET /health -> {err.code}"
                break
            except (OSError, ValueError) as err:
                last = f"GET /health: {err}"
            time.sleep(0.2)
        else:
            last = f"GET /health: no answer within {timeout:.0f}s"
        raise StepFailed(
            "smoke test", display(web, project), tail(read_log(log)) + f"\n{last}", hint
        )


# Plan ---------------------------------------------------------------------------


def plan(setup: bool = True, smoke: bool = True) -> list[Step]:
    """The steps to run after rendering. Without setup only the git commit remains,
    so that `copier update` works later."""
    steps: list[Step] = [git_commit]
    if setup:
        steps += [create_venv, probe_services, migrate]
        if smoke:
            steps.append(smoke_test)
    return steps


def run_steps(project: Project, steps: Sequence[Step]) -> Iterator[StepResult]:
    """Run steps in order, yielding each result; stop after the first failure."""
    for func in steps:
        result = func(project)
        yield result
        if not result.ok:
            return


def next_steps(project: Project, cwd: Path | None = None, venv: bool = True) -> list[str]:
    """Commands to type next, for the closing panel."""
    try:
        where = project.path.relative_to(cwd or Path.cwd())
    except ValueError:
        where = project.path
    lines = [f"cd {shlex.quote(str(where))}", "docker compose up            # the whole stack"]
    lines.append("# or without Docker (embedded profile: SQLite, filesystem broker):")
    if not venv:
        lines.append("uv venv && uv pip install -e '.[dev]'")
    # `uv venv` makes .venv too: the commands below work as typed either way. The prestart
    # migrates the embedded database and creates the first superuser (again: it is idempotent).
    run_prefix = "APP_PROFILE=embedded .venv/bin/"
    lines += [
        f"{run_prefix}python -m {project.slug}.prestart",
        f"{run_prefix}uvicorn {project.slug}.main:app --reload",
        f"{run_prefix}celery -A {project.slug}.celery_app worker",
        "# log in: POST /auth/token, FIRST_SUPERUSER_EMAIL/_PASSWORD of .env",
    ]
    return lines
