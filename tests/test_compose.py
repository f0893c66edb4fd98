"""`docker compose` of a generated project, for real: every broker x result-backend pair, with
beat and Flower, through the project's own docker/smoke/smoke.py, the script its CI runs too.

The smoke builds the image from the project's Dockerfile and uv.lock, starts compose.yaml, and
checks the stack through its published ports (readiness, a task through the API, the welcome
email, Flower's login), then a worker killed and one stopped mid-task, the migrate service,
non-root containers, the volumes across `down` and `up`, and that `down -v` leaves nothing.

No registry is reachable here: the images compose.yaml and the Dockerfile name are stand-ins
built from Debian packages (tests/containers/standins.py). They test our files, not upstream
images. Needs a Docker engine and Compose v2: `bash .ci/docker` sets both up (as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from containers.standins import ensure_standins
from helpers import lock, rendered

from fastcel.interpreters import find_python
from fastcel.process import free_port

PAIRS = [(broker, backend) for broker in ("redis", "rabbitmq") for backend in ("redis", "postgres")]
SMOKE_SECONDS = 1500
pytestmark = pytest.mark.compose


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A Docker engine with Compose v2 answering, and the stand-in images built."""
    missing = (
        shutil.which("docker") is None
        or subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30
        ).returncode
        != 0
    )
    if missing or subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode:
        pytest.fail("the compose test needs a Docker engine and Compose v2: sudo bash .ci/docker")
    ensure_standins()


@pytest.mark.parametrize(("broker", "result_backend"), PAIRS, ids=[f"{b}-{r}" for b, r in PAIRS])
def test_the_stack_runs_in_containers(copie, template_copy, docker_engine, broker, result_backend):
    answers = {
        "broker": broker,
        "result_backend": result_backend,
        "use_beat": True,
        "use_flower": True,
        "ci_provider": "none",
    }
    project = rendered(copie.copy(extra_answers=answers, template_dir=template_copy))
    python_version = yaml.safe_load((project / ".copier-answers.yml").read_text())["python_version"]
    lock(project, find_python(python_version).exe)  # as `fastcel new` does
    name = f"fastcel-compose-{broker}-{result_backend}-{os.getpid()}"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": name,
        "WEB_PORT": str(free_port()),
        "FLOWER_PORT": str(free_port()),
    }
    try:
        done = subprocess.run(
            ["python3", "docker/smoke/smoke.py"], cwd=project, env=env,
            capture_output=True, text=True, timeout=SMOKE_SECONDS,
        )  # fmt: skip
    finally:  # the smoke takes its stack down itself, unless it was killed (timeout)
        subprocess.run(
            ["docker", "compose", "-p", name, "down", "--volumes", "--remove-orphans"],
            capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            ["docker", "image", "rm", "--force", f"{name}-app:smoke"],
            capture_output=True,
            timeout=60,
        )
    checks = [line for line in done.stdout.splitlines() if line.startswith("ok ")]
    assert done.returncode == 0, (
        f"broker={broker} result_backend={result_backend}: the compose smoke failed "
        f"(reproduce: fastcel new demo --defaults -d broker={broker} "
        f"-d result_backend={result_backend} -d use_beat=true -d use_flower=true, then "
        f"python3 docker/smoke/smoke.py)\n{done.stdout}\n{done.stderr}"
    )
    seen = {line.split()[1].rstrip(":") for line in checks}
    assert seen == {"ready", "task", "email", "mention", "avatar", "flower", "users", "kill",
                    "stop", "migrate", "volumes", "down"}, done.stdout  # fmt: skip
