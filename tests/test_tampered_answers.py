"""`fastcel update` refuses a project whose .copier-answers.yml was tampered with: one line,
exit code 2, nothing changed on disk (work tree, git status and HEAD)."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, commit_all, git, lines, snapshot
from typer.testing import CliRunner

from fastcel import update
from fastcel.cli import app
from fastcel.errors import UsageError
from fastcel.questions import bundled_questions
from fastcel.recorded_answers import check_recorded

ANSWERS = ".copier-answers.yml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project made by `fastcel new demo --defaults --no-setup` (which commits it)."""
    where = tmp_path_factory.mktemp("generated")
    with contextlib.chdir(where):
        result = CliRunner().invoke(app, ["new", "demo", "--defaults", "--no-setup"])
    assert result.exit_code == 0, result.output
    project = where / "demo"
    assert git(project, "status", "--porcelain") == ""
    return project


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> Path:
    """A fresh copy of the generated project (its git history included)."""
    copy = tmp_path / "demo"
    shutil.copytree(generated, copy, symlinks=True)
    return copy


def set_line(key: str, value: str) -> Callable[[str], str]:
    """Tamper: the line `key: ...` becomes `key: value`."""

    def edit(text: str) -> str:
        changed, count = re.subn(rf"(?m)^{key}: .*$", f"{key}: {value}", text)
        assert count == 1, text
        return changed

    return edit


