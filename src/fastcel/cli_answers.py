"""Answers given on the command line (NAME, --data KEY=VALUE, --data-file), checked strictly.

Copier itself takes an unknown key silently and a bool of `maybe` as true; here each answer
is checked against its question (type, choices, validator) before anything is written.
"""

from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from anyascii import anyascii

from .errors import UsageError
from .questions import (
    Questions,
    choice_values,
    is_drawn,
    is_prompted,
    question_type,
    slug_from_name,
    validator_error,
)

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})


def directory_name_error(name: str) -> str | None:
    """Why `name` cannot be a directory name inside the current folder, or None."""
    if not name.strip():
        return "NAME is empty"
    if "/" in name or "\\" in name:
        return f"NAME {name!r} holds a path separator: use --dest to choose where it goes"
    if name in {".", ".."}:
        return f"NAME {name!r} is not a directory name"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"NAME {name!r} holds control characters"
    return None


def unknown_key(key: str, questions: Questions) -> UsageError:
    """An unknown --data key, with the nearest known one when there is one."""
    known = [k for k, spec in questions.items() if is_prompted(spec)]
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if near:
        return UsageError(f"unknown --data key {key!r}: did you mean {near[0]!r}?")
    return UsageError(f"unknown --data key {key!r} (known keys: {', '.join(known)})")


def coerce(key: str, raw: Any, questions: Questions | None) -> Any:
    """Check one answer against its question; return it in the question's type."""
    if questions is None:
        return raw
    if key not in questions:
        raise unknown_key(key, questions)
    spec = questions[key]
    if is_drawn(spec):
        raise UsageError(
            f"{key} is drawn by the template (a secret or computed answer), never given with "
            "--data or --data-file: leave it out"
        )
    kind = question_type(spec)
    value: Any = raw
    if kind == "bool":
        if isinstance(raw, bool):
            value = raw
        elif str(raw).strip().lower() in TRUE_WORDS:
            value = True
        elif str(raw).strip().lower() in FALSE_WORDS:
            value = False
        else:
            raise UsageError(f"{key} must be true/false/yes/no/1/0, not {raw!r}")
    elif kind in {"int", "float"}:
        try:
            value = int(raw) if kind == "int" else float(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{key} must be a number ({kind}), not {raw!r}") from None
    elif kind == "str":
        value = "" if raw is None else str(raw)
    allowed = choice_values(spec)
    if allowed is not None and value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise UsageError(f"{key}={raw!r} is not one of the choices: {shown}")
    if message := validator_error(key, value, questions):
        raise UsageError(message)
    return value


def parse_data(pairs: list[str], questions: Questions | None) -> dict[str, Any]:
    """Parse `--data KEY=VALUE` options, checking each against its question."""
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--data expects KEY=VALUE, got {pair!r}")
        key = key.strip()
        data[key] = coerce(key, raw, questions)
    return data


def load_data_file(path: Path, questions: Questions | None) -> dict[str, Any]:
    """Read answers from a YAML mapping, checking each against its question."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read --data-file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise UsageError(f"--data-file {path} is not valid YAML: {err}".splitlines()[0]) from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise UsageError(f"--data-file {path} must hold a mapping of KEY: VALUE")
    return {str(key): coerce(str(key), value, questions) for key, value in content.items()}


def ascii_slug(project_name: str, questions: Questions | None = None) -> str:
    """The package name for `project_name`, its letters transliterated to ASCII first
    ("Über Tool" -> "uber_tool"), by copier.yml's own rule."""
    return slug_from_name(anyascii(project_name), questions)


def resolve_answers(
    name: str, pairs: list[str], data_file: Path | None, questions: Questions | None
) -> dict[str, Any]:
    """Combine NAME, --data-file and --data (later wins) into the data passed to Copier.

    NAME becomes project_name unless one is given. The slug (given, or derived from the
    project name in ASCII) is checked and passed on, so Copier never derives another one.
    """
    data = load_data_file(data_file, questions) if data_file else {}
    data.update(parse_data(pairs, questions))
    if error := directory_name_error(name):
        raise UsageError(error)
    if questions is None:  # a remote template: Copier checks its own answers
        data.setdefault("project_name", name)
        return data
    if "project_name" not in data:
        if error := validator_error("project_name", name, questions):
            raise UsageError(f"NAME {name!r}: {error}")
        data["project_name"] = name
    if "project_slug" not in data:
        slug = ascii_slug(data["project_name"], questions)
        if error := validator_error("project_slug", slug, questions):
            raise UsageError(f"{error} (choose another NAME or pass --data project_slug=...)")
        if not data["project_name"].isascii():
            data["project_slug"] = slug
    return data
