"""The template store: one git repository, a tag per fastcel version that ran here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, git

from fastcel import store, update
from fastcel.errors import UsageError


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    """A wheel-like bundled template: copier.yml and template/, no git."""
    folder = tmp_path / "_template"
    folder.mkdir()
    shutil.copy(ROOT / "copier.yml", folder)
    shutil.copytree(ROOT / "template", folder / "template")
    (folder / "template" / "__pycache__").mkdir(exist_ok=True)
    (folder / "template" / "__pycache__" / "junk.cpython-311.pyc").write_bytes(b"\0")
    return folder


def files_at(repo: Path, tag: str) -> set[str]:
    return set(filter(None, git(repo, "ls-tree", "-r", "-z", "--name-only", tag).split("\0")))


def test_each_version_is_a_tag_holding_exactly_its_template(tmp_path: Path, bundled: Path):
    repo = tmp_path / "store"
    assert store.add_version(bundled, "1.0.0", repo) == "v1.0.0"
    held = files_at(repo, "v1.0.0")
    assert "copier.yml" in held and "template/.env.jinja" in held
    assert not any("__pycache__" in name for name in held)
    expected = {
        p.relative_to(bundled).as_posix()
        for p in bundled.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert held == expected


def test_versions_arrive_in_any_order_and_sort_by_version(tmp_path: Path, bundled: Path):
    repo = tmp_path / "store"
    for version in ("1.10.0", "1.2.0", "1.9.1"):
        store.add_version(bundled, version, repo)
    assert store.tags(repo) == ["v1.2.0", "v1.9.1", "v1.10.0"]
    # the work tree shows the newest version and stays clean for Copier
    assert git(repo, "describe", "--tags").strip() == "v1.10.0"
    assert git(repo, "status", "--porcelain") == ""


def test_adding_the_same_version_again_changes_nothing(tmp_path: Path, bundled: Path):
    repo = tmp_path / "store"
    store.add_version(bundled, "1.0.0", repo)
    first = git(repo, "rev-parse", "v1.0.0").strip()
    store.add_version(bundled, "1.0.0", repo)
    assert git(repo, "rev-parse", "v1.0.0").strip() == first


def test_a_version_tag_never_moves(tmp_path: Path, bundled: Path):
    """A rebuild of 1.0.0 with other files gets v1.0.0+1 (sorting after v1.0.0); the same
    files again find their tag; a third content gets +2."""
    repo = tmp_path / "store"
    assert store.add_version(bundled, "1.0.0", repo) == "v1.0.0"
    first = git(repo, "rev-parse", "v1.0.0").strip()
    (bundled / "template" / "NEW.md").write_text("new\n")
    assert store.add_version(bundled, "1.0.0", repo) == "v1.0.0+1"
    assert git(repo, "rev-parse", "v1.0.0").strip() == first
    assert "template/NEW.md" not in files_at(repo, "v1.0.0")
    assert "template/NEW.md" in files_at(repo, "v1.0.0+1")
    assert store.add_version(bundled, "1.0.0", repo) == "v1.0.0+1"
    (bundled / "template" / "NEW.md").unlink()
    assert store.add_version(bundled, "1.0.0", repo) == "v1.0.0"
    (bundled / "template" / "OTHER.md").write_text("other\n")
    assert store.add_version(bundled, "1.0.0", repo) == "v1.0.0+2"
    assert store.tags(repo) == ["v1.0.0", "v1.0.0+1", "v1.0.0+2"]


def test_store_location_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert store.store_path() == tmp_path / "data" / "fastcel" / "template"
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "elsewhere"))
    assert store.store_path() == tmp_path / "elsewhere"
    assert store.is_store(str(tmp_path / "elsewhere"))
    assert not store.is_store(str(tmp_path))


def test_projects_record_the_store_relative_to_home(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    inside = tmp_path / ".local" / "share" / "fastcel" / "template"
    assert store.recorded_src(inside) == "~/.local/share/fastcel/template"
    assert store.recorded_src(Path("/srv/fastcel")) == "/srv/fastcel"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    assert store.is_store("~/.local/share/fastcel/template")


def test_update_names_a_missing_version_and_how_to_get_it(
    tmp_path: Path, bundled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "store"))
    store.add_version(bundled, "2.0.0")
    answers = {"_src_path": str(tmp_path / "store"), "_commit": "v1.0.0"}
    with pytest.raises(UsageError) as caught:
        update.check_template(answers)
    message = caught.value.message
    assert "lacks v1.0.0" in message and "holds v2.0.0" in message
    assert "fastcel==1.0.0 fastcel templates" in message
