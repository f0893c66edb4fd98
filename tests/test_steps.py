"""Set-up steps as small objects: commands, failures, interpreters, services."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest
from helpers import git
from typer.testing import CliRunner

from fastcel import interpreters, steps
from fastcel.cli import app
from fastcel.errors import StepFailed
from fastcel.new import next_steps

SECRET_KEYS = ("APP_SECRET_KEY", "POSTGRES_PASSWORD", "FLOWER_BASIC_AUTH")


# Steps as small objects -----------------------------------------------------------


def test_git_commit_without_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    project_dir = tmp_path / "p"
    project_dir.mkdir()
    (project_dir / "README.md").write_text("hi")
    project = steps.Project(project_dir, "p", author_name="Ada L", author_email="ada@example.com")
    result = steps.CommitProject()(project)
    assert result.ok, result.error
    assert git(project_dir, "log", "--format=%an <%ae>") == "Ada L <ada@example.com>\n"


def test_failed_command_carries_command_tail_and_rerun(tmp_path: Path) -> None:
    project = steps.Project(tmp_path, "p")
    script = "for i in range(50): print('line', i)\nraise SystemExit(3)"
    with pytest.raises(StepFailed) as caught:
        steps.run_command("demo", [sys.executable, "-c", script], project)
    err = caught.value
    assert err.tail.splitlines()[0] == "line 30"
    assert "line 49" in err.tail and "(exit code 3)" in err.tail
    assert err.command.startswith(sys.executable) and "cd " in err.rerun


def test_command_timeout(tmp_path: Path) -> None:
    project = steps.Project(tmp_path, "p")
    with pytest.raises(StepFailed, match="demo failed") as caught:
        cmd = [sys.executable, "-c", "import time; time.sleep(30)"]
        steps.run_command("demo", cmd, project, timeout=1)
    assert "timed out after 1s" in caught.value.tail


class Recorder:
    """A StepReport that keeps what it is told."""

    def __init__(self) -> None:
        self.running_titles: list[str] = []
        self.results: list[steps.StepResult] = []

    def running(self, title: str):
        self.running_titles.append(title)
        return contextlib.nullcontext()

    def step(self, result: steps.StepResult) -> None:
        self.results.append(result)


class Failing(steps.Step):
    title = "first"

    def run(self, project: steps.Project) -> steps.Finding:
        raise StepFailed("first", "false", "boom", "rerun me")


class Finds(steps.Step):
    title = "finds"

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.seen: list[dict[str, str]] = []

    def run(self, project: steps.Project) -> steps.Finding:
        self.seen.append(dict(project.env))
        return steps.Finding("found", env=self.env)


def test_a_failing_step_stops_the_others(tmp_path: Path) -> None:
    later = Finds({})
    report = Recorder()
    with pytest.raises(StepFailed) as caught:
        steps.run_steps(steps.Project(tmp_path, "p"), [Failing(), later], report)
    assert caught.value.rerun == "rerun me"
    assert report.running_titles == ["first"]
    assert [(r.title, r.ok) for r in report.results] == [("first", False)]
    assert later.seen == []


def test_what_a_step_finds_reaches_the_steps_after_it(tmp_path: Path) -> None:
    first, second = Finds({"APP_PROFILE": "embedded"}), Finds({})
    start = steps.Project(tmp_path, "p")
    end = steps.run_steps(start, [first, second], Recorder())
    assert first.seen == [{}] and second.seen == [{"APP_PROFILE": "embedded"}]
    assert end.env == {"APP_PROFILE": "embedded"} and start.env == {}


def test_plan() -> None:
    titles = [step.title for step in steps.new_project_plan(setup=False)]
    assert titles == ["lock dependencies", "git init + first commit"]
    untrusted = [step.title for step in steps.new_project_plan(setup=False, lock=False)]
    assert untrusted == ["git init + first commit"]
    full = [step.title for step in steps.new_project_plan()]
    assert full == [
        "lock dependencies",
        "git init + first commit",
        "virtual environment",
        "service accounts",
        "services",
        "migrations",
        "smoke test",
    ]
    assert [step.title for step in steps.new_project_plan(smoke=False)] == full[:-1]


def test_find_python_skips_broken_shims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shim = tmp_path / "python3.13"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    assert interpreters.python_version_of(str(shim)) is None
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = interpreters.find_python("3.11")
    assert found.exe != str(shim) and found.version >= (3, 11)
    assert interpreters.python_version_of(found.exe) == found.version


def test_find_python_explains_when_none_fits() -> None:
    with pytest.raises(interpreters.NoInterpreter, match=r"no Python >= 3\.99") as caught:
        interpreters.find_python("3.99")
    assert "--python" in caught.value.hint


def test_the_answered_python_version_is_used_when_it_is_found() -> None:
    """python_version=3.12 gives 3.12 even when a newer Python is found first."""
    found = {interpreters.python_version_of(exe) for exe in interpreters.python_candidates()}
    for wanted in ("3.11", "3.12", "3.13"):
        if interpreters.parse_version(wanted) in found:
            chosen = interpreters.find_python(wanted)
            assert chosen.label == wanted and chosen.notice == ""


def test_a_newer_python_is_said_when_the_answered_one_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newest = max(
        v for exe in interpreters.python_candidates() if (v := interpreters.python_version_of(exe))
    )
    real = interpreters.python_version_of
    # Every interpreter of the answered version "does not run": the newest one is used.
    wanted = (newest[0], newest[1] - 1)
    monkeypatch.setattr(
        interpreters,
        "python_version_of",
        lambda exe, timeout=15: None if real(exe) == wanted else real(exe),
    )
    chosen = interpreters.find_python(f"{wanted[0]}.{wanted[1]}")
    assert chosen.version == newest
    assert chosen.notice.startswith(
        f"Python {wanted[0]}.{wanted[1]} (the project's python_version)"
    )
    assert f"using {newest[0]}.{newest[1]}" in chosen.notice


def fake_project(tmp_path: Path, health: str) -> steps.Project:
    """A project whose `.venv/bin/python -m fake.health` runs `health`."""
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (tmp_path / "fake" / "health").mkdir(parents=True)
    (tmp_path / "fake" / "__init__.py").write_text("")
    (tmp_path / "fake" / "health" / "__init__.py").write_text("")
    (tmp_path / "fake" / "health" / "__main__.py").write_text(health)
    return steps.Project(tmp_path, "fake")


HEALTH = """
import os, sys
if os.environ.get("APP_PROFILE") != "embedded":
    print("database: connection refused")
    print("broker: [Errno 111] Connection refused")
    print("result_backend: ok")
    sys.exit(1)
