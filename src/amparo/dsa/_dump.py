"""The files inside a DSA Transparency Database dump, one at a time.

The database writes each day's dump as ``sor-<slug>-<date>-<full|light>.zip`` (``slug`` is
``global`` or a platform's), a *stored* zip of parts ``sor-…-<part>.csv.zip``, each a
deflated zip of CSVs of up to 100,000 statements (``…-<part>-<subpart>.csv``, each with its
header), next to ``<name>.zip.sha1`` (``StatementsDayArchiveZ``, ``StatementCsvExportZ``,
``StatementCsvExportGroupParts``). Amparo accepts that layout, a single part, a bare CSV, or
Parquet. Each CSV or Parquet member is copied to a work folder and handed to the caller, who
deletes it when done (:meth:`DumpMember.discard`): disk and memory use stay those of a part
or two, whatever the dump's size.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import queue
import shutil
import threading
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from amparo.errors import InputError

__all__ = ["DumpMember", "file_digests", "members", "prefetched"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DumpMember:
    """One table of a dump: ``name`` is its path inside the dump (``outer.zip/part/x.csv``)."""

    name: str
    path: Path
    format: str  # "csv" or "parquet"
    temporary: bool = False
    """Extracted into the work folder: the consumer deletes it when done."""

    def discard(self) -> None:
        """Delete an extracted copy (never the dump itself)."""
        if self.temporary:
            self.path.unlink(missing_ok=True)


def file_digests(path: Path) -> tuple[str, str]:
    """SHA-256 and SHA-1 (what the database publishes next to each dump) of ``path``, hex."""
    sha256, sha1 = hashlib.sha256(), hashlib.sha1(usedforsecurity=False)
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                sha256.update(chunk)
                sha1.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return sha256.hexdigest(), sha1.hexdigest()


def _format(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith(".zip"):
        return "zip"
    return None


def members(path: Path, workdir: Path) -> Generator[DumpMember, None, None]:
    """Every CSV and Parquet table in the dump at ``path``, in name order.

    Zips nest as the database writes them (zip of zips of CSVs); other files in them (the
    ``.sha1`` companions, read-mes) are skipped. A file that is no dump at all is an
    :class:`InputError` naming it.
    """
    kind = _format(path.name)
    if kind in ("csv", "parquet"):
        yield DumpMember(path.name, path, kind)
        return
    if kind != "zip":
        raise InputError(
            f"{path.name} is not a DSA dump: expected .zip, .csv or .parquet",
            hint="download the daily dumps from transparency.dsa.ec.europa.eu/data-download",
        )
    yield from _zip_members(path, path.name, workdir, depth=0, seq=itertools.count())


def _zip_members(
    path: Path, label: str, workdir: Path, depth: int, seq: Iterator[int]
) -> Iterator[DumpMember]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{label} is not a readable zip file: {exc}") from None
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            kind = _format(info.filename)
            if info.is_dir() or kind is None:
                continue
            if kind == "zip" and depth >= 2:
                raise InputError(f"{label}/{info.filename}: zips nested deeper than a dump's")
            target = workdir / f"member-{next(seq)}{Path(info.filename).suffix.lower()}"
            try:
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                target.unlink(missing_ok=True)
                raise InputError(f"{label}/{info.filename} cannot be extracted: {exc}") from None
            name = f"{label}/{info.filename}"
            if kind != "zip":
                yield DumpMember(name, target, kind, temporary=True)
                continue
            try:
                yield from _zip_members(target, name, workdir, depth + 1, seq)
            finally:
                target.unlink(missing_ok=True)


def prefetched(items: Generator[DumpMember, None, None]) -> Iterator[DumpMember]:
    """``items``, extracted one ahead on a thread: the next table is unzipped (zlib lets go
    of the GIL) while DuckDB reads this one. Errors surface in order; an abandoned iteration
    stops the thread and deletes what it extracted."""
    ready: queue.Queue[tuple[DumpMember | None, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put((item, None), timeout=0.05)
                        break
                    except queue.Full:
                        continue
                else:
                    item.discard()
                    return
            ready.put((None, None))
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put((None, exc))

    worker = threading.Thread(target=produce, name="amparo-dsa-unzip", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is None:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive() or not ready.empty():
            with contextlib.suppress(queue.Empty):
                left, _ = ready.get(timeout=0.05)
                if left is not None:
                    left.discard()
        items.close()  # the thread is done with it: its zip files close
