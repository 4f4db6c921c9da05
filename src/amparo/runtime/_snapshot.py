"""Saved catalogs: a server starts from the last saved indexes instead of the database.

Reading ten million signals from the database takes minutes; reading them from a saved
snapshot takes seconds. A snapshot is the catalog and every index, plus where in the change
feed they were (the watermark and the changes applied past it) and the identity of the
database they came from. It is used only if that identity matches the database's (a
recreated or restored database has another one, or an older newest change) — then the
server applies the changes made since, exactly as it would have live.

Layout, in ``<data dir>/index/``: ``snapshot.json`` names the files of the current snapshot,
written last and atomically, so a crash mid-save leaves the previous snapshot whole. Only
one process saves at a time (an exclusive lock on ``save.lock``); the others skip.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amparo.matching import Catalog, ExactIndex, PdqIndex, SignalIndex
from amparo.signals import SIGNAL_TYPES
from amparo.store import FileLock

__all__ = ["Snapshot", "load_snapshot", "save_snapshot"]

log = logging.getLogger(__name__)

_FORMAT = 1
_META = "snapshot.json"


@dataclass(frozen=True)
class Snapshot:
    """A loaded snapshot: the catalog, indexes and their place in the change feed."""

    instance: str
    watermark: int
    applied_above: frozenset[int]
    catalog: Catalog
    indexes: Mapping[str, SignalIndex]


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[bool]:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = FileLock(folder / "save.lock")
    try:
        with lock.tried() as mine:  # False: another process is saving
            yield mine
    finally:
        lock.close()


def _save_index(index: SignalIndex, path: Path) -> None:
    index.save(path)


def _load_index(name: str, path: Path) -> SignalIndex:
    signal_type = SIGNAL_TYPES[name]
    if signal_type.distance_based:
        return PdqIndex.load(path)
    return ExactIndex.load(path, signal_type.hex_length // 2)


def save_snapshot(
    folder: Path,
    *,
    instance: str,
    watermark: int,
    applied_above: frozenset[int],
    catalog: Catalog,
    indexes: Mapping[str, SignalIndex],
) -> bool:
    """Save a snapshot; False when another process was saving (nothing written)."""
    with _exclusive(folder) as mine:
        if not mine:
            return False
        tag = f"{watermark}-{os.getpid()}"
        files = {"catalog": f"catalog-{tag}.npz"}
        catalog.save(folder / files["catalog"])
        for name, index in indexes.items():
            files[name] = f"index-{name}-{tag}.npz"
            _save_index(index, folder / files[name])
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "instance": instance,
            "watermark": watermark,
            "applied_above": sorted(applied_above),
            "files": {k: [v, (folder / v).stat().st_size] for k, v in files.items()},
        }
        tmp = folder / (_META + ".tmp")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, folder / _META)
        keep = {v for v in files.values()} | {_META, "save.lock"}
        for old in folder.iterdir():
            if old.name not in keep:
                old.unlink(missing_ok=True)
    return True


def load_snapshot(folder: Path, *, instance: str, newest_change: int) -> Snapshot | None:
    """The saved snapshot if it is whole and of this database (``instance``, and not ahead
    of its ``newest_change``); else None, and the caller loads from the database."""
    try:
        meta = json.loads((folder / _META).read_text())
    except (OSError, ValueError):
        return None
    try:
        if meta["format"] != _FORMAT or meta["instance"] != instance:
            log.info("index snapshot is of another database; loading from the database")
            return None
        if int(meta["watermark"]) > newest_change:
            log.info("index snapshot is ahead of the database (restored?); not used")
            return None
        files: dict[str, tuple[str, int]] = {k: (v[0], int(v[1])) for k, v in meta["files"].items()}
        for name, size in files.values():
            if (folder / name).stat().st_size != size:
                return None
        if set(files) != {"catalog", *SIGNAL_TYPES}:
            return None
        catalog = Catalog.load_file(folder / files["catalog"][0])
        indexes = {name: _load_index(name, folder / files[name][0]) for name in SIGNAL_TYPES}
        return Snapshot(
            instance,
            int(meta["watermark"]),
            frozenset(int(s) for s in meta["applied_above"]),
            catalog,
            indexes,
        )
    except Exception as exc:  # a damaged snapshot is only slower to start, never an error
        log.warning("index snapshot not used: %s", exc)
        return None
