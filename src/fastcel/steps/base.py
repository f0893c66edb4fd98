"""What every set-up step shares: the project it works on, what it found, how it runs."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from .. import process
from ..errors import StepFailed

# Celery lets these variables win over its configuration: on the embedded profile the
# unreachable service URLs would otherwise replace the embedded ones.
CELERY_URL_VARIABLES = (
    "CELERY_BROKER_URL",
    "CELERY_BROKER_READ_URL",
    "CELERY_BROKER_WRITE_URL",
    "CELERY_RESULT_BACKEND",
)


@dataclass(frozen=True)
class Project:
    """A generated project and the settings its commands run with."""

    path: Path
    slug: str
    python_version: str = "3.12"
    author_name: str = ""
    author_email: str = ""
    python: str | None = None  # the interpreter the user chose (--python)
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_answers(cls, path: Path, answers: Mapping[str, Any], **kwargs: Any) -> Project:
        """The project at `path` as its recorded answers describe it."""
        return cls(
            path=path,
            slug=str(answers["project_slug"]),
            python_version=str(answers.get("python_version", "3.12")),
            author_name=str(answers.get("author_name") or ""),
            author_email=str(answers.get("author_email") or ""),
            **kwargs,
        )

    def with_env(self, extra: Mapping[str, str]) -> Project:
        """The same project, its commands run with `extra` settings as well."""
        if not extra:
            return self
        return replace(self, env=MappingProxyType({**self.env, **extra}))

    @property
    def venv(self) -> Path:
        """The project's virtual environment."""
        return self.path / ".venv"

    def bin(self, name: str) -> Path:
        """A program of the project's .venv."""
        return self.venv / ("Scripts" if os.name == "nt" else "bin") / name

    @property
    def embedded(self) -> bool:
        """Tell whether the project's commands run on the embedded profile."""
        return self.env.get("APP_PROFILE", os.environ.get("APP_PROFILE")) == "embedded"

    def environ(self, **extra: str) -> dict[str, str]:
        """The environment for the project's commands."""
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONHOME"}}
        env.update(self.env)
        env.update(extra)
        if env.get("APP_PROFILE") == "embedded":
            for name in CELERY_URL_VARIABLES:
                env.pop(name, None)
        return env

    def prefix(self) -> str:
        """Shell prefix a user types to rerun a command in the same environment."""
        return "".join(f"{k}={shlex.quote(v)} " for k, v in self.env.items())

    def rerun_hint(self, cmd: process.Command) -> str:
        """The line that reruns `cmd` as the step ran it."""
        shown = process.display(cmd, self.path)
        return f"cd {shlex.quote(str(self.path))} && {self.prefix()}{shown}"


@dataclass(frozen=True)
class Finding:
    """What a step found: a line for the user, and settings the following steps need."""

    detail: str
    notice: bool = False  # worth the user's attention (shown in yellow)
    env: Mapping[str, str] = field(default_factory=dict)
    advice: tuple[str, ...] = ()  # commands for the user to run, shown under the step


@dataclass(frozen=True)
class StepResult:
    """A step's outcome: what it found, or the error that stopped it."""

    title: str
    duration: float
    finding: Finding | None = None
    error: StepFailed | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the step finished without error."""
        return self.error is None


class Step:
    """A set-up step: `title` while it runs, `run` does the work and says what it found."""

    title: ClassVar[str]

    def run(self, project: Project) -> Finding:
        """Do the step's work on `project`; raise StepFailed when it cannot."""
        raise NotImplementedError

    def __call__(self, project: Project) -> StepResult:
        """Run the step, timed; a StepFailed becomes the result's error."""
        start = time.monotonic()
        try:
            finding = self.run(project)
        except StepFailed as err:
            return StepResult(self.title, time.monotonic() - start, error=err)
        return StepResult(self.title, time.monotonic() - start, finding=finding)

    def __repr__(self) -> str:
        return f"<step {self.title}>"


def run_command(
    step: str,
    cmd: process.Command,
    project: Project,
    *,
    timeout: float = process.DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
) -> process.Finished:
    """Run `cmd` in the project for `step`; a failure is a StepFailed saying how to rerun it."""
    try:
        return process.run(
            cmd,
            cwd=project.path,
            env=env or project.environ(),
            timeout=timeout,
            check=check,
            input=input,
        )
    except process.CommandFailed as err:
        raise StepFailed(step, err.command, err.tail, project.rerun_hint(cmd)) from None
