"""`fastcel new --no-setup`: render, commit, and the plain functions behind it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, git
from typer.testing import CliRunner

from fastcel import generate, steps, update
from fastcel.cli import app
from fastcel.errors import ConflictsFound, FastcelError, StepFailed, UsageError
from fastcel.template import bundled_template, is_bundled

SECRET_KEYS = ("APP_SECRET_KEY", "POSTGRES_PASSWORD", "FLOWER_BASIC_AUTH")


def new(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["new", *args])
    assert result.exit_code == 0, result.output
    return result.output


def dotenv(project: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (project / ".env").read_text().splitlines())
    return {p[0]: p[1] for p in pairs if len(p) == 2 and not p[0].startswith("#")}


def test_new_without_setup_renders_and_commits(runner: CliRunner, in_tmp: Path) -> None:
    output = new(runner, "demo", "--defaults", "--no-setup")
    project = in_tmp / "demo"
    assert "✓ render" in output and "✓ git init + first commit" in output
    assert "Next steps" in output and "cd demo" in output and "docker compose up" in output
    assert "virtual environment" not in output  # --no-setup skips the venv and later steps

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(ROOT)
    assert Path(recorded["_src_path"]).is_absolute()
    assert recorded["project_name"] == "demo" and recorded["project_slug"] == "demo"
    assert (project / "src" / "demo").is_dir()

    assert git(project, "log", "--format=%s").splitlines() == ["Initial commit from fastcel"]
    assert git(project, "status", "--porcelain") == ""
    tracked = git(project, "ls-files").splitlines()
    assert ".copier-answers.yml" in tracked
    assert not [f for f in tracked if "__pycache__" in f or f.endswith(".pyc")]


def test_secrets_differ_and_stay_out_of_git(runner: CliRunner, in_tmp: Path) -> None:
    new(runner, "one", "--defaults", "--no-setup")
    new(runner, "two", "--defaults", "--no-setup")
    envs = [dotenv(in_tmp / name) for name in ("one", "two")]
    for key in SECRET_KEYS:
        assert envs[0][key] != envs[1][key], key
    for name, env in zip(("one", "two"), envs, strict=True):
        project = in_tmp / name
        assert ".env" not in git(project, "ls-files").splitlines()
        assert ".env.example" in git(project, "ls-files").splitlines()
        assert "change-me" in (project / ".env.example").read_text()
        for key in SECRET_KEYS:
            secret = env[key].split(":")[-1]
            assert len(secret) >= 32
            found = subprocess.run(
                ["git", "grep", "-F", "-l", secret], cwd=project, capture_output=True, text=True
            )
            assert found.stdout == "", f"{key} is committed in {found.stdout}"
        answers_text = (project / ".copier-answers.yml").read_text()
        assert "password" not in answers_text and "secret_key" not in answers_text


def test_dest_data_file_and_data(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "answers.yml").write_text("broker: rabbitmq\nci: none\nuse_flower: no\n")
    (in_tmp / "empty").mkdir()
    new(
        runner,
        "Acme Billing",
        "--dest",
        "empty",
        "--defaults",
        "--no-setup",
        "--data-file",
        "answers.yml",
        "-d",
        "ci=gitlab",
        "-d",
        "use_beat=false",
    )
    recorded = yaml.safe_load((in_tmp / "empty" / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == "acme_billing"
    assert recorded["broker"] == "rabbitmq"
    assert recorded["ci"] == "gitlab"  # --data wins over --data-file
    assert recorded["use_flower"] is False and recorded["use_beat"] is False
    assert not (in_tmp / "Acme Billing").exists()


def test_name_with_spaces_makes_its_directory(runner: CliRunner, in_tmp: Path) -> None:
    new(runner, "Acme Billing", "--defaults", "--no-setup")
    recorded = yaml.safe_load((in_tmp / "Acme Billing" / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == "acme_billing"


def test_failed_render_leaves_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    (broken / "template").mkdir(parents=True)
    (broken / "copier.yml").write_text("_subdirectory: template\nname:\n  default: x\n")
    (broken / "template" / "ok.txt").write_text("fine")
    (broken / "template" / "bad.txt.jinja").write_text("{% if %}")
    dest = tmp_path / "out"
    with pytest.raises(FastcelError, match="rendering failed"):
        generate.render(dest, {}, defaults=True, template_src=str(broken))
    assert not dest.exists()


def test_render_reports_copier_validation_as_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="author_email"):
        generate.render(tmp_path / "out", {"author_email": "x"}, defaults=True)
    assert not (tmp_path / "out").exists()


def test_check_destination(tmp_path: Path) -> None:
    generate.check_destination(tmp_path / "missing")
    generate.check_destination(tmp_path)  # empty
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError):
        generate.check_destination(tmp_path)


def test_bundled_template_is_the_checkout() -> None:
    assert bundled_template() == ROOT
    assert is_bundled(ROOT) and is_bundled(str(ROOT / "src" / ".."))
    assert not is_bundled("/tmp")
    assert generate.template_source(None) == str(ROOT)
    assert generate.template_source(".") == str(Path.cwd())


# Steps as plain functions -----------------------------------------------------------


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
    result = steps.git_commit(project)
    assert result.ok, result.detail
    assert git(project_dir, "log", "--format=%an <%ae>") == "Ada L <ada@example.com>\n"


def test_failed_command_carries_command_tail_and_rerun(tmp_path: Path) -> None:
    project = steps.Project(tmp_path, "p")
    script = "for i in range(50): print('line', i)\nraise SystemExit(3)"
    with pytest.raises(StepFailed) as caught:
        steps.run("demo", [sys.executable, "-c", script], project)
    err = caught.value
    assert err.tail.splitlines()[0] == "line 30"
    assert "line 49" in err.tail and "(exit code 3)" in err.tail
    assert err.command.startswith(sys.executable) and "cd " in err.rerun


def test_command_timeout(tmp_path: Path) -> None:
    project = steps.Project(tmp_path, "p")
    with pytest.raises(StepFailed, match="demo failed") as caught:
        steps.run("demo", [sys.executable, "-c", "import time; time.sleep(30)"], project, timeout=1)
    assert "timed out after 1s" in caught.value.tail


def test_a_failing_step_stops_the_others(tmp_path: Path) -> None:
    calls = []

    @steps.step("first")
    def first(project):
        calls.append("first")
        raise StepFailed("first", "false", "boom", "rerun me")

    @steps.step("second")
    def second(project):
        calls.append("second")
        return ""

    results = list(steps.run_steps(steps.Project(tmp_path, "p"), [first, second]))
    assert calls == ["first"]
    assert [(r.name, r.ok) for r in results] == [("first", False)]
    assert results[0].error.rerun == "rerun me"


def test_plan() -> None:
    assert steps.plan(setup=False) == [steps.git_commit]
    assert steps.plan(smoke=False)[-1] is steps.migrate
    assert steps.plan()[-1] is steps.smoke_test


def test_find_python_skips_broken_shims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shim = tmp_path / "python3.13"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    assert steps.python_version_of(str(shim)) is None
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    exe, version = steps.find_python("3.11")
    assert exe != str(shim) and version >= (3, 11)
    assert steps.python_version_of(exe) == version


def test_find_python_explains_when_none_fits() -> None:
    with pytest.raises(StepFailed, match=r"find a Python >= 3\.99") as caught:
        steps.find_python("3.99")
    assert "--python" in caught.value.rerun


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
    result = steps.probe_services(project)
    assert result.ok
    assert project.env["APP_PROFILE"] == "embedded" and project.embedded
    assert result.detail == (
        "database, broker unreachable: using the embedded profile (SQLite, filesystem broker)"
    )
    assert project.notices == [result.detail]
    assert project.prefix() == "APP_PROFILE=embedded "


def test_probe_reports_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_PROFILE", raising=False)
    project = fake_project(tmp_path, "import nonexistent_module_xyz\n")
    result = steps.probe_services(project)
    assert not result.ok
    assert "ModuleNotFoundError" in result.error.tail
    assert "APP_PROFILE" not in project.env


def test_next_steps_mention_the_embedded_profile(tmp_path: Path) -> None:
    project = steps.Project(tmp_path / "demo", "demo")
    lines = steps.next_steps(project, cwd=tmp_path)
    assert lines[0] == "cd demo"
    assert any("docker compose up" in line for line in lines)
    assert "APP_PROFILE=embedded .venv/bin/uvicorn demo.main:app --reload" in lines


# update ---------------------------------------------------------------------------


def make_template(root: Path) -> Path:
    """A small git-tracked template with fastcel's questions, tagged v1."""
    (root / "template").mkdir(parents=True)
    shutil.copy(ROOT / "copier.yml", root / "copier.yml")
    shutil.copy(ROOT / "template" / "{{_copier_conf.answers_file}}.jinja", root / "template")
    (root / "template" / "README.md.jinja").write_text("# {{ project_name }}\n\nversion one\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "v1"], ["tag", "v1"]):
        git(root, *args)
    return root


def release(template: Path, text: str, tag: str) -> None:
    (template / "template" / "README.md.jinja").write_text(text)
    for args in (["commit", "-q", "-am", tag], ["tag", tag]):
        git(template, *args)


def test_update_applies_a_new_template_version(runner: CliRunner, in_tmp: Path) -> None:
    template = make_template(in_tmp / "tpl")
    new(runner, "demo", "--defaults", "--no-setup", "--template", str(template))
    release(template, "# {{ project_name }}\n\nversion two\n", "v2")
    result = runner.invoke(app, ["update", "demo", "--defaults"])
    assert result.exit_code == 0, result.output
    assert "✓ copier update" in result.output
    assert "version two" in (in_tmp / "demo" / "README.md").read_text()
    assert "_commit: v2" in (in_tmp / "demo" / ".copier-answers.yml").read_text()


def test_update_reports_conflicts(runner: CliRunner, in_tmp: Path) -> None:
    template = make_template(in_tmp / "tpl")
    new(runner, "demo", "--defaults", "--no-setup", "--template", str(template))
    project = in_tmp / "demo"
    (project / "README.md").write_text("# demo\n\nmy own words\n")
    git(project, "commit", "-q", "-am", "mine")
    release(template, "# {{ project_name }}\n\nversion two\n", "v2")
    result = runner.invoke(app, ["update", "demo", "--defaults"])
    assert result.exit_code == 1, result.output
    assert re.search(r"conflicts in 1 file\(s\): README\.md", result.output)
    assert "<<<<<<< " in (project / "README.md").read_text()
    assert update.conflicted_files(project) == ["README.md"]


def test_conflicts_found_lists_files() -> None:
    err = ConflictsFound(["a.py", "b.py"])
    assert err.exit_code == 1 and "a.py, b.py" in err.message


def test_a_failing_step_exits_1_and_keeps_the_files(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--python", "/nonexistent/python"])
    assert result.exit_code == 1, result.output
    assert "✓ git init + first commit" in result.output
    assert "✗ virtual environment" in result.output
    assert "Error: virtual environment failed: /nonexistent/python" in result.output
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
    project.env["APP_PROFILE"] = "embedded"
    env = project.environ(CELERY_QUEUE="q")
    assert "CELERY_BROKER_URL" not in env and "CELERY_RESULT_BACKEND" not in env
    assert env["APP_PROFILE"] == "embedded" and env["CELERY_QUEUE"] == "q"