"""


def test_probe_falls_back_to_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_PROFILE", raising=False)
    project = fake_project(tmp_path, HEALTH)
    (tmp_path / ".env").write_text("APP_PROFILE=services\nOTHER=kept\n")
    (tmp_path / ".env").chmod(0o600)
    result = steps.ProbeServices(record_profile=True)(project)
    assert result.ok, result.error
    assert result.finding.env == {"APP_PROFILE": "embedded"} and result.finding.notice
    assert result.finding.detail == (
        "database, broker unreachable: using the embedded profile (SQLite, filesystem broker), "
        "APP_PROFILE=embedded in .env"
    )
    # The project's own commands now run on the embedded profile too, and .env stays private.
    assert (tmp_path / ".env").read_text() == "APP_PROFILE=embedded\nOTHER=kept\n"
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    assert project.env == {}  # the step returns the profile, it does not change the project
    assert project.with_env(result.finding.env).prefix() == "APP_PROFILE=embedded "


def test_the_probe_of_an_update_leaves_env_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_PROFILE", raising=False)
    project = fake_project(tmp_path, HEALTH)
    (tmp_path / ".env").write_text("APP_PROFILE=services\n")
    result = steps.ProbeServices()(project)
    assert result.finding.env == {"APP_PROFILE": "embedded"}
    assert (tmp_path / ".env").read_text() == "APP_PROFILE=services\n"


def test_a_check_other_than_the_services_does_not_change_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the migrations the outbox's table does not exist: readiness says so, the profile
    stays the services one."""
    monkeypatch.delenv("APP_PROFILE", raising=False)
    health = (
        "import sys\n"
        "print('database: ok\\nbroker: ok\\nresult_backend: ok\\noutbox: unavailable: no table')\n"
        "sys.exit(1)\n"
    )
    result = steps.ProbeServices(record_profile=True)(fake_project(tmp_path, health))
    assert result.ok, result.error
    assert result.finding.detail == "database, broker and result backend reachable"
    assert result.finding.env == {}


