"""Step: find out which profile the project can run with here.

The project's own health check (`python -m <slug>.health`) asks the database, the broker and
the result backend of its settings. When one does not answer, the embedded profile (SQLite,
a filesystem broker) is checked instead and returned for the following steps; `fastcel new`
also writes it to `.env`, so that the project's first commands run the same way.
"""

from __future__ import annotations

import re

import dotenv

from ..errors import StepFailed
from ..process import display, tail
from .base import Finding, Project, Step, run_command

EMBEDDED_NOTE = "embedded profile (SQLite, filesystem broker)"
HEALTH_TIMEOUT = 60


class ProbeServices(Step):
    """The services of the project's settings, or the embedded profile when they fail."""

    title = "services"

    def __init__(self, record_profile: bool = False) -> None:
        self.record_profile = record_profile  # write the fallback to .env

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        cmd = [project.bin("python"), "-m", f"{project.slug}.health"]
        if project.embedded:
            run_command(self.title, cmd, project, timeout=HEALTH_TIMEOUT)
            return Finding(f"APP_PROFILE=embedded: {EMBEDDED_NOTE}")
        done = run_command(self.title, cmd, project, timeout=HEALTH_TIMEOUT, check=False)
        if done.returncode == 0:
            return Finding("database, broker and result backend reachable")
        if "Traceback (most recent call last)" in done.output:
            raise StepFailed(self.title, display(cmd, project.path), tail(done.output))
        checks = re.findall(r"^(\w+): (.*)$", done.output, flags=re.MULTILINE)
        failing = [name for name, outcome in checks if outcome.strip() != "ok"]
        embedded = project.with_env({"APP_PROFILE": "embedded"})
        run_command(f"{self.title} (embedded profile)", cmd, embedded, timeout=HEALTH_TIMEOUT)
        names = ", ".join(dict.fromkeys(failing)) or "services"
        detail = f"{names} unreachable: using the {EMBEDDED_NOTE}"
        if self.record_profile and (project.path / ".env").is_file():
            set_profile(project, "embedded")
            detail += ", APP_PROFILE=embedded in .env"
        return Finding(detail, notice=True, env={"APP_PROFILE": "embedded"})


def set_profile(project: Project, profile: str) -> None:
    """Write APP_PROFILE to the project's .env, keeping the file private."""
    path = project.path / ".env"
    mode = path.stat().st_mode & 0o777
    dotenv.set_key(path, "APP_PROFILE", profile, quote_mode="never")
    path.chmod(mode)
