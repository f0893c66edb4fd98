"""What `fastcel add task` is asked for: the task's name, lane and schedule, checked.

Every check here is about the words the user typed; `add_task.py` checks them against the
project. Each refusal is one line, before anything is written.
"""

from __future__ import annotations

import builtins
import keyword
import re

from .errors import UsageError

LANES = ("default", "high", "low")
NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")
# Celery's crontab fields, in the order of a crontab line, and the numbers each allows.
CRON_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)
CRON_PART = re.compile(r"(?:\*|(\d+)(?:-(\d+))?)(?:/(\d+))?")


def check_task_name(name: str) -> str:
    """The task's function name, or UsageError."""
    if not NAME.fullmatch(name):
        raise UsageError(
            f"task name {name!r} must be a lowercase letter, then at most 29 lowercase "
            "letters, digits or '_' (e.g. recount)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UsageError(f"task name {name!r} is a Python keyword")
    if hasattr(builtins, name):
        raise UsageError(f"task name {name!r} would shadow Python's built-in {name}()")
    return name


def check_lane(lane: str) -> str:
    """The lane (`--queue`), or UsageError."""
    if lane not in LANES:
        raise UsageError(f"--queue {lane!r}: choose one of {', '.join(LANES)}")
    return lane


def check_cron(expression: str) -> str:
    """A five-field cron expression (numbers, *, ranges, lists, steps), normalised to single
    spaces; UsageError naming the field that is wrong."""
    parts = expression.split()
    example = "e.g. '*/15 * * * *' or '0 6 * * 1-5'"
    if len(parts) != len(CRON_FIELDS):
        raise UsageError(
            f"--periodic {expression!r}: a cron expression has 5 fields (minute hour "
            f"day-of-month month day-of-week), {example}"
        )
    for part, (field, low, high) in zip(parts, CRON_FIELDS, strict=True):
        for item in part.split(","):
            match = CRON_PART.fullmatch(item)
            if match is None:
                raise UsageError(
                    f"--periodic {expression!r}: {field} {item!r} is not *, N, N-M or a step "
                    f"(*/N, N-M/N), {example}"
                )
            start, end, step = (int(g) if g is not None else None for g in match.groups())
            numbers = [n for n in (start, end) if n is not None]
            if any(not low <= n <= high for n in numbers):
                raise UsageError(
                    f"--periodic {expression!r}: {field} {item!r} is outside {low}-{high}"
                )
            if start is not None and end is not None and end < start:
                raise UsageError(
                    f"--periodic {expression!r}: {field} {item!r} ends before it starts"
                )
            if step is not None and not 1 <= step <= high:
                raise UsageError(
                    f"--periodic {expression!r}: {field} step {step} is outside 1-{high}"
                )
    return " ".join(parts)
