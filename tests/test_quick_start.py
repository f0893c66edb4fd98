"""fastcel's README Quick start, run as a new user runs it: a fresh clone of this repository, a
shell with no virtual environment active and no service URL exported, the block's commands in
order. Needs PostgreSQL (trust auth for local superuser connections), Redis and RabbitMQ on
127.0.0.1, as this machine has them."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import IDENTITY, ROOT, clean_env, dotenv, drop_role_and_its_databases, git

pytestmark = pytest.mark.slow


def readme_block(name: str) -> str:
    """The commands of the README's block between <!-- name --> and <!-- /name -->."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split(f"<!-- {name} -->", 1)[1].split(f"<!-- /{name} -->", 1)[0]
    return "\n".join(line for line in block.strip().splitlines() if not line.startswith("```"))


def new_user_shell() -> dict[str, str]:
    """This machine's shell as a new user has it: no virtual environment on PATH, none of the
    variables a test run or a service set-up would export."""
    env = clean_env()
    for variable in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "PIP_USER"):
        env.pop(variable, None)
    ours = {str(Path(sys.executable).parent), str(Path(sys.prefix) / "bin")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p not in ours)
    return env


def test_the_quick_start_works_as_written_from_a_fresh_clone(tmp_path: Path) -> None:
    """The block as the README prints it, in one shell (so `source` carries to the next line);
    then the README's block that adds two domains and a task to the project.
    Only the project's name is made unique: it names the PostgreSQL role and database that the
    service accounts step creates, which other runs on this server must not share."""
    name = f"myproj{secrets.token_hex(3)}"
    block = readme_block("quick-start")
    assert block.count("myproj") >= 3, block
    clone = tmp_path / "fastcel"
    subprocess.run(
        ["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120, capture_output=True
    )
    try:
        proc = subprocess.run(
            ["bash", "-e", "-c", block.replace("myproj", name)],
            cwd=clone,
            env=new_user_shell(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{block}\n---\n{output[-6000:]}"
        # fastcel new made and used the project's own accounts, and its services all answer
        assert re.search(rf"created PostgreSQL role {name} \(CREATEDB\)", output), output
        assert "smoke test" in output and "divide(1, 2) = 0.5" in output, output
        health = proc.stdout.splitlines()[-4:]  # the last command's lines
        assert health == ["database: ok", "broker: ok", "result_backend: ok", "outbox: ok"], output
        project = tmp_path / name
        assert dotenv(project)["APP_PROFILE"] == "services"
        assert dotenv(project)["POSTGRES_PASSWORD"] not in output
        assert git(project, "status", "--porcelain") == ""  # .venv and .env are git-ignored
        assert git(clone, "status", "--porcelain") == ""  # nothing left in the clone

        # Then the README's "Adding a domain" block, as printed, in the project.
        adding = readme_block("add-domain")
        env = new_user_shell()
        env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
        env.update(IDENTITY)  # the block commits: as a user whose git knows them
        proc = subprocess.run(["bash", "-e", "-c", adding], cwd=project, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=900)  # fmt: skip
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{adding}\n---\n{output[-6000:]}"
        for domain, tests in (("customers", 6), ("orders", 6)):
            assert f"{domain}_0001_create_{domain}.py applied" in output, output
            assert f"tests/{domain}: {tests} passed" in output, output
        assert "tests/orders: 10 passed" in output, output  # and its task's 4
        assert (project / "src" / name / "orders" / "router.py").is_file()
    finally:
        drop_role_and_its_databases(name)
