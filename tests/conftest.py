"""Fixtures shared by fastcel's own tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import ROOT
from typer.testing import CliRunner


@pytest.fixture(scope="session", autouse=True)
def _private_settings_and_store(tmp_path_factory: pytest.TempPathFactory):
    """Keep the developer's personal Copier settings (defaults, trust) out of the tests, and
    give the tests their own data folder, where an installed fastcel keeps its template store."""
    settings = tmp_path_factory.mktemp("copier-settings") / "settings.yml"
    settings.write_text("{}\n")
    patch = pytest.MonkeyPatch()
    patch.setenv("COPIER_SETTINGS_PATH", str(settings))
    patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    patch.delenv("FASTCEL_TEMPLATE_STORE", raising=False)
    yield
    patch.undo()


@pytest.fixture
def template_dir() -> Path:
    """fastcel's template: the repository root (pytest-copie wants a Path)."""
    return ROOT


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty temporary folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def template_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain-folder copy of the template: renders skip the git clone and cannot touch the repo.

    FASTCEL_MATRIX_TEMPLATE points the matrix at another template folder (the test of a broken
    template uses it).
    """
    source = Path(os.environ.get("FASTCEL_MATRIX_TEMPLATE", ROOT))
    destination = tmp_path_factory.mktemp("template")
    shutil.copy2(source / "copier.yml", destination / "copier.yml")
    shutil.copytree(
        source / "template",
        destination / "template",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    # The domain template (`fastcel add domain`), where the template has one.
    for name in ("domain_template", "domain_types.jinja"):
        held = source / "src" / "fastcel" / name
        if held.is_dir():
            shutil.copytree(held, destination / "src" / "fastcel" / name)
        elif held.is_file():
            shutil.copy2(held, destination / "src" / "fastcel" / name)
    return destination
