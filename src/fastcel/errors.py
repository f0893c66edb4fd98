"""Errors that end a fastcel command with one message for the user.

The CLI catches `FastcelError` at a single boundary, prints the message as one
red line and exits with `exit_code`: 2 for bad input (nothing was written),
1 for a failure while working.
"""

from __future__ import annotations

# What to do about set-up steps that were not run because they would run a template's code.
UNTRUSTED_HINT = "read it, then run them yourself, or pass --trust next time"


class FastcelError(Exception):
    """Stop the command and show `message` to the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(FastcelError):
    """Bad input: an invalid argument, option value or destination."""

    exit_code = 2


class StepFailed(FastcelError):
    """A post-generation step failed.

    Carries the command that failed, the tail of its output and how to rerun
    it, so the user can pick up from there.
    """

    exit_code = 1

    def __init__(self, step: str, command: str, tail: str = "", rerun: str = "") -> None:
        super().__init__(f"{step} failed: {command}")
        self.step = step
        self.command = command
        self.tail = tail
        self.rerun = rerun
        self.note = ""  # a closing remark, e.g. where the generated files stay


class ConflictsFound(FastcelError):
    """`copier update` left merge conflicts in the project."""

    exit_code = 1

    def __init__(self, files: list[str], command: str = "update") -> None:
        super().__init__(
            f"{command} left conflicts in {len(files)} file(s): {', '.join(files)}; "
            "resolve the <<<<<<< markers, then commit"
        )
        self.files = files
