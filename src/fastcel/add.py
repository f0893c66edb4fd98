"""`fastcel add domain`: render the domain template into a project, register it, migrate, test.

The domain is rendered from the template version the project records (so that `fastcel update`
moves both on together), with its own answers file, `.copier-answers.domain-NAME.yml`. Nothing is
written before every check has passed; a failed render is undone with git (the tree was clean).
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import git, questions
from .domain_spec import Field, check_model, check_name, model_name, parse_fields
from .errors import UNTRUSTED_HINT, FastcelError, StepFailed, UsageError
from .recorded_answers import added_domains, domain_answers_file, one_line
from .render import untrusted
from .report import Reporter
from .steps import (
    AddMigration,
    CreateVenv,
    Migrate,
    ProbeServices,
    Project,
    RunTests,
    Step,
    run_command,
    run_steps,
)
from .template import is_trusted
from .update import NOT_COPIED, Change, changed_files, check_project, check_template

DOMAINS_MODULE = "domains.py"
# Tables that no domain may take: Alembic's and Celery's database result backend's.
OTHER_TABLES = ("alembic_version", "celery_taskmeta", "celery_tasksetmeta")


@dataclass
class DomainRequest:
    """What `fastcel add domain` was asked for."""

    path: Path
    name: str
    fields: list[str]
    owned: bool = True
    model: str | None = None
    pretend: bool = False
    setup: bool = True  # migrate and run the new tests (needs the project's .venv)
    trust: bool = False  # a template other than fastcel's own may run its code


@dataclass
class Added:
    """What an addition wrote (or would write, with pretend)."""

    path: Path
    name: str
    changes: list[Change] = field(default_factory=list)


def plan_domain(request: DomainRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check everything about the request; return the project's answers and the domain's data."""
    path = request.path.expanduser().absolute()
    answers = check_project(path, then="add")
    check_template(answers)
    name = check_name(request.name)
    model = check_model(request.model) if request.model else model_name(name)
    fields = parse_fields(request.fields)
    slug = str(answers["project_slug"])
    check_free(path, slug, name)
    src, commit = str(answers["_src_path"]), answers.get("_commit")
    if not questions.offers_domains(Path(src).expanduser(), str(commit) if commit else None):
        raise UsageError(
            f"the template version this project records ({commit}) has no domain template: "
            "run `fastcel update` first"
        )
    recorded = [_with_reference(path, f) for f in fields]
    project_answers = {k: v for k, v in answers.items() if not str(k).startswith("_")}
    data = {
        **project_answers,
        "domain_name": name,
        "domain_model": model,
        "domain_owned": request.owned,
        "domain_fields": recorded,
    }
    return answers, data


def check_free(path: Path, slug: str, name: str) -> None:
    """Refuse a domain name that the project, Python or an installed package already uses."""
    problem = questions.validator_error("project_slug", name)
    if problem:
        # The slug's rules hold for a domain's test package (tests/NAME, on sys.path) too.
        raise UsageError(problem.replace(f"project_slug '{name}'", f"domain name '{name}'"))
    if name == slug:
        raise UsageError(f"domain name '{name}' is the project's own package name")
    for taken in (
        Path("src", slug, name),
        Path("src", slug, f"{name}.py"),
        Path("tests", name),
        Path("tests", f"{name}.py"),
    ):
        if (path / taken).exists():
            raise UsageError(f"domain name '{name}' is taken: {taken} exists")
    tables = set(OTHER_TABLES)
    for module in (path / "src" / slug).rglob("*.py"):
        tables.update(re.findall(r'__tablename__ = "(\w+)"', module.read_text(encoding="utf-8")))
    if name in tables:
        raise UsageError(f"domain name '{name}' is taken: a table of the project has that name")
    if list((path / "migrations" / "versions").glob(f"{AddMigration(name).revision}_*")):
        raise UsageError(f"domain name '{name}' is taken: a migration {name}_0001 exists")
    if _installed_in_project(path, name):
        raise UsageError(f"domain name '{name}' would shadow an installed module of that name")


def _installed_in_project(path: Path, name: str) -> bool:
    python = path / ".venv" / "bin" / "python"
    if not python.exists():
        return False
    probe = "import importlib.util, sys; print(importlib.util.find_spec(sys.argv[1]) is not None)"
    project = Project(path=path, slug="")
    done = run_command("name check", [python, "-c", probe, name], project, timeout=60)
    return done.output.strip().endswith("True")


def _with_reference(path: Path, spec: Field) -> dict[str, Any]:
    """The field's answer; a reference also records its domain's model and ownership."""
    recorded = spec.answer()
    if spec.type != "ref":
        return recorded
    target = added_domains(path).get(spec.ref)
    if target is None:
        known = ", ".join(added_domains(path)) or "none yet"
        raise UsageError(
            f"--field {spec.name}:ref:{spec.ref}: no domain added by `fastcel add domain` "
            f"is named {spec.ref!r} (added: {known})"
        )
    recorded["ref_model"] = target["domain_model"]
    recorded["ref_owned"] = bool(target["domain_owned"])
    return recorded


