"""A template that is not fastcel's own never runs its commands (tasks, migrations) or loads
Jinja extensions without `--trust`: `fastcel new` and `fastcel update` refuse in one line,
exit 2, and leave nothing behind. fastcel's own template is trusted without the flag."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import ROOT, git, lines, make_template, release, snapshot
from typer.testing import CliRunner

from fastcel.cli import app
from fastcel.template import is_trusted, rendering_source

TASK = '_tasks:\n  - "touch task-ran"\n'
EXTENSION = "_jinja_extensions:\n  - jinja2.ext.loopcontrols\n"
MIGRATION = (
    "  - version: v2.0.0\n    when: \"{{ _stage == 'after' }}\"\n    command: touch migration-ran\n"
)


def new(runner: CliRunner, template: Path, *args: str):
    return runner.invoke(
        app, ["new", "demo", "--defaults", "--no-setup", "--template", str(template), *args]
    )


@pytest.mark.parametrize(
    ("extra", "fragment"), [(TASK, "tasks"), (EXTENSION, "Jinja extensions")], ids=["task", "ext"]
)
def test_new_refuses_an_untrusted_template(
    runner: CliRunner, in_tmp: Path, tmp_path_factory, extra: str, fragment: str
) -> None:
    template = make_template(tmp_path_factory.mktemp("template"), extra)
    result = new(runner, template)
    assert result.exit_code == 2, result.output
    shown = lines(result.output)
    assert len(shown) == 1, result.output
    assert "pass --trust if you trust the template" in shown[0]
    assert fragment in shown[0] and str(template) in shown[0]
    assert not (in_tmp / "demo").exists()
    assert list(in_tmp.iterdir()) == []


def test_new_with_trust_runs_the_task(runner: CliRunner, in_tmp: Path, tmp_path_factory) -> None:
    template = make_template(tmp_path_factory.mktemp("template"), TASK)
    result = new(runner, template, "--trust")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "demo" / "task-ran").is_file()
    assert (in_tmp / "demo" / "README.md").read_text() == "# demo\n"


def test_a_template_without_tasks_needs_no_trust(
    runner: CliRunner, in_tmp: Path, tmp_path_factory
) -> None:
    template = make_template(tmp_path_factory.mktemp("template"))
    result = new(runner, template)
    assert result.exit_code == 0, result.output
    assert (in_tmp / "demo" / "README.md").is_file()
    assert not (in_tmp / "demo" / "task-ran").exists()


# The set-up steps install the rendered project and run its modules: the template's code.

PAYLOAD_PROJECT = {
    "pyproject.toml.jinja": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "{{ project_slug }}"\nversion = "1.0"\n\n'
        "[dependency-groups]\ndev = []\n\n"
        '[tool.hatch.build.targets.wheel]\npackages = ["src/{{ project_slug }}"]\n'
    ),
    "src/{{ project_slug }}/__init__.py": "",
    # What fastcel's services step runs: a payload would do anything here, as the user.
    "src/{{ project_slug }}/health/__init__.py": "",
    "src/{{ project_slug }}/health/__main__.py": (
        'import pathlib\npathlib.Path("payload-ran").touch()\nprint("database: ok")\n'
    ),
}


@pytest.fixture
def payload_template(tmp_path_factory) -> Path:
    """A template without tasks or extensions (Copier needs no --trust) whose project runs a
    payload when fastcel's set-up steps run its health module."""
    template = make_template(tmp_path_factory.mktemp("template"))
    for name, text in PAYLOAD_PROJECT.items():
        path = template / "template" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    release(template, "v1.1.0")
    return template


