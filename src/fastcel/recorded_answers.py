"""A project's recorded answers (.copier-answers.yml): read them, and refuse tampered ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError
from .questions import Questions, choice_values, question_type, validator_error

ANSWERS_FILE = ".copier-answers.yml"
RECORD_KEYS = {
    "_src_path": "the template the project was made from",
    "_commit": "the template version the project was made from",
}


def one_line(text: str, limit: int = 500) -> str:
    """`text` on one line, at most `limit` characters."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines)[:limit]


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
        raise UsageError(f"cannot read {path}: {one_line(str(err))}") from None
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
    answers: dict[str, Any], questions: Questions | None, source: str = ANSWERS_FILE
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


def domain_answers_file(name: str) -> str:
    """The answers file of the domain `name`, at the project's root."""
    return f".copier-answers.domain-{name}.yml"


def added_domains(project: Path) -> dict[str, dict[str, Any]]:
    """The domains `fastcel add domain` added to the project: name -> recorded answers."""
    found = {}
    for path in sorted(project.glob(domain_answers_file("*"))):
        answers = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(answers, dict) and isinstance(answers.get("domain_name"), str):
            found[answers["domain_name"]] = answers
    return found
