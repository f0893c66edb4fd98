"""Step: prepare the project's database (migrations, first superuser) with its prestart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import dotenv

from ..errors import StepFailed
from .base import Finding, Project, Step, run_command

SECRET_VARIABLES = ("FIRST_SUPERUSER_PASSWORD",)


def secrets_of(project: Project) -> list[str]:
    """Values never to print: the first superuser's password (environment, then .env)."""
    values = [project.environ().get(name, "") for name in SECRET_VARIABLES]
    env_file = project.path / ".env"
    if env_file.is_file():
        recorded = dotenv.dotenv_values(env_file)
        values += [recorded.get(name) or "" for name in SECRET_VARIABLES]
    return [value for value in values if len(value) >= 4]


def redact(text: str, hidden: Sequence[str]) -> str:
    """`text` with every hidden value replaced by ***."""
    for value in hidden:
        text = text.replace(value, "***")
    return text


class Migrate(Step):
    """`python -m <slug>.prestart`: wait for the database, `alembic upgrade head`, create the
    first superuser unless it exists; then `alembic upgrade head` for a project of an older
    template version, whose prestart only waited."""

    title = "migrations"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        hidden = secrets_of(project)
        output = ""
        prestart = [project.bin("python"), "-m", f"{project.slug}.prestart"]
        for cmd in (prestart, [project.bin("alembic"), "upgrade", "head"]):
            try:
                output += run_command(self.title, cmd, project).output
            except StepFailed as err:
                err.tail = redact(err.tail, hidden)
                raise
        output = redact(output, hidden)
        applied = len(re.findall(r"Running upgrade ", output))
        done = f"{applied} migration(s) applied" if applied else "no migration to apply"
        # The prestart's last line: "Migrations applied; superuser x created" (or "... exists").
        last = re.findall(r"Migrations applied; (.+)$", output, flags=re.MULTILINE)
        return Finding(
            f"{project.slug}.prestart: {done}" + (f", {last[-1].strip()}" if last else "")
        )


class AddMigration(Step):
    """`alembic revision --autogenerate` for a new domain's table, formatted with the project's
    ruff; then `alembic upgrade head`, and `alembic check` finds nothing left to migrate."""

    title = "migration"

    def __init__(self, table: str) -> None:
        self.table = table

    @property
    def revision(self) -> str:
        """The new migration's revision id (its file starts with it)."""
        return f"{self.table}_0001"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        alembic = project.bin("alembic")
        message = f"create {self.table}"
        made = run_command(
            self.title,
            [alembic, "revision", "--autogenerate", "--rev-id", self.revision, "-m", message],
            project,
        ).output
        # Alembic's "Detected added table 'x'" (and index, constraint) lines; its notes on
        # sequences ("Detected sequence named ...") are not changes.
        detected = re.findall(r"Detected (?!sequence named)(.+)$", made, flags=re.MULTILINE)
        others = [line for line in detected if self.table not in line]
        files = sorted((project.path / "migrations" / "versions").glob(f"{self.revision}_*.py"))
        if others or not files:
            raise StepFailed(
                self.title,
                "alembic revision --autogenerate",
                "\n".join(others) or "no migration file was written",
                "the models and the migrations differ beyond the new table: "
                "run `alembic check` to see how",
            )
        written = [str(path.relative_to(project.path)) for path in files]
        ruff = project.bin("ruff")
        if ruff.exists():
            run_command(self.title, [ruff, "format", "--quiet", *written], project)
            run_command(self.title, [ruff, "check", "--fix", "--quiet", *written], project)
        run_command(self.title, [alembic, "upgrade", "head"], project)
        run_command(self.title, [alembic, "check"], project)
        return Finding(f"{Path(written[0]).name} applied; alembic check: nothing left")
