"""Step: uv.lock, the exact version of every dependency, written before the first commit.

The lock is universal (uv resolves for every Python and platform that requires-python admits):
the .venv, the CI and the Docker image all install from it, so what a test passed today is what
the image built next month holds.
"""

from __future__ import annotations

import re

from ..errors import StepFailed
from ..interpreters import NoInterpreter, find_python, uv_binary
from .base import Finding, Project, Step, run_command

LOCK_TIMEOUT = 300
# What `uv lock` says about each package whose pinned version it changed.
CHANGE = re.compile(r"^(Added|Updated|Removed) \S+ .*$", re.MULTILINE)
RESOLVED = re.compile(r"^Resolved (\d+) packages?", re.MULTILINE)


def require_uv() -> str:
    """The path of uv: fastcel depends on it, so a missing one is a broken install."""
    uv = uv_binary()
    if not uv:
        raise StepFailed("uv", "find uv", "", "pip install --force-reinstall fastcel")
    return uv


def lock(project: Project, python: str, step: str = "lock") -> tuple[int, list[str]]:
    """Write or refresh the project's uv.lock: how many packages it pins, and the changes
    `uv lock` reported (Added/Updated/Removed lines)."""
    cmd = [require_uv(), "lock", "--python", python]
    env = project.environ(UV_PYTHON_DOWNLOADS="never")
    done = run_command(step, cmd, project, env=env, timeout=LOCK_TIMEOUT)
    said = done.output
    resolved = RESOLVED.search(said)
    changes = [match.group(0) for match in CHANGE.finditer(said)]
    return (int(resolved.group(1)) if resolved else 0), changes


def first_error(output: str) -> str:
    """The error line of uv ("error: Failed to fetch: URL"), without its prefix."""
    for line in output.splitlines():
        if line.startswith("error: "):
            return line.removeprefix("error: ")
    return ""


class LockDependencies(Step):
    """`uv lock` with the project's Python. Without set-up (`--no-setup`) a failure, say an
    unreachable package index, is a notice: the project is still made, and told how to lock."""

    title = "lock dependencies"

    def __init__(self, required: bool = True) -> None:
        self.required = required

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        try:
            python = find_python(project.python_version, project.python)
            packages, _ = lock(project, python.exe, self.title)
        except NoInterpreter as err:
            if self.required:
                shown = project.python or f"find Python {project.python_version}"
                raise StepFailed(self.title, shown, err.reason, err.hint) from None
            return self.not_written(err.reason)
        except StepFailed as err:
            if self.required:
                raise
            return self.not_written(first_error(err.tail) or err.command)
        return Finding(f"uv.lock: {packages} packages pinned")

    @staticmethod
    def not_written(reason: str) -> Finding:
        """The notice for a project left without uv.lock."""
        return Finding(
            f"uv.lock not written ({reason})",
            notice=True,
            advice=("uv lock    # once the package index is reachable, then commit uv.lock",),
        )
