"""Render the template into a new project with Copier."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import FastcelError, UsageError
from .recorded_answers import ANSWERS_FILE, one_line, read_answers
from .template import Source

# The files of a project that hold its drawn secrets.
SECRET_FILES = (".env",)
# Copier's names for what an untrusted template may not use, said for the user.
_UNSAFE = {
    "tasks": "tasks (commands run on this machine)",
    "migrations": "migrations (commands run on this machine when updating)",
    "jinja_extensions": "Jinja extensions (Python code loaded on this machine)",
}


def check_destination(dest: Path) -> None:
    """Refuse a destination that exists and is not an empty directory."""
    if dest.is_dir():
        if any(dest.iterdir()):
            raise UsageError(f"destination {dest} exists and is not empty")
    elif dest.exists():
        raise UsageError(f"destination {dest} exists and is not a directory")


def render(source: Source, dest: Path, data: dict[str, Any], *, defaults: bool) -> dict[str, Any]:
    """Render `source` into `dest` and return the project's recorded answers.

    Copier runs the template's tasks and extensions only for a trusted source. A failed
    render removes what it wrote.
    """
    import copier  # imported here: it is slow, and `--help` does not need it
    from copier.errors import (
        CopierAnswersInterrupt,
        CopierError,
        UnsafeTemplateError,
        UserMessageError,
    )
    from jinja2 import TemplateError

    try:
        copier.run_copy(
            source.src,
            dest,
            data=data,
            defaults=defaults,
            vcs_ref=source.vcs_ref,
            unsafe=source.trusted,
            cleanup_on_error=True,
            quiet=True,
        )
    except CopierAnswersInterrupt:
        raise FastcelError("aborted: nothing was generated") from None
    except UnsafeTemplateError as err:
        # Raised before anything is written (and cleanup_on_error would remove it).
        raise UsageError(f"{untrusted(source.src, err)}; nothing was generated") from None
    except ValueError as err:
        # Copier's own validation of an answer typed at a prompt.
        if "Validation error" in str(err):
            raise UsageError(one_line(str(err))) from None
        raise FastcelError(f"rendering failed: {one_line(str(err))}") from err
    except TemplateError as err:
        where = f"{err.filename}:{err.lineno}: " if getattr(err, "filename", None) else ""
        raise FastcelError(f"rendering failed: {where}{one_line(str(err))}") from err
    except (UserMessageError, CopierError) as err:
        raise FastcelError(f"rendering failed: {one_line(str(err))}") from err
    if source.recorded_src:
        record_src(dest, source.recorded_src)
    make_private(dest)
    return read_answers(dest)


def record_src(project: Path, src: str) -> None:
    """Make the project record `src` as its template (it was rendered from a snapshot)."""
    path = project / ANSWERS_FILE
    text = path.read_text(encoding="utf-8")
    line = f"_src_path: {src}"
    path.write_text(re.sub(r"(?m)^_src_path: .*$", lambda _: line, text), encoding="utf-8")


def make_private(project: Path, names: tuple[str, ...] = SECRET_FILES) -> None:
    """Let only the owner read and write the project's secret files (mode 600).

    Copier writes them with the template file's mode, readable by every user of the machine.
    """
    for name in names:
        path = project / name
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


def untrusted(src: str, err: Exception) -> str:
    """One line for copier's UnsafeTemplateError: what the template wants to run, and --trust."""
    found = re.search(r"unsafe features?: ([\w, ]+)", str(err))
    features = [f.strip() for f in found.group(1).split(",")] if found else []
    said = ", ".join(_UNSAFE.get(f, f) for f in features) or "code of its own"
    return f"the template {src} uses {said}: pass --trust if you trust the template"
