"""The option matrix, derived from copier.yml itself so that it cannot drift from the questions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fastcel.questions import is_domain_question

REPO_ROOT = Path(__file__).resolve().parents[1]

# Options that only change files, never what runs: the runtime matrix leaves them at their default.
STATIC_ONLY = frozenset({"python_version", "ci_provider"})


@dataclass(frozen=True)
class Option:
    name: str
    values: tuple[Any, ...]
    default: Any

    def label(self, value: Any) -> str:
        if isinstance(value, bool):
            short = self.name.removeprefix("use_")
            return short if value else f"no{short}"
        if self.name == "python_version":
            return f"py{value}"
        return str(value)


def load_questions(copier_yml: Path = REPO_ROOT / "copier.yml") -> dict[str, dict]:
    """A project's questions (not the domain template's, which `fastcel add domain` answers)."""
    data = yaml.safe_load(copier_yml.read_text())
    return {
        key: value
        for key, value in data.items()
        if not key.startswith("_") and not is_domain_question(key)
    }


def options(copier_yml: Path = REPO_ROOT / "copier.yml") -> list[Option]:
    """Every prompted question with a closed set of answers (choices or bools), in file order."""
    found = []
    for name, spec in load_questions(copier_yml).items():
        if not isinstance(spec, dict) or spec.get("when") is False:
            continue
        if "choices" in spec:
            choices = spec["choices"]
            values = tuple(choices.values() if isinstance(choices, dict) else choices)
        elif spec.get("type") == "bool":
            values = (True, False)
        else:
            continue
        found.append(Option(name, values, spec.get("default", values[0])))
    return found


@dataclass(frozen=True)
class Combination:
    answers: dict[str, Any]
    id: str

    def data_flags(self) -> str:
        """The `--data` flags that reproduce this combination with `fastcel new`."""
        return " ".join(
            f"--data {key}={str(value).lower() if isinstance(value, bool) else value}"
            for key, value in self.answers.items()
        )


def combinations(opts: list[Option]) -> list[Combination]:
    result = []
    for values in itertools.product(*(option.values for option in opts)):
        answers = {option.name: value for option, value in zip(opts, values, strict=True)}
        label = "-".join(option.label(value) for option, value in zip(opts, values, strict=True))
        result.append(Combination(answers, label))
    return result


def static_combinations(copier_yml: Path = REPO_ROOT / "copier.yml") -> list[Combination]:
    return combinations(options(copier_yml))


def runtime_combinations(copier_yml: Path = REPO_ROOT / "copier.yml") -> list[Combination]:
    return combinations([o for o in options(copier_yml) if o.name not in STATIC_ONLY])
