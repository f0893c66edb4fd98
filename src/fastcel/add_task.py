"""`fastcel add task`: add a task to a domain that `fastcel add domain` wrote, then test it.

The task is one more entry of the domain's answers (`domain_tasks` in
`.copier-answers.domain-NAME.yml`); Copier updates the domain to those answers, so the task's
function, route, lane, beat entry and test are rendered by the domain template and
`fastcel update` keeps them current. Copier merges the change into the project's own edits of
those files; where both changed the same lines it leaves conflict markers, as `fastcel update`
does.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import git, questions
from .add import Added, record_src
from .errors import UNTRUSTED_HINT, ConflictsFound, FastcelError, StepFailed, UsageError
from .recorded_answers import added_domains, domain_answers_file, one_line
from .render import untrusted
from .report import Reporter
from .steps import ProbeServices, Project, RunTests, run_steps
from .task_spec import check_cron, check_lane, check_task_name
from .template import is_trusted
from .update import NOT_COPIED, changed_files, check_project, check_template

TASKS_QUESTION = "domain_tasks"


@dataclass
class TaskRequest:
    """What `fastcel add task` was asked for."""

    path: Path
    domain: str
    name: str
    queue: str = "default"
    periodic: str | None = None  # a cron expression
    pretend: bool = False
    setup: bool = True  # run the domain's tests (needs the project's .venv)
    trust: bool = False  # a template other than fastcel's own may run its code


def plan_task(request: TaskRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check everything about the request; return the project's answers and the data that
    renders the domain with the task."""
    path = request.path.expanduser().absolute()
    answers = check_project(path, then="add")
    check_template(answers)
    name = check_task_name(request.name)
    lane = check_lane(request.queue)
    periodic = ""
    if request.periodic is not None:
        periodic = check_cron(request.periodic)
        if not answers.get("use_beat"):
            raise UsageError(
                "--periodic needs Celery beat, which this project does not run (use_beat is "
                "false): run the task from a route or enable beat with `fastcel update`"
            )
    domains = added_domains(path)
    domain = domains.get(request.domain)
    if domain is None:
        known = ", ".join(domains) or "none yet"
        raise UsageError(
            f"no domain added by `fastcel add domain` is named {request.domain!r} (added: "
            f"{known}); a task of the project's own domains goes in their tasks.py by hand"
        )
    tasks = list(domain.get(TASKS_QUESTION) or [])
    check_task_free(path, str(answers["project_slug"]), request.domain, name, tasks)
    commit = domain.get("_commit")
    src = str(answers["_src_path"])
    if not questions.offers(
        Path(src).expanduser(), str(commit) if commit else None, TASKS_QUESTION
    ):
        raise UsageError(
            f"the template version domain {request.domain} records ({commit}) cannot add "
            "tasks: run `fastcel update` first"
        )
    project_answers = {k: v for k, v in answers.items() if not str(k).startswith("_")}
    data = {
        **project_answers,
        TASKS_QUESTION: [*tasks, {"name": name, "queue": lane, "periodic": periodic}],
    }
    return answers, data


def check_task_free(path: Path, slug: str, domain: str, name: str, tasks: list[Any]) -> None:
    """Refuse a task name the domain already uses: a task, or a name of its tasks or router
    module (the route is `start_NAME`)."""
    if any(isinstance(t, dict) and t.get("name") == name for t in tasks):
        raise UsageError(f"domain {domain} has a task named {name!r} already")
    package = path / "src" / slug / domain
    for module, taken in (("tasks.py", name), ("router.py", f"start_{name}")):
        source = package / module
        if source.exists() and taken in _top_level_names(source):
            raise UsageError(
                f"task name {name!r} is taken: {source.relative_to(path)} defines {taken}"
            )


