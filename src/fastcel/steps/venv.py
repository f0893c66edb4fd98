"""Steps: the project's .venv, made with the answered Python, and its dependencies."""

from __future__ import annotations

import os
import tomllib

from ..errors import StepFailed
from ..interpreters import NoInterpreter, find_python
from .base import Finding, Project, Step, run_command
from .lock import lock, require_uv

INSTALL_TIMEOUT = 900
# The lock changes an update lists; the rest are in `git diff uv.lock`.
MAX_CHANGES_SHOWN = 12


def optional_dependencies(project: Project) -> dict[str, list[str]]:
    """The extras the project's pyproject.toml declares."""
    meta = tomllib.loads((project.path / "pyproject.toml").read_text(encoding="utf-8"))
    return meta.get("project", {}).get("optional-dependencies", {})


def install(project: Project) -> str:
    """Install what uv.lock pins, the dev group and the project (editable) into its .venv;
    the tool used."""
    cmd = [require_uv(), "sync", "--locked"]
    if "dev" in optional_dependencies(project):
        # Projects made before the dev tools moved to [dependency-groups] keep them in the
        # `dev` extra, which `uv sync` installs only when asked.
        cmd += ["--extra", "dev"]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # Python will not cache bytecode itself: without it every step recompiles
        # FastAPI, Celery and SQLAlchemy from source (seconds per process).
        cmd.append("--compile-bytecode")
    env = project.environ(UV_PYTHON_DOWNLOADS="never")
    run_command("install", cmd, project, env=env, timeout=INSTALL_TIMEOUT)
    return "uv sync --locked"


class CreateVenv(Step):
    """A fresh .venv with the project's python_version (or --python), the project installed."""

    title = "virtual environment"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        try:
            python = find_python(project.python_version, project.python)
        except NoInterpreter as err:
            shown = project.python or f"find Python {project.python_version}"
            raise StepFailed(self.title, shown, err.reason, err.hint) from None
        env = project.environ(UV_PYTHON_DOWNLOADS="never")
        cmd = [require_uv(), "venv", "--clear", "--python", python.exe, project.venv]
        run_command("venv", cmd, project, env=env)
        tool = install(project)
        detail = f".venv with Python {python.label} ({tool})"
        if python.notice:
            return Finding(f"{detail}; {python.notice}", notice=True)
        return Finding(detail)


class InstallDependencies(Step):
    """After an update changed pyproject.toml: relock (what changed is listed), then install
    the new lock into .venv."""

    title = "dependencies"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        _, changes = lock(project, str(project.bin("python")), self.title)
        tool = install(project)
        if not changes:
            return Finding(f"pyproject.toml changed; uv.lock pins the same versions ({tool})")
        shown = changes[:MAX_CHANGES_SHOWN]
        if len(changes) > len(shown):
            shown.append(f"... and {len(changes) - len(shown)} more: git diff uv.lock")
        return Finding(
            f"pyproject.toml changed; uv.lock: {len(changes)} change(s), .venv synced ({tool})",
            advice=tuple(shown),
        )
