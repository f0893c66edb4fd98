"""CPU time of a process and its descendants, from /proc (Linux)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time one process has used so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The process ids below `pid` (children, their children, ...)."""
    found = []
    pending = [pid]
    while pending:
        current = pending.pop()
        children: list[int] = []
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                children += [int(c) for c in (task / "children").read_text().split()]
        found += children
        pending += children
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and of its living descendants (a prefork pool's children too)."""
    return sum(cpu_seconds(p) for p in [pid, *descendants(pid)])
