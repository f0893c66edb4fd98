"""`fastcel update`: a new template version arrives; conflicts are reported."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from helpers import ROOT, git, new
from typer.testing import CliRunner

from fastcel import update
from fastcel.cli import app
from fastcel.errors import ConflictsFound

SECRET_KEYS = ("APP_SECRET_KEY", "POSTGRES_PASSWORD", "FLOWER_BASIC_AUTH")


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
