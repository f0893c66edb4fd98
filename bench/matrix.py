"""Wall time of the option matrix: the static and the runtime parts, one run each.

Each part takes minutes, so it runs once (not a median) and only with `--matrix` or
`--only matrix`: `python -m pytest -q -p no:cacheprovider -n 2 tests/test_matrix_<part>.py`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable

from bench.project import ROOT
from bench.stats import fmt_ratio, fmt_seconds, ratio, table

PARTS = ("static", "runtime")
TIMEOUT = 1800


def run_part(part: str) -> tuple[float, int, str]:
    """(wall seconds, exit code, pytest's summary line) of one part."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    command.append(f"tests/test_matrix_{part}.py")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, f"timed out after {TIMEOUT} s"
    seconds = time.perf_counter() - start
    lines = [ln for ln in done.stdout.splitlines() if re.search(r"\b(passed|failed|error)", ln)]
    summary = lines[-1].strip("= ") if lines else "no summary"
    failing = re.findall(r"^(?:FAILED|ERROR) \S+::(\S+)", done.stdout, flags=re.MULTILINE)
    if failing:
        summary += f" ({', '.join(failing[:6])}{', ...' if len(failing) > 6 else ''})"
    return seconds, done.returncode, summary


def run(log: Callable = print) -> str:
    """The matrix section: both parts' wall time, and runtime / static."""
    results = {}
    for part in PARTS:
        results[part] = run_part(part)
        log(f"matrix: {part} done")
    static = results["static"][0]
    rows = [
        [
            f"`pytest -n 2 tests/test_matrix_{part}.py`",
            fmt_seconds(seconds),
            fmt_ratio(ratio(seconds, static)),
            f"exit {code}: {summary}",
        ]
        for part, (seconds, code, summary) in results.items()
    ]
    note = "One run each (minutes long); ratio = time / static part's time."
    return "\n".join([note, "", table(["part", "wall time", "ratio to static", "outcome"], rows)])
