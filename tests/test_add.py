"""`fastcel add domain`: what it refuses (one line, nothing changed), and what it adds working.

The refusals run on one project generated without set-up; the end-to-end test generates a
project with its services, adds a shared and an owned domain (every field type, references
included), and runs the project's lint and the added tests on the services and on the embedded
profile.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import clean_env, commit_all, git, release, run_fastcel, run_in_project
from test_new_full import REDIS, database  # noqa: F401 (the fixture)
from test_update import TEMPLATE_SECTION, A, B, clone_repo
from typer.testing import CliRunner

from fastcel.add import register
from fastcel.cli import app
from fastcel.domain_spec import Field, model_name, parse_field
from fastcel.errors import UsageError

CUSTOMERS = ("customers", "--shared", "-f", "name:str:unique", "-f", "email:email?")
# Every field type, nullable and unique ones, and two references to the shared customers.
ORDERS = (
    "orders",
    *("-f", "title:str:unique", "-f", "note:text?", "-f", "quantity:int"),
    *("-f", "price:decimal", "-f", "paid:bool", "-f", "due:date?"),
    *("-f", "shipped_at:datetime?", "-f", "token:uuid:unique", "-f", "contact:email"),
    *("-f", "customer_id:ref:customers", "-f", "backup_customer_id:ref:customers?"),
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("title:str", Field("title", "str")),
        ("note:text?", Field("note", "text", nullable=True)),
        ("sku:str:unique", Field("sku", "str", unique=True)),
        ("due:date?:unique", Field("due", "date", nullable=True, unique=True)),
        ("customer_id:ref:customers", Field("customer_id", "ref", ref="customers")),
        ("backup:ref:customers?", Field("backup", "ref", nullable=True, ref="customers")),
    ],
)
def test_field_specs(spec: str, expected: Field) -> None:
    assert parse_field(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("title", "write it as NAME:TYPE"),
        ("title:string", "unknown type 'string'"),
        ("title:str:primary", "only ':unique' may follow the type"),
        ("class:str", "is a Python keyword"),
        ("id:int", "every domain has 'id' already"),
        ("Title:str", "the name must be a lowercase letter"),
        ("paid:bool:unique", "a bool field cannot be unique"),
        ("customer:ref", "a reference names its domain"),
    ],
)
def test_bad_field_specs(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_field(spec)


@pytest.mark.parametrize(
    ("domain", "model"),
    [
        ("orders", "Order"),
        ("categories", "Category"),
        ("addresses", "Address"),
        ("boxes", "Box"),
        ("order_items", "OrderItem"),
        ("news", "New"),
        ("staff", "Staff"),
    ],
)
def test_model_names(domain: str, model: str) -> None:
    assert model_name(domain) == model


def test_register_keeps_the_rest_of_domains_py(tmp_path: Path) -> None:
    module = tmp_path / "domains.py"
    module.write_text('"""Doc."""\n\nDOMAINS = ("health", "users")  # the list\n\nX = 1\n')
    register(module, "orders")
    assert module.read_text() == (
        '"""Doc."""\n\nDOMAINS = (\n    "health",\n    "users",\n    "orders",\n)'
        "  # the list\n\nX = 1\n"
    )


@pytest.fixture(scope="module")
def bare_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed project without a .venv (`fastcel new --no-setup`)."""
    where = tmp_path_factory.mktemp("add")
    run_fastcel(where, clean_env(), "new", "demo", "--defaults", "--no-setup")
    return where / "demo"