def _top_level_names(source: Path) -> set[str]:
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except SyntaxError as err:
        raise UsageError(
            f"{source} does not parse ({err.msg}, line {err.lineno}): fix it first"
        ) from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def render_task(
    path: Path, request: TaskRequest, answers: dict[str, Any], data: dict[str, Any], trusted: bool
) -> None:
    """Update the domain to the answers with the task; undo it with git if it fails. Where
    the project's edits and the task meet, Copier leaves inline conflict markers."""
    import copier
    from copier.errors import UnsafeTemplateError

    head = git.output(path, "rev-parse", "HEAD").strip()
    answers_file = domain_answers_file(request.domain)
    domain = added_domains(path)[request.domain]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Dirty template changes")
            copier.run_update(
                path,
                answers_file=answers_file,
                data=data,
                vcs_ref=str(domain["_commit"]),
                defaults=True,
                overwrite=True,
                conflict="inline",
                unsafe=trusted,
                quiet=True,
            )
        record_src(path / answers_file, str(answers["_src_path"]))
    except BaseException as err:
        where = git.restore(path, head)
        if isinstance(err, KeyboardInterrupt):
            raise FastcelError(f"aborted: {where}") from None
        if isinstance(err, UnsafeTemplateError):
            raise UsageError(f"{untrusted(str(answers['_src_path']), err)}; {where}") from None
        if isinstance(err, FastcelError):
            err.message = f"{err.message}; {where}"
            raise
        if not isinstance(err, Exception):
            raise
        message = one_line(str(err)) or type(err).__name__
        raise FastcelError(f"rendering the task failed: {message}; {where}") from err


def add_task(request: TaskRequest) -> tuple[Added, dict[str, Any]]:
    """Check, then render the task into its domain (in a copy of the project with pretend)."""
    answers, data = plan_task(request)
    path = request.path.expanduser().absolute()
    trusted = request.trust or is_trusted(str(answers["_src_path"]))
    if not request.pretend:
        render_task(path, request, answers, data, trusted)
        return Added(path, request.name, changed_files(path)), answers
    with tempfile.TemporaryDirectory(prefix="fastcel-pretend-") as scratch:
        copy = Path(scratch) / path.name
        shutil.copytree(path, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
        render_task(copy, request, answers, data, trusted)
        return Added(path, request.name, changed_files(copy)), answers


def run(request: TaskRequest, report: Reporter) -> None:
    """`fastcel add task`: check, render; then run the domain's tests through a worker."""
    start = time.monotonic()
    label = "Previewing the task" if request.pretend else "Rendering the task"
    with report.running(label):
        added, answers = add_task(request)
    title = "add task (pretend)" if request.pretend else "add task"
    report.done(title, time.monotonic() - start, f"{request.domain}.{request.name} in {added.path}")
    if not request.pretend:
        report.say("A running worker loads the task once restarted.")
    report.changes(added.changes, "would be changed" if request.pretend else "changed")
    conflicts = [change.path for change in added.changes if change.status == "conflict"]
    if request.pretend:
        if conflicts:
            report.say(f"{len(conflicts)} file(s) would conflict")
        report.say("Nothing was written.")
        return
    if conflicts:
        raise ConflictsFound(conflicts, "add task")
    project = Project.from_answers(added.path, answers)
    trusted = request.trust or is_trusted(str(answers["_src_path"]))
    if request.setup and not trusted:
        report.warn(f"tests not run: they would run the template's code; {UNTRUSTED_HINT}")
    elif request.setup and not project.bin("python").exists():
        report.warn("tests not run: the project has no .venv (`fastcel add domain` makes one)")
    elif request.setup:
        try:
            run_steps(project, [ProbeServices(), RunTests(f"tests/{request.domain}")], report)
        except StepFailed as err:
            err.note = (
                f"The task's changes stay uncommitted in {added.path}. To undo them: "
                "`git reset --hard && git clean -fd`."
            )
            raise
    report.panel(
        "Next steps",
        [
            "git status && git diff   # review",
            f'git add -A && git commit -m "Add the {request.domain}.{request.name} task"',
        ],
    )
