"""Step: run the tests of what `fastcel add` wrote, against the project's services."""

from __future__ import annotations

import re

from .base import Finding, Project, Step, run_command

TESTS_TIMEOUT = 900


class RunTests(Step):
    """`python -m pytest PATHS` in the project: what was added works at once."""

    title = "tests"

    def __init__(self, *paths: str) -> None:
        self.paths = paths

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        cmd = [project.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *self.paths]
        done = run_command(self.title, cmd, project, timeout=TESTS_TIMEOUT)
        summary = re.findall(r"^=* ?(\d+ passed.*?) ?=*$", done.output, flags=re.MULTILINE)
        return Finding(f"{' '.join(self.paths)}: {summary[-1] if summary else 'passed'}")
