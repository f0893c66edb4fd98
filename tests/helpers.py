"""Helpers shared by fastcel's tests (fixtures live in conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_SRC = ROOT / "template" / "src" / "{{project_slug}}"


def template_ready() -> bool:
    """The generated project's package exists in template/ (written by the template helpers)."""
    return (TEMPLATE_SRC / "main.py").exists() or (TEMPLATE_SRC / "main.py.jinja").exists()


requires_template = pytest.mark.skipif(
    not template_ready(), reason="template/src/{{project_slug}}/main.py not written yet"
)


def rendered(result) -> Path:
    """The project a pytest-copie result holds; raise the real error of a failed render
    (pytest-copie swallows it and reports exit_code -1)."""
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0
    return result.project_dir


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def fastcel_exe() -> str:
    """The installed `fastcel` script of the interpreter running the tests."""
    exe = Path(sys.executable).parent / "fastcel"
    found = str(exe) if exe.exists() else shutil.which("fastcel")
    assert found, "fastcel is not installed: pip install -e ."
    return found
