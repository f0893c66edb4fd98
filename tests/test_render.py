"""`fastcel new` rendering: answers, destinations, secrets and the bundled template."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, dotenv, git, new
from typer.testing import CliRunner

from fastcel import render
from fastcel.cli import app
from fastcel.errors import FastcelError, UsageError
from fastcel.new import template_path
from fastcel.template import bundled_template, is_bundled, rendering_source

SECRET_KEYS = ("APP_SECRET_KEY", "POSTGRES_PASSWORD", "FLOWER_BASIC_AUTH")


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
        # Readable by its owner only: the other users of the machine never see the secrets.
        assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600


def test_dest_data_file_and_data(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "answers.yml").write_text("broker: rabbitmq\nci_provider: none\nuse_flower: no\n")
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
        "ci_provider=gitlab",
        "-d",
        "use_beat=false",
    )
    recorded = yaml.safe_load((in_tmp / "empty" / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == "acme_billing"
    assert recorded["broker"] == "rabbitmq"
    assert recorded["ci_provider"] == "gitlab"  # --data wins over --data-file
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
    with (
        pytest.raises(FastcelError, match="rendering failed"),
        rendering_source(str(broken), None, trust=False) as source,
    ):
        render.render(source, dest, {}, defaults=True)
    assert not dest.exists()


def test_render_reports_copier_validation_as_usage_error(tmp_path: Path) -> None:
    with (
        pytest.raises(UsageError, match="author_email"),
        rendering_source(None, None, trust=False) as source,
    ):
        render.render(source, tmp_path / "out", {"author_email": "x"}, defaults=True)
    assert not (tmp_path / "out").exists()


def test_check_destination(tmp_path: Path) -> None:
    render.check_destination(tmp_path / "missing")
    render.check_destination(tmp_path)  # empty
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError):
        render.check_destination(tmp_path)


def test_bundled_template_is_the_checkout() -> None:
    assert bundled_template() == ROOT
    assert is_bundled(ROOT) and is_bundled(str(ROOT / "src" / ".."))
    assert not is_bundled("/tmp")
    assert template_path(None) == ROOT
    assert template_path(".") == Path.cwd()


# A fastcel checkout renders its template, not whatever else lies in it -------------------


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean clone of this repository, used as fastcel's own template."""
    clone = tmp_path / "fastcel"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    import fastcel.new
    import fastcel.template

    monkeypatch.setattr(fastcel.template, "bundled_template", lambda: clone)
    monkeypatch.setattr(fastcel.new, "bundled_template", lambda: clone)
    return clone


def test_untracked_files_of_the_checkout_change_nothing(
    runner: CliRunner, tmp_path: Path, checkout: Path
) -> None:
    """A project left inside the checkout (a nested git repository) and a stray file: the
    next render takes the committed template and records a commit the checkout holds."""
    nested = checkout / "myproj"
    nested.mkdir()
    (nested / "x.txt").write_text("x\n")
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x"],
    ):
        git(nested, *args)
    (checkout / "notes.txt").write_text("mine\n")
    dest = tmp_path / "out"
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup", "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(checkout)
    commit = git(checkout, "rev-parse", f"{recorded['_commit']}^{{commit}}").strip()
    assert commit == git(checkout, "rev-parse", "HEAD").strip()
    assert not (dest / "notes.txt").exists() and not (dest / "myproj").exists()


def test_uncommitted_template_changes_render_but_record_no_version(
    runner: CliRunner, tmp_path: Path, checkout: Path
) -> None:
    readme = checkout / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line not committed yet.\n")
    (checkout / "notes.txt").write_text("mine\n")
    dest = tmp_path / "out"
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup", "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert "uncommitted template changes (template/README.md.jinja)" in result.output
    assert "A line not committed yet." in (dest / "README.md").read_text()
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(checkout) and "_commit" not in recorded
    assert not (dest / "notes.txt").exists()
    updated = runner.invoke(app, ["update", str(dest), "--defaults"])
    assert updated.exit_code == 2
    assert "lacks _commit" in updated.output
