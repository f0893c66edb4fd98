"""The one way fastcel runs git: `git(cwd, *args)`.

A missing git is one clear line (UsageError), never a traceback; a failing command is a
FastcelError naming the command and git's own message, unless the caller asks to look at
the exit code itself (`check=False`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .errors import FastcelError, UsageError

TIMEOUT_SECONDS = 120
MISSING = (
    "git is not on PATH: install git (fastcel commits each project so that "
    "`fastcel update` can merge template changes into it later)"
)


def require_git() -> str:
    """The git executable; UsageError when there is none."""
    found = shutil.which("git")
    if found is None:
        raise UsageError(MISSING)
    return found


def git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd` without standard input; `env` is added to this process's."""
    try:
        done = subprocess.run(
            [require_git(), *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        raise FastcelError(
            f"git {' '.join(args[:2])} in {cwd} took over {TIMEOUT_SECONDS}s"
        ) from None
    if check and done.returncode != 0:
        detail = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        raise FastcelError(f"git {' '.join(args[:2])} failed in {cwd}: {detail}")
    return done


def output(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """The standard output of a git command that must succeed."""
    return git(cwd, *args, env=env).stdout


def is_checkout(path: Path) -> bool:
    """Tell whether `path` is the root of a git working tree."""
    return (path / ".git").exists()


def head_commit(path: Path) -> str | None:
    """The full id of HEAD, or None when the repository has no commit."""
    done = git(path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    return done.stdout.strip() or None


def changed_paths(path: Path, *pathspecs: str) -> list[str]:
    """Files under `pathspecs` that differ from HEAD, untracked ones included."""
    done = output(path, "status", "--porcelain", "--untracked-files=all", "--", *pathspecs)
    return [line[3:] for line in done.splitlines() if line.strip()]


def checkpoint(path: Path, message: str) -> None:
    """Commit everything in the work tree (no hooks, no signing, fastcel as the author if git
    knows nobody): a step that needs a clean tree runs after it; `unstage` undoes it."""
    identity: list[str] = []
    for key, value in (("user.name", "fastcel"), ("user.email", "fastcel@localhost")):
        if not git(path, "config", key, check=False).stdout.strip():
            identity += ["-c", f"{key}={value}"]
    git(path, "add", "-A")
    commit = [*identity, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify"]
    git(path, *commit, "--allow-empty", "-m", message)


def unstage(path: Path, head: str) -> None:
    """Move the branch back to `head`, keeping the work tree: what checkpoints committed is
    an uncommitted change again."""
    git(path, "reset", "--quiet", "--mixed", head)


def restore(path: Path, head: str) -> str:
    """Undo every change since `head` in a work tree that was clean at `head` (a failed update
    or addition); say where the project is."""
    reset = git(path, "reset", "--quiet", "--hard", head, check=False)
    clean = git(path, "clean", "--quiet", "-d", "--force", check=False)
    if reset.returncode == 0 and clean.returncode == 0:
        return f"nothing changed, the project is back at commit {head[:12]}"
    return f"the project may be half-changed (git reset failed): check `git status` in {path}"
