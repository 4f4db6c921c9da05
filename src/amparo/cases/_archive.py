"""The archive's container: an uncompressed POSIX tar under one folder, written as a stream.

Every file's SHA-256 is computed while it is written and listed in ``MANIFEST.sha256``
(``sha256sum -c`` format, paths relative to the folder). Last comes ``SEAL.tlog-proof``: the
ledger proof of a ``case.export_seal`` entry recording the manifest's SHA-256, so nothing
listed can be changed even with the manifest rewritten (it cannot list itself). Files are copied
in tarfile's chunks: a case of any size is never held in memory.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path
from typing import BinaryIO

__all__ = ["MANIFEST", "SEAL", "ArchiveWriter", "manifest_text", "parse_manifest"]

MANIFEST = "MANIFEST.sha256"
SEAL = "SEAL.tlog-proof"


class _Hashing:
    """Reads through to ``raw`` and hashes what was read (tarfile copies with ``read``)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def manifest_text(files: dict[str, str]) -> str:
    """``sha256sum`` lines, sorted by path."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(files.items()))


def parse_manifest(text: str) -> dict[str, str] | None:
    """Path -> digest from a manifest's text, or None when a line is malformed."""
    files: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64 or not path or path in files:
            return None
        files[path] = digest
    return files


class ArchiveWriter:
    """``add_bytes`` / ``add_file``, ``write_manifest``, ``add_unlisted`` (the seal), ``close``."""

    def __init__(self, fileobj: BinaryIO, root: str, mtime: float) -> None:
        self.root = root
        self.mtime = mtime
        self.files: dict[str, str] = {}
        self._tar = tarfile.open(  # noqa: SIM115 - closed by finish()
            fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT
        )

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(f"{self.root}/{name}")
        info.size = size
        info.mtime = int(self.mtime)
        info.mode = 0o644
        info.uname = info.gname = "amparo"
        return info

    def add_bytes(self, name: str, data: bytes) -> str:
        """Add a small file; return its SHA-256 (hex)."""
        self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))
        digest = hashlib.sha256(data).hexdigest()
        self.files[name] = digest
        return digest

    def add_file(self, name: str, path: Path) -> str:
        """Add a file from disk, streaming; return its SHA-256 (hex)."""
        with path.open("rb") as f:
            reader = _Hashing(f)
            self._tar.addfile(self._info(name, path.stat().st_size), reader)
        digest = reader.digest.hexdigest()
        self.files[name] = digest
        return digest

    def write_manifest(self) -> bytes:
        """Add the manifest of every file so far; return its bytes."""
        data = manifest_text(self.files).encode()
        self._tar.addfile(self._info(MANIFEST, len(data)), io.BytesIO(data))
        return data

    def add_unlisted(self, name: str, data: bytes) -> None:
        """Add a file after the manifest (the seal that proves the manifest itself)."""
        self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def close(self) -> None:
        """End the tar (the caller closes the file)."""
        self._tar.close()

    def abandon(self) -> None:
        """Give up without writing the tar's end (the file is being deleted): marks the tar
        closed, so nothing tries to finish it on a closed file later."""
        self._tar.closed = True  # type: ignore[attr-defined]  # tarfile sets it in __init__
