"""Step: make the project a git repository with one first commit (`fastcel update` needs it)."""

from __future__ import annotations

from ..git import git, require_git
from .base import Finding, Project, Step


class CommitProject(Step):
    """`git init` and the first commit, made as the project's author when git knows nobody."""

    title = "git init + first commit"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        require_git()
        where = project.path
        git(where, "-c", "init.defaultBranch=main", "init", "-q")
        identity: list[str] = []
        for key, value in (
            ("user.name", project.author_name or "fastcel"),
            ("user.email", project.author_email or "fastcel@localhost"),
        ):
            if not git(where, "config", key, check=False).stdout.strip():
                identity += ["-c", f"{key}={value}"]
        git(where, "add", "-A")
        commit = [*identity, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify"]
        git(where, *commit, "-m", "Initial commit from fastcel")
        head = git(where, "rev-parse", "--short", "HEAD").stdout.strip()
        return Finding(f"commit {head}")
