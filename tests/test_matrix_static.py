"""Every combination of every closed question in copier.yml, rendered and checked statically.

Runtime behaviour is tested elsewhere; here each project must lint clean, hold valid YAML, a compose
file, CI file (with a compose job running the smoke script) and dependency update config that
validate against their schemas, a Dockerfile hadolint accepts, no unrendered Jinja, no empty file or
folder, and secrets only in the git-ignored .env.
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
# The dependency update bot's configuration that goes with each CI provider.
UPDATE_SCHEMAS = {
    ".github/dependabot.yml": "vendor.dependabot",
    "renovate.json": "vendor.renovate",
}
SMOKE_SCRIPT = "docker/smoke/smoke.py"


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
    problems.extend(check_compose_job(project, ci_files))

    update_files = [name for name in UPDATE_SCHEMAS if (project / name).exists()]
    expected_updates = {"github": [".github/dependabot.yml"], "gitlab": ["renovate.json"]}
    if update_files != expected_updates.get(provider, []):
        problems.append(f"update configs {update_files} do not match ci_provider={provider}")
    for name in update_files:
        schema = UPDATE_SCHEMAS[name]
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
    problems.extend(check_compose(project))
    return problems


def check_compose_job(project: Path, ci_files: list[str]) -> list[str]:
    """Each CI file has a `compose` job that runs the stack's smoke script."""
    problems = []
    for name in ci_files:
        try:
            data = yaml.safe_load((project / name).read_text())
        except yaml.YAMLError:
            continue  # reported as invalid YAML
        if name == ".gitlab-ci.yml":
            commands = (data.get("compose") or {}).get("script", [])
        else:
            steps = ((data.get("jobs") or {}).get("compose") or {}).get("steps", [])
            commands = [step.get("run", "") for step in steps]
        if not any(f"python3 {SMOKE_SCRIPT}" in str(command) for command in commands):
            problems.append(f"{name}: no compose job runs python3 {SMOKE_SCRIPT}")
    return problems


# Capabilities an image's entrypoint needs to hand its data folder to its own user and switch to
# it; the application's image runs as its own user from the start and needs none.
ENTRYPOINT_CAPS = {
    "postgres": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
    "redis": {"CHOWN", "SETGID", "SETUID"},
    "rabbitmq": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
}
# Where each secret of .env may go: the containers that need it, and no other.
SECRET_HOLDERS = {
    "APP_SECRET_KEY": {"migrate", "web", "celery_worker", "celery_beat", "flower"},
    "POSTGRES_PASSWORD": {"db", "migrate"},
    "FIRST_SUPERUSER_PASSWORD": {"migrate"},
    "SMTP_PASSWORD": {"celery_worker"},
    "FLOWER_BASIC_AUTH": {"flower"},
}
# Keys of .env that compose sets otherwise (its own URLs and profile) or never needs.
NOT_FOR_COMPOSE = {"APP_PROFILE", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
NOT_FOR_COMPOSE |= {"EMBEDDED_DIR"}
LOOPBACK = ("127.0.0.1:", "${WEB_BIND:-127.0.0.1}:")
# Flower's port stays on this machine whatever WEB_BIND says; FLOWER_BIND (default 127.0.0.1)
# widens it only where it is set on purpose (the GitLab compose job's Docker-in-Docker).
FLOWER_LOOPBACK = ("127.0.0.1:", "${FLOWER_BIND:-127.0.0.1}:")


def check_compose(project: Path) -> list[str]:
    """The stack's hardening: loopback ports, least capabilities, read-only roots, limits, and
    each container given only the settings it needs."""
    problems: list[str] = []
    text = (project / "compose.yaml").read_text()
    try:
        services = yaml.safe_load(text)["services"]
    except (yaml.YAMLError, TypeError, KeyError):
        return []  # reported above as invalid YAML, or by the compose schema check
    env_keys = [
        line.partition("=")[0]
        for line in (project / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for name, service in services.items():
        where = f"compose.yaml: {name}"
        image = service.get("image", "").split(":")[0]
        if "env_file" in service:
            problems.append(f"{where} takes the whole .env (env_file)")
        if service.get("cap_drop") != ["ALL"]:
            problems.append(f"{where} keeps Linux capabilities (no cap_drop: [ALL])")
        extra = set(service.get("cap_add", [])) - ENTRYPOINT_CAPS.get(image, set())
        if extra:
            problems.append(f"{where} adds capabilities {sorted(extra)}")
        if service.get("read_only") is not True or "/tmp" not in service.get("tmpfs", []):
            problems.append(f"{where}: root filesystem not read-only with a tmpfs /tmp")
        if "no-new-privileges:true" not in service.get("security_opt", []):
            problems.append(f"{where} may gain privileges (no no-new-privileges)")
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        if not {"memory", "cpus"} <= set(limits):
            problems.append(f"{where} has no memory or CPU limit")
        for port in service.get("ports", []):
            allowed = FLOWER_LOOPBACK if name == "flower" else LOOPBACK
            if not str(port).startswith(allowed):
                problems.append(f"{where} publishes {port} beyond this machine")
        environment = service.get("environment", {})
        for key, holders in SECRET_HOLDERS.items():
            if name not in holders and any(f"${{{key}" in str(v) for v in environment.values()):
                problems.append(f"{where} is given {key}")
        url = str(environment.get("DATABASE_URL", ""))
        owner = "${POSTGRES_USER:"
        if url and (owner in url) != (name == "migrate"):
            problems.append(f"{where} connects to the database as {url.split(':')[1]}")
        for key, value in environment.items():
            if str(value).startswith("redis://") and "redis://:${REDIS_PASSWORD:?" not in value:
                problems.append(f"{where}: {key} reaches Redis without its password")
    if "redis" in services and "--requirepass" not in services["redis"].get("command", []):
        problems.append("compose.yaml: Redis asks no password (--requirepass)")
    init_script = "./docker/postgres/init-app-role.sh:/docker-entrypoint-initdb.d/"
    mounted = [v for v in services["db"].get("volumes", []) if v.startswith(init_script)]
    if not mounted or not (project / "docker" / "postgres" / "init-app-role.sh").is_file():
        problems.append("compose.yaml: db does not create the application's database role")
    for key in env_keys:
        if key not in NOT_FOR_COMPOSE and not re.search(rf"\$\{{{key}[:?}}-]", text):
            problems.append(f"compose.yaml never passes {key} of .env to a container")
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
