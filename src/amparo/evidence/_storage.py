"""Where sealed blobs live: a local directory (default) or any ``fsspec`` URL.

Only ciphertext ever reaches a :class:`BlobStore`. Names are the vault's own
(``ab/<item id>.age``-like relative paths made by :func:`blob_name`), never a caller's.

- :class:`LocalBlobStore`: directories 0700, files 0600, each write atomic (a temporary file
  of ciphertext in the same directory, fsync, rename, fsync of the directory).
- :class:`FsspecBlobStore`: ``s3://bucket/prefix`` and every other fsspec URL; needs the
  ``s3`` extra (``pip install 'amparo[s3]'``). One object put is atomic on S3.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from amparo.errors import ConfigError

__all__ = ["BlobStore", "FsspecBlobStore", "LocalBlobStore", "blob_name", "open_store"]

_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f-]{36}\.bin$")


def blob_name(item_id: str) -> str:
    """The storage name of an item's blob: sharded by the id's last two hex digits."""
    return f"{item_id[-2:]}/{item_id}.bin"


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a vault blob name: {name!r}")
    return name


class BlobStore(Protocol):
    """Puts, gets and deletes whole blobs by name."""

    @property
    def location(self) -> str:
        """Where the blobs are (a path or URL), for messages."""
        ...

    def put(self, name: str, blob: bytes) -> None:
        """Store ``blob`` under ``name``, atomically: all of it or nothing."""
        ...

    def get(self, name: str) -> bytes | None:
        """The blob, or None when there is none under ``name``."""
        ...

    def delete(self, name: str) -> None:
        """Remove the blob (nothing to do when it is already gone)."""
        ...


class LocalBlobStore:
    """Blobs as files under ``root`` (created 0700)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def location(self) -> str:
        return str(self.root)

    def _dir(self, path: Path) -> Path:
        for folder in (self.root, path.parent):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path.parent

    def put(self, name: str, blob: bytes) -> None:
        path = self.root / _checked(name)
        folder = self._dir(path)
        tmp = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_dir(folder)

    def get(self, name: str) -> bytes | None:
        try:
            return (self.root / _checked(name)).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        path = self.root / _checked(name)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened elsewhere
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FsspecBlobStore:
    """Blobs under an fsspec URL (``s3://bucket/prefix``, ``memory://vault``, ...)."""

    def __init__(self, url: str, options: Mapping[str, Any] | None = None) -> None:
        try:
            import fsspec
        except ImportError:
            raise ConfigError(
                f"the evidence storage {url} needs fsspec, which is not installed",
                hint="pip install 'amparo[s3]', or set AMPARO_EVIDENCE_STORAGE to a directory",
            ) from None
        try:
            fs, root = fsspec.core.url_to_fs(url, **dict(options or {}))
        except (ImportError, ValueError) as exc:
            raise ConfigError(
                f"cannot use the evidence storage {url}: {exc}",
                hint="install the filesystem's package (s3: pip install 'amparo[s3]') or fix "
                "AMPARO_EVIDENCE_STORAGE / AMPARO_EVIDENCE_STORAGE_OPTIONS",
            ) from None
        self._fs = fs
        self._root = str(root).rstrip("/")
        self._url = url

    @property
    def location(self) -> str:
        return self._url

    def _path(self, name: str) -> str:
        return f"{self._root}/{_checked(name)}"

    def put(self, name: str, blob: bytes) -> None:
        self._fs.pipe_file(self._path(name), blob)

    def get(self, name: str) -> bytes | None:
        try:
            data: bytes = self._fs.cat_file(self._path(name))
        except FileNotFoundError:
            return None
        return data

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._fs.rm_file(self._path(name))


def open_store(location: str | Path, options: Mapping[str, Any] | None = None) -> BlobStore:
    """The store for a directory path, a ``file://`` URL, or any other fsspec URL."""
    text = str(location)
    if isinstance(location, Path) or "://" not in text:
        return LocalBlobStore(Path(text).expanduser())
    if text.startswith("file://"):
        return LocalBlobStore(Path(text.removeprefix("file://")))
    return FsspecBlobStore(text, options)