def drop_line(key: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        changed, count = re.subn(rf"(?m)^{key}: .*\n", "", text)
        assert count == 1, text
        return changed

    return edit


TAMPERED = [
    pytest.param(lambda t: t + "broker: [kafka\n", ["not valid YAML"], id="invalid-yaml"),
    pytest.param(lambda t: "\t_commit: x\n" + t, ["not valid YAML"], id="tab-indent"),
    pytest.param(lambda t: "- redis\n- rabbitmq\n", ["holds a list", "mapping"], id="list"),
    pytest.param(lambda t: "just some text\n", ["holds a str", "mapping"], id="scalar"),
    pytest.param(lambda t: "", ["is empty"], id="empty"),
    pytest.param(drop_line("_src_path"), ["lacks _src_path"], id="no-src-path"),
    pytest.param(drop_line("_commit"), ["lacks _commit"], id="no-commit"),
    pytest.param(set_line("_commit", "''"), ["lacks _commit"], id="empty-commit"),
    pytest.param(
        set_line("broker", "kafka"), ["broker: 'kafka'", "redis, rabbitmq"], id="broker-choice"
    ),
    pytest.param(
        set_line("python_version", '"2.7"'),
        ["python_version: '2.7'", "3.12, 3.13, 3.11"],
        id="python-choice",
    ),
    pytest.param(
        set_line("result_backend", "mongodb"), ["result_backend: 'mongodb'"], id="backend-choice"
    ),
    pytest.param(
        set_line("use_beat", '"maybe"'), ["use_beat: 'maybe'", "not true or false"], id="bool"
    ),
    pytest.param(
        set_line("use_flower", "[true]"), ["use_flower: [True]", "not true or false"], id="bool2"
    ),
    pytest.param(set_line("ci_provider", "no"), ["ci_provider: False", "not text"], id="str"),
    pytest.param(
        set_line("project_slug", '"os"'),
        ["project_slug: 'os'", "validator", "would shadow"],
        id="slug-validator",
    ),
    pytest.param(
        set_line("project_slug", '"Not A Slug"'),
        ["project_slug: 'Not A Slug'", "lowercase Python identifier"],
        id="slug-shape",
    ),
    pytest.param(
        set_line("author_email", "nobody"),
        ["author_email: 'nobody'", "name@example.com"],
        id="email",
    ),
]


@pytest.mark.parametrize(("tamper", "fragments"), TAMPERED)
def test_tampered_answers_are_refused_and_nothing_changes(
    runner: CliRunner, project: Path, in_tmp: Path, tamper, fragments: list[str]
) -> None:
    answers = project / ANSWERS
    answers.write_text(tamper(answers.read_text()))
    commit_all(project, "tamper with the answers")
    head = git(project, "rev-parse", "HEAD")
    before = snapshot(project)
    assert git(project, "status", "--porcelain") == ""

    result = runner.invoke(app, ["update", "demo", "--defaults"], catch_exceptions=False)

    assert result.exit_code == 2, result.output
    shown = lines(result.output)
    assert len(shown) == 1, result.output
    assert shown[0].startswith("Error: ") and ANSWERS in shown[0], shown[0]
    for fragment in fragments:
        assert fragment in shown[0], shown[0]
    assert snapshot(project) == before
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head


def test_pretend_refuses_too(runner: CliRunner, project: Path, in_tmp: Path) -> None:
    answers = project / ANSWERS
    answers.write_text(set_line("broker", "kafka")(answers.read_text()))
    commit_all(project, "tamper")
    before = snapshot(project)
    result = runner.invoke(app, ["update", "demo", "--defaults", "--pretend"])
    assert result.exit_code == 2, result.output
    assert len(lines(result.output)) == 1 and "broker: 'kafka'" in result.output
    assert snapshot(project) == before


def test_the_untampered_project_passes_the_check(project: Path) -> None:
    recorded = update.check_project(project)
    assert recorded["_src_path"] == str(ROOT) and recorded["broker"] == "redis"


def test_a_missing_answers_file_is_not_a_project(runner: CliRunner, project: Path) -> None:
    (project / ANSWERS).unlink()
    commit_all(project, "no answers")
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert result.exit_code == 2, result.output
    assert len(lines(result.output)) == 1 and "not a fastcel project" in result.output


# check_recorded on its own: unknown keys pass, known keys are checked -------------------


def recorded(**changes) -> dict:
    answers = {
        "_commit": "v0.2.0",
        "_src_path": str(ROOT),
        "project_name": "demo",
        "project_slug": "demo",
        "python_version": "3.12",
        "broker": "redis",
        "result_backend": "redis",
        "use_beat": True,
        "use_flower": True,
        "ci_provider": "github",
        "author_email": "jane@example.com",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"ci": "gitlab"}, id="renamed-by-a-migration"),
        pytest.param({"retired_option": [1, 2], "_external_data": {}}, id="unknown"),
        pytest.param({"python_version": 3.13}, id="number-for-text"),
        pytest.param({"ci_provider": None, "ci": "none"}, id="v0.1-shape"),
    ],
)
def test_unknown_keys_are_tolerated(extra: dict) -> None:
    check_recorded(recorded(**extra), bundled_questions())


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"broker": "kafka"}, "broker: 'kafka'"),
        ({"python_version": "2.7"}, "python_version: '2.7'"),
        ({"use_beat": "maybe"}, "use_beat: 'maybe'"),
        ({"use_beat": 1}, "use_beat: 1"),
        ({"project_slug": "os"}, "project_slug: 'os'"),
        ({"project_slug": "celery"}, "project_slug: 'celery'"),
        ({"project_name": "9lives"}, "project_name: '9lives'"),
        ({"description": {"a": 1}}, "description: {'a': 1}"),
        ({"_commit": None}, "lacks _commit"),
        ({"_src_path": None}, "lacks _src_path"),
        ({"_src_path": ["a"]}, "_src_path: ['a']"),
        ({"project_slug": "x" * 200}, "..."),  # a long value is shortened, not dumped
    ],
)
def test_bad_values_are_named(changes: dict, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_recorded(recorded(**changes), bundled_questions(), "demo/.copier-answers.yml")
    assert fragment in caught.value.message
    assert caught.value.message.startswith("demo/.copier-answers.yml ")
    assert len(caught.value.message) < 400


def test_other_templates_need_only_src_path_and_commit() -> None:
    check_recorded(recorded(broker="kafka", use_beat="maybe", project_slug="os"), None)
    with pytest.raises(UsageError, match="lacks _commit"):
        check_recorded(recorded(_commit=None, broker="kafka"), None)
    with pytest.raises(UsageError, match="lacks _src_path"):
        check_recorded(recorded(_src_path=None), None)


def test_a_foreign_template_project_is_not_held_to_fastcels_questions(
    project: Path, tmp_path: Path
) -> None:
    """_src_path elsewhere: fastcel's questions are not that template's; only the keys count."""
    answers = project / ANSWERS
    text = set_line("_src_path", str(tmp_path / "someone-elses-template"))(answers.read_text())
    answers.write_text(set_line("broker", "kafka")(text))
    commit_all(project, "another template")
    assert update.check_project(project)["broker"] == "kafka"
    answers.write_text(drop_line("_commit")(answers.read_text()))
    commit_all(project, "no commit")
    with pytest.raises(UsageError, match="lacks _commit"):
        update.check_project(project)


# an unknown key does not stop a real update ----------------------------------------------


def test_unknown_keys_do_not_stop_an_update(
    runner: CliRunner, tmp_path: Path, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project of fastcel's template whose answers hold keys today's questions do not know
    (an older version's `ci`, an option since retired) updates to the next version."""
    from helpers import release
    from test_update import clone_repo

    repo = clone_repo(tmp_path / "fastcel")
    release(repo, "v1.0.0")
    # The clone stands for fastcel's own template: its answers are checked like the real one's.
    monkeypatch.setattr(
        update, "is_trusted", lambda src: Path(src).resolve() in {repo.resolve(), ROOT}
    )
    created = runner.invoke(
        app, ["new", "demo", "--defaults", "--no-setup", "--template", str(repo)]
    )
    assert created.exit_code == 0, created.output
    project = in_tmp / "demo"
    answers = project / ANSWERS
    answers.write_text(answers.read_text() + "ci: gitlab\nretired_option: [1, 2]\n")
    commit_all(project, "answers of an older version")
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA section of v1.1.0.\n")
    release(repo, "v1.1.0")

    # The same project with a bad value is refused: the clone's answers are checked.
    bad = tmp_path / "bad"
    shutil.copytree(project, bad, symlinks=True)
    (bad / ANSWERS).write_text(set_line("broker", "kafka")((bad / ANSWERS).read_text()))
    commit_all(bad, "tamper")
    refused = runner.invoke(app, ["update", str(bad), "--defaults"])
    assert refused.exit_code == 2 and "broker: 'kafka'" in refused.output, refused.output

    result = runner.invoke(app, ["update", "demo", "--defaults"])
    assert result.exit_code == 0, result.output
    after = yaml.safe_load(answers.read_text())
    assert after["_commit"] == "v1.1.0"
    assert (project / "README.md").read_text().endswith("A section of v1.1.0.\n")
