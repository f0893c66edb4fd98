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
# The health command's checks that decide the profile.
SERVICES = ("database", "broker", "result_backend")


class ProbeServices(Step):
    """The services of the project's settings, or the embedded profile when they fail."""

    title = "services"

    def __init__(self, record_profile: bool = False) -> None:
        self.record_profile = record_profile  # write the fallback to .env

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        if project.embedded:
            self.usable(project, "APP_PROFILE=embedded")
            return Finding(f"APP_PROFILE=embedded: {EMBEDDED_NOTE}")
        failing = self.unusable(project)
        if not failing:
            return Finding("database, broker and result backend reachable")
        self.usable(project.with_env({"APP_PROFILE": "embedded"}), "embedded profile")
        detail = f"{', '.join(failing)} unreachable: using the {EMBEDDED_NOTE}"
        if self.record_profile and (project.path / ".env").is_file():
            set_profile(project, "embedded")
            detail += ", APP_PROFILE=embedded in .env"
        return Finding(detail, notice=True, env={"APP_PROFILE": "embedded"})

    def unusable(self, project: Project) -> list[str]:
        """The services that the project's health command finds unusable.

        Its other checks (the outbox, say, whose table the migrations make) are readiness's
        business, not the profile's.
        """
        cmd = [project.bin("python"), "-m", f"{project.slug}.health"]
        done = run_command(self.title, cmd, project, timeout=HEALTH_TIMEOUT, check=False)
        if done.returncode == 0:
            return []
        checks = dict(re.findall(r"^(\w+): (.*)$", done.output, flags=re.MULTILINE))
        if "Traceback (most recent call last)" in done.output or not checks:
            raise StepFailed(self.title, display(cmd, project.path), tail(done.output))
        return [name for name in SERVICES if checks.get(name, "").strip() != "ok"]

    def usable(self, project: Project, profile: str) -> None:
        """Raise StepFailed unless every service of `profile` answers."""
        if failing := self.unusable(project):
            cmd = [project.bin("python"), "-m", f"{project.slug}.health"]
            raise StepFailed(
                f"{self.title} ({profile})",
                display(cmd, project.path),
                f"{', '.join(failing)} unusable on the {profile}",
                project.rerun_hint(cmd),
            )


def set_profile(project: Project, profile: str) -> None:
    """Write APP_PROFILE to the project's .env, keeping the file private."""
    path = project.path / ".env"
    mode = path.stat().st_mode & 0o777
    dotenv.set_key(path, "APP_PROFILE", profile, quote_mode="never")
    path.chmod(mode)
