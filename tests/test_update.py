"""Template updates end to end, on a temporary git clone of this repository with tags.

Each test tags a version A of the clone, generates a project from it with `fastcel new`,
edits the project like a user would, changes the template, tags version B, and updates:
with plain `copier update` and with `fastcel update`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from helpers import (
    CLOSED,
    IDENTITY,
    ROOT,
    clean_env,
    commit_all,
    fastcel_exe,
    git,
    release,
    run_fastcel,
    run_in_project,
)
from typer.testing import CliRunner

from fastcel import update
from fastcel.cli import app
from fastcel.questions import is_domain_question

A, B = "v1.0.0", "v1.1.0"
USER_NOTE = "Notes of our own team: deploy on Tuesdays.\n"
TEMPLATE_SECTION = "\n## Upgrading\n\nRun `fastcel update`, review `git diff`, commit.\n"
HELPER = "\n\ndef our_own_helper() -> str:\n    return 'kept'\n"


def clone_repo(dest: Path) -> Path:
    """A git clone of this repository, with the working tree's uncommitted state committed on top
    (so that a developer's edits are what the tests exercise)."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-tags", str(ROOT), str(dest)], check=True, timeout=120
    )
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    names = {name for name in listed.split("\0") if name and (ROOT / name).exists()}
    for name in git(dest, "ls-files", "-z").split("\0"):
        if name and name not in names:
            (dest / name).unlink()
            for folder in (dest / name).parents:  # git keeps no empty folders: neither do we
                if folder == dest or any(folder.iterdir()):
                    break
                folder.rmdir()
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    if git(dest, "status", "--porcelain"):
        commit_all(dest, "working tree of the checkout under test")
    return dest


