"""`fastcel add task`: the checks of its words, what it refuses (one line, nothing changed), and
what it renders into a domain. Running a task through a worker, and updating it, is
test_add.py's end-to-end test."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import clean_env, commit_all, git, run_fastcel
from typer.testing import CliRunner

from fastcel.cli import app
from fastcel.errors import UsageError
from fastcel.task_spec import check_cron, check_task_name


@pytest.mark.parametrize(
    ("expression", "normal"),
    [
        ("*/15 * * * *", "*/15 * * * *"),
        ("0  6 * *   1-5", "0 6 * * 1-5"),
        ("0,30 9-17/2 1 1-12 0", "0,30 9-17/2 1 1-12 0"),
    ],
)
def test_cron_expressions(expression: str, normal: str) -> None:
    assert check_cron(expression) == normal


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "has 5 fields"),
        ("60 * * * *", "minute '60' is outside 0-59"),
        ("* 24 * * *", "hour '24' is outside 0-23"),
        ("* * 0 * *", "day of month '0' is outside 1-31"),
        ("* * * 13 *", "month '13' is outside 1-12"),
        ("* * * * 7", "day of week '7' is outside 0-6"),
        ("5-1 * * * *", "ends before it starts"),
        ("*/0 * * * *", "step 0 is outside 1-59"),
        ("@hourly * * * *", "is not *, N, N-M or a step"),
    ],
)
def test_bad_cron_expressions(expression: str, message: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_cron(expression)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Recount", "must be a lowercase letter"),
        ("re-count", "must be a lowercase letter"),
        ("import", "is a Python keyword"),
        ("sum", "would shadow Python's built-in sum()"),
    ],
)
def test_bad_task_names(name: str, message: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_task_name(name)
    assert message in str(refused.value)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed project without a .venv, with a domain `customers` holding a task `sync`
    and a domain `notes` without tasks."""
    where = tmp_path_factory.mktemp("add-task")
    env = clean_env()
    run_fastcel(where, env, "new", "demo", "--defaults", "--no-setup")
    path = where / "demo"
    run_fastcel(path, env, "add", "domain", "customers", "-f", "name:str", "--no-setup")
    commit_all(path, "Add the customers domain")
    run_fastcel(path, env, "add", "task", "customers", "sync", "--no-setup")
    commit_all(path, "Add the customers.sync task")
    run_fastcel(path, env, "add", "domain", "notes", "-f", "body:text", "--no-setup")
    commit_all(path, "Add the notes domain")
    return path


def refused(project: Path, *args: str) -> str:
    """Run `fastcel add task ARGS` in `project`: it must refuse with one line (exit 2) and
    leave the work tree and HEAD as they were. Returns the line."""
    head = git(project, "rev-parse", "HEAD")
    result = CliRunner().invoke(app, ["add", "task", *args, "--path", str(project)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("orders", "recount"), "no domain added by `fastcel add domain` is named 'orders'"),
        (("users", "recount"), "a task of the project's own domains goes in their tasks.py"),
        (("customers", "sync"), "domain customers has a task named 'sync' already"),
        (("customers", "logger"), "src/demo/customers/tasks.py defines logger"),
        (("customers", "list"), "would shadow Python's built-in list()"),
        (("customers", "for"), "is a Python keyword"),
        (("customers", "Recount"), "must be a lowercase letter"),
        (("customers", "recount", "--queue", "urgent"), "choose one of default, high, low"),
        (("customers", "recount", "--periodic", "every hour"), "a cron expression has 5"),
        (("customers", "recount", "--periodic", "0 25 * * *"), "hour '25' is outside 0-23"),
    ],
)
def test_bad_requests_change_nothing(project: Path, args: tuple[str, ...], message: str):
    assert message in refused(project, *args)


