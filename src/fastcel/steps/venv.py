"""Steps: the project's .venv, made with the answered Python, and its dependencies."""

from __future__ import annotations

import os

from ..errors import StepFailed
from ..interpreters import NoInterpreter, find_python, uv_binary
from .base import Finding, Project, Step, run_command

INSTALL_TIMEOUT = 900


def install(project: Project) -> str:
    """Install the project and its dev extra into its .venv; the tool used (uv or pip)."""
    uv = uv_binary()
    python = project.bin("python")
    if uv:
        cmd = [uv, "pip", "install", "--python", python, "-e", ".[dev]"]
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            # Python will not cache bytecode itself: without it every step recompiles
            # FastAPI, Celery and SQLAlchemy from source (seconds per process).
            cmd.insert(3, "--compile-bytecode")
        env = project.environ(UV_PYTHON_DOWNLOADS="never")
        run_command("install", cmd, project, env=env, timeout=INSTALL_TIMEOUT)
        return "uv"
    cmd = [python, "-m", "pip", "install", "-e", ".[dev]"]
    run_command("install", cmd, project, timeout=INSTALL_TIMEOUT)
    return "pip"


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
        uv = uv_binary()
        if uv:
            env = project.environ(UV_PYTHON_DOWNLOADS="never")
            cmd = [uv, "venv", "--clear", "--python", python.exe, project.venv]
            run_command("venv", cmd, project, env=env)
        else:
            run_command("venv", [python.exe, "-m", "venv", "--clear", project.venv], project)
        tool = install(project)
        detail = f".venv with Python {python.label} ({tool})"
        if python.notice:
            return Finding(f"{detail}; {python.notice}", notice=True)
        return Finding(detail)


class InstallDependencies(Step):
    """Reinstall the project into its .venv (after an update changed pyproject.toml)."""

    title = "dependencies"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        tool = install(project)
        return Finding(f"pyproject.toml changed: .venv reinstalled ({tool})")
