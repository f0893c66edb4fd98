"""The set-up steps that follow rendering, each a small object with a title.

A step's `run` does one job and returns a Finding (a line for the user, and settings the
following steps need, e.g. the profile the service probe settled on); calling a step times it
and turns a StepFailed into its result. `run_steps` runs a plan and reports each result.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from .base import Finding, Project, Step, StepResult, run_command
from .commit import CommitProject
from .domain_tests import RunTests
from .lock import LockDependencies
from .migrations import AddMigration, LinkMigrations, Migrate
from .provision import PrepareServices
from .services import ProbeServices
from .smoke import SmokeTest
from .venv import CreateVenv, InstallDependencies

__all__ = [
    "AddMigration",
    "CommitProject",
    "CreateVenv",
    "Finding",
    "InstallDependencies",
    "LinkMigrations",
    "LockDependencies",
    "Migrate",
    "PrepareServices",
    "ProbeServices",
    "Project",
    "RunTests",
    "SmokeTest",
    "Step",
    "StepResult",
    "new_project_plan",
    "run_command",
    "run_steps",
]


class StepReport(Protocol):
    """Where `run_steps` says what runs and how it went (fastcel.report.Reporter)."""

    def running(self, title: str) -> AbstractContextManager[object]: ...

    def step(self, result: StepResult) -> None: ...


def new_project_plan(setup: bool = True, smoke: bool = True, lock: bool = True) -> list[Step]:
    """The steps after rendering a new project. Without set-up only the lock (when `lock`, and
    as long as the package index answers) and the git commit remain, so that `copier update`
    works later. Locking may build the project's metadata, the template's code: `lock` is
    False for a template Copier was not allowed to trust."""
    plan: list[Step] = [LockDependencies(required=setup)] if setup or lock else []
    plan.append(CommitProject())
    if setup:
        plan += [CreateVenv(), PrepareServices(), ProbeServices(record_profile=True), Migrate()]
        if smoke:
            plan.append(SmokeTest())
    return plan


def run_steps(project: Project, plan: Sequence[Step], report: StepReport) -> Project:
    """Run `plan`, reporting each step; raise the first failure. Returns the project as the
    steps left it (its profile, say)."""
    for step in plan:
        with report.running(step.title):
            result = step(project)
        report.step(result)
        if result.error is not None:
            raise result.error
        assert result.finding is not None
        project = project.with_env(result.finding.env)
    return project
