"""The generated project the API and worker benchmarks run, and the commands around it.

`fastcel new demo --defaults --no-setup` renders it once per template version and uv installs it
into its own `.venv`; both are cached under the temp folder, keyed by a hash of the template
(copier.yml and template/, uncommitted changes included). `--template DIR` (a folder holding
copier.yml and template/, e.g. an older version from `git archive`) renders that one instead.
The baseline apps in this package run from the same venv, so both sides use the very same
FastAPI, Celery, kombu and uvicorn.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import SLUG

ROOT = Path(__file__).resolve().parents[1]
CACHE_PREFIX = "fastcel-bench-"
INSTALL_TIMEOUT = 900


def fastcel_exe() -> str:
    """The fastcel executable installed next to the running Python."""
    return str(Path(sys.executable).with_name("fastcel"))


def copier_exe() -> str:
    """The copier executable installed next to the running Python."""
    return str(Path(sys.executable).with_name("copier"))


def template_hash(root: Path = ROOT) -> str:
    """A hash of copier.yml and every file under template/ (working tree, not HEAD)."""
    digest = hashlib.sha256()
    files = [root / "copier.yml", *sorted((root / "template").rglob("*"))]
    for path in files:
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Generated:
    """The rendered project `demo` with its installed `.venv`."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / ".venv" / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.path / ".venv" / "bin" / name

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for processes in the project's venv: this package importable, no
        service settings or PYTHON* variables from the caller (the benchmark sets its own)."""
        env = clean_env(drop=("PYTHON",))
        env.update(PYTHONPATH=str(ROOT), VIRTUAL_ENV=str(self.path / ".venv"))
        env.update(extra)
        return env


def clean_env(drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """The caller's environment without its CELERY_/DATABASE_/APP_ settings, its VIRTUAL_ENV and
    variables starting with `drop`, plus `extra`."""
    prefixes = ("CELERY_", "DATABASE_", "APP_", "VIRTUAL_ENV", *drop)
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(extra)
    return env


def prepare(
    log=print, template: Path | None = None, data: dict[str, str] | None = None
) -> Generated:
    """The cached generated project, rendering and installing it first when missing.

    `template`: a template root (copier.yml and template/) other than this checkout's; `data`:
    answers other than the defaults (`--data`), each set of answers cached on its own.
    """
    data = data or {}
    version = template_hash(template or ROOT)
    key = version
    if data:
        answers = ",".join(f"{name}={value}" for name, value in sorted(data.items()))
        key += "-" + hashlib.sha256(answers.encode()).hexdigest()[:8]
    base = Path(tempfile.gettempdir()) / f"{CACHE_PREFIX}{key}"
    project = Generated(base / SLUG)
    base.mkdir(exist_ok=True)
    with open(base / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "ready").exists():
            start = time.monotonic()
            shutil.rmtree(project.path, ignore_errors=True)
            _build(project, template, data)
            (base / "ready").write_text(key)
            log(f"built the generated project in {base} ({time.monotonic() - start:.0f} s)")
    _remove_stale_caches(keep=f"{CACHE_PREFIX}{version}")
    return project


def _build(project: Generated, template: Path | None, data: dict[str, str]) -> None:
    from fastcel.interpreters import find_python, uv_binary

    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    # A template of our own choosing (the benchmark's operator's): trusted.
    other = ["--template", str(template), "--trust"] if template else []
    other += [f"--data={name}={value}" for name, value in data.items()]
    subprocess.run(
        [fastcel_exe(), "new", SLUG, "--defaults", "--no-setup", "--dest", project.path, *other],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    python = find_python("3.12").exe
    uv = uv_binary() or "uv"
    venv = project.path / ".venv"
    subprocess.run([uv, "venv", "-q", "--python", python, venv], env=env, check=True, timeout=120)
    subprocess.run(
        [uv, "pip", "install", "-q", "--compile-bytecode", "--python", project.python, "-e", "."],
        cwd=project.path,
        env=env,
        check=True,
        timeout=INSTALL_TIMEOUT,
    )


def _remove_stale_caches(keep: str) -> None:
    """Remove the caches of earlier template versions (named other than `keep`, with or
    without answers) that no other run holds."""
    for other in Path(tempfile.gettempdir()).glob(f"{CACHE_PREFIX}*"):
        if other.name.startswith(keep) or not other.is_dir():
            continue
        with open(other / "lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(other, ignore_errors=True)


def in_project(project: Generated, module: str, *args: str, timeout: float = 120, **env: str):
    """Run `python -m <module> args...` in the project's venv; return its stdout."""
    done = subprocess.run(
        [str(project.python), "-m", module, *args],
        cwd=project.path,
        env=project.env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"python -m {module} {' '.join(args)} failed ({done.returncode}):\n"
            + (done.stdout + done.stderr)[-3000:]
        )
    return done.stdout


def wait_http(url: str, proc: subprocess.Popen, limit: float = 60) -> None:
    """Wait until `url` answers 200, or fail when the process exits or `limit` passes."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering {url}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {limit:.0f} s")
