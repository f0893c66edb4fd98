"""The template's questions, read from its copier.yml (plain YAML) before anything is written.

Validators and the derived slug are copier.yml's own Jinja, rendered here with the filters
Copier uses, so that fastcel's checks and Copier's can never disagree.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

from . import git
from .template import bundled_template

Questions = dict[str, dict[str, Any]]
CONFIG_NAMES = ("copier.yml", "copier.yaml")


@functools.cache
def _jinja() -> SandboxedEnvironment:
    """The environment Copier renders questions with (its default filter extension)."""
    return SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


@functools.lru_cache(maxsize=64)
def _compiled(template: str) -> Template:
    return _jinja().from_string(template)


def render_jinja(template: str, context: Mapping[str, Any]) -> str:
    """Render a piece of copier.yml's Jinja (a validator, a default)."""
    return _compiled(template).render(**context)


# copier.yml holds a second template's questions too: a domain's (`fastcel add domain`), which
# a project's render never asks.
DOMAIN_QUESTION = "domain_name"
KIND_QUESTION = "template_kind"


def is_domain_question(key: str) -> bool:
    """Tell whether copier.yml's question `key` belongs to the domain template."""
    return key == KIND_QUESTION or key.startswith("domain_")


def offers_domains(template: Path, vcs_ref: str | None = None) -> bool:
    """Tell whether the template at `vcs_ref` holds the domain template."""
    return offers(template, vcs_ref, DOMAIN_QUESTION)


def offers(template: Path, vcs_ref: str | None, question: str) -> bool:
    """Tell whether the template's copier.yml at `vcs_ref` asks `question`."""
    text = _config_text(template, vcs_ref)
    return text is not None and question in (yaml.safe_load(text) or {})


def load_questions(template: Path, vcs_ref: str | None = None) -> Questions | None:
    """Read a project's questions (keys not starting with `_`, and not the domain template's)
    from a local template's copier.yml.

    With a `vcs_ref` other than HEAD, from that commit of the template's git repository: the
    questions Copier will render with. None for a template that is not a local folder (e.g. a
    git URL): its answers are then checked by Copier alone.
    """
    text = _config_text(template, vcs_ref)
    if text is None:
        return None
    config = yaml.safe_load(text) or {}
    return {
        key: spec if isinstance(spec, dict) else {"default": spec}
        for key, spec in config.items()
        if not key.startswith("_") and not is_domain_question(key)
    }


def _config_text(template: Path, vcs_ref: str | None) -> str | None:
    if vcs_ref and vcs_ref != "HEAD" and git.is_checkout(template):
        for name in CONFIG_NAMES:
            shown = git.git(template, "show", f"{vcs_ref}:{name}", check=False)
            if shown.returncode == 0:
                return shown.stdout
        return None  # an unknown ref: Copier reports it
    config_file = next((template / n for n in CONFIG_NAMES if (template / n).is_file()), None)
    return config_file.read_text(encoding="utf-8") if config_file else None


@functools.cache
def bundled_questions() -> Questions:
    """The questions of the template that ships with fastcel."""
    questions = load_questions(bundled_template())
    assert questions is not None, "the bundled template has no copier.yml"
    return questions


def validator_error(
    key: str,
    value: Any,
    questions: Questions | None = None,
    context: Mapping[str, Any] | None = None,
) -> str | None:
    """Run the question's own `validator` from copier.yml; its message, or None if valid."""
    spec = (questions or bundled_questions()).get(key, {})
    validator = spec.get("validator")
    if not validator:
        return None
    return render_jinja(validator, {**(context or {}), key: value}).strip() or None


def slug_from_name(project_name: str, questions: Questions | None = None) -> str:
    """The package name copier.yml derives from the project name (its project_slug default)."""
    default = (questions or bundled_questions())["project_slug"]["default"]
    return render_jinja(default, {"project_name": project_name}).strip()


def question_type(spec: Mapping[str, Any]) -> str:
    """The question's type, as Copier infers it when copier.yml gives none."""
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


def choice_values(spec: Mapping[str, Any]) -> list[Any] | None:
    """The values a question accepts, or None when it has no choices."""
    choices = spec.get("choices")
    if choices is None:
        return None
    if isinstance(choices, dict):
        values = list(choices.values())
    else:
        values = [c[-1] if isinstance(c, list | tuple) else c for c in choices]
    return [v["value"] if isinstance(v, dict) else v for v in values]


def is_prompted(spec: Mapping[str, Any]) -> bool:
    """A question Copier may ask (computed answers use `when: false`)."""
    return spec.get("when", True) is not False


def is_drawn(spec: Mapping[str, Any]) -> bool:
    """A hidden or computed answer: a secret the template draws, or a value it derives.

    Copier validates neither, and writes both where the template puts them (.env): one given
    with --data could carry a newline and a setting of its own into that file.
    """
    return spec.get("secret") is True or not is_prompted(spec)


def needs_prompt(data: Mapping[str, Any], questions: Questions | None) -> bool:
    """Tell whether Copier would ask anything without --defaults."""
    if questions is None:
        return True
    return any(is_prompted(spec) and key not in data for key, spec in questions.items())