def test_a_dirty_tree_or_a_folder_of_no_project_is_refused(project: Path, tmp_path: Path):
    result = CliRunner().invoke(app, ["add", "task", "customers", "recount",
                                      "--path", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2 and "is not a fastcel project" in result.output, result.output
    assert list(tmp_path.iterdir()) == []
    tasks = project / "src" / "demo" / "customers" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n# ours\n")
    try:
        result = CliRunner().invoke(app, ["add", "task", "customers", "recount",
                                          "--path", str(project)])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "has uncommitted changes: commit or stash them, then add" in result.output
        assert "def recount" not in tasks.read_text()
    finally:
        git(project, "checkout", str(tasks))


def test_periodic_needs_beat(tmp_path: Path) -> None:
    env = clean_env()
    run_fastcel(tmp_path, env, "new", "nobeat", "--defaults", "--no-setup",
                "--data", "use_beat=false")  # fmt: skip
    message = refused(tmp_path / "nobeat", "customers", "recount", "--periodic", "0 * * * *")
    assert "--periodic needs Celery beat, which this project does not run" in message


def test_a_task_is_rendered_into_its_domain_and_recorded(project: Path) -> None:
    """What the domain template renders for `sync` (default lane, no beat), and for a second
    task on another lane with a schedule; the project's own edits of tasks.py stay."""
    tasks = project / "src" / "demo" / "customers" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n\ndef our_helper() -> int:\n    return 1\n")
    commit_all(project, "our helper")
    pretend = CliRunner().invoke(app, ["add", "task", "customers", "nightly", "-q", "low",
                                       "--periodic", "30 2 * * *", "--pretend",
                                       "--path", str(project)])  # fmt: skip
    assert pretend.exit_code == 0, pretend.output
    assert "src/demo/customers/queues.py" in pretend.output
    assert "Nothing was written." in pretend.output
    assert git(project, "status", "--porcelain") == ""

    run_fastcel(project, clean_env(), "add", "task", "customers", "nightly", "-q", "low",
                "--periodic", "30 2 * * *", "--no-setup")  # fmt: skip
    recorded = yaml.safe_load((project / ".copier-answers.domain-customers.yml").read_text())
    assert recorded["domain_tasks"] == [
        {"name": "sync", "queue": "default", "periodic": ""},
        {"name": "nightly", "queue": "low", "periodic": "30 2 * * *"},
    ]
    text = tasks.read_text()
    assert "def sync(owner_id: int | None = None)" in text
    assert "def nightly(owner_id: int | None = None)" in text
    assert "def our_helper() -> int:\n    return 1\n" in text
    router = (project / "src" / "demo" / "customers" / "router.py").read_text()
    assert '"/tasks/sync"' in router and '"/tasks/nightly"' in router
    queues = (project / "src" / "demo" / "customers" / "queues.py").read_text()
    assert '"demo.customers.tasks.sync": "default"' in queues
    assert '"demo.customers.tasks.nightly": "low"' in queues
    assert 'crontab(minute="30", hour="2")' in queues
    test = (project / "tests" / "customers" / "test_tasks.py").read_text()
    assert "def test_nightly_is_sent_by_beat" in test
    git(project, "checkout", ".")
    git(project, "clean", "-fdq")


def test_a_task_that_meets_an_edit_is_left_as_a_conflict(project: Path) -> None:
    """The project changed the line of notes/router.py that the first task changes too."""
    router = project / "src" / "demo" / "notes" / "router.py"
    text = router.read_text()
    assert text.count("from . import service\n") == 1
    router.write_text(text.replace("from . import service\n", "from . import models, service\n"))
    commit_all(project, "our import")
    result = CliRunner().invoke(app, ["add", "task", "notes", "weekly", "--no-setup",
                                      "--path", str(project)])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert (
        "add task left conflicts in 1 file(s): src/demo/notes/router.py; resolve the"
        in " ".join(result.output.split())
    )
    merged = router.read_text()
    assert "<<<<<<<" in merged
    assert "from . import models, service\n" in merged
    assert "from . import service, tasks\n" in merged
    git(project, "reset", "--hard", "HEAD~1")
    git(project, "clean", "-fdq")
