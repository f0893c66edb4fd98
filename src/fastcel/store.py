"""The template store: where an installed fastcel keeps the template of each of its versions.

A wheel carries only its own template, as plain files, and Copier can update a
project only from a git repository that holds both the version the project was
made from and the newer one. So an installed fastcel copies its template into
one local git repository, `~/.local/share/fastcel/template` (under
`$XDG_DATA_HOME` when that is set, or `$FASTCEL_TEMPLATE_STORE`), as a commit
tagged `v<version>` — the same tag names this repository's releases carry.
Every fastcel version that runs on the machine adds its tag; projects record the
store as `_src_path` and their tag as `_commit`, so `copier update` works from
inside them once the newer fastcel has run once (`fastcel templates`).

A tag never moves: a build of the same version with other template files (a
reinstall from a changed checkout, another install of the same version) gets the
next free `v<version>+N` tag, which sorts after `v<version>`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from filelock import FileLock, Timeout
from packaging.version import InvalidVersion, Version

from . import git
from .errors import FastcelError, UsageError

STORE_ENV = "FASTCEL_TEMPLATE_STORE"
# What a template version is made of: the questions of both templates, the project's files, and
# the domain template (`fastcel add domain`) with the field types it imports.
TEMPLATE_PATHS = (
    "copier.yml",
    "template",
    "src/fastcel/domain_template",
    "src/fastcel/domain_types.jinja",
)
LOCK_TIMEOUT = 120
# Commits in the store are made by fastcel, not by whoever runs it.
_JUNK = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/*.py[co]")
_COMMITTER = {
    "GIT_AUTHOR_NAME": "fastcel",
    "GIT_AUTHOR_EMAIL": "fastcel@localhost",
    "GIT_COMMITTER_NAME": "fastcel",
    "GIT_COMMITTER_EMAIL": "fastcel@localhost",
}


def store_path() -> Path:
    """Where this machine's template store lives."""
    if explicit := os.environ.get(STORE_ENV):
        return Path(explicit).expanduser().absolute()
    data_home = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(data_home).expanduser().absolute() / "fastcel" / "template"


def recorded_src(store: Path) -> str:
    """The `_src_path` a project records: `~/...` under the home folder, so that the
    project updates the same way on a teammate's machine."""
    try:
        return "~/" + store.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(store)


def is_store(src: str) -> bool:
    """Tell whether a template source (as recorded in `_src_path`) is this machine's store."""
    try:
        return Path(src).expanduser().resolve() == store_path().resolve()
    except OSError:
        return False


def version_tag(version: str) -> str:
    """The tag of a fastcel version: v0.2.0."""
    return f"v{version}"


def _git(store: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        return git.output(store, *args, env={**_COMMITTER, **(env or {})})
    except UsageError:
        raise
    except FastcelError as err:
        raise FastcelError(f"template store {store}: {err.message}") from None


def tags(store: Path | None = None) -> list[str]:
    """The template versions the store holds, oldest first."""
    store = store or store_path()
    if not (store / ".git").exists():
        return []
    return sorted(_git(store, "tag", "--list").split(), key=_version_key)


def _version_key(tag: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(tag))
    except InvalidVersion:
        return (0, tag)


def add_version(template_dir: Path, version: str, store: Path | None = None) -> str:
    """Make sure the store holds `template_dir` (its TEMPLATE_PATHS) for `version`.

    Returns the tag whose files are exactly `template_dir`'s: `v<version>` when it is free or
    already holds them, else an existing or new `v<version>+N`. Each tag is its own root
    commit, so versions can arrive in any order; the store's work tree shows the newest.
    """
    store = store or store_path()
    store.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(f"{store}.lock", timeout=LOCK_TIMEOUT):
            if not (store / ".git").exists():
                store.mkdir(exist_ok=True)
                _git(store, "init", "--quiet")
            tree = _tree_of(store, template_dir)
            builds = _builds_of(store, version)
            for tag in builds:
                if _git(store, "rev-parse", f"{tag}^{{tree}}").strip() == tree:
                    return tag
            tag = version_tag(version) if not builds else f"{version_tag(version)}+{len(builds)}"
            message = f"fastcel {version} template"
            commit = _git(store, "commit-tree", tree, "-m", message).strip()
            _git(store, "tag", tag, commit)
            _git(store, "checkout", "--quiet", "--force", "--detach", tags(store)[-1])
            _git(store, "clean", "--quiet", "-d", "--force")
    except Timeout:
        raise FastcelError(
            f"template store {store} is locked by another fastcel "
            f"(remove {store}.lock if none runs)"
        ) from None
    return tag


def _builds_of(store: Path, version: str) -> list[str]:
    """The tags of `version`: v<version>, then v<version>+1, +2, ... in order."""
    base = version_tag(version)
    pattern = re.compile(rf"{re.escape(base)}(?:\+(\d+))?")
    found = {}
    for tag in _git(store, "tag", "--list", f"{base}*").split():
        if match := pattern.fullmatch(tag):
            found[int(match[1] or 0)] = tag
    return [found[n] for n in sorted(found)]


def _tree_of(store: Path, template_dir: Path) -> str:
    """Write `template_dir`'s files as a git tree into the store, without touching its index."""
    with tempfile.TemporaryDirectory(prefix="fastcel-store-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"), "GIT_WORK_TREE": str(template_dir)}
        # --force: a personal excludes file (say one ignoring `.env*`) must not drop template files.
        present = [name for name in TEMPLATE_PATHS if (template_dir / name).exists()]
        _git(store, "add", "--all", "--force", "--", *present, *_JUNK, env=env)
        return _git(store, "write-tree", env=env).strip()


def describe() -> list[str]:
    """What `fastcel templates` says: where projects of this fastcel record their template,
    and the versions the store holds (this fastcel's added first)."""
    from .template import bundled_template, sync_store

    bundled = bundled_template()
    lines = []
    if git.is_checkout(bundled):
        lines.append(f"This fastcel runs from a checkout: projects record {bundled}.")
    sync_store()
    held = tags()
    lines.append(f"Template store: {store_path()}")
    lines.append(f"Versions: {', '.join(held) if held else 'none yet'}")
    return lines