def test_new_without_trust_renders_and_commits_but_runs_no_setup(
    runner: CliRunner, in_tmp: Path, payload_template: Path
) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--template", str(payload_template)])
    assert result.exit_code == 0, result.output
    warned = [line for line in lines(result.output) if "no set-up step ran" in line]
    assert len(warned) == 1, result.output
    assert "pass --trust" in warned[0]
    project = in_tmp / "demo"
    assert git(project, "log", "--format=%s").splitlines() == ["Initial commit from fastcel"]
    assert (project / "src" / "demo" / "health" / "__main__.py").is_file()
    assert not (project / ".venv").exists()
    assert not (project / "payload-ran").exists()
    assert "uv sync " in result.output  # the user sets it up
    assert not (project / "uv.lock").exists()  # locking may build the project: its code


def test_new_with_trust_runs_the_setup_steps(
    runner: CliRunner, in_tmp: Path, payload_template: Path
) -> None:
    args = ["new", "demo", "--defaults", "--no-smoke", "--template", str(payload_template)]
    result = runner.invoke(app, [*args, "--trust"])
    # The tiny project has no prestart: the set-up stops at the migrations, after the payload ran.
    assert "no set-up step ran" not in result.output
    assert "✓ virtual environment" in result.output and "✓ services" in result.output
    assert (in_tmp / "demo" / "payload-ran").is_file()
    assert result.exit_code == 1 and "migrations" in result.output


def test_fastcels_own_template_is_trusted(tmp_path: Path) -> None:
    for template, trust, trusted in (
        (None, False, True),
        (str(tmp_path), False, False),
        (str(tmp_path), True, True),
    ):
        with rendering_source(template, None, trust=trust) as source:
            assert source.trusted is trusted
    assert is_trusted(str(ROOT))
    assert not is_trusted(str(tmp_path))


# fastcel update: a newer version that adds a task or a migration -------------------------


def add_task(template: Path) -> str:
    config = template / "copier.yml"
    config.write_text(config.read_text() + TASK)
    return "task-ran"


def add_migration(template: Path) -> str:
    config = template / "copier.yml"
    text = config.read_text()
    assert text.count("\n_migrations:\n") == 1
    config.write_text(text.replace("\n_migrations:\n", "\n_migrations:\n" + MIGRATION))
    return "migration-ran"


@pytest.fixture
def project(runner: CliRunner, in_tmp: Path, tmp_path_factory) -> tuple[Path, Path]:
    """A project made from the tiny template at v1.0.0 (no tasks), committed by fastcel."""
    template = make_template(tmp_path_factory.mktemp("template"))
    result = new(runner, template)
    assert result.exit_code == 0, result.output
    project = in_tmp / "demo"
    assert git(project, "status", "--porcelain") == ""
    return template, project


@pytest.mark.parametrize(
    ("change", "fragment"),
    [(add_task, "tasks"), (add_migration, "migrations")],
    ids=["task", "migration"],
)
@pytest.mark.parametrize("pretend", [False, True], ids=["apply", "pretend"])
def test_update_refuses_new_commands_without_trust(
    runner: CliRunner, project: tuple[Path, Path], change, fragment: str, pretend: bool
) -> None:
    template, project = project
    marker = change(template)
    release(template, "v2.0.0")
    head = git(project, "rev-parse", "HEAD").strip()
    before = snapshot(project)

    args = ["update", str(project), "--defaults"] + (["--pretend"] if pretend else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    shown = lines(result.output)
    assert len(shown) == 1, result.output
    assert "pass --trust if you trust the template" in shown[0] and fragment in shown[0]
    assert f"nothing changed, the project is back at commit {head[:12]}" in shown[0]
    assert snapshot(project) == before
    assert not (project / marker).exists()
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD").strip() == head


@pytest.mark.parametrize("change", [add_task, add_migration], ids=["task", "migration"])
def test_update_with_trust_runs_them(runner: CliRunner, project: tuple[Path, Path], change) -> None:
    template, project = project
    marker = change(template)
    release(template, "v2.0.0")
    result = runner.invoke(app, ["update", str(project), "--defaults", "--trust"])
    assert result.exit_code == 0, result.output
    assert (project / marker).is_file()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v2.0.0"
