"""fastcel's command line: parse arguments, call the modules that work, report."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from .errors import ConflictsFound, FastcelError, StepFailed, UsageError

app = typer.Typer(
    name="fastcel",
    help="Generate a FastAPI + Celery service that works from the first minute, "
    "and keep it updatable.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def _out() -> Console:
    return Console(highlight=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


@contextmanager
def reported() -> Iterator[None]:
    """The one exception boundary: a FastcelError becomes one red line and an exit code."""
    try:
        yield
    except StepFailed as err:
        console = _err()
        console.print(Text(f"Error: {err.message}", style="bold red"), soft_wrap=True)
        if err.tail:
            console.print(Text(err.tail, style="dim"), soft_wrap=True)
        if err.rerun:
            console.print(Text(f"Rerun: {err.rerun}"), soft_wrap=True)
        if err.note:
            console.print(Text(err.note, style="dim"), soft_wrap=True)
        raise typer.Exit(err.exit_code) from None
    except FastcelError as err:
        message = " ".join(err.message.split())  # one line, whatever the message holds
        _err().print(Text(f"Error: {message}", style="bold red"), soft_wrap=True)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        _err().print(Text("Aborted.", style="bold red"))
        raise typer.Exit(130) from None


def stdin_is_tty() -> bool:
    stdin = sys.stdin
    try:
        return stdin is not None and not stdin.closed and stdin.isatty()
    except (ValueError, OSError):
        return False


def _version_callback(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"fastcel {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show fastcel's version and exit.",
        ),
    ] = None,
) -> None:
    """Generate a FastAPI + Celery service that works from the first minute.

    [bold]fastcel new myproj[/bold] asks, renders, commits, installs, migrates and smoke-tests.
    """


def _step_line(
    console: Console, name: str, ok: bool, duration: float, detail: str, notice: bool = False
) -> None:
    line = Text()
    line.append("✓ " if ok else "✗ ", style="bold green" if ok else "bold red")
    line.append(name)
    if ok:
        line.append(f"  {duration:.1f}s", style="dim")
    if detail and ok:
        line.append(f"  {detail}", style="yellow" if notice else "dim")
    console.print(line, soft_wrap=True)


UNTRUSTED_HINT = "read it, then run them yourself, or pass --trust next time"
UNTRUSTED_SETUP = (
    "no set-up step ran (install, migrations, smoke test): they would run the template's "
    f"code; {UNTRUSTED_HINT}"
)


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Project name, e.g. [bold]acme-billing[/bold]: a letter, then letters, digits, "
            "'-', '_' or spaces. It names the directory and (unless --data project_name=...) "
            "the project; the Python package name is derived from it.",
            show_default=False,
        ),
    ],
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest",
            help="Directory to create the project in (must not exist or be empty). Default: ./NAME",
            show_default=False,
        ),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option(
            "--defaults",
            help="Never prompt: take the default of every question not given with --data.",
        ),
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Answer a question, e.g. [bold]-d broker=rabbitmq -d use_flower=false[/bold]; "
            "repeatable. Keys and values are checked against copier.yml.",
            show_default=False,
        ),
    ] = None,
    data_file: Annotated[
        Path | None,
        typer.Option(
            "--data-file",
            metavar="FILE",
            help="YAML file of answers (KEY: VALUE); --data wins over it.",
            show_default=False,
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="SRC",
            help="Template to render: a path or git URL. Default: the template shipped "
            "with fastcel.",
            show_default=False,
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref",
            metavar="REF",
            help="Git tag, branch or commit of the template to render. Default: the latest "
            "tag of a git template (HEAD of fastcel's own checkout).",
            show_default=False,
        ),
    ] = None,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Let a --template run its own tasks and Jinja extensions, and run the set-up "
            "steps, which run its code (only for templates you trust; the bundled one is "
            "always trusted).",
        ),
    ] = False,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            metavar="EXE",
            help="Interpreter for the project's .venv. Default: the newest Python on PATH "
            "(or in pyenv) that satisfies the project's python_version.",
            show_default=False,
        ),
    ] = None,
    no_setup: Annotated[
        bool,
        typer.Option(
            "--no-setup",
            help="Only render and commit: no .venv, no migrations, no smoke test.",
        ),
    ] = False,
    no_smoke: Annotated[
        bool,
        typer.Option("--no-smoke", help="Set up and migrate, but skip the smoke test."),
    ] = False,
) -> None:
    """Create a new project: render, [bold]git commit[/bold], install, migrate, smoke-test.

    The steps use the Postgres and broker set by the environment (DATABASE_URL, ...) or .env.

    When those are unreachable, they fall back to the embedded profile (SQLite, files as broker).
    """
    from . import answers, generate, steps
    from .template import rendering_source

    out = _out()
    with reported():
        src = generate.template_source(template)
        questions = answers.load_questions(Path(src), vcs_ref)
        answer_data = answers.resolve_answers(name, data or [], data_file, questions)
        target = (dest or Path(name)).expanduser().absolute()
        generate.check_destination(target)
        prompting = not defaults and answers.needs_prompt(answer_data, questions)
        if prompting and not stdin_is_tty():
            raise UsageError(
                "no terminal to ask questions on: pass --defaults (and --data KEY=VALUE) "
                "to run without prompts"
            )
        if shutil.which("git") is None:
            raise UsageError(
                "git is not on PATH: install git (fastcel commits the new project so that "
                "`fastcel update` works later)"
            )

        start = time.monotonic()
        source = rendering_source(template, vcs_ref, trust)
        if source.notice:
            _err().print(Text(f"Warning: {source.notice}", style="yellow"), soft_wrap=True)
        # No spinner while Copier prompts: both would draw on the same lines.
        with nullcontext() if prompting else out.status("Rendering the template…"):
            answered = generate.render_from(source, target, answer_data, defaults=not prompting)
        _step_line(out, "render", True, time.monotonic() - start, str(target))

        project = steps.Project.from_answers(target, answered, python=python)
        # Installing the project and running its modules runs the template's code, as its
        # tasks would: only for a template that Copier was allowed to trust.
        setup = not no_setup and source.trusted
        if not no_setup and not source.trusted:
            _err().print(Text(f"Warning: {UNTRUSTED_SETUP}", style="yellow"), soft_wrap=True)
        for func in steps.plan(setup=setup, smoke=not no_smoke):
            with out.status(f"{func.title}…"):  # type: ignore[attr-defined]
                result = func(project)
            _step_line(
                out,
                result.name,
                result.ok,
                result.duration,
                result.detail,
                notice=result.detail in project.notices,
            )
            if result.error is not None:
                result.error.note = f"The generated files stay in {target}."
                raise result.error

        lines = steps.next_steps(project, venv=setup)
        out.print(Panel(Text("\n".join(lines)), title="Next steps", expand=False))


@app.command()
def update(
    path: Annotated[
        Path,
        typer.Argument(help="The project to update (a clean git work tree).", show_default=False),
    ] = Path("."),
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref",
            metavar="REF",
            help="Template version to update to. Default: the template's latest tag.",
            show_default=False,
        ),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option(
            "--defaults",
            help="Never prompt: keep every previous answer (new questions take their default).",
        ),
    ] = False,
    pretend: Annotated[
        bool,
        typer.Option("--pretend", help="Show what would change, write nothing."),
    ] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Let the template run its tasks and Jinja extensions, and run the follow-up "
            "steps (install, migrations), which run its code.",
        ),
    ] = False,
) -> None:
    """Update a generated project to a newer template version, then migrate its database.

    Refuses uncommitted changes. Shows every changed file; conflicts stay inline
    ([bold]<<<<<<<[/bold]) and exit with 1. A failed update is rolled back to the last commit.
    """
    from . import update as updating

    out = _out()
    with reported():
        target = path.expanduser().absolute()
        updating.check_project(target)
        if not defaults and not stdin_is_tty():
            raise UsageError(
                "no terminal to ask questions on: pass --defaults to keep the previous answers"
            )
        start = time.monotonic()
        label = "Previewing the update…" if pretend else "Updating from the template…"
        # No spinner while Copier prompts: both would draw on the same lines.
        with nullcontext() if not defaults else out.status(label):
            result = updating.update(
                target, vcs_ref=vcs_ref, defaults=defaults, pretend=pretend, trust=trust
            )
        versions = f"{result.from_version} → {result.to_version}"
        if pretend:
            _step_line(out, "copier update (pretend)", True, time.monotonic() - start, versions)
            _print_changes(out, result.changes, "would change")
            if result.conflicts:
                out.print(Text(f"{len(result.conflicts)} file(s) would conflict", style="yellow"))
            out.print("Nothing was written.")
            return
        _step_line(out, "copier update", True, time.monotonic() - start, versions)
        _print_changes(out, result.changes, "changed")
        if result.conflicts:
            raise ConflictsFound(result.conflicts)
        project, todo = updating.follow_up(result)
        if todo and not result.trusted:
            names = ", ".join(func.title for func in todo)  # type: ignore[attr-defined]
            message = f"{names} not run: they would run the template's code; {UNTRUSTED_HINT}"
            _err().print(Text(f"Warning: {message}", style="yellow"), soft_wrap=True)
            todo = []
        for func in todo:
            with out.status(f"{func.title}…"):  # type: ignore[attr-defined]
                step_result = func(project)
            _step_line(
                out, step_result.name, step_result.ok, step_result.duration, step_result.detail
            )
            if step_result.error is not None:
                step_result.error.note = (
                    f"The update is applied in {target} but not committed; fix the cause, "
                    "rerun the step, then commit."
                )
                raise step_result.error
        if result.changes:
            lines = [
                "git status && git diff   # review",
                f'git add -A && git commit -m "Update template to {result.to_version}"',
            ]
            out.print(Panel(Text("\n".join(lines)), title="Next steps", expand=False))
        else:
            out.print("Already up to date: nothing changed.")


MAX_LISTED = 25


def _print_changes(console: Console, changes: list, verb: str) -> None:
    from rich.table import Table

    if not changes:
        return
    table = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
    styles = {"conflict": "bold red", "added": "green", "deleted": "red"}
    for change in changes[:MAX_LISTED]:
        table.add_row(Text(change.status, style=styles.get(change.status, "yellow")), change.path)
    console.print(f"{len(changes)} file(s) {verb}:")
    console.print(table)
    if len(changes) > MAX_LISTED:
        console.print(f"  … and {len(changes) - MAX_LISTED} more (git status shows all)")


@app.command()
def templates() -> None:
    """List the template versions this machine can update projects to.

    An installed fastcel adds its own template to the store (a git repository,
    [bold]~/.local/share/fastcel/template[/bold]) so that `copier update` in a project it
    made can reach the newer version. A source checkout renders from itself.
    """
    from . import store
    from .template import bundled_template, is_git_checkout, sync_store

    out = _out()
    with reported():
        bundled = bundled_template()
        if is_git_checkout(bundled):
            out.print(
                f"This fastcel runs from a checkout: projects record {bundled}.", soft_wrap=True
            )
        sync_store()
        held = store.tags()
        out.print(f"Template store: {store.store_path()}", soft_wrap=True)
        out.print(f"Versions: {', '.join(held) if held else 'none yet'}", soft_wrap=True)