def answers_of(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def fastcel(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result.output


def plain_copier(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    copier = Path(sys.executable).parent / "copier"
    return subprocess.run(
        [str(copier), "update", "--defaults", *args],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """This repository cloned, tagged as version A."""
    clone = clone_repo(tmp_path / "fastcel")
    release(clone, A)
    return clone


@pytest.fixture
def project(runner: CliRunner, repo: Path, in_tmp: Path) -> Path:
    """A project generated at A (and committed by fastcel), then edited and committed by its user:
    a helper added to a file the template will not change, and the README's intro rewritten."""
    fastcel(runner, "new", "demo", "--defaults", "--no-setup", "--template", str(repo))
    project = in_tmp / "demo"
    assert answers_of(project)["_commit"] == A
    edit_like_a_user(project)
    return project


def edit_like_a_user(project: Path) -> None:
    service = project / "src" / "demo" / "users" / "service.py"
    service.write_text(service.read_text() + HELPER)
    readme = project / "README.md"
    text = readme.read_text()
    intro = answers_of(project)["description"]
    assert intro in text
    readme.write_text(text.replace(intro, USER_NOTE.strip(), 1))
    commit_all(project, "our own edits")


def change_template(repo: Path, section: str = TEMPLATE_SECTION) -> None:
    """Version B: a section appended to the README template."""
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + section)
    release(repo, B)


def assert_updated(project: Path, version: str = B) -> None:
    readme = (project / "README.md").read_text()
    assert readme.endswith(TEMPLATE_SECTION), readme[-300:]  # the template's change arrived
    assert USER_NOTE.strip() in readme  # the user's edit of that file is kept
    assert (project / "src" / "demo" / "users" / "service.py").read_text().endswith(HELPER)
    assert answers_of(project)["_commit"] == version
    assert "<<<<<<<" not in readme


def test_plain_copier_update_and_fastcel_update_bring_version_b(
    runner: CliRunner, repo: Path, project: Path
) -> None:
    second = project.parent / "demo-copy"
    shutil.copytree(project, second, symlinks=True)
    change_template(repo)

    proc = plain_copier(project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_updated(project)

    output = fastcel(runner, "update", str(second), "--defaults")
    assert_updated(second)
    assert f"{A} → {B}" in output
    assert re.search(r"modified\s+README\.md", output), output
    assert "Next steps" in output


def test_a_dotenv_the_update_writes_anew_is_private(
    runner: CliRunner, repo: Path, project: Path
) -> None:
    """`.env` is the user's once generated, but an update writes it again when it was deleted:
    with the new secrets it draws, readable by its owner only."""
    (project / ".env").unlink()
    change_template(repo)
    fastcel(runner, "update", str(project), "--defaults")
    assert_updated(project)
    assert "APP_SECRET_KEY=" in (project / ".env").read_text()
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600


def test_pretend_lists_the_changes_and_writes_nothing(
    runner: CliRunner, repo: Path, project: Path
) -> None:
    change_template(repo)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    output = fastcel(runner, "update", str(project), "--defaults", "--pretend")
    assert re.search(r"modified\s+README\.md", output), output
    assert re.search(r"modified\s+\.copier-answers\.yml", output), output
    assert "Nothing was written." in output
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before


def test_collision_leaves_markers_and_names_the_file(
    runner: CliRunner, repo: Path, project: Path
) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our runbook\n\nPage the on-call.\n")
    commit_all(project, "our runbook at the end of the README")
    change_template(repo)

    output = fastcel(runner, "update", str(project), "--defaults", code=1)
    assert re.search(r"conflicts in 1 file\(s\): README\.md", " ".join(output.split())), output
    text = readme.read_text()
    assert "<<<<<<< " in text and ">>>>>>> " in text
    assert "Page the on-call." in text and "## Upgrading" in text  # both sides are in the file
    assert USER_NOTE.strip() in text
    assert (project / "src" / "demo" / "users" / "service.py").read_text().endswith(HELPER)
    assert update.conflicted_files(project) == ["README.md"]


def test_dirty_project_is_refused_and_left_as_it_is(
    runner: CliRunner, repo: Path, project: Path
) -> None:
    change_template(repo)
    service = project / "src" / "demo" / "users" / "service.py"
    service.write_text(service.read_text() + "# work in progress\n")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}

    output = fastcel(runner, "update", str(project), "--defaults", code=2)
    assert "has uncommitted changes" in output
    assert len(output.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_a_folder_that_is_not_a_project_is_refused(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "plain").mkdir()
    output = fastcel(runner, "update", "plain", "--defaults", code=2)
    assert "is not a fastcel project" in output


def test_failed_update_is_rolled_back(runner: CliRunner, repo: Path, project: Path) -> None:
    """B's template does not render: the project goes back to its commit, and the user is told."""
    broken = repo / "template" / "README.md.jinja"
    broken.write_text(broken.read_text() + "{{ undefined_filter_call | no_such_filter }}\n")
    release(repo, B)
    head = git(project, "rev-parse", "HEAD").strip()

    output = fastcel(runner, "update", str(project), "--defaults", code=1)
    assert "copier update failed" in output
    assert f"back at commit {head[:12]}" in " ".join(output.split())
    assert git(project, "status", "--porcelain") == ""
    assert answers_of(project)["_commit"] == A


DOMAIN_ROUTER = "src/demo/customers/router.py"
DOMAIN_TEMPLATE_ROUTER = (
    "src/fastcel/domain_template/src/{{project_slug}}/{{domain_name}}/router.py.jinja"
)
DOMAIN_NOTE = "# Routes of the domain (version B).\n"


@pytest.fixture
def with_domain(runner: CliRunner, project: Path) -> Path:
    """The project with a domain added at A (rendered only) and committed."""
    fastcel(runner, "add", "domain", "customers", "-f", "name:str", "--no-setup",
            "--path", str(project))  # fmt: skip
    commit_all(project, "Add the customers domain")
    return project


def change_domain_template(repo: Path, text: str = DOMAIN_NOTE) -> None:
    """Version B: the project's README and every domain's router changed."""
    router = repo / DOMAIN_TEMPLATE_ROUTER
    router.write_text(router.read_text() + text)
    change_template(repo)


def test_update_brings_the_domain_template_change_too(
    runner: CliRunner, repo: Path, with_domain: Path
) -> None:
    change_domain_template(repo)
    preview = fastcel(runner, "update", str(with_domain), "--defaults", "--pretend")
    assert re.search(rf"modified\s+{re.escape(DOMAIN_ROUTER)}", preview), preview
    assert re.search(r"modified\s+\.copier-answers\.domain-customers\.yml", preview), preview
    assert git(with_domain, "status", "--porcelain") == ""
    assert not (with_domain / DOMAIN_ROUTER).read_text().endswith(DOMAIN_NOTE)

    head = git(with_domain, "rev-parse", "HEAD")
    output = fastcel(runner, "update", str(with_domain), "--defaults")
    assert_updated(with_domain)
    assert (with_domain / DOMAIN_ROUTER).read_text().endswith(DOMAIN_NOTE)
    domain = yaml.safe_load((with_domain / ".copier-answers.domain-customers.yml").read_text())
    assert domain["_commit"] == B and domain["domain_name"] == "customers"
    # One uncommitted change: the commits made on the way are gone again.
    assert git(with_domain, "rev-parse", "HEAD") == head
    assert re.search(rf"modified\s+{re.escape(DOMAIN_ROUTER)}", output), output


def test_a_domain_that_fails_to_update_rolls_the_project_back(
    runner: CliRunner, repo: Path, with_domain: Path
) -> None:
    change_domain_template(repo, "{{ no_such_variable | no_such_filter }}\n")
    head = git(with_domain, "rev-parse", "HEAD").strip()
    output = fastcel(runner, "update", str(with_domain), "--defaults", code=1)
    assert "copier update failed" in output
    assert f"back at commit {head[:12]}" in " ".join(output.split())
    assert git(with_domain, "rev-parse", "HEAD").strip() == head
    assert git(with_domain, "status", "--porcelain") == ""
    assert answers_of(with_domain)["_commit"] == A


def test_a_domain_edit_on_the_changed_lines_is_a_named_conflict(
    runner: CliRunner, repo: Path, with_domain: Path
) -> None:
    router = with_domain / DOMAIN_ROUTER
    router.write_text(router.read_text() + "# Our own routes note.\n")
    commit_all(with_domain, "our note at the end of the router")
    change_domain_template(repo)
    output = fastcel(runner, "update", str(with_domain), "--defaults", code=1)
    assert DOMAIN_ROUTER in " ".join(output.split()), output
    text = router.read_text()
    assert "<<<<<<< " in text and "Our own routes note." in text and DOMAIN_NOTE in text
    assert update.conflicted_files(with_domain) == [DOMAIN_ROUTER]


def add_question(repo: Path) -> None:
    """Version B asks a new question and uses its answer in a new file."""
    with (repo / "copier.yml").open("a") as config:
        config.write(
            "\nissue_tracker:\n  type: str\n  help: Where the team tracks issues\n"
            "  default: github-issues\n"
        )
    (repo / "template" / "TRACKER.md.jinja").write_text("Issues: {{ issue_tracker }}\n")
    release(repo, B)


def test_new_question_takes_its_default(runner: CliRunner, repo: Path, project: Path) -> None:
    add_question(repo)
    fastcel(runner, "update", str(project), "--defaults")
    assert answers_of(project)["issue_tracker"] == "github-issues"
    assert (project / "TRACKER.md").read_text() == "Issues: github-issues\n"


def test_new_question_is_asked_on_a_terminal(repo: Path, project: Path) -> None:
    add_question(repo)
    before = answers_of(project)
    config = yaml.safe_load((repo / "copier.yml").read_text())
    questions = [
        (key, spec["help"])
        for key, spec in config.items()
        if not key.startswith("_")
        and spec.get("when", True) is not False
        and not is_domain_question(key)
    ]
    child = pexpect.spawn(
        fastcel_exe(),
        ["update", str(project)],
        env=dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="200"),
        dimensions=(50, 200),
        encoding="utf-8",
        timeout=60,
    )
    for key, help_text in questions:
        child.expect(re.escape(help_text))
        if key == "issue_tracker":
            child.send("\x15" + "jira")  # Ctrl-U clears the default
        child.send("\r")  # every earlier question offers the project's answer: keep it
    child.expect("Next steps")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    after = answers_of(project)
    assert after.pop("issue_tracker") == "jira"
    assert after.pop("_commit") == B and before.pop("_commit") == A
    assert after == before


# the real migration in copier.yml: `ci` became `ci_provider` in v0.2.0 -----------------


OLD_CI = ("--data", "ci=gitlab")


def rename_back(repo: Path) -> None:
    """Turn the clone's template into its pre-0.2.0 shape, where the answer was called `ci`."""
    for path in sorted((repo / "template").rglob("*"), key=lambda p: -len(p.parts)):
        if path.is_file() and "ci_provider" in path.read_text(errors="ignore"):
            path.write_text(path.read_text().replace("ci_provider", "ci"))
        if "ci_provider" in path.name:
            path.rename(path.with_name(path.name.replace("ci_provider", "ci")))
    config = repo / "copier.yml"
    config.write_text(config.read_text().replace("\nci_provider:", "\nci:"))


def revert_last(repo: Path) -> None:
    subprocess.run(
        ["git", "revert", "--no-edit", "HEAD"],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, **IDENTITY},
    )


@pytest.mark.parametrize("tool", ["fastcel", "copier"])
def test_renamed_answer_keeps_the_users_choice(
    runner: CliRunner, tmp_path: Path, in_tmp: Path, tool: str
) -> None:
    repo = clone_repo(tmp_path / "fastcel")
    rename_back(repo)
    release(repo, "v0.1.0")
    fastcel(runner, "new", "demo", "--defaults", "--no-setup", "--template", str(repo), *OLD_CI)
    project = in_tmp / "demo"
    assert answers_of(project)["ci"] == "gitlab"
    revert_last(repo)  # back to the current template
    release(repo, "v0.2.0")

    if tool == "fastcel":
        fastcel(runner, "update", str(project), "--defaults", "--trust")
    else:
        proc = plain_copier(project, "--trust")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    answers = answers_of(project)
    assert answers["ci_provider"] == "gitlab" and "ci" not in answers
    assert answers["_commit"] == "v0.2.0"
    assert (project / ".gitlab-ci.yml").is_file()
    assert not (project / ".github").exists()


def test_without_the_migration_the_choice_would_be_lost(
    runner: CliRunner, tmp_path: Path, in_tmp: Path
) -> None:
    """The migration is what keeps the choice: drop it and the new question's default wins."""
    repo = clone_repo(tmp_path / "fastcel")
    rename_back(repo)
    release(repo, "v0.1.0")
    fastcel(runner, "new", "demo", "--defaults", "--no-setup", "--template", str(repo), *OLD_CI)
    revert_last(repo)
    config = repo / "copier.yml"
    text = config.read_text()
    config.write_text(text[: text.index("_migrations:")] + text[text.index("# PROMPT") :])
    release(repo, "v0.2.0")
    fastcel(runner, "update", str(in_tmp / "demo"), "--defaults", "--trust")
    assert answers_of(in_tmp / "demo")["ci_provider"] == "github"


# an installed fastcel (a wheel, no checkout) ------------------------------------------


def set_version(repo: Path, version: str) -> None:
    pyproject = repo / "pyproject.toml"
    text = re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text())
    pyproject.write_text(text)


@pytest.mark.slow
def test_project_of_the_installed_wheel_updates_to_the_next_release(tmp_path: Path) -> None:
    """As README.md's "Updating" says: install a newer fastcel, then `fastcel update` (or plain
    `copier update`) in the project."""
    from fastcel.interpreters import find_python, uv_binary

    uv = uv_binary()
    assert uv, "uv is a dependency of fastcel"
    python = find_python("3.11").exe
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(XDG_DATA_HOME=str(data), UV_PYTHON_DOWNLOADS="never", **IDENTITY)
    venv = tmp_path / "venv"

    def run(*cmd: str | Path, cwd: Path = tmp_path) -> str:
        proc = subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    def install_release(version: str) -> None:
        set_version(repo, version)
        release(repo, f"v{version}")
        dist = tmp_path / f"dist-{version}"
        run(uv, "build", "--wheel", "--python", python, "-o", dist, repo, cwd=repo)
        (wheel,) = dist.glob("fastcel-*.whl")
        run(uv, "pip", "install", "--python", venv / "bin" / "python", wheel)

    repo = clone_repo(tmp_path / "fastcel")
    run(uv, "venv", "--python", python, venv)
    install_release("1.0.0")
    run(venv / "bin" / "fastcel", "new", "demo", "--defaults", "--no-setup")
    project = tmp_path / "demo"
    store = data / "fastcel" / "template"
    assert answers_of(project)["_src_path"] == str(store)
    assert answers_of(project)["_commit"] == "v1.0.0"
    edit_like_a_user(project)
    second = tmp_path / "demo-copy"
    shutil.copytree(project, second, symlinks=True)

    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + TEMPLATE_SECTION)
    install_release("1.1.0")
    output = run(venv / "bin" / "fastcel", "update", "demo", "--defaults")
    assert "v1.0.0 → v1.1.0" in output
    assert_updated(project, "v1.1.0")

    listed = run(venv / "bin" / "fastcel", "templates")
    assert "v1.0.0, v1.1.0" in listed and str(store) in listed
    run(venv / "bin" / "copier", "update", "--defaults", cwd=second)
    assert_updated(second, "v1.1.0")


