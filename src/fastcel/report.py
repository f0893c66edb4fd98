"""Everything fastcel prints: step lines, warnings, panels, changed files, errors.

One Reporter per command. Errors end a command at one boundary (`reported`): a FastcelError
becomes one red line and its exit code, a failed step also shows the tail of its output and
how to rerun it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .errors import FastcelError, StepFailed
from .steps import StepResult

MAX_LISTED = 25
CHANGE_STYLES = {"conflict": "bold red", "added": "green", "deleted": "red"}


class Change(Protocol):
    """A changed file, as `fastcel update` lists it."""

    status: str
    path: str


class Reporter:
    """Prints to standard output (progress, results) and standard error (warnings, errors)."""

    def __init__(self) -> None:
        self.out = Console(highlight=False)
        self.err = Console(stderr=True, highlight=False)
        self.quiet_spinner = False  # no spinner while Copier prompts on the same lines

    def running(self, title: str) -> AbstractContextManager[object]:
        """A spinner saying what runs, for the length of a `with` block."""
        if self.quiet_spinner:
            return nullcontext()
        return self.out.status(f"{title}…")

    def step(self, result: StepResult) -> None:
        """✓ title  duration  detail (or ✗ title)."""
        line = Text()
        line.append("✓ " if result.ok else "✗ ", style="bold green" if result.ok else "bold red")
        line.append(result.title)
        if result.finding is not None:
            line.append(f"  {result.duration:.1f}s", style="dim")
            if result.finding.detail:
                style = "yellow" if result.finding.notice else "dim"
                line.append(f"  {result.finding.detail}", style=style)
        self.out.print(line, soft_wrap=True)
        for advice in result.finding.advice if result.finding else ():
            self.out.print(Text(f"    {advice}"), soft_wrap=True)

    def done(self, title: str, duration: float | None, detail: str) -> None:
        """A ✓ line for work that is not a step object (rendering, copier update); no
        duration when it includes the user's time at prompts."""
        line = Text()
        line.append("✓ ", style="bold green")
        line.append(title)
        if duration is not None:
            line.append(f"  {duration:.1f}s", style="dim")
        line.append(f"  {detail}", style="dim")
        self.out.print(line, soft_wrap=True)

    def say(self, message: str) -> None:
        """A plain line of output."""
        self.out.print(message, soft_wrap=True)

    def warn(self, message: str) -> None:
        """A yellow "Warning: ..." line on standard error."""
        self.err.print(Text(f"Warning: {message}", style="yellow"), soft_wrap=True)

    def panel(self, title: str, lines: Sequence[str]) -> None:
        """A framed block of lines, e.g. the commands to type next."""
        self.out.print(Panel(Text("\n".join(lines)), title=title, expand=False))

    def changes(self, changes: Sequence[Change], verb: str) -> None:
        """How many files changed, and the first MAX_LISTED of them."""
        if not changes:
            return
        table = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
        for change in changes[:MAX_LISTED]:
            style = CHANGE_STYLES.get(change.status, "yellow")
            table.add_row(Text(change.status, style=style), change.path)
        self.out.print(f"{len(changes)} file(s) {verb}:")
        self.out.print(table)
        if len(changes) > MAX_LISTED:
            self.out.print(f"  … and {len(changes) - MAX_LISTED} more (git status shows all)")

    def error(self, err: FastcelError) -> None:
        """The red error line; for a failed step also its output's tail and the rerun line."""
        if isinstance(err, StepFailed):
            self.err.print(Text(f"Error: {err.message}", style="bold red"), soft_wrap=True)
            rerun = f"Rerun: {err.rerun}" if err.rerun else ""
            for text, style in ((err.tail, "dim"), (rerun, ""), (err.note, "dim")):
                if text:
                    self.err.print(Text(text, style=style), soft_wrap=True)
            return
        message = " ".join(err.message.split())  # one line, whatever the message holds
        self.err.print(Text(f"Error: {message}", style="bold red"), soft_wrap=True)


@contextmanager
def reported(reporter: Reporter) -> Iterator[None]:
    """The one exception boundary: a FastcelError is reported and becomes its exit code."""
    try:
        yield
    except FastcelError as err:
        reporter.error(err)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        reporter.err.print(Text("Aborted.", style="bold red"))
        raise typer.Exit(130) from None
