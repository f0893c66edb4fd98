"""Locate the Copier template that ships with fastcel."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import store

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_template() -> Path:
    """Return the template bundled with this fastcel.

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


def is_git_checkout(path: Path) -> bool:
    """Tell whether `path` is the root of a git working tree."""
    return (path / ".git").exists()


@dataclass
class Source:
    """What Copier renders from: `src` at `vcs_ref`, and whether its tasks may run."""

    src: str
    vcs_ref: str | None
    trusted: bool
    notice: str = ""  # something the user should know about this source


def rendering_source(template: str | None, vcs_ref: str | None, trust: bool) -> Source:
    """Pick the template to render.

    `template` is a path or VCS URL given by the user; without one it is
    fastcel's own template: a source checkout renders its HEAD (uncommitted
    changes included), an installed fastcel renders its version's tag in the
    template store (see `store`), so that its projects can be updated later.
    """
    if template:
        path = Path(template).expanduser()
        # Copier's updates need an absolute _src_path.
        src = str(path.resolve()) if path.exists() else template
        return Source(src, vcs_ref, trusted=trust or is_trusted(src))
    bundled = bundled_template()
    if is_git_checkout(bundled):
        notice = ""
        if _is_dirty(bundled):
            notice = (
                f"{bundled} has uncommitted changes: the project records a temporary commit, "
                "so `fastcel update` cannot use it until you regenerate from a commit"
            )
        return Source(str(bundled), vcs_ref or "HEAD", trusted=True, notice=notice)
    from . import __version__

    tag = store.add_version(bundled, __version__)
    return Source(store.recorded_src(store.store_path()), vcs_ref or tag, trusted=True)


def is_trusted(src: str) -> bool:
    """fastcel's own template (its checkout or the store) may run its tasks."""
    return is_bundled(src) or store.is_store(src)


def sync_store() -> None:
    """Add this fastcel's template to the store (an installed fastcel; a checkout adds nothing)."""
    bundled = bundled_template()
    if not is_git_checkout(bundled):
        from . import __version__

        store.add_version(bundled, __version__)


def _is_dirty(checkout: Path) -> bool:
    git = shutil.which("git")
    if git is None:
        return False
    done = subprocess.run(
        [git, "status", "--porcelain", "--", "copier.yml", "template"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return bool(done.stdout.strip())
