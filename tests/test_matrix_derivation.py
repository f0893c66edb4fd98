"""The matrix follows copier.yml: a new choice adds cases; a broken branch names its combination."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from matrix import REPO_ROOT, options, runtime_combinations, static_combinations


def test_matrix_covers_every_closed_question_of_copier_yml():
    names = [option.name for option in options()]
    assert names == [
        "python_version",
        "broker",
        "result_backend",
        "use_beat",
        "use_flower",
        "ci_provider",
    ]
    static = static_combinations()
    runtime = runtime_combinations()
    assert len(static) == 3 * 2 * 2 * 2 * 2 * 3 == 144
    assert len(runtime) == 2 * 2 * 2 * 2 == 16
    assert len({c.id for c in static}) == 144
    assert "py3.12-rabbitmq-postgres-beat-noflower-gitlab" in {c.id for c in static}
    assert "rabbitmq-postgres-beat-noflower" in {c.id for c in runtime}


def test_adding_a_choice_to_copier_yml_adds_cases(tmp_path: Path):
    data = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    data["broker"]["choices"]["Amazon SQS"] = "sqs"
    data["use_sentry"] = {"type": "bool", "default": False, "help": "Report errors to Sentry?"}
    modified = tmp_path / "copier.yml"
    modified.write_text(yaml.safe_dump(data, sort_keys=False))

    static = static_combinations(modified)
    runtime = runtime_combinations(modified)

    assert len(static) == 144 * 3 // 2 * 2 == 432
    assert len(runtime) == 16 * 3 // 2 * 2 == 48
    assert "sqs-redis-beat-flower-sentry" in {c.id for c in runtime}
    assert "py3.13-sqs-postgres-nobeat-noflower-none-nosentry" in {c.id for c in static}


BREAKAGE = {".py": "\ndef broken(:\n", ".yaml": "\nbroken: [\n", ".yml": "\nbroken: [\n"}


def broken_copy(tmp_path: Path) -> tuple[Path, str]:
    """Copy the template and put a syntax error inside the RabbitMQ branch of one file."""
    tmp_path.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", tmp_path / "copier.yml")
    shutil.copytree(REPO_ROOT / "template", tmp_path / "template")
    branch = re.compile(r"\{%-? if broker == ['\"]rabbitmq['\"] -?%\}")
    for path in sorted((tmp_path / "template").rglob("*.jinja")):
        breakage = BREAKAGE.get(Path(path.name.removesuffix(".jinja")).suffix)
        text = path.read_text()
        match = branch.search(text)
        if breakage and match:
            path.write_text(text[: match.end()] + breakage + text[match.end() :])
            return tmp_path, str(path.relative_to(tmp_path))
    raise AssertionError("no Python or YAML file of the template has a RabbitMQ branch to break")


def test_a_broken_branch_fails_the_matrix_naming_the_combination(tmp_path: Path):
    template, broken_file = broken_copy(tmp_path / "broken")
    good = "py3.12-redis-redis-beat-flower-github"
    bad = "py3.12-rabbitmq-redis-beat-flower-github"
    env = {**os.environ, "FASTCEL_MATRIX_TEMPLATE": str(template)}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
            str(REPO_ROOT / "tests" / "test_matrix_static.py"),
            "-k", f"{good} or {bad}", "-rf", "--tb=short",
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "FAILED" in output and bad in output, output
    assert "1 failed, 1 passed" in output, output
    assert "reproduce: fastcel new demo --defaults --no-setup --data python_version=3.12" in output
    assert "broker=rabbitmq" in output
    assert Path(broken_file).name.removesuffix(".jinja") in output
