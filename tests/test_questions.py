"""copier.yml's questions and validators, and fastcel's early check of answers against them."""

from __future__ import annotations

import keyword
import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml
from helpers import ROOT, rendered
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastcel import cli_answers, questions

CONFIG = yaml.safe_load((ROOT / "copier.yml").read_text())


@pytest.fixture(scope="session")
def questions_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """copier.yml with an empty template folder, outside git: validators run in milliseconds."""
    folder = tmp_path_factory.mktemp("questions-only")
    shutil.copy(ROOT / "copier.yml", folder / "copier.yml")
    (folder / "template").mkdir()
    return folder


def copier_verdict(template: Path, tmp: Path, data: dict) -> tuple[str | None, dict]:
    """Copier's own answer check: (error message or None, answers)."""
    try:
        worker = copier.run_copy(
            str(template), tmp / "out", data=data, defaults=True, pretend=True, quiet=True
        )
    except ValueError as err:
        return str(err), {}
    return None, dict(worker.answers.combined)


# Rendering through pytest-copie -----------------------------------------------------


def test_defaults_render(copie, template_dir: Path) -> None:
    project = rendered(copie.copy(template_dir=template_dir))
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["project_slug"] == "my_service"
    assert recorded["broker"] == "redis"
    for secret in SECRETS:
        assert secret not in recorded


def test_derived_slug(copie, template_dir: Path) -> None:
    result = copie.copy(
        extra_answers={"project_name": "Acme Billing-API"}, template_dir=template_dir
    )
    project = rendered(result)
    assert result.answers["project_slug"] == "acme_billing_api"
    assert "project_slug: acme_billing_api" in (project / ".copier-answers.yml").read_text()


def test_every_question_has_help_and_default() -> None:
    for key, spec in CONFIG.items():
        if key.startswith("_"):
            continue
        assert "default" in spec, key
        if spec.get("when") is not False:
            assert spec.get("help"), key


SECRETS = (
    "postgres_password",
    "postgres_app_password",
    "redis_password",
    "flower_password",
    "rabbitmq_password",
    "secret_key",
    "first_superuser_password",
)


def test_secrets_are_computed_and_hidden() -> None:
    for key in SECRETS:
        assert CONFIG[key]["secret"] is True
        assert CONFIG[key]["when"] is False


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        pytest.param("0123456789abcdef" * 4, True, id="drawn-form"),
        pytest.param("0123456789abcdef" * 4 + '\nCORS_ORIGINS=["*"]', False, id="newline"),
        pytest.param("0123456789abcdef" * 4 + "\n", False, id="trailing-newline"),
        pytest.param("0123456789ABCDEF" * 4, False, id="upper-case"),
        pytest.param("0123456789abcdef" * 3, False, id="short"),
        pytest.param("p@ss word", False, id="other-characters"),
    ],
)
def test_plain_copier_takes_a_secret_only_in_the_drawn_form(
    questions_only: Path, tmp_path: Path, value: str, accepted: bool
) -> None:
    for key in SECRETS:
        error, _ = copier_verdict(questions_only, tmp_path / key, {key: value})
        assert (error is None) == accepted, (key, error)
        if error is not None:
            assert f"{key} must be 64 lowercase hexadecimal characters" in error


# Validators: fastcel's early check (copier.yml's own Jinja) agrees with Copier -------


NAMES = [
    "demo",
    "Acme Billing",
    "acme-billing",
    "a",
    "A1",
    "x_y-z",
    "My Service",
    "a" * 63,
    "a" * 64,
    "1abc",
    "_abc",
    "-abc",
    " abc",
    "abc!",
    "café",
    "a/b",
    "",
    "Celery",
    "celery",
    "FastAPI",
    "Tests",
    "class",
    "Class",
    "match",
    "None",
    "TRUE",
    "os",
    "re",
    "my-os",
    "Type",
    "email validator",
    "pydantic-settings",
    "x" * 41,
    "a" * 40,
    "a_" * 20,
    "Zz 9",
]


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_project_name_agrees(questions_only: Path, tmp_path: Path, name: str) -> None:
    error, recorded = copier_verdict(questions_only, tmp_path, {"project_name": name})
    mine = questions.validator_error("project_name", name) or questions.validator_error(
        "project_slug", questions.slug_from_name(name)
    )
    assert (error is None) == (mine is None), (error, mine)
    if error is None:
        assert recorded["project_slug"] == questions.slug_from_name(name)
    else:
        assert mine.split(" ")[0] in error  # same question named


