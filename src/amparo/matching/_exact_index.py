"""The exact-match index: (id, digest) pairs for MD5, SHA-256 and other byte digests.

Why not a dict: ten million digests in a Python dict cost ~1.5 GB; here they cost their
bytes plus an 8-byte id (~400 MB for 10M SHA-256). State is one immutable snapshot: a base
sorted by digest, a small sorted delta and tombstoned ids. Readers take ``self._snap`` once
and never lock; writers build a new snapshot under a lock and swap it. When the delta and
tombstones grow past ``compact_threshold`` the writer folds them into a new base (a merge of
sorted arrays: about a second at 10M rows, on the writer's thread, never a reader's).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.errors import InputError, InvalidSignalError
from amparo.matching._arrays import as_ids, is_member, ordered_matches

__all__ = ["ExactIndex"]

I64 = npt.NDArray[np.int64]
_FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class _Snapshot:
    keys: npt.NDArray[np.bytes_]  # base digests, sorted
    ids: I64
    delta_keys: npt.NDArray[np.bytes_]  # sorted
    delta_ids: I64
    tomb: I64  # sorted unique ids hidden in the base
    dead: int  # base rows hidden by ``tomb``


class ExactIndex:
    """Every id whose digest equals a queried digest. Thread-safe; 100% exact.

    ``width`` is the digest's length in bytes (16 for MD5, 32 for SHA-256). Values go in and
    out as lowercase hex. An id may hold several digests; ``remove(id)`` removes all of them.
    """

    distance_based = False

    def __init__(self, width: int, *, compact_threshold: int = 50_000) -> None:
        if width < 1 or compact_threshold < 1:
            raise InputError("width and compact_threshold must be >= 1", hint="e.g. 16 for MD5")
        self.width = width
        self._dtype = np.dtype(f"S{width}")
        self._threshold = compact_threshold
        empty_keys = np.empty(0, dtype=self._dtype)
        empty_ids = np.empty(0, dtype=np.int64)
        self._snap = _Snapshot(empty_keys, empty_ids, empty_keys, empty_ids, empty_ids, 0)
        self._lock = threading.Lock()

    def _keys(self, values: Sequence[str]) -> npt.NDArray[np.bytes_]:
        try:
            raw = [bytes.fromhex(v) for v in values]
        except (ValueError, TypeError) as exc:
            raise InvalidSignalError(
                f"not a hex digest: {exc}", hint="send lowercase hex"
            ) from None
        if any(len(r) != self.width for r in raw):
            raise InvalidSignalError(
                f"a digest here has {self.width} bytes ({2 * self.width} hex characters)",
                hint="check the signal type of the hash",
            )
        return np.array(raw, dtype=self._dtype) if raw else np.empty(0, dtype=self._dtype)

    @classmethod
    def from_arrays(
        cls, width: int, ids: npt.NDArray[np.integer[Any]], keys: npt.NDArray[np.uint8]
    ) -> ExactIndex:
        """Bulk load from ``ids`` (n,) and raw digests ``keys`` (n, width) ``uint8``."""
        index = cls(width)
        if keys.shape != (ids.shape[0], width):
            raise InputError(f"keys must be (n, {width}) bytes", hint="pair ids and digests")
        flat = np.ascontiguousarray(keys, dtype=np.uint8).view(index._dtype).reshape(-1)
        order = np.argsort(flat, kind="stable")
        snap = index._snap
        index._snap = _Snapshot(
            flat[order], as_ids(ids)[order], snap.delta_keys, snap.delta_ids, snap.tomb, 0
        )
        return index

    def add(self, ids: Sequence[int] | npt.NDArray[np.integer[Any]], values: Sequence[str]) -> None:
        """Add (id, hex digest) pairs; matchable by the next query."""
        id_arr = as_ids(ids)
        keys = self._keys(values)
        if id_arr.shape[0] != keys.shape[0]:
            raise InputError(f"{id_arr.shape[0]} ids but {keys.shape[0]} digests", hint="pair them")
        if not id_arr.size:
            return
        with self._lock:
            snap = self._snap
            all_keys = np.concatenate([snap.delta_keys, keys])
            all_ids = np.concatenate([snap.delta_ids, id_arr])
            order = np.argsort(all_keys, kind="stable")
            self._swap(snap, delta_keys=all_keys[order], delta_ids=all_ids[order])

    def remove(self, ids: Iterable[int] | npt.NDArray[np.integer[Any]]) -> None:
        """Remove every pair of these ids; unknown ids are ignored."""
        gone = np.unique(as_ids(ids))
        if not gone.size:
            return
        with self._lock:
            snap = self._snap
            keep = ~is_member(snap.delta_ids, gone)
            hit = snap.ids[is_member(snap.ids, gone)]
            fresh = np.unique(hit[~is_member(hit, snap.tomb)])
            dead = snap.dead + int(is_member(hit, fresh).sum())
            self._swap(
                snap,
                delta_keys=snap.delta_keys[keep],
                delta_ids=snap.delta_ids[keep],
                tomb=np.union1d(snap.tomb, fresh),
                dead=dead,
            )

    def _swap(self, snap: _Snapshot, **changes: Any) -> None:
        fields = {
            "keys": snap.keys,
            "ids": snap.ids,
            "delta_keys": snap.delta_keys,
            "delta_ids": snap.delta_ids,
            "tomb": snap.tomb,
            "dead": snap.dead,
            **changes,
        }
        new = _Snapshot(**fields)
        if new.delta_ids.size + new.dead >= self._threshold:
            new = self._compacted(new)
        self._snap = new

    @staticmethod
    def _compacted(snap: _Snapshot) -> _Snapshot:
        alive = ~is_member(snap.ids, snap.tomb)
        keys = np.concatenate([snap.keys[alive], snap.delta_keys])
        ids = np.concatenate([snap.ids[alive], snap.delta_ids])
        order = np.argsort(keys, kind="stable")
        empty = snap.delta_ids[:0]
        return _Snapshot(keys[order], ids[order], snap.delta_keys[:0], empty, empty, 0)

    def query_many(self, values: Sequence[str], radius: int = 0) -> list[list[tuple[int, int]]]:
        """For each hex digest, every (id, 0) holding it, by id. ``radius`` is ignored:
        exact types match at distance 0 only."""
        keys = self._keys(values)
        snap = self._snap
        out: list[list[tuple[int, int]]] = []
        for key in keys:
            found = _equal(snap.keys, snap.ids, key)
            if snap.tomb.size and found.size:
                found = found[~is_member(found, snap.tomb)]
            extra = _equal(snap.delta_keys, snap.delta_ids, key)
            if extra.size:
                found = np.concatenate([found, extra])
            out.append(ordered_matches(found, np.zeros(found.size, dtype=np.int64)))
        return out

    def __len__(self) -> int:
        snap = self._snap
        return int(snap.ids.size) - snap.dead + int(snap.delta_ids.size)

    def save(self, path: Path) -> None:
        """Write the live pairs to ``path`` (``.npz`` of plain arrays, written atomically)."""
        snap = self._compacted(self._snap)
        tmp = path.with_name(path.name + ".tmp")
        raw = np.frombuffer(snap.keys.tobytes(), dtype=np.uint8).reshape(-1, self.width)
        with open(tmp, "wb") as f:
            np.savez(f, format=np.array([_FORMAT_VERSION]), ids=snap.ids, keys=raw)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, width: int) -> ExactIndex:
        """Read a file written by :meth:`save`."""
        hint = "rebuild the index from the database"
        try:
            with np.load(path, allow_pickle=False) as data:
                version, ids, keys = data["format"], data["ids"], data["keys"]
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"{path} is not an exact index saved by Amparo: {exc}", hint=hint
            ) from exc
        if version.tolist() != [_FORMAT_VERSION] or ids.dtype != np.int64:
            raise InputError(f"{path} has an unknown format", hint=hint)
        return cls.from_arrays(width, ids, keys)


def _equal(keys: npt.NDArray[np.bytes_], ids: I64, key: np.bytes_) -> I64:
    lo = int(np.searchsorted(keys, key, side="left"))
    hi = int(np.searchsorted(keys, key, side="right"))
    return ids[lo:hi]