def render_domain(path: Path, answers: dict[str, Any], data: dict[str, Any], trusted: bool) -> None:
    """Render the domain template into `path` and add the domain to DOMAINS; undo both with
    git if either fails."""
    import copier

    src = str(answers["_src_path"])
    head = git.output(path, "rev-parse", "HEAD").strip()
    answers_file = domain_answers_file(data["domain_name"])
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Dirty template changes")
            copier.run_copy(
                str(Path(src).expanduser()),
                path,
                data=data,
                answers_file=answers_file,
                vcs_ref=str(answers["_commit"]),
                defaults=True,
                unsafe=trusted,
                quiet=True,
            )
        record_src(path / answers_file, src)
        register(path / "src" / str(answers["project_slug"]) / DOMAINS_MODULE, data["domain_name"])
    except BaseException as err:
        where = git.restore(path, head)
        if isinstance(err, KeyboardInterrupt):
            raise FastcelError(f"aborted: {where}") from None
        from copier.errors import UnsafeTemplateError

        if isinstance(err, UnsafeTemplateError):
            raise UsageError(f"{untrusted(src, err)}; {where}") from None
        if isinstance(err, FastcelError):
            err.message = f"{err.message}; {where}"
            raise
        if not isinstance(err, Exception):
            raise
        message = one_line(str(err)) or type(err).__name__
        raise FastcelError(f"rendering the domain failed: {message}; {where}") from err


def record_src(answers_file: Path, src: str) -> None:
    """Record the template as the project does (`~/...` for the store), not as expanded."""
    text = answers_file.read_text(encoding="utf-8")
    line = f"_src_path: {src}"
    answers_file.write_text(re.sub(r"(?m)^_src_path: .*$", lambda _: line, text), encoding="utf-8")


def register(domains_module: Path, name: str) -> None:
    """Add `name` to the DOMAINS tuple of domains.py, one name per line."""
    text = domains_module.read_text(encoding="utf-8")
    tree = ast.parse(text)
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "DOMAINS" for t in node.targets)
            and isinstance(node.value, ast.Tuple)
            and all(isinstance(e, ast.Constant) for e in node.value.elts)
        ):
            value = node.value
            break
    else:
        raise FastcelError(
            f"{domains_module} holds no DOMAINS = (...) tuple of names: add {name!r} to "
            "the project's domains by hand"
        )
    names = [str(e.value) for e in value.elts if isinstance(e, ast.Constant)] + [name]
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: value.lineno - 1]) + value.col_offset
    assert value.end_lineno is not None and value.end_col_offset is not None
    end = sum(len(line) for line in lines[: value.end_lineno - 1]) + value.end_col_offset
    listed = "".join(f'    "{n}",\n' for n in names)
    domains_module.write_text(text[:start] + f"(\n{listed})" + text[end:], encoding="utf-8")


def trusted(request: DomainRequest, answers: dict[str, Any]) -> bool:
    """Whether the project's template may run its code here (its own, or --trust)."""
    return request.trust or is_trusted(str(answers["_src_path"]))


def domain_steps(request: DomainRequest, project: Project) -> list[Step]:
    """What follows the render: a .venv if there is none, migrations, the new tests."""
    plan: list[Step] = [] if project.bin("python").exists() else [CreateVenv()]
    return [
        *plan,
        ProbeServices(),
        Migrate(),
        AddMigration(request.name),
        RunTests(f"tests/{request.name}"),
    ]


def add_domain(request: DomainRequest) -> tuple[Added, dict[str, Any]]:
    """Check, then render and register the domain (in a copy of the project with pretend)."""
    answers, data = plan_domain(request)
    path = request.path.expanduser().absolute()
    if not request.pretend:
        render_domain(path, answers, data, trusted(request, answers))
        return Added(path, request.name, changed_files(path)), answers
    with tempfile.TemporaryDirectory(prefix="fastcel-pretend-") as scratch:
        copy = Path(scratch) / path.name
        shutil.copytree(path, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
        render_domain(copy, answers, data, trusted(request, answers))
        return Added(path, request.name, changed_files(copy)), answers


def run(request: DomainRequest, report: Reporter) -> None:
    """`fastcel add domain`: check, render, register; then migrate and test."""
    start = time.monotonic()
    label = "Previewing the domain" if request.pretend else "Rendering the domain"
    with report.running(label):
        added, answers = add_domain(request)
    title = "add domain (pretend)" if request.pretend else "add domain"
    report.done(title, time.monotonic() - start, f"{request.name} in {added.path}")
    report.changes(added.changes, "would be added" if request.pretend else "added")
    if request.pretend:
        report.say("Nothing was written.")
        return
    project = Project.from_answers(added.path, answers)
    if request.setup and not trusted(request, answers):
        report.warn(
            f"migration and tests not run: they would run the template's code; {UNTRUSTED_HINT}"
        )
    elif request.setup:
        try:
            run_steps(project, domain_steps(request, project), report)
        except StepFailed as err:
            err.note = (
                f"The domain's files stay uncommitted in {added.path}. To undo them: "
                "`alembic downgrade -1` if the migration was applied, then "
                "`git reset --hard && git clean -fd`."
            )
            raise
    report.panel(
        "Next steps",
        [
            "git status && git diff   # review",
            f'git add -A && git commit -m "Add the {request.name} domain"',
        ],
    )
