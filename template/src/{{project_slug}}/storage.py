"""Where uploaded files live: a small interface, and its local-filesystem implementation.

Keys are the server's own names ("avatars/42/<version>.64.webp"), never a client's: the interface
refuses any other shape. Every process that saves or reads a key must see the same store: one
folder (MEDIA_DIR) on one host, a volume shared by the containers, or an object store (an
S3-compatible one would implement `Storage` with its put, get, delete and head calls).
"""

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from .config import get_settings

# Lower-case letters, digits, "_", "-" and inner dots, in "/"-separated parts: no "..", no
# absolute path, no backslash, nothing a file system reads otherwise.
KEY = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*(?:/[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)*")
MAX_KEY_LENGTH = 200


class Storage(Protocol):
    def save(self, key: str, data: bytes | BinaryIO) -> None:
        """Store data under key, replacing what was there: readers see the old or the new."""

    def open(self, key: str) -> BinaryIO:
        """The stored file, for reading; FileNotFoundError if there is none."""

    def delete(self, key: str) -> None:
        """Forget the key; nothing happens if it was not stored."""

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or not KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key[:MAX_KEY_LENGTH]!r}")
    return key


class LocalStorage:
    """Files under one folder. A save writes a temporary file next to its target, then renames
    it over the target (atomic on POSIX): a crash mid-way leaves no half-written file under the
    key, only a ".tmp-" file that no key names."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key: str, data: bytes | BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as temp:
            try:
                if isinstance(data, bytes):
                    temp.write(data)
                else:
                    shutil.copyfileobj(data, temp)
                temp.flush()
                os.fsync(temp.fileno())
            except BaseException:
                temp.close()
                os.unlink(temp.name)
                raise
        try:
            os.replace(temp.name, path)
        except BaseException:
            os.unlink(temp.name)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def get_storage() -> Storage:
    """The store of this process, as MEDIA_DIR names it."""
    return LocalStorage(get_settings().media_dir)