def refused(project: Path, *args: str) -> str:
    """Run `fastcel add domain ARGS` in `project`: it must refuse with one line (exit 2) and
    leave the work tree and HEAD as they were. Returns the line."""
    head = git(project, "rev-parse", "HEAD")
    result = CliRunner().invoke(app, ["add", "domain", *args, "--path", str(project)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-parse", "HEAD") == head
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "-f", "x:str"), "'users' is taken: src/demo/users exists"),
        (("config", "-f", "x:str"), "'config' is taken: src/demo/config.py exists"),
        (("demo", "-f", "x:str"), "is the project's own package name"),
        (("class", "-f", "x:str"), "is a Python keyword"),
        (("json", "-f", "x:str"), "would shadow a standard library module"),
        (("fastapi", "-f", "x:str"), "would shadow a package the project installs"),
        (("outage", "-f", "x:str"), "would shadow a folder or module of the project"),
        (("Orders", "-f", "x:str"), "must be a lowercase letter"),
        (("orders",), "give the domain at least one --field"),
        (("orders", "-f", "x:money"), "unknown type 'money'"),
        (("orders", "-f", "x:str", "-f", "x:int"), "'x' is given twice"),
        (("orders", "-f", "c:ref:customers"), "no domain added by `fastcel add domain`"),
        (("orders", "-f", "owner:ref:users"), "is named 'users'"),
        (("orders", "-f", "x:str", "--model", "order"), "must be a capital letter"),
    ],
)
def test_bad_requests_change_nothing(bare_project: Path, args: tuple[str, ...], message: str):
    assert message in refused(bare_project, *args)


