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


# `revision: str = "0007"` and `down_revision: str | None = "0006"`, as Alembic writes them.
REVISION_LINE = re.compile(r"""^(?P<key>(?:down_)?revision)\b[^=\n]*=\s*["'](?P<id>[^"']+)["']""")


def revision_ids(migration: Path) -> tuple[str, str | None]:
    """A migration file's revision and the one it follows (None for the first)."""
    found: dict[str, str] = {}
    for line in migration.read_text(encoding="utf-8").splitlines():
        match = REVISION_LINE.match(line)
        if match:
            found.setdefault(match["key"], match["id"])
    return found["revision"], found.get("down_revision")


class LinkMigrations(Step):
    """Keep one line of migrations after an update. A migration the template added and one of
    a domain `fastcel add domain` added may both follow the same revision (two `alembic heads`):
    then the first new one is moved after the project's previous head. None of the new ones
    has run on any database yet, so every database still finds its revision in the line."""

    title = "migration history"

    def __init__(self, new: Sequence[str]) -> None:
        self.new = list(new)

    def heads(self, project: Project) -> list[str]:
        """What `alembic heads` names."""
        out = run_command(self.title, [project.bin("alembic"), "heads"], project).output
        return [line.split()[0] for line in out.splitlines() if "(head)" in line]

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        heads = self.heads(project)
        if len(heads) <= 1:
            return Finding(f"one head ({', '.join(heads) or 'none'})")
        found = {name: revision_ids(project.path / name) for name in self.new}
        new_ids = {revision for revision, _ in found.values()}
        before = [head for head in heads if head not in new_ids]
        first = [name for name, (_, down) in found.items() if down not in new_ids]
        if len(before) != 1 or len(first) != 1:
            raise StepFailed(
                self.title,
                "alembic heads",
                " ".join(heads),
                "the migrations have several heads: join them with `alembic merge heads`",
            )
        migration = project.path / first[0]
        revision, down = found[first[0]]
        text = migration.read_text(encoding="utf-8")
        text = re.sub(
            rf"""(?m)^(down_revision\b[^=\n]*=\s*)["']{re.escape(str(down))}["']""",
            lambda m: f'{m[1]}"{before[0]}"',
            text,
            count=1,
        )
        text = re.sub(rf"(?m)^Revises: {re.escape(str(down))}$", f"Revises: {before[0]}", text)
        migration.write_text(text, encoding="utf-8")
        left = self.heads(project)
        if len(left) != 1:
            raise StepFailed(
                self.title,
                "alembic heads",
                " ".join(left),
                "the migrations still have several heads: join them with `alembic merge heads`",
            )
        return Finding(f"{revision} now follows {before[0]}: one head")
