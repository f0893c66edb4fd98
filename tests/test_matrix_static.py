"""Every combination of every closed question in copier.yml, rendered and checked statically.

Runtime behaviour is tested elsewhere; here each project must lint clean, hold valid YAML, a compose
file and CI file that validate against their schemas, a Dockerfile hadolint accepts, no unrendered
Jinja, no empty file or folder, and secrets only in the git-ignored .env.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import rendered
from matrix import Combination, static_combinations

COMBINATIONS = static_combinations()
BIN = Path(sys.executable).parent
UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|\{#")
SECRET_KEYS = ("PASSWORD", "SECRET", "BASIC_AUTH", "_PASS")
CI_SCHEMAS = {
    ".github/workflows/ci.yml": "vendor.github-workflows",
    ".gitlab-ci.yml": "vendor.gitlab-ci",
}


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return found


def run(command: list[str], cwd: Path) -> str | None:
    """Run a check; return None when it passes, else the command and its output."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        return None
    return f"$ {' '.join(command)}\n{done.stdout}{done.stderr}".strip()


def project_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


def check_project(project: Path, answers: dict) -> list[str]:
    problems: list[str] = []
    files = project_files(project)

    for failure in (
        run([tool("ruff"), "check", "--no-cache", "."], project),
        run([tool("ruff"), "format", "--check", "--no-cache", "."], project),
        run([tool("hadolint"), "--failure-threshold", "error", "Dockerfile"], project),
        run(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
            project,
        ),
    ):
        if failure:
            problems.append(failure)

    ci_files = [name for name in CI_SCHEMAS if (project / name).exists()]
    expected_ci = {"github": [".github/workflows/ci.yml"], "gitlab": [".gitlab-ci.yml"]}
    provider = answers.get("ci_provider")
    if ci_files != expected_ci.get(provider, []):
        problems.append(f"CI files {ci_files} do not match ci_provider={provider}")
    for name in ci_files:
        schema = CI_SCHEMAS[name]
        failure = run([tool("check-jsonschema"), "--builtin-schema", schema, name], project)
        if failure:
            problems.append(failure)

    for path in files:
        relative = path.relative_to(project)
        text = path.read_text(errors="replace")
        if path.suffix in {".yml", ".yaml"}:
            try:
                list(yaml.safe_load_all(text))
            except yaml.YAMLError as error:
                problems.append(f"{relative}: invalid YAML: {error}")
        if UNRENDERED.search(text) and path.name != "script.py.mako":
            problems.append(f"{relative}: unrendered Jinja")
        if not text.strip() and path.name not in {"__init__.py", "py.typed"}:
            problems.append(f"{relative}: empty file")
    for folder in project.rglob("*"):
        if folder.is_dir() and ".git" not in folder.parts and not any(folder.iterdir()):
            problems.append(f"{folder.relative_to(project)}/: empty folder")

    problems.extend(check_secrets(project, files))
    return problems


def check_secrets(project: Path, files: list[Path]) -> list[str]:
    problems = []
    env = project / ".env"
    if not env.is_file():
        return [".env is missing"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    if subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=project).returncode != 0:
        problems.append(".env is not git-ignored")
    dockerignore = project / ".dockerignore"
    if not dockerignore.is_file() or ".env" not in dockerignore.read_text().split():
        problems.append(".env is not in .dockerignore")
    secrets = [
        value.split(":", 1)[-1]
        for key, _, value in (line.partition("=") for line in env.read_text().splitlines())
        if any(marker in key for marker in SECRET_KEYS) and value
    ]
    if not secrets:
        problems.append(".env holds no generated secret")
    for path in files:
        if path == env:
            continue
        text = path.read_text(errors="replace")
        for secret in secrets:
            if len(secret) >= 16 and secret in text:
                problems.append(f"{path.relative_to(project)} holds a secret from .env")
    return problems


def render(copie, template_dir: Path, combination: Combination) -> Path:
    return rendered(copie.copy(extra_answers=combination.answers, template_dir=template_dir))


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_combination_passes_static_checks(copie, template_copy, combination):
    project = render(copie, template_copy, combination)
    problems = check_project(project, combination.answers)
    assert not problems, (
        f"{combination.id} ({project})\n"
        f"reproduce: fastcel new demo --defaults --no-setup {combination.data_flags()}\n\n"
        + "\n\n".join(problems)
    )
