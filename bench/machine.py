"""What the tables were measured on: date, cores, memory, CPU, load, Pythons, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.project import ROOT


def memory_gib(meminfo: str | None = None) -> float:
    """MemTotal of /proc/meminfo in GiB (0.0 when unknown)."""
    if meminfo is None:
        try:
            meminfo = Path("/proc/meminfo").read_text()
        except OSError:
            return 0.0
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def commit() -> str:
    """HEAD's short hash, with `+uncommitted template changes` when template/ is dirty."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "copier.yml", "template")
    return head + (" + uncommitted template changes" if dirty else "")


def header(runs: int, project_python: str) -> str:
    """The Markdown heading of the report."""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# fastcel benchmarks",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores, {memory_gib():.1f} GiB memory, {cpu_model()}",
        f"- load average at start (1/5/15 min): {load}",
        f"- Python: {platform.python_version()} (bench), {project_python} (generated project)",
        f"- fastcel: {commit()}",
        f"- runs: median of {runs} after a warm-up"
        + (" (below 5: indicative only)" if runs < 5 else ""),
    ]
    return "\n".join(lines)


def python_version_of(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout.strip() or "unknown"