SLUGS = [
    "demo",
    "my_service",
    "a",
    "a1",
    "a" * 40,
    "a" * 41,
    "1a",
    "_a",
    "A",
    "a-b",
    "a b",
    "",
    *keyword.kwlist,
    *keyword.softkwlist,
    "celery",
    "fastapi",
    "sqlalchemy",
    "pydantic_settings",
    "tests",
    "os",
    "celery_app",
    "tests_x",
    "ok_os",
]


@pytest.mark.parametrize("slug", SLUGS, ids=repr)
def test_project_slug_agrees(questions_only: Path, tmp_path: Path, slug: str) -> None:
    error, _ = copier_verdict(questions_only, tmp_path, {"project_slug": slug})
    assert (error is None) == (questions.validator_error("project_slug", slug) is None), error


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.text(alphabet="abcXYZ019 _-./é", min_size=0, max_size=12))
def test_generated_names_agree(questions_only: Path, tmp_path: Path, name: str) -> None:
    error, recorded = copier_verdict(questions_only, tmp_path / "h", {"project_name": name})
    mine = questions.validator_error("project_name", name) or questions.validator_error(
        "project_slug", questions.slug_from_name(name)
    )
    assert (error is None) == (mine is None), (name, error, mine)
    if error is None:
        assert recorded["project_slug"] == questions.slug_from_name(name)


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("jane@example.com", True),
        ("j.d+x@mail.example.org", True),
        ("nobody", False),
        ("a@b", False),
        ("a b@example.com", False),
        ("<a@example.com>", False),
    ],
)
def test_author_email_agrees(questions_only: Path, tmp_path: Path, email: str, valid: bool) -> None:
    error, _ = copier_verdict(questions_only, tmp_path, {"author_email": email})
    assert (error is None) is valid
    assert (questions.validator_error("author_email", email) is None) is valid


def test_copier_rejects_a_slug_with_a_trailing_newline(
    questions_only: Path, tmp_path: Path
) -> None:
    error, _ = copier_verdict(questions_only, tmp_path, {"project_slug": "demo\n"})
    assert error is not None


# --data parsing ----------------------------------------------------------------------


QUESTIONS = questions.load_questions(ROOT)


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("use_beat=yes", True),
        ("use_beat=No", False),
        ("use_flower=1", True),
        ("use_flower=FALSE", False),
        ("broker=rabbitmq", "rabbitmq"),
        ("ci_provider=none", "none"),
        ("python_version=3.13", "3.13"),
        ("description=a=b", "a=b"),
    ],
)
def test_parse_data(pair: str, expected) -> None:
    key = pair.split("=")[0]
    assert cli_answers.parse_data([pair], QUESTIONS) == {key: expected}


def test_choice_values_read_labels_and_values() -> None:
    assert questions.choice_values(QUESTIONS["broker"]) == ["redis", "rabbitmq"]
    assert questions.choice_values(QUESTIONS["python_version"]) == ["3.12", "3.13", "3.11"]
    assert questions.choice_values(QUESTIONS["description"]) is None


def test_name_becomes_project_name() -> None:
    data = cli_answers.resolve_answers("acme-billing", [], None, QUESTIONS)
    assert data == {"project_name": "acme-billing"}
    given_name = cli_answers.resolve_answers("dir", ["project_name=Acme"], None, QUESTIONS)
    assert given_name["project_name"] == "Acme"


def test_needs_prompt() -> None:
    prompted = [k for k, spec in QUESTIONS.items() if questions.is_prompted(spec)]
    assert questions.needs_prompt({}, QUESTIONS)
    assert not questions.needs_prompt(dict.fromkeys(prompted, "x"), QUESTIONS)
    assert "secret_key" not in prompted


def test_plain_copier_cli_renders_the_repo(tmp_path: Path) -> None:
    """The repository is itself a Copier template: `copier copy <repo> dest --defaults` works."""
    copier_exe = Path(sys.executable).parent / "copier"
    done = subprocess.run(
        [str(copier_exe), "copy", "--defaults", "--quiet", str(ROOT), str(tmp_path / "plain")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    project = tmp_path / "plain"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == str(ROOT)
    assert (project / "src" / "my_service" / "main.py").is_file()
    assert "POSTGRES_PASSWORD=change-me" in (project / ".env.example").read_text()
    assert "POSTGRES_PASSWORD=change-me" not in (project / ".env").read_text()
