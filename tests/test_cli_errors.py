"""Bad input: one clear line, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import git
from typer.testing import CliRunner

from fastcel import questions
from fastcel.cli import app


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def assert_refused(result, *fragments: str) -> str:
    """Exit code 2 with exactly one line holding every fragment."""
    assert result.exit_code == 2, result.output
    shown = lines(result.output)
    assert len(shown) == 1, result.output
    for fragment in fragments:
        assert fragment in shown[0], shown[0]
    return shown[0]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        pytest.param("a/b", "path separator", id="slash"),
        pytest.param("a\\b", "path separator", id="backslash"),
        pytest.param("", "empty", id="empty"),
        pytest.param("  ", "empty", id="blank"),
        pytest.param("..", "not a directory name", id="dotdot"),
        pytest.param("class", "Python keyword", id="keyword"),
        pytest.param("celery", "would shadow", id="celery"),
        pytest.param("FastAPI", "would shadow", id="fastapi-case"),
        pytest.param("1abc", "must start with a letter", id="leading-digit"),
        pytest.param("-x", "must start with a letter", id="leading-dash"),
        pytest.param("my.app", "may hold only letters, digits, spaces", id="dot"),
        pytest.param("a" * 64, "at most 63", id="too-long"),
        pytest.param("CON", "reserved file name on Windows", id="windows-device"),
    ],
)
def test_invalid_name(runner: CliRunner, in_tmp: Path, name: str, fragment: str) -> None:
    result = runner.invoke(app, ["new", "--defaults", "--no-setup", "--", name])
    assert_refused(result, fragment)
    assert list(in_tmp.iterdir()) == []


def test_existing_non_empty_destination(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "demo").mkdir()
    (in_tmp / "demo" / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup"])
    assert_refused(result, "exists and is not empty")
    assert [p.name for p in (in_tmp / "demo").iterdir()] == ["keep.txt"]


def test_destination_is_a_file(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "taken").write_text("x")
    result = runner.invoke(app, ["new", "demo", "--dest", "taken", "--defaults"])
    assert_refused(result, "not a directory")
    assert (in_tmp / "taken").read_text() == "x"


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        pytest.param(["-d", "colour=blue"], ["unknown --data key 'colour'", "broker"], id="key"),
        pytest.param(["-d", "broker=kafka"], ["broker='kafka'", "redis, rabbitmq"], id="choice"),
        pytest.param(["-d", "python_version=3.9"], ["3.12, 3.13, 3.11"], id="python"),
        pytest.param(["-d", "use_beat=maybe"], ["use_beat", "true/false"], id="bool"),
        pytest.param(["-d", "broker"], ["KEY=VALUE"], id="no-equals"),
        pytest.param(["-d", "=x"], ["KEY=VALUE"], id="no-key"),
        pytest.param(["-d", "project_slug=celery"], ["would shadow"], id="slug"),
        pytest.param(["-d", "project_slug=Bad-Slug"], ["lowercase Python identifier"], id="slug2"),
        pytest.param(["-d", "project_name=9lives"], ["must start with a letter"], id="pname"),
        pytest.param(["-d", "author_email=nobody"], ["name@example.com"], id="email"),
    ],
)
def test_invalid_data(runner: CliRunner, in_tmp: Path, data: list[str], fragments) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup", *data])
    assert_refused(result, *fragments)
    assert not (in_tmp / "demo").exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param("colour: blue\n", "unknown --data key 'colour'", id="key"),
        pytest.param("use_flower: perhaps\n", "use_flower", id="bool"),
        pytest.param("- a\n- b\n", "must hold a mapping", id="list"),
        pytest.param("broker: [unclosed\n", "not valid YAML", id="yaml"),
    ],
)
def test_invalid_data_file(runner: CliRunner, in_tmp: Path, content: str, fragment: str) -> None:
    answers = in_tmp / "answers.yml"
    answers.write_text(content)
    result = runner.invoke(app, ["new", "demo", "--defaults", "--data-file", str(answers)])
    assert_refused(result, fragment)
    assert not (in_tmp / "demo").exists()


DRAWN = [key for key, spec in questions.bundled_questions().items() if questions.is_drawn(spec)]
# A newline in a drawn secret would add a setting of its own to .env.
INJECTED = "x" * 64 + '\nCORS_ORIGINS=["https://evil.example"]'


def test_every_secret_is_drawn() -> None:
    assert {"postgres_password", "redis_password", "secret_key"} <= set(DRAWN)


@pytest.mark.parametrize("key", DRAWN)
def test_drawn_answers_are_refused_from_data(runner: CliRunner, in_tmp: Path, key: str) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup", "-d", f"{key}=abc"])
    assert_refused(result, key, "drawn by the template", "never given with --data")
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize("key", DRAWN)
def test_drawn_answers_are_refused_from_a_data_file(
    runner: CliRunner, in_tmp: Path, key: str
) -> None:
    answers_file = in_tmp / "answers.yml"
    answers_file.write_text(yaml.safe_dump({"broker": "redis", key: INJECTED}))
    result = runner.invoke(
        app, ["new", "demo", "--defaults", "--no-setup", "--data-file", str(answers_file)]
    )
    assert_refused(result, key, "drawn by the template")
    assert [p.name for p in in_tmp.iterdir()] == ["answers.yml"]


def test_missing_data_file(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--data-file", "nope.yml"])
    assert_refused(result, "cannot read --data-file")


def test_no_git_on_path(runner: CliRunner, in_tmp: Path, monkeypatch, tmp_path_factory) -> None:
    empty = tmp_path_factory.mktemp("empty-bin")
    monkeypatch.setenv("PATH", str(empty))
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup"])
    assert_refused(result, "git is not on PATH")
    assert not (in_tmp / "demo").exists()
    # A git template at a ref: its questions are read with git, which is missing too.
    template = tmp_path_factory.mktemp("template")
    (template / ".git").mkdir()
    (template / "copier.yml").write_text("name:\n  default: x\n")
    at_ref = ["new", "demo", "--defaults", "--template", str(template), "--vcs-ref", "v1"]
    assert_refused(runner.invoke(app, at_ref), "git is not on PATH")
    assert not (in_tmp / "demo").exists()
    # --help and --version do not need git.
    assert runner.invoke(app, ["--version"]).exit_code == 0
    assert runner.invoke(app, ["new", "--help"]).exit_code == 0


def test_no_tty_without_defaults(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "demo", "--no-setup"], input="")
    assert_refused(result, "--defaults")
    assert not (in_tmp / "demo").exists()


HELPS = [
    ["--help"],
    ["new", "--help"],
    ["update", "--help"],
    ["add", "--help"],
    ["add", "domain", "--help"],
    ["add", "task", "--help"],
    ["templates", "--help"],
]


@pytest.mark.parametrize("args", HELPS, ids=[" ".join(args) for args in HELPS])
def test_help(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    wide = [line for line in result.output.splitlines() if len(line) > 80]
    assert not wide, "\n".join(wide)
    if args[:2] == ["add", "task"]:
        for option in ("--queue", "--periodic", "--path", "--pretend", "--no-setup", "--trust"):
            assert option in result.output
    if args[0] == "new":
        for option in (
            "--dest",
            "--defaults",
            "--data",
            "--data-file",
            "--template",
            "--vcs-ref",
            "--trust",
            "--no-setup",
            "--no-smoke",
        ):
            assert option in result.output


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output
    assert "new" in result.output and "update" in result.output


def test_version(runner: CliRunner) -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"fastcel {version('fastcel')}"


def test_update_refuses_a_folder_that_is_not_a_project(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["update", str(in_tmp), "--defaults"])
    assert_refused(result, "not a fastcel project")


def test_update_refuses_a_dirty_tree(runner: CliRunner, in_tmp: Path) -> None:
    created = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup"])
    assert created.exit_code == 0, created.output
    project = in_tmp / "demo"
    (project / "notes.txt").write_text("work in progress")
    before = git(project, "status", "--porcelain")
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert_refused(result, "uncommitted changes")
    assert git(project, "status", "--porcelain") == before


@pytest.mark.parametrize(
    ("pair", "near"),
    [
        ("brokr=redis", "broker"),
        ("use_flowr=false", "use_flower"),
        ("python=3.12", "python_version"),
        ("colour=red", None),
    ],
)
def test_an_unknown_data_key_suggests_the_nearest(
    runner: CliRunner, in_tmp: Path, pair: str, near: str | None
) -> None:
    result = runner.invoke(app, ["new", "demo", "--defaults", "--no-setup", "-d", pair])
    key = pair.partition("=")[0]
    if near:
        assert_refused(result, f"unknown --data key {key!r}: did you mean {near!r}?")
    else:
        assert_refused(result, f"unknown --data key {key!r} (known keys: project_name,")
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize("command", [[], ["new"], ["update"], ["templates"]])
def test_help_fits_80_columns_and_shows_no_value_for_flags(command: list[str]) -> None:
    """Flags take no value: --help shows none after them (Typer 0.29 wrote "<bool>")."""
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80"}, color=False)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "--help" in result.output and "Show this message and exit." in result.output