def test_a_dirty_tree_or_a_folder_of_no_project_is_refused(bare_project: Path, tmp_path: Path):
    result = CliRunner().invoke(app, ["add", "domain", "orders", "-f", "x:str",
                                      "--path", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2 and "is not a fastcel project" in result.output, result.output
    assert list(tmp_path.iterdir()) == []
    readme = bare_project / "README.md"
    readme.write_text(readme.read_text() + "\nOur note.\n")
    try:
        result = CliRunner().invoke(app, ["add", "domain", "orders", "-f", "x:str",
                                          "--path", str(bare_project)])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "has uncommitted changes: commit or stash them, then add" in result.output
        assert not (bare_project / "src" / "demo" / "orders").exists()
    finally:
        git(bare_project, "checkout", "README.md")


def test_pretend_lists_the_files_and_writes_nothing(bare_project: Path) -> None:
    result = CliRunner().invoke(
        app, ["add", "domain", *CUSTOMERS, "--pretend", "--path", str(bare_project)]
    )
    assert result.exit_code == 0, result.output
    for name in ("src/demo/customers/router.py", "tests/customers/test_customers.py",
                 ".copier-answers.domain-customers.yml", "src/demo/domains.py"):  # fmt: skip
        assert name in result.output
    assert "Nothing was written." in result.output
    assert git(bare_project, "status", "--porcelain") == ""


ADDED_TESTS = ("tests/customers", "tests/orders", "tests/test_domains.py",
               "tests/test_migrations.py", "tests/test_api_schema.py",
               "tests/test_beat.py::test_beat_schedule_runs_registered_tasks")  # fmt: skip


HAND_EDIT = '\n\ndef our_own_helper() -> str:\n    return "kept"\n'
DOMAIN_CHANGE = " (template B)."


def change_both_templates(repo: Path) -> str:
    """Version B of the clone: a section in the project's README, a migration after the
    template's last, and a changed docstring in every domain's router. Returns the new
    migration's revision."""
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + TEMPLATE_SECTION)
    versions = repo / "template" / "migrations" / "versions"
    last = sorted(path.name.partition("_")[0] for path in versions.glob("[0-9]*_*.py"))[-1]
    revision = f"{int(last) + 1:04d}"
    (versions / f"{revision}_template_b.py").write_text(
        f'''"""Template B: a migration that arrives with an update.

Revision ID: {revision}
Revises: {last}
Create Date: 2026-12-04 00:00:00+00:00
"""

from collections.abc import Sequence

revision: str = "{revision}"
down_revision: str | None = "{last}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''
    )
    router = next((repo / "src" / "fastcel" / "domain_template").rglob("router.py.jinja"))
    text = router.read_text()
    assert text.count('."""\n') >= 1
    router.write_text(text.replace('."""\n', DOMAIN_CHANGE + '"""\n', 1))
    release(repo, B)
    return revision


@pytest.mark.slow
def test_added_domains_work_and_update_with_the_project(tmp_path: Path, database: str) -> None:  # noqa: F811
    """Generate at version A of a tagged clone, add two domains and a task, edit one domain by
    hand, update to a version B that changed both templates; then lint and run the tests on
    both profiles."""
    repo = clone_repo(tmp_path / "fastcel")
    release(repo, A)
    env = clean_env(DATABASE_URL=database, **REDIS)
    run_fastcel(tmp_path, env, "new", "demo", "--defaults", "--no-smoke", "--trust",
                f"--template={repo}")  # fmt: skip
    project = tmp_path / "demo"
    added = run_fastcel(project, env, "add", "domain", *CUSTOMERS, "--trust")
    assert "customers_0001_create_customers.py applied" in added, added
    assert "tests/customers: 6 passed" in added, added
    commit_all(project, "Add the customers domain")
    added = run_fastcel(project, env, "add", "domain", *ORDERS, "--trust")
    assert "orders_0001_create_orders.py applied" in added, added
    assert "tests/orders: 8 passed" in added, added
    commit_all(project, "Add the orders domain")
    added = run_fastcel(project, env, "add", "task", "orders", "recount", "--queue", "high",
                        "--periodic", "*/15 * * * *", "--trust")  # fmt: skip
    assert "tests/orders: 12 passed" in added, added
    commit_all(project, "Add the orders.recount task")
    orders_router = project / "src" / "demo" / "orders" / "router.py"
    orders_router.write_text(orders_router.read_text() + HAND_EDIT)
    commit_all(project, "our own helper")

    revision = change_both_templates(repo)
    updated = run_fastcel(project, env, "update", "--defaults", "--trust")
    assert f"{A} → {B}" in updated, updated
    assert f"{revision} now follows orders_0001: one head" in updated, updated
    assert "1 migration(s) applied" in updated, updated
    assert (project / "README.md").read_text().endswith(TEMPLATE_SECTION)
    for name in ("customers", "orders"):
        router = (project / "src" / "demo" / name / "router.py").read_text()
        assert router.splitlines()[0].endswith(DOMAIN_CHANGE + '"""'), router[:200]
        recorded = yaml.safe_load((project / f".copier-answers.domain-{name}.yml").read_text())
        assert recorded["_commit"] == B
    assert orders_router.read_text().endswith(HAND_EDIT)
    assert "def start_recount(" in orders_router.read_text()
    assert "def recount(" in (project / "src" / "demo" / "orders" / "tasks.py").read_text()
    recorded = yaml.safe_load((project / ".copier-answers.domain-orders.yml").read_text())
    assert recorded["domain_tasks"] == [
        {"name": "recount", "queue": "high", "periodic": "*/15 * * * *"}
    ]
    assert "<<<<<<<" not in git(project, "diff")
    commit_all(project, "Update the template to B")

    domains = (project / "src" / "demo" / "domains.py").read_text()
    assert '    "outbox",\n    "customers",\n    "orders",\n)' in domains
    run_in_project(project, env, "ruff", "check", ".")
    run_in_project(project, env, "ruff", "format", "--check", ".")
    heads = run_in_project(project, env, "alembic", "heads").split()
    assert heads == [revision, "(head)"], heads
    run_in_project(project, env, "pytest", "-q", "-p", "no:cacheprovider", *ADDED_TESTS)
    embedded = clean_env(APP_PROFILE="embedded")
    run_in_project(project, embedded, "python", "-m", "demo.prestart")
    run_in_project(project, embedded, "pytest", "-q", "-p", "no:cacheprovider", *ADDED_TESTS)
    assert subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True,
                          text=True, check=True).stdout == ""  # fmt: skip