# accounts (issue 12): a set-up project of the version before them, with users, updated -------

ACCOUNTS_MIGRATION = "template/migrations/versions/0003_accounts_and_task_owners.py"

OLD_API_CREATE_USERS = """
import json, sys
from fastapi.testclient import TestClient
from demo.main import app
with TestClient(app, base_url="http://localhost") as client:
    made = [client.post("/users", json={"email": email, "full_name": "Old " + email})
            for email in sys.argv[1:]]
    assert all(r.status_code == 201 for r in made), [(r.status_code, r.text) for r in made]
    print(json.dumps([r.json()["id"] for r in made]))
"""

SET_PASSWORD_AND_LOG_IN = """
import json, sys
from fastapi.testclient import TestClient
from demo.main import app
admin, admin_password, user_id, email, password = sys.argv[1:]
def token(client, login, secret):
    answer = client.post("/auth/token", data={"username": login, "password": secret})
    return answer.status_code, answer.json().get("access_token")
with TestClient(app, base_url="http://localhost") as client:
    seen = {"anonymous": client.get("/users").status_code}
    seen["admin login"], admin_token = token(client, admin, admin_password)
    seen["before"], _ = token(client, email, password)
    patched = client.patch(f"/users/{user_id}", json={"password": password},
                           headers={"Authorization": f"Bearer {admin_token}"})
    seen["patch"] = patched.status_code
    seen["after"], user_token = token(client, email, password)
    me = client.get("/users/me", headers={"Authorization": f"Bearer {user_token}"})
    seen["me"] = me.json()
print(json.dumps(seen))
"""


