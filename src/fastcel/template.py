"""Locate the Copier template that ships with fastcel."""

from __future__ import annotations

from pathlib import Path

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