def test_probe_reports_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_PROFILE", raising=False)
    project = fake_project(tmp_path, "import nonexistent_module_xyz\n")
    result = steps.ProbeServices()(project)
    assert not result.ok
    assert "ModuleNotFoundError" in result.error.tail


PASSWORD = "hunter2-first-superuser"
UPGRADES = (
    "INFO alembic.runtime.migration: Running upgrade  -> 0001, users\n"
    "INFO alembic.runtime.migration: Running upgrade 0001 -> 0002, jobs\n"
)


def migrations_project(tmp_path: Path, prestart: str, alembic: str = "") -> steps.Project:
    """A project whose prestart is `prestart` and whose `.venv/bin/alembic` prints `alembic`
    (and leaves a mark that it ran)."""
    project = fake_project(tmp_path, "")
    (tmp_path / "fake" / "prestart.py").write_text(prestart)
    script = tmp_path / ".venv" / "bin" / "alembic"
    script.write_text(f"#!/bin/sh\ntouch alembic-ran\nprintf '%s' '{alembic}' >&2\n")
    script.chmod(0o755)
    (tmp_path / ".env").write_text(f"APP_PROFILE=services\nFIRST_SUPERUSER_PASSWORD={PASSWORD}\n")
    return project


def test_migrations_run_the_prestart_and_say_what_it_did(tmp_path: Path) -> None:
    prestart = (
        "import sys\n"
        f"sys.stderr.write({UPGRADES!r})\n"
        "print('INFO fake.prestart: Migrations applied; superuser ada@example.org created')\n"
    )
    result = steps.Migrate()(migrations_project(tmp_path, prestart))
    assert result.ok, result.error
    assert result.finding.detail == (
        "fake.prestart: 2 migration(s) applied, superuser ada@example.org created"
    )
    assert (tmp_path / "alembic-ran").exists()  # changes nothing after this prestart


def test_migrations_of_an_older_prestart_that_only_waits(tmp_path: Path) -> None:
    """Before accounts the prestart only waited for the database: alembic migrates."""
    project = migrations_project(
        tmp_path, "print('INFO fake.prestart: Database is ready')\n", UPGRADES
    )
    result = steps.Migrate()(project)
    assert result.ok, result.error
    assert result.finding.detail == "fake.prestart: 2 migration(s) applied"


def test_a_failing_prestart_never_shows_the_password(tmp_path: Path) -> None:
    prestart = f"print('cannot create the superuser with {PASSWORD}')\nraise SystemExit(1)\n"
    result = steps.Migrate()(migrations_project(tmp_path, prestart))
    assert not result.ok
    assert result.error.command == ".venv/bin/python -m fake.prestart"
    assert "with ***" in result.error.tail and PASSWORD not in result.error.tail
    assert not (tmp_path / "alembic-ran").exists()


def test_next_steps_mention_the_embedded_profile(tmp_path: Path) -> None:
    project = steps.Project(tmp_path / "demo", "demo")
    lines = next_steps(project, cwd=tmp_path)
    assert lines[0] == "cd demo"
    assert any("docker compose up" in line for line in lines)
    assert "APP_PROFILE=embedded .venv/bin/uvicorn demo.main:app --reload" in lines
    assert "APP_PROFILE=embedded .venv/bin/python -m demo.prestart" in lines
    assert not any("alembic" in line for line in lines)
    # Without set-up the commands are the same, after making the .venv they use.
    bare = next_steps(project, cwd=tmp_path, venv=False)
    make_venv = "uv sync                      # .venv from uv.lock, dev tools included"
    assert bare == [*lines[:3], make_venv, *lines[3:]]
    assert max(len(line) for line in lines + bare) <= 76  # the panel never wraps a command


