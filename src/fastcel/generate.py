"""Render the template into a new project with Copier."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import yaml

from .errors import FastcelError, UsageError
from .template import Source, bundled_template, rendering_source

ANSWERS_FILE = ".copier-answers.yml"
# The files of a project that hold its drawn secrets.
SECRET_FILES = (".env",)


def check_destination(dest: Path) -> None:
    """Refuse a destination that exists and is not an empty directory."""
    if dest.is_dir():
        if any(dest.iterdir()):
            raise UsageError(f"destination {dest} exists and is not empty")
    elif dest.exists():
        raise UsageError(f"destination {dest} exists and is not a directory")


def template_source(template: str | None) -> str:
    """The template to render: `--template SRC` (a path or VCS URL) or the bundled one."""
    if not template:
        return str(bundled_template())
    path = Path(template).expanduser()
    if path.exists():
        # Copier's updates need an absolute _src_path.
        return str(path.resolve())
    return template


def render(
    dest: Path,
    data: dict[str, Any],
    *,
    defaults: bool,
    template_src: str | None = None,
    vcs_ref: str | None = None,
    trust: bool = False,
) -> dict[str, Any]:
    """Render the project into `dest` and return its recorded answers.

    Copier runs the template's tasks and extensions only for fastcel's own
    template or with `trust`. A failed render removes what it wrote.
    """
    source = rendering_source(template_src, vcs_ref, trust)
    return render_from(source, dest, data, defaults=defaults)


def render_from(
    source: Source, dest: Path, data: dict[str, Any], *, defaults: bool
) -> dict[str, Any]:
    """Render `source` into `dest` (see `render`)."""
    import copier  # imported here: it is slow, and `--help` does not need it
    from copier.errors import (
        CopierAnswersInterrupt,
        CopierError,
        UnsafeTemplateError,
        UserMessageError,
    )
    from jinja2 import TemplateError

    try:
        with warnings.catch_warnings():
            # rendering_source() already told the user about a dirty checkout.
            warnings.filterwarnings("ignore", message="Dirty template changes")
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
            raise UsageError(_one_line(str(err))) from None
        raise FastcelError(f"rendering failed: {_one_line(str(err))}") from err
    except TemplateError as err:
        where = f"{err.filename}:{err.lineno}: " if getattr(err, "filename", None) else ""
        raise FastcelError(f"rendering failed: {where}{_one_line(str(err))}") from err
    except (UserMessageError, CopierError) as err:
        raise FastcelError(f"rendering failed: {_one_line(str(err))}") from err
    make_private(dest)
    return read_answers(dest)


def make_private(project: Path, names: tuple[str, ...] = SECRET_FILES) -> None:
    """Let only the owner read and write the project's secret files (mode 600).

    Copier writes them with the template file's mode, readable by every user of the machine.
    """
    for name in names:
        path = project / name
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


def read_answers(project: Path) -> dict[str, Any]:
    """The answers recorded in a project's .copier-answers.yml ({} if there is none).

    Raises UsageError for a file that is not YAML or does not hold a mapping.
    """
    path = project / ANSWERS_FILE
    if not path.is_file():
        return {}
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {path}: {_one_line(str(err))}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}: {getattr(err, 'problem', '')})" if mark else ""
        raise UsageError(f"{path} is not valid YAML{where}") from None
    if content is None:
        raise UsageError(f"{path} is empty: it should hold the project's answers")
    if not isinstance(content, dict):
        raise UsageError(
            f"{path} holds a {type(content).__name__}, not a mapping of the project's answers"
        )
    return content


# Copier's names for what an untrusted template may not use, said for the user.
_UNSAFE = {
    "tasks": "tasks (commands run on this machine)",
    "migrations": "migrations (commands run on this machine when updating)",
    "jinja_extensions": "Jinja extensions (Python code loaded on this machine)",
}


def untrusted(src: str, err: Exception) -> str:
    """One line for copier's UnsafeTemplateError: what the template wants to run, and --trust."""
    found = re.search(r"unsafe features?: ([\w, ]+)", str(err))
    features = [f.strip() for f in found.group(1).split(",")] if found else []
    said = ", ".join(_UNSAFE.get(f, f) for f in features) or "code of its own"
    return f"the template {src} uses {said}: pass --trust if you trust the template"


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines)[:500]
