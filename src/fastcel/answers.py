"""Check the user's answers before anything is written.

`copier.yml` is the source of the questions; this module reads it (plain YAML)
to check `--data KEY=VALUE` strictly: Copier itself takes an unknown key
silently and a bool of `maybe` as true. Validators and the derived slug are
copier.yml's own Jinja, rendered here before anything is written, so the two
can never disagree.
"""

from __future__ import annotations

import functools
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

from .errors import UsageError
from .template import bundled_template, is_git_checkout

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
Questions = dict[str, dict[str, Any]]


# copier.yml's own Jinja: validators and derived defaults -----------------------------


@functools.cache
def _jinja() -> SandboxedEnvironment:
    """The environment Copier renders questions with (its default filter extension)."""
    return SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


@functools.lru_cache(maxsize=64)
def _compiled(template: str) -> Template:
    return _jinja().from_string(template)


def _render(template: str, context: dict[str, Any]) -> str:
    return _compiled(template).render(**context)


@functools.cache
def bundled_questions() -> Questions:
    questions = load_questions(bundled_template())
    assert questions is not None, "the bundled template has no copier.yml"
    return questions


def validator_error(
    key: str, value: Any, questions: Questions | None = None, context: dict | None = None
) -> str | None:
    """Run the question's own `validator` from copier.yml; its message, or None if valid."""
    spec = (questions or bundled_questions()).get(key, {})
    validator = spec.get("validator")
    if not validator:
        return None
    return _render(validator, {**(context or {}), key: value}).strip() or None


def slug_from_name(project_name: str, questions: Questions | None = None) -> str:
    """The package name copier.yml derives from the project name (its project_slug default)."""
    default = (questions or bundled_questions())["project_slug"]["default"]
    return _render(default, {"project_name": project_name}).strip()


def project_name_error(name: str, questions: Questions | None = None) -> str | None:
    return validator_error("project_name", name, questions)


def project_slug_error(slug: str, questions: Questions | None = None) -> str | None:
    return validator_error("project_slug", slug, questions)


def directory_name_error(name: str) -> str | None:
    """Return why `name` cannot be a directory name inside the current folder, or None."""
    if not name.strip():
        return "NAME is empty"
    if "/" in name or "\\" in name:
        return f"NAME {name!r} holds a path separator: use --dest to choose where it goes"
    if name in {".", ".."}:
        return f"NAME {name!r} is not a directory name"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
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


def load_questions(template: Path, vcs_ref: str | None = None) -> dict[str, dict[str, Any]] | None:
    """Read the questions (keys not starting with `_`) from a local template's copier.yml.

    With a `vcs_ref` other than HEAD, from that commit of the template's git repository: the
    questions Copier will render with (HEAD renders the working tree, uncommitted changes
    included). None for a template that is not a local folder (e.g. a git URL): its answers are
    then checked by Copier alone.
    """
    text = _config_text(template, vcs_ref)
    if text is None:
        return None
    config = yaml.safe_load(text) or {}
    questions: dict[str, dict[str, Any]] = {}
    for key, spec in config.items():
        if key.startswith("_"):
            continue
        questions[key] = spec if isinstance(spec, dict) else {"default": spec}
    return questions


def _config_text(template: Path, vcs_ref: str | None) -> str | None:
    names = ("copier.yml", "copier.yaml")
    if vcs_ref and vcs_ref != "HEAD" and is_git_checkout(template):
        for name in names:
            shown = subprocess.run(
                ["git", "show", f"{vcs_ref}:{name}"],
                cwd=template,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if shown.returncode == 0:
                return shown.stdout
        return None  # an unknown ref: Copier reports it
    config_file = next((template / name for name in names if (template / name).is_file()), None)
    return config_file.read_text(encoding="utf-8") if config_file else None


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


def is_drawn(spec: dict[str, Any]) -> bool:
    """A hidden or computed answer: a secret the template draws, or a value it derives.

    Copier validates neither, and writes both where the template puts them (.env): one given
    with --data could carry a newline and a setting of its own into that file.
    """
    return spec.get("secret") is True or not is_prompted(spec)


def coerce(key: str, raw: Any, questions: dict[str, dict[str, Any]] | None) -> Any:
    """Check one answer against its question; return it in the question's type."""
    if questions is None:
        return raw
    if key not in questions:
        known = ", ".join(k for k, spec in questions.items() if is_prompted(spec))
        raise UsageError(f"unknown --data key {key!r} (known keys: {known})")
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
    if questions is None:  # a remote template: Copier checks its own answers
        data.setdefault("project_name", name)
        return data
    if "project_name" not in data:
        if error := project_name_error(name, questions):
            raise UsageError(f"NAME {name!r}: {error}")
        data["project_name"] = name
    slug = data.get("project_slug") or slug_from_name(data["project_name"], questions)
    if error := project_slug_error(slug, questions):
        raise UsageError(f"{error} (choose another NAME or pass --data project_slug=...)")
    return data


# Recorded answers (a project's .copier-answers.yml) ---------------------------------


RECORD_KEYS = {
    "_src_path": "the template the project was made from",
    "_commit": "the template version the project was made from",
}


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def recorded_value_error(
    key: str, value: Any, questions: Questions, context: dict[str, Any] | None = None
) -> str | None:
    """Why `value`, recorded for question `key`, is not an answer that question accepts
    (its type, its choices, its validator), as the phrase that follows "which"; None when
    it is accepted."""
    spec = questions[key]
    kind = question_type(spec)
    if kind == "bool" and not isinstance(value, bool):
        return "is not true or false"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return "is not a whole number"
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "is not a number"
    if kind == "str":
        # Copier takes a number given to a text question as its text (3.12 as "3.12").
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return "is not text"
        value = str(value)
    allowed = choice_values(spec)
    if allowed is not None and value not in allowed:
        return "is not one of the choices: " + ", ".join(str(a) for a in allowed)
    if message := validator_error(key, value, questions, context):
        return f"is refused by the question's validator: {message}"
    return None


def check_recorded(
    answers: dict[str, Any], questions: Questions | None, source: str = ".copier-answers.yml"
) -> None:
    """Refuse recorded answers that a `copier update` must not start from.

    `_src_path` and `_commit` must be there: where the template is and which version the
    project was made from. With `questions` (those of fastcel's own template), every answer
    to a known question must also be one that question accepts: its type, one of its
    choices, a value its validator lets through. Keys the questions do not know are left
    alone: an older template version may have recorded an answer that a `_migrations`
    entry renames (`ci` became `ci_provider` in v0.2.0).
    """
    for key, meaning in RECORD_KEYS.items():
        value = answers.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise UsageError(f"{source} lacks {key} ({meaning}): restore it, commit, then update")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise UsageError(f"{source} records {key}: {_shown(value)}, which cannot be {meaning}")
    if questions is None:
        return
    context = {str(k): v for k, v in answers.items() if not str(k).startswith("_")}
    for key, value in context.items():
        if key not in questions:
            continue
        if reason := recorded_value_error(key, value, questions, context):
            raise UsageError(
                f"{source} records {key}: {_shown(value)}, which {reason} "
                "(fix the answer, commit, then update)"
            )


def needs_prompt(data: dict[str, Any], questions: dict[str, dict[str, Any]] | None) -> bool:
    """Tell whether Copier would ask anything without --defaults."""
    if questions is None:
        return True
    return any(is_prompted(spec) and key not in data for key, spec in questions.items())