def last_commit_without(repo: Path, path: str) -> str:
    """The commit before the first one that added `path`: the template's previous version (the
    file is added by the clone's working-tree commit in a checkout, by a real commit in CI)."""
    added = git(repo, "log", "--reverse", "--diff-filter=A", "--format=%H", "--", path).split()
    assert added, f"no commit of {repo} adds {path}"
    return git(repo, "rev-parse", f"{added[0]}^").strip()


@pytest.mark.slow
def test_update_to_accounts_migrates_the_users_of_the_previous_version(tmp_path: Path) -> None:
    """A project set up at the version before accounts, with two users made through its old
    API (`POST /users`), updates: the migration runs on that data, both users are kept (username
    `user_<id>`, no password), and once a superuser sets a password one of them logs in."""
    repo = clone_repo(tmp_path / "fastcel")
    previous = last_commit_without(repo, ACCOUNTS_MIGRATION)
    git(repo, "tag", A, previous)
    build = clean_env(**CLOSED)
    run_fastcel(
        tmp_path, build, "new", "demo", "--defaults", "--no-smoke", "--trust", f"--template={repo}"
    )
    project = tmp_path / "demo"
    assert answers_of(project)["_commit"] == A
    assert not (project / "migrations" / "versions" / Path(ACCOUNTS_MIGRATION).name).exists()
    embedded = clean_env(APP_PROFILE="embedded")
    emails = ["ada@example.org", "grace@example.org"]
    created = run_in_project(project, embedded, "python", "-c", OLD_API_CREATE_USERS, *emails)
    ids = json.loads(created)

    release(repo, B)  # the current tree, accounts included
    admin, password = "root@example.org", secrets.token_urlsafe(18)
    first = {
        "FIRST_SUPERUSER_EMAIL": admin,
        "FIRST_SUPERUSER_USERNAME": "root",
        "FIRST_SUPERUSER_PASSWORD": password,
    }
    output = run_fastcel(tmp_path, {**build, **first}, "update", "demo", "--defaults", "--trust")
    for step in ("copier update", "dependencies", "services", "migrations"):
        assert f"✓ {step}" in output, output
    assert f"{A} → {B}" in output
    # 0003 and every migration after it (numbered in order, as the template names them).
    versions = sorted(path.name for path in (repo / Path(ACCOUNTS_MIGRATION).parent).glob("*.py"))
    applied = versions[versions.index(Path(ACCOUNTS_MIGRATION).name) :]
    assert f"{len(applied)} migration(s) applied" in output, output
    assert f"superuser {admin} created" in output, output
    assert password not in output

    current = run_in_project(project, embedded, "alembic", "current")
    assert f"{applied[-1].partition('_')[0]} (head)" in current, current
    with contextlib.closing(sqlite3.connect(project / "var" / "app.db")) as db:
        rows = db.execute(
            "SELECT id, email, username, hashed_password, is_superuser FROM users ORDER BY id"
        ).fetchall()
    old = [(i, e, f"user_{i}", None, 0) for i, e in zip(ids, emails, strict=True)]
    assert rows[: len(old)] == old and [row[1:3] for row in rows[len(old) :]] == [(admin, "root")]

    user_password = secrets.token_urlsafe(18)
    seen = json.loads(
        run_in_project(
            project,
            embedded,
            "python",
            "-c",
            SET_PASSWORD_AND_LOG_IN,
            admin,
            password,
            str(ids[0]),
            emails[0],
            user_password,
        )
    )
    me = seen.pop("me")
    assert seen == {"anonymous": 401, "admin login": 200, "before": 401, "patch": 200, "after": 200}
    assert (me["id"], me["email"], me["username"]) == (ids[0], emails[0], f"user_{ids[0]}")


def test_a_template_without_tags_updates_to_its_head_said_once(
    runner: CliRunner, tmp_path: Path, in_tmp: Path
) -> None:
    """Copier alone printed "No git tags found in template" three times per update; fastcel
    resolves the ref itself and says once which commit it updates to."""
    repo = clone_repo(tmp_path / "untagged")
    first = git(repo, "rev-parse", "HEAD").strip()
    output = fastcel(runner, "new", "demo", "--defaults", "--no-setup", "--template", str(repo))
    assert "No git tags found" not in output
    assert f"no version tag: using its HEAD ({first[:12]})" in output
    project = in_tmp / "demo"
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + TEMPLATE_SECTION)
    commit_all(repo, "a README section")
    head = git(repo, "rev-parse", "HEAD").strip()
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "no version tag" in line]
    assert said == [f"Warning: the template has no version tag: using its HEAD ({head[:12]})"], (
        result.output
    )
    assert "No git tags found" not in result.output
    assert (project / "README.md").read_text().endswith(TEMPLATE_SECTION)
