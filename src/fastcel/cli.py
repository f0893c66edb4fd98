"""fastcel's commands: their arguments, options and help. The work is in the modules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .report import Reporter, reported

app = typer.Typer(
    name="fastcel",
    help="Generate a FastAPI + Celery service that works from the first minute, "
    "and keep it updatable.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def stdin_is_tty() -> bool:
    """Tell whether someone can answer prompts on standard input."""
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
            metavar="DIR",
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
    from .new import NewRequest, create

    request = NewRequest(
        name=name,
        dest=dest,
        defaults=defaults,
        data=data or [],
        data_file=data_file,
        template=template,
        vcs_ref=vcs_ref,
        trust=trust,
        python=python,
        setup=not no_setup,
        smoke=not no_smoke,
    )
    report = Reporter()
    with reported(report):
        create(request, report, can_prompt=stdin_is_tty())


@app.command()
def update(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="The project to update (a clean git work tree).",
            show_default=False,
        ),
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

    report = Reporter()
    with reported(report):
        updating.run(
            path,
            report,
            vcs_ref=vcs_ref,
            defaults=defaults,
            pretend=pretend,
            trust=trust,
            can_prompt=stdin_is_tty(),
        )


add_app = typer.Typer(
    name="add",
    help="Add to a generated project what a team adds from day two; it stays updatable.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
app.add_typer(add_app)


@add_app.command("domain")
def add_domain(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The domain's package, table and URL, snake_case and plural, e.g. "
            "[bold]orders[/bold] (/orders, class Order).",
            show_default=False,
        ),
    ],
    fields: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-f",
            metavar="NAME:TYPE",
            help="A field, repeatable: TYPE is str, text, int, decimal, bool, date, datetime, "
            "uuid, email or ref:DOMAIN; [bold]?[/bold] after it makes it nullable, "
            "[bold]:unique[/bold] unique. E.g. -f title:str:unique -f 'due:date?' "
            "-f customer_id:ref:customers",
            show_default=False,
        ),
    ] = None,
    owned: Annotated[
        bool,
        typer.Option(
            "--owned/--shared",
            help="Owned: each user sees only the rows they created. Shared: every user reads "
            "every row; its owner (or a superuser) changes it.",
        ),
    ] = True,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="CLASS",
            help="The model's class name. Default: NAME in singular CamelCase.",
            show_default=False,
        ),
    ] = None,
    path: Annotated[
        Path,
        typer.Option("--path", metavar="DIR", help="The project (a clean git work tree)."),
    ] = Path("."),
    pretend: Annotated[
        bool,
        typer.Option("--pretend", help="Show the files it would add, write nothing."),
    ] = False,
    no_setup: Annotated[
        bool,
        typer.Option("--no-setup", help="Only render and register: no migration, no test run."),
    ] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="For a project of a template other than fastcel's own: let it run its tasks, "
            "and run the migration and test steps, which run its code.",
        ),
    ] = False,
) -> None:
    """Add a domain: models, schemas, service, CRUD routes, tasks module, migration and tests.

    Registered in domains.py; its migration is autogenerated and applied, then its tests run.
    [bold]fastcel update[/bold] updates it with the project.
    """
    from .add import DomainRequest, run

    request = DomainRequest(
        path=path,
        name=name,
        fields=fields or [],
        owned=owned,
        model=model,
        pretend=pretend,
        setup=not no_setup,
        trust=trust,
    )
    report = Reporter()
    with reported(report):
        run(request, report)


@add_app.command("task")
def add_task(
    domain: Annotated[
        str,
        typer.Argument(
            metavar="DOMAIN",
            help="A domain that [bold]fastcel add domain[/bold] wrote, e.g. orders.",
            show_default=False,
        ),
    ],
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The task's function name, snake_case, e.g. [bold]recount[/bold] "
            "(route POST /DOMAIN/tasks/recount).",
            show_default=False,
        ),
    ],
    queue: Annotated[
        str,
        typer.Option(
            "--queue",
            "-q",
            metavar="LANE",
            help="The lane it runs on: default, high or low (queues CELERY_QUEUE, .high, .low).",
        ),
    ] = "default",
    periodic: Annotated[
        str | None,
        typer.Option(
            "--periodic",
            metavar="CRON",
            help="Also send it with Celery beat on this schedule (five fields, e.g. "
            "'*/15 * * * *'); only for projects that run beat.",
            show_default=False,
        ),
    ] = None,
    path: Annotated[
        Path,
        typer.Option("--path", metavar="DIR", help="The project (a clean git work tree)."),
    ] = Path("."),
    pretend: Annotated[
        bool,
        typer.Option("--pretend", help="Show the files it would change, write nothing."),
    ] = False,
    no_setup: Annotated[
        bool,
        typer.Option("--no-setup", help="Only render: do not run the domain's tests."),
    ] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="For a project of a template other than fastcel's own: let it run its tasks, "
            "and run the test step, which runs its code.",
        ),
    ] = False,
) -> None:
    """Add a Celery task to a domain, with its route, lane, beat entry and test.

    The task (retries, time limits) goes in the domain's tasks.py, a route that starts it for
    the caller in its router.py, its lane (and with --periodic its beat entry) in its
    queues.py, and a test that runs it through a worker in tests/DOMAIN/test_tasks.py.
    Recorded in the domain's answers: [bold]fastcel update[/bold] updates it with the domain.
    """
    from .add_task import TaskRequest, run

    request = TaskRequest(
        path=path,
        domain=domain,
        name=name,
        queue=queue,
        periodic=periodic,
        pretend=pretend,
        setup=not no_setup,
        trust=trust,
    )
    report = Reporter()
    with reported(report):
        run(request, report)


@app.command()
def templates() -> None:
    """List the template versions this machine can update projects to.

    An installed fastcel adds its own template to the store (a git repository,
    [bold]~/.local/share/fastcel/template[/bold]) so that `copier update` in a project it
    made can reach the newer version. A source checkout renders from itself.
    """
    from .store import describe

    report = Reporter()
    with reported(report):
        for line in describe():
            report.say(line)