def test_a_failing_step_exits_1_and_keeps_the_files(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--python", "/nonexistent/python"])
    assert result.exit_code == 1, result.output
    # The first step that needs the interpreter: uv.lock is resolved with it.
    assert "✗ lock dependencies" in result.output
    assert "Error: lock dependencies failed: /nonexistent/python" in result.output
    assert "/nonexistent/python does not run" in result.output
    assert f"The generated files stay in {in_tmp / 'demo'}." in result.output
    assert "migrations" not in result.output  # later steps are skipped
    assert (in_tmp / "demo" / ".copier-answers.yml").exists()


def test_embedded_environment_drops_celery_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", "redis://127.0.0.1:1/1")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere")
    project = steps.Project(Path("/tmp/p"), "p")
    assert project.environ()["CELERY_BROKER_URL"] == "redis://127.0.0.1:1/0"
    assert "VIRTUAL_ENV" not in project.environ()
    env = project.with_env({"APP_PROFILE": "embedded"}).environ(CELERY_QUEUE="q")
    assert "CELERY_BROKER_URL" not in env and "CELERY_RESULT_BACKEND" not in env
    assert env["APP_PROFILE"] == "embedded" and env["CELERY_QUEUE"] == "q"


def test_no_setup_still_commits_a_lock(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup"])
    assert result.exit_code == 0, result.output
    assert "✓ lock dependencies" in result.output and "packages pinned" in result.output
    project = in_tmp / "demo"
    assert "uv.lock" in git(project, "show", "--name-only", "--format=", "HEAD").split()
    assert 'name = "fastapi"' in (project / "uv.lock").read_text()
    assert not (project / ".venv").exists()


def test_no_setup_with_the_index_unreachable_says_how_to_lock(
    runner: CliRunner, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An index on a closed port and an empty cache: nothing to resolve from.
    monkeypatch.setenv("UV_DEFAULT_INDEX", "http://127.0.0.1:1/simple")
    monkeypatch.setenv("UV_CACHE_DIR", str(in_tmp / "empty-cache"))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup"])
    assert result.exit_code == 0, result.output
    assert "uv.lock not written (Failed to fetch: http://127.0.0.1:1/simple/" in result.output
    assert "uv lock    # once the package index is reachable" in result.output
    project = in_tmp / "demo"
    assert not (project / "uv.lock").exists()
    assert git(project, "log", "--format=%s").splitlines() == ["Initial commit from fastcel"]


def test_an_update_that_changed_pyproject_relocks_and_lists_the_changes(tmp_path: Path) -> None:
    from fastcel.interpreters import find_python, uv_binary

    project = steps.Project(tmp_path, "tiny")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "tiny"\nversion = "1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["six==1.16.0"]\n'
    )
    python = find_python("3.11").exe
    env = project.environ(UV_PYTHON_DOWNLOADS="never")
    steps.run_command("venv", [uv_binary(), "venv", "-q", "--python", python], project, env=env)
    steps.run_command("lock", [uv_binary(), "lock", "-q"], project, env=env)
    # What the template's new version asks for.
    pyproject.write_text(pyproject.read_text().replace("six==1.16.0", "six==1.17.0"))
    result = steps.InstallDependencies()(project)
    assert result.ok, result.error
    assert result.finding.detail.startswith("pyproject.toml changed; uv.lock: 1 change(s)")
    assert result.finding.advice == ("Updated six v1.16.0 -> v1.17.0",)
    assert 'version = "1.17.0"' in (tmp_path / "uv.lock").read_text()
    installed = list((tmp_path / ".venv").glob("lib/python*/site-packages/six-1.17.0.dist-info"))
    assert installed, "the new lock was installed into .venv"
