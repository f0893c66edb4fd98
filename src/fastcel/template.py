"""Which template a command renders: fastcel's own (its checkout or the store) or --template.

A project must only ever record a template version that exists, and rendering must not pick
up unrelated files: a checkout renders its HEAD commit when copier.yml and template/ are
committed, and otherwise a snapshot of just those two, recording no version.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import git, store

_PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_PATHS = store.TEMPLATE_PATHS


def bundled_template() -> Path:
    """The template bundled with this fastcel.

    An installed wheel carries it in `fastcel/_template/`; a source or editable
    checkout uses the repository root (the folder holding `copier.yml`).
    """
    for candidate in (_PACKAGE_DIR / "_template", _PACKAGE_DIR.parents[1]):
        if (candidate / "copier.yml").is_file():
            return candidate
    raise FileNotFoundError("fastcel's template is missing: reinstall fastcel")


def is_bundled(src: str | Path) -> bool:
    """Tell whether `src` is the template bundled with this fastcel."""
    try:
        return Path(src).expanduser().resolve() == bundled_template()
    except (OSError, FileNotFoundError):
        return False


def is_trusted(src: str) -> bool:
    """Tell whether `src` may run its tasks: fastcel's own template (checkout or store)."""
    return is_bundled(src) or store.is_store(src)


@dataclass(frozen=True)
class Source:
    """What Copier renders from: `src` at `vcs_ref`, and whether its tasks may run.

    `recorded_src` is the `_src_path` the project must record when `src` is a snapshot.
    """

    src: str
    vcs_ref: str | None
    trusted: bool
    notice: str = ""  # something the user should know about this source
    recorded_src: str | None = None


def sync_store() -> None:
    """Add this fastcel's template to the store (an installed fastcel; a checkout adds nothing)."""
    bundled = bundled_template()
    if not git.is_checkout(bundled):
        from . import __version__

        store.add_version(bundled, __version__)


@contextmanager
def rendering_source(template: str | None, vcs_ref: str | None, trust: bool) -> Iterator[Source]:
    """The template to render, for the length of a `with` block (a snapshot lives that long).

    `template` is a path or VCS URL given by the user; without one it is fastcel's own
    template: a source checkout renders its HEAD commit (or a snapshot of its uncommitted
    template), an installed fastcel its version's tag in the template store (see `store`), so
    that its projects can be updated later.
    """
    if template:
        path = Path(template).expanduser()
        # Copier's updates need an absolute _src_path.
        src = str(path.resolve()) if path.exists() else template
        notice = ""
        if vcs_ref is None:
            vcs_ref, notice = latest_ref(src)
        yield Source(src, vcs_ref, trusted=trust or is_trusted(src), notice=notice)
        return
    bundled = bundled_template()
    if not git.is_checkout(bundled):
        from . import __version__

        tag = store.add_version(bundled, __version__)
        yield Source(store.recorded_src(store.store_path()), vcs_ref or tag, trusted=True)
        return
    if vcs_ref and vcs_ref != "HEAD":
        yield Source(str(bundled), vcs_ref, trusted=True)
        return
    changed = git.changed_paths(bundled, *TEMPLATE_PATHS)
    head = git.head_commit(bundled)
    if not changed and head:
        # The commit, not "HEAD": Copier would add every untracked file of the checkout to a
        # temporary commit of its own, and record that commit.
        yield Source(str(bundled), head, trusted=True)
        return
    notice = (
        f"{bundled} has uncommitted template changes ({changed[0]}"
        + (f" and {len(changed) - 1} more" if len(changed) > 1 else "")
        + "): rendered as they are; the project records no template version, so "
        "`fastcel update` needs a project generated from a commit"
    )
    with snapshot(bundled) as copy:
        yield Source(str(copy), None, trusted=True, notice=notice, recorded_src=str(bundled))


@contextmanager
def snapshot(checkout: Path) -> Iterator[Path]:
    """A temporary copy of the checkout's template files (tracked or new, not ignored)."""
    listed = git.output(
        checkout,
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        *TEMPLATE_PATHS,
    )
    with tempfile.TemporaryDirectory(prefix="fastcel-template-") as scratch:
        root = Path(scratch)
        for name in filter(None, listed.split("\0")):
            source = checkout / name
            if source.is_file():  # a deleted file is still listed by --cached
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, root / name, follow_symlinks=False)
        yield root


def latest_ref(src: str) -> tuple[str | None, str]:
    """The ref to render or update to when none is given, and a notice (or "").

    The newest version tag of a local git template; its HEAD commit when it has no tag. Copier
    would otherwise look for tags itself and say "No git tags found" at every look.
    """
    path = Path(src).expanduser()
    if not git.is_checkout(path):
        return None, ""
    tags = [t for t in git.output(path, "tag", "--list").split() if _is_version(t)]
    if tags:
        return max(tags, key=lambda t: Version(t)), ""
    head = git.head_commit(path)
    if head is None:
        return None, ""
    return head, f"the template has no version tag: using its HEAD ({head[:12]})"


def _is_version(tag: str) -> bool:
    try:
        return not Version(tag).is_prerelease
    except InvalidVersion:
        return False
