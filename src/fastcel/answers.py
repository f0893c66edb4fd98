"""Check the user's answers before anything is written.

`copier.yml` is the source of the questions; this module reads it (plain YAML)
to check `--data KEY=VALUE` strictly: Copier itself takes an unknown key
silently and a bool of `maybe` as true. The project name and slug checks mirror
the validators in `copier.yml` (a test keeps both in agreement).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError

# Mirrors of the validators in copier.yml -------------------------------------
PROJECT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,62}\Z")
PROJECT_SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")
AUTHOR_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}\Z")
# Same lists, same order, as copier.yml's project_slug validator.
_KEYWORDS = (
    "false none true and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield match case type"
)
_SHADOWED = (
    "alembic amqp anyio billiard celery click email_validator fastapi flower httpx kombu psycopg "
    "pydantic pydantic_settings pytest redis ruff sqlalchemy starlette uvicorn vine test tests "
    "migrations src typing json logging email smtplib asyncio uuid secrets os sys site "
    "collections string types abc enum time datetime random socket signal select queue http html "
    "io re copy math operator inspect dataclasses functools contextlib pathlib subprocess "
    "threading unittest warnings weakref platform tempfile shutil urllib zipfile"
)
KEYWORDS = frozenset(_KEYWORDS.split())
SHADOWED = frozenset(_SHADOWED.split())

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})


def slug_from_name(project_name: str) -> str:
    """Derive the package name from the project name, as copier.yml's default does."""
    slug = re.sub(r"[^a-z0-9]+", "_", project_name.lower())
    return re.sub(r"^_+|_+$", "", slug)


def project_name_error(name: str) -> str | None:
    """Return why `name` is not a valid project_name, or None."""
    if not PROJECT_NAME_RE.search(name):
        return (
            "project_name must start with a letter and hold only letters, digits, spaces, "
            "'-' and '_' (at most 63 characters)"
        )
    return None


def project_slug_error(slug: str) -> str | None:
    """Return why `slug` is not a valid project_slug, or None."""
    if not PROJECT_SLUG_RE.search(slug):
        return (
            "project_slug must be a lowercase Python identifier: a letter, then letters, "
            "digits or '_' (at most 40 characters)"
        )
    if slug in KEYWORDS:
        return f"project_slug '{slug}' is a Python keyword"
    if slug in SHADOWED:
        return f"project_slug '{slug}' would shadow the package or module of the same name"
    return None


def directory_name_error(name: str) -> str | None:
    """Return why `name` cannot be a directory name inside the current folder, or None."""
    if not name.strip():
        return "NAME is empty"
    if "/" in name or "\\" in name or "\0" in name:
        return f"NAME {name!r} holds a path separator: use --dest to choose where it goes"
    if name in {".", ".."}:
        return f"NAME {name!r} is not a directory name"
    if any(ch < " " or ch == "\x7f" for ch in name):
        return f"NAME {name!r} holds control characters"
    return None


def validate_project_name(name: str) -> None:
    """Raise UsageError unless `name` is a valid project name with a valid derived slug."""
    error = directory_name_error(name) or project_name_error(name)
    if error is None:
        error = project_slug_error(slug_from_name(name))
    if error:
        raise UsageError(error)


# Questions ----------------------------------------------------------------------


def load_questions(template: Path) -> dict[str, dict[str, Any]] | None:
    """Read the questions (keys not starting with `_`) from a local template's copier.yml.

    None for a template that is not a local folder (e.g. a git URL): its answers are
    then checked by Copier alone.
    """
    config_file = next(
        (p for p in (template / "copier.yml", template / "copier.yaml") if p.is_file()), None
    )
    if config_file is None:
        return None
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    questions: dict[str, dict[str, Any]] = {}
    for key, spec in config.items():
        if key.startswith("_"):
            continue
        questions[key] = spec if isinstance(spec, dict) else {"default": spec}
    return questions


def question_type(spec: dict[str, Any]) -> str:
    if "type" in spec:
        return str(spec["type"])
    default = spec.get("default")
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return "yaml" if default is not None and not isinstance(default, str) else "str"


def choice_values(spec: dict[str, Any]) -> list[Any] | None:
    """The values a question accepts, or None when it has no choices."""
    choices = spec.get("choices")
    if choices is None:
        return None
    if isinstance(choices, dict):
        values = list(choices.values())
    else:
        values = [c[-1] if isinstance(c, list | tuple) else c for c in choices]
    return [v["value"] if isinstance(v, dict) else v for v in values]


def is_prompted(spec: dict[str, Any]) -> bool:
    """A question Copier may ask (computed answers use `when: false`)."""
    return spec.get("when", True) is not False


def coerce(key: str, raw: Any, questions: dict[str, dict[str, Any]] | None) -> Any:
    """Check one answer against its question; return it in the question's type."""
    if questions is None:
        return raw
    if key not in questions:
        known = ", ".join(k for k, spec in questions.items() if is_prompted(spec))
        raise UsageError(f"unknown --data key {key!r} (known keys: {known})")
    spec = questions[key]
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
    error = {
        "project_name": project_name_error,
        "project_slug": project_slug_error,
        "author_email": _email_error,
    }.get(key)
    if error and (message := error(value)):
        raise UsageError(message)
    return value


def _email_error(email: str) -> str | None:
    if not AUTHOR_EMAIL_RE.search(email):
        return "author_email must look like name@example.com"
    return None


def parse_data(pairs: list[str], questions: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """Parse `--data KEY=VALUE` options, checking each against its question."""
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--data expects KEY=VALUE, got {pair!r}")
        key = key.strip()
        data[key] = coerce(key, raw, questions)
    return data


def load_data_file(path: Path, questions: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
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


def resolve_answers(
    name: str,
    pairs: list[str],
    data_file: Path | None,
    questions: dict[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """Combine NAME, --data-file and --data (later wins) into the data passed to Copier.

    NAME becomes project_name unless one is given; the slug that will be used
    (given, or derived from project_name) is checked as well.
    """
    data = load_data_file(data_file, questions) if data_file else {}
    data.update(parse_data(pairs, questions))
    if error := directory_name_error(name):
        raise UsageError(error)
    if "project_name" not in data:
        if error := project_name_error(name):
            raise UsageError(f"NAME {name!r}: {error}")
        data["project_name"] = name
    slug = data.get("project_slug") or slug_from_name(data["project_name"])
    if error := project_slug_error(slug):
        raise UsageError(f"{error} (choose another NAME or pass --data project_slug=...)")
    return data


def needs_prompt(data: dict[str, Any], questions: dict[str, dict[str, Any]] | None) -> bool:
    """Tell whether Copier would ask anything without --defaults."""
    if questions is None:
        return True
    return any(is_prompted(spec) and key not in data for key, spec in questions.items())
