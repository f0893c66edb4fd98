"""`fastcel new`: check the answers, render, then run the set-up steps."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cli_answers, questions, render
from .errors import UNTRUSTED_HINT, StepFailed, UsageError
from .git import require_git
from .report import Reporter
from .steps import Project, new_project_plan, run_steps
from .template import bundled_template, rendering_source

UNTRUSTED_SETUP = (
    "no set-up step ran (lock, install, migrations, smoke test): they would run the template's "
    f"code; {UNTRUSTED_HINT}"
)


@dataclass(frozen=True)
class NewRequest:
    """What the user asked `fastcel new` for."""

    name: str
    dest: Path | None = None
    defaults: bool = False
    data: list[str] = field(default_factory=list)
    data_file: Path | None = None
    template: str | None = None
    vcs_ref: str | None = None
    trust: bool = False
    python: str | None = None
    setup: bool = True
    smoke: bool = True


def template_path(template: str | None) -> Path:
    """The local folder whose copier.yml holds the questions (a URL gives a non-folder)."""
    return Path(template).expanduser().absolute() if template else bundled_template()


def create(request: NewRequest, report: Reporter, *, can_prompt: bool) -> Project:
    """Make the project `request` describes; report each step. Bad input raises UsageError
    before anything is written."""
    asked = questions.load_questions(template_path(request.template), request.vcs_ref)
    data = cli_answers.resolve_answers(request.name, request.data, request.data_file, asked)
    target = (request.dest or Path(request.name)).expanduser().absolute()
    render.check_destination(target)
    prompting = not request.defaults and questions.needs_prompt(data, asked)
    if prompting and not can_prompt:
        raise UsageError(
            "no terminal to ask questions on: pass --defaults (and --data KEY=VALUE) "
            "to run without prompts"
        )
    require_git()

    with rendering_source(request.template, request.vcs_ref, request.trust) as source:
        if source.notice:
            report.warn(source.notice)
        start = time.monotonic()
        report.quiet_spinner = prompting  # Copier's prompts and a spinner would share lines
        with report.running("Rendering the template"):
            answered = render.render(source, target, data, defaults=not prompting)
        report.quiet_spinner = False
        # The time spent answering prompts is not the render's.
        report.done("render", None if prompting else time.monotonic() - start, str(target))

    project = Project.from_answers(target, answered, python=request.python)
    # Installing the project and running its modules runs the template's code, as its tasks
    # would: only for a template that Copier was allowed to trust.
    setup = request.setup and source.trusted
    if request.setup and not source.trusted:
        report.warn(UNTRUSTED_SETUP)
    try:
        project = run_steps(
            project,
            new_project_plan(setup=setup, smoke=request.smoke, lock=source.trusted),
            report,
        )
    except StepFailed as err:
        err.note = f"The generated files stay in {target}."
        raise
    report.panel("Next steps", next_steps(project, venv=setup))
    return project


def next_steps(project: Project, cwd: Path | None = None, venv: bool = True) -> list[str]:
    """Commands to type next, for the closing panel; each works as written."""
    try:
        where = project.path.relative_to(cwd or Path.cwd())
    except ValueError:
        where = project.path
    lines = [f"cd {shlex.quote(str(where))}", "docker compose up            # the whole stack"]
    lines.append("# or without Docker (embedded profile: SQLite, filesystem broker):")
    if not venv:
        lines.append("uv sync                      # .venv from uv.lock, dev tools included")
    # The prestart migrates the embedded database and creates the first superuser (again:
    # it is idempotent).
    run_prefix = "APP_PROFILE=embedded .venv/bin/"
    lines += [
        f"{run_prefix}python -m {project.slug}.prestart",
        f"{run_prefix}uvicorn {project.slug}.main:app --reload",
        f"{run_prefix}celery -A {project.slug}.celery_app worker",
        "# log in: POST /auth/token, FIRST_SUPERUSER_EMAIL/_PASSWORD of .env",
    ]
    return lines
