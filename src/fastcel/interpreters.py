"""Finding the Python a project's .venv is made with, and uv."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from . import process

Version = tuple[int, int]


@dataclass(frozen=True)
class Interpreter:
    """A Python that runs, and what fastcel should say about the choice."""

    exe: str
    version: Version
    notice: str = ""  # e.g. the answered version was not found and a newer one is used

    @property
    def label(self) -> str:
        """The version as a user writes it: "3.12"."""
        return f"{self.version[0]}.{self.version[1]}"


class NoInterpreter(Exception):
    """No interpreter fits: `reason` says why, `hint` what to do."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def parse_version(text: str) -> Version:
    """The version a text like "3.12" names: (3, 12)."""
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def python_version_of(exe: str, timeout: float = 15) -> Version | None:
    """Ask an interpreter its version; None if it does not run (e.g. a pyenv shim)."""
    try:
        done = process.run(
            [exe, "-c", "import sys;print(sys.version_info[:2])"], timeout=timeout, check=False
        )
    except process.CommandFailed:
        return None
    match = re.fullmatch(r"\((\d+), (\d+)\)", done.output.strip())
    if done.returncode != 0 or not match:
        return None
    return int(match[1]), int(match[2])


def python_candidates() -> list[str]:
    """Interpreters worth asking: fastcel's own, python3.x on PATH, pyenv's versions."""
    found = [sys.executable]
    for name in ("python3.14", "python3.13", "python3.12", "python3.11", "python3"):
        if exe := shutil.which(name):
            found.append(exe)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found += sorted(str(p) for p in pyenv_root.glob("versions/3.*/bin/python3"))
    unique: dict[str, str] = {}
    for exe in found:
        with contextlib.suppress(OSError):
            unique.setdefault(os.path.realpath(exe), exe)
    return list(unique.values())


def find_python(wanted: str, explicit: str | None = None) -> Interpreter:
    """The interpreter for a project that answered python_version `wanted` (e.g. "3.12").

    `explicit` (--python) must run and be at least `wanted`. Otherwise the answered version
    itself when one is found, else the newest newer one, with a notice saying so.
    """
    need = parse_version(wanted)
    if explicit:
        version = python_version_of(explicit)
        if version is None:
            raise NoInterpreter(f"{explicit} does not run", "pass --python with a working Python")
        if version < need:
            raise NoInterpreter(
                f"{explicit} is Python {version[0]}.{version[1]}, the project needs >= {wanted}",
                f"pass --python with a Python >= {wanted}",
            )
        return Interpreter(explicit, version)
    found: dict[Version, str] = {}
    for exe in python_candidates():
        version = python_version_of(exe)
        if version is not None and version >= need:
            found.setdefault(version, exe)
    if need in found:
        return Interpreter(found[need], need)
    if not found:
        raise NoInterpreter(
            f"no Python >= {wanted} on PATH or in pyenv",
            f"install Python {wanted}, or pass --python /path/to/python{wanted}",
        )
    newest = max(found)
    label = f"{newest[0]}.{newest[1]}"
    notice = (
        f"Python {wanted} (the project's python_version) was not found: using {label}; "
        f"Docker and CI use {wanted}"
    )
    return Interpreter(found[newest], newest, notice)


def uv_binary() -> str | None:
    """uv, as installed with fastcel (its wheel), else from PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")
