"""The thread-safe PDQ index: an immutable base, a small delta, tombstones, compaction.

State lives in one immutable :class:`_Snapshot`. A query reads ``self._snap`` once (one
reference read, atomic in Python) and works on that snapshot only, so it sees the index
either before or after any change, never half of one. Writers (``add``, ``remove``) build a
new snapshot under a lock and swap the reference:

* ``add`` appends to the delta, which queries scan exhaustively (it is kept small), so a
  new hash is matchable as soon as ``add`` returns;
* ``remove`` drops delta rows and hides base rows by id (tombstones);
* compaction, in a background thread, builds a new base from the live rows without holding
  the lock, then swaps it in and re-applies whatever was added or removed meanwhile.

Don't mutate anything reachable from a snapshot: make a new one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.errors import InputError
from amparo.matching._arrays import (
    as_ids,
    compact_ids,
    is_member,
    is_member_of_few,
    ordered_matches,
)
from amparo.matching._codec import PDQ_BITS, WORDS_DTYPE, parse_pdq_hex, parse_pdq_many
from amparo.matching._mih import MihBase, distances, scan_pairs

__all__ = ["DEFAULT_RADIUS", "PdqIndex", "PdqIndexStats"]

_log = logging.getLogger(__name__)

DEFAULT_RADIUS = 31  # PDQ's "confident match" threshold, as in ThreatExchange and HMA
_FORMAT_VERSION = 2  # 2: the base's bucket tables are saved too

I64 = npt.NDArray[np.int64]
Words = npt.NDArray[np.uint64]
_EMPTY_IDS = np.empty(0, dtype=np.int64)
_EMPTY_WORDS = np.empty((0, 4), dtype=WORDS_DTYPE)
_PAIRS_PER_ROW = 200
"""Queries' (query, delta row) comparisons per row of the index that pay for compacting it:
a rebuild costs ~2 us a row, a comparison ~10 ns. Folding a small delta in once queries have
spent about what the rebuild costs keeps the total within twice the cheaper choice (as in
ski rental): a delta that queries keep scanning goes, one nobody queries costs nothing."""


@dataclass(frozen=True)
class PdqIndexStats:
    """Numbers for ``/metrics`` and the admin pages. ``size`` counts live (id, hash) pairs."""

    size: int
    base_size: int
    delta_size: int
    tombstoned_ids: int
    tombstoned_rows: int
    memory_bytes: int
    built_at: datetime | None
    compactions: int
    compacting: bool


@dataclass(frozen=True, eq=False)
class _Snapshot:
    base: MihBase | None
    dead_rows: int  # base rows hidden by ``tomb``
    tomb: I64  # sorted unique ids whose base rows are hidden
    delta_ids: I64
    delta_words: Words
    delta_seq: I64  # add order, to tell what a compaction already folded in
    built_at: datetime | None

    def live_rows(self) -> tuple[npt.NDArray[np.integer[Any]], Words]:
        """Copies of the (ids, words) of every live row: the base less tombstones, the delta."""
        ids: list[npt.NDArray[np.integer[Any]]] = [self.delta_ids]
        words: list[Words] = [self.delta_words]
        if self.base is not None:
            base_ids, base_words = self.base.ids, self.base.words
            if self.tomb.size:
                keep = ~is_member(base_ids, self.tomb)
                base_ids, base_words = base_ids[keep], base_words[keep]
            ids.insert(0, base_ids)
            words.insert(0, base_words)
        return compact_ids(np.concatenate(ids)), np.concatenate(words)


_EMPTY = _Snapshot(None, 0, _EMPTY_IDS, _EMPTY_IDS, _EMPTY_WORDS, _EMPTY_IDS, None)


def _check_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer):
        raise InputError(f"radius must be an integer, got {radius!r}", hint="e.g. radius=31")
    if not 0 <= radius <= PDQ_BITS:
        raise InputError(f"radius must be 0..256, got {radius}", hint="PDQ matches use 31")
    return int(radius)


class PdqIndex:
    """Exact Hamming-radius search over (id, PDQ hash) pairs. Thread-safe.

    ``query`` returns *every* id with a hash within the radius (100% recall; not
    approximate). An id may hold several hashes; ``remove(id)`` removes all of them, and a
    query reports each id once, at its smallest distance. Changes are visible to the next
    query; compaction runs in a background thread once ``compact_threshold`` rows are in
    the delta or hidden by tombstones, or once queries have spent on scanning the delta
    about what a compaction costs.

    Memory per row: 32 bytes of hash, 4 of id (8 if an id is negative or >= 2**32), and 64
    (under 524k rows), 48 (to 4M) or 36 (to 16M) bytes of chunk tables; plus bucket starts
    of 4 MB under 524k rows, 134 MB from there. 10M rows: 815 MiB. A compaction briefly
    holds two bases; for a bulk load use :meth:`from_arrays` or :meth:`load`. Queries scan
    the delta exhaustively: a full delta of 20k rows adds ~0.15 ms to each.
    Don't use this for exact-match types (MD5, SHA-256): use :class:`ExactIndex`.
    """

    distance_based = True

    def __init__(self, *, compact_threshold: int = 20_000, background: bool = True) -> None:
        """``background=False`` leaves compaction to explicit :meth:`compact` calls."""
        if compact_threshold < 1:
            raise InputError("compact_threshold must be >= 1", hint="the default is 20000")
        self._threshold = compact_threshold
        self._background = background
        self._snap = _EMPTY
        self._lock = threading.Lock()  # serialises writers; readers never take it
        self._compact_mutex = threading.Lock()  # one compaction at a time
        self._next_seq = 0
        self._removed_during: list[I64] | None = None  # ids removed while compacting
        self._compactions = 0
        self._worker: threading.Thread | None = None
        self._delta_pairs = 0  # (query, delta row) pairs compared since the last compaction

    @classmethod
    def from_arrays(
        cls,
        ids: Sequence[int] | npt.NDArray[np.integer[Any]],
        hashes: npt.NDArray[np.uint8],
        *,
        compact_threshold: int = 20_000,
        background: bool = True,
    ) -> PdqIndex:
        """Bulk load: build the base directly from ``ids`` (n,) and hashes (n, 32) ``uint8``.

        Uses ``hashes`` in place, without a copy, when it is C-contiguous: don't modify it
        afterwards. This keeps a 10M-row load at one copy of the data.
        """
        index = cls(compact_threshold=compact_threshold, background=background)
        if isinstance(ids, np.ndarray) and ids.dtype == np.uint32 and ids.ndim == 1:
            id_arr: npt.NDArray[np.integer[Any]] = ids
        else:
            id_arr = compact_ids(as_ids(ids))
        if (
            hashes.dtype != np.uint8
            or hashes.ndim != 2
            or hashes.shape[1] != PDQ_BITS // 8
            or not hashes.flags.c_contiguous
        ):
            words = parse_pdq_many(hashes)
        else:
            words = hashes.view(WORDS_DTYPE)
        if id_arr.shape[0] != words.shape[0]:
            raise InputError(f"{id_arr.shape[0]} ids but {words.shape[0]} hashes", hint="pair them")
        if id_arr.size:
            index._snap = replace(_EMPTY, base=MihBase(id_arr, words), built_at=datetime.now(UTC))
        return index

    # -- writes ---------------------------------------------------------------------------

    def add(
        self,
        ids: Sequence[int] | npt.NDArray[np.integer[Any]],
        hashes: Sequence[str] | npt.NDArray[np.uint8],
    ) -> None:
        """Add (id, hash) pairs; hashes are 64-char hex strings or a (n, 32) uint8 array.

        Matchable by the next query. Raises InvalidSignalError for a malformed hash (and
        then adds nothing).
        """
        id_arr = as_ids(ids)
        words = parse_pdq_many(hashes)
        if id_arr.shape[0] != words.shape[0]:
            raise InputError(f"{id_arr.shape[0]} ids but {words.shape[0]} hashes", hint="pair them")
        if not id_arr.size:
            return
        with self._lock:
            snap = self._snap
            seq = np.arange(self._next_seq, self._next_seq + id_arr.size, dtype=np.int64)
            self._next_seq += id_arr.size
            self._snap = replace(
                snap,
                delta_ids=np.concatenate([snap.delta_ids, id_arr]),
                delta_words=np.concatenate([snap.delta_words, words]),
                delta_seq=np.concatenate([snap.delta_seq, seq]),
            )
        self._maybe_compact()

    def remove(self, ids: Iterable[int] | npt.NDArray[np.integer[Any]]) -> None:
        """Remove every pair of these ids. Unknown ids are ignored.

        Costs one pass over the base's ids (~10 ms per 1M rows): batch removals.
        """
        gone = np.unique(as_ids(ids))
        if not gone.size:
            return
        with self._lock:
            snap = self._snap
            keep = ~is_member(snap.delta_ids, gone)
            dead, tomb = snap.dead_rows, snap.tomb
            if snap.base is not None:
                hit_ids = snap.base.ids[is_member_of_few(snap.base.ids, gone)].astype(np.int64)
                fresh = hit_ids[~is_member(hit_ids, tomb)]
                dead += int(fresh.size)
                tomb = np.union1d(tomb, fresh)
            if self._removed_during is not None:
                self._removed_during.append(gone)
            self._snap = replace(
                snap,
                dead_rows=dead,
                tomb=tomb,
                delta_ids=snap.delta_ids[keep],
                delta_words=snap.delta_words[keep],
                delta_seq=snap.delta_seq[keep],
            )
        self._maybe_compact()

    # -- compaction -----------------------------------------------------------------------

    def _scanned_delta(self, queries: int, snap: _Snapshot) -> None:
        """Count what ``queries`` spent on the delta; compact once that pays for itself.
        (Concurrent queries may lose a count: it only decides when, never what.)"""
        if snap.base is None:
            return  # without a base, scanning the delta is the cheapest search there is
        self._delta_pairs += queries * int(snap.delta_ids.size)
        if self._delta_pairs >= _PAIRS_PER_ROW * (len(snap.base) + int(snap.delta_ids.size)):
            self._maybe_compact(paid_for=True)

    def _maybe_compact(self, *, paid_for: bool = False) -> None:
        snap = self._snap
        if not self._background:
            return
        if not paid_for and snap.delta_ids.size + snap.dead_rows < self._threshold:
            return
        worker = self._worker
        if worker is not None and worker.is_alive():
            return  # checked without the lock first: queries call this while one runs
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(
                target=self._compact_in_background, name="amparo-pdq-compaction", daemon=True
            )
            self._worker.start()

    def _compact_in_background(self) -> None:
        try:
            self.compact()
        except Exception:  # a failed compaction leaves the index as it was, still correct
            self._delta_pairs = 0  # queries pay again before the next try
            _log.exception("PDQ index compaction failed; the index keeps its delta")

    def wait_for_compaction(self, timeout: float | None = None) -> bool:
        """Wait for a running background compaction; True when none is running any more."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def compact(self) -> None:
        """Fold the delta and tombstones into a new base now, in this thread.

        Queries and writes go on meanwhile: they use the old base until the swap.
        """
        with self._compact_mutex:
            with self._lock:
                snap = self._snap
                if not snap.delta_ids.size and not snap.dead_rows:
                    self._delta_pairs = 0  # the delta went (removed) before it was folded in
                    return
                first_new_seq = self._next_seq
                self._removed_during = []
            try:
                ids, words = snap.live_rows()
                base = MihBase(ids, words) if ids.size else None
            except BaseException:
                with self._lock:
                    self._removed_during = None
                raise
            with self._lock:  # one critical section: no removal may slip between these
                removed = self._removed_during
                self._removed_during = None
                cur = self._snap
                tomb, dead = _EMPTY_IDS, 0
                gone = np.unique(np.concatenate(removed)) if removed else _EMPTY_IDS
                if base is not None and gone.size:
                    hidden = is_member(base.ids, gone)
                    dead = int(hidden.sum())
                    tomb = np.unique(base.ids[hidden].astype(np.int64))
                newer = cur.delta_seq >= first_new_seq
                self._snap = _Snapshot(
                    base=base,
                    dead_rows=dead,
                    tomb=tomb,
                    delta_ids=cur.delta_ids[newer],
                    delta_words=cur.delta_words[newer],
                    delta_seq=cur.delta_seq[newer],
                    built_at=datetime.now(UTC),
                )
                self._compactions += 1
                self._delta_pairs = 0

    # -- reads ----------------------------------------------------------------------------

    def query(self, pdq_hex: str, radius: int = DEFAULT_RADIUS) -> list[tuple[int, int]]:
        """Every (id, distance) within ``radius`` bits, by distance then id; each id once."""
        return self._query_words(parse_pdq_hex(pdq_hex), _check_radius(radius))

    def _query_words(self, q: Words, radius: int) -> list[tuple[int, int]]:
        snap = self._snap
        ids: npt.NDArray[np.integer[Any]] = _EMPTY_IDS
        dist: I64 = _EMPTY_IDS
        if snap.base is not None:
            rows, dist = snap.base.search(q, radius)
            ids = snap.base.ids[rows]
            if snap.tomb.size and ids.size:
                alive = ~is_member(ids, snap.tomb)
                ids, dist = ids[alive], dist[alive]
        if snap.delta_ids.size:
            d = distances(snap.delta_words, q)
            (hit,) = np.nonzero(d <= radius)
            if hit.size:
                ids = np.concatenate([ids.astype(np.int64), snap.delta_ids[hit]])
                dist = np.concatenate([dist, d[hit].astype(np.int64)])
            self._scanned_delta(1, snap)
        return ordered_matches(ids, dist)

    def query_many(
        self, hashes: Sequence[str] | npt.NDArray[np.uint8], radius: int = DEFAULT_RADIUS
    ) -> list[list[tuple[int, int]]]:
        """:meth:`query` for many hashes at once (vectorised; faster per hash)."""
        qs = parse_pdq_many(hashes)
        radius = _check_radius(radius)
        if len(qs) == 1:  # a server's single lookup: the batch machinery adds ~35 us to it
            return [self._query_words(qs[0], radius)]
        snap = self._snap
        parts: list[tuple[I64, npt.NDArray[np.integer[Any]], I64]] = []
        if snap.base is not None and len(qs):
            hits = snap.base.search_many(qs, radius)
            ids = snap.base.ids[hits.row]
            alive = ~is_member(ids, snap.tomb)
            parts.append((hits.query[alive], ids[alive], hits.dist[alive]))
        if snap.delta_ids.size and len(qs):
            hits = scan_pairs(snap.delta_words, qs, radius)
            parts.append((hits.query, snap.delta_ids[hits.row], hits.dist))
            self._scanned_delta(len(qs), snap)
        out: list[list[tuple[int, int]]] = [[] for _ in range(len(qs))]
        if not parts:
            return out
        query = np.concatenate([p[0] for p in parts])
        ids = np.concatenate([p[1].astype(np.int64) for p in parts])
        dist = np.concatenate([p[2] for p in parts])
        order = np.argsort(query, kind="stable")
        query, ids, dist = query[order], ids[order], dist[order]
        bounds = np.searchsorted(query, np.arange(len(qs) + 1))
        for i in np.flatnonzero(np.diff(bounds)).tolist():
            a, b = bounds[i], bounds[i + 1]
            out[i] = ordered_matches(ids[a:b], dist[a:b])
        return out

    def __len__(self) -> int:
        snap = self._snap
        base = len(snap.base) if snap.base is not None else 0
        return base - snap.dead_rows + int(snap.delta_ids.size)

    @property
    def stats(self) -> PdqIndexStats:
        """A consistent view of sizes, memory and compaction state."""
        snap = self._snap
        worker = self._worker
        return PdqIndexStats(
            size=len(self),
            base_size=len(snap.base) if snap.base is not None else 0,
            delta_size=int(snap.delta_ids.size),
            tombstoned_ids=int(snap.tomb.size),
            tombstoned_rows=snap.dead_rows,
            memory_bytes=(snap.base.nbytes if snap.base is not None else 0)
            + int(snap.delta_words.nbytes + snap.delta_ids.nbytes + snap.delta_seq.nbytes),
            built_at=snap.built_at,
            compactions=self._compactions,
            compacting=worker is not None and worker.is_alive(),
        )

    # -- persistence ----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (an ``.npz`` of plain arrays; no pickle): the base with
        its bucket tables, so that :meth:`load` reads rather than rebuilds them (a 10M-row
        rebuild takes ~10-20 s on two cores), and the delta and tombstones as they are.

        Writes a temporary file beside it and renames it, so a crash never leaves half a file.
        """
        snap = self._snap
        base = snap.base
        arrays: dict[str, npt.NDArray[Any]] = {
            "format": np.array([_FORMAT_VERSION], dtype=np.int64),
            "dead_rows": np.array([snap.dead_rows], dtype=np.int64),
            "tomb": snap.tomb,
            "delta_ids": snap.delta_ids,
            "delta_hashes": _as_bytes(snap.delta_words),
            "ids": base.ids if base is not None else _EMPTY_IDS,
            "hashes": _as_bytes(base.words if base is not None else _EMPTY_WORDS),
        }
        if base is not None:
            arrays["starts"], arrays["entries"], arrays["high"] = base.tables
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)

    @classmethod
    def load(
        cls, path: Path, *, compact_threshold: int = 20_000, background: bool = True
    ) -> PdqIndex:
        """Read a file written by :meth:`save` (seconds at 10M rows: nothing is rebuilt)."""
        bad = f"{path} is not a PDQ index saved by Amparo"
        hint = "rebuild the index from the database, or save it again"
        try:
            with np.load(path, allow_pickle=False) as data:
                version = data["format"]
                if version.shape != (1,) or int(version[0]) != _FORMAT_VERSION:
                    raise InputError(f"{bad}: unknown format {version.tolist()}", hint=hint)
                arrays = {name: data[name] for name in data.files}
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"{bad}: {exc}", hint=hint) from exc
        index = cls(compact_threshold=compact_threshold, background=background)
        try:
            ids, words = _rows_of(arrays["ids"], arrays["hashes"])
            delta, delta_words = _rows_of(arrays["delta_ids"], arrays["delta_hashes"])
            tomb = arrays["tomb"]
            if tomb.dtype != np.int64 or tomb.ndim != 1 or delta.dtype != np.int64:
                raise ValueError("tombstones and delta ids must be int64")
            delta_ids: I64 = delta.astype(np.int64, copy=False)
            dead = arrays["dead_rows"]
            if dead.shape != (1,) or not 0 <= int(dead[0]) <= ids.size:
                raise ValueError(f"dead rows are {dead.tolist()}")
            base = None
            if ids.size:
                tables = (arrays["starts"], arrays["entries"], arrays["high"])
                base = MihBase(ids, words, tables)
        except (KeyError, ValueError) as exc:
            raise InputError(f"{bad}: {exc}", hint=hint) from exc
        index._next_seq = int(delta_ids.size)
        index._snap = _Snapshot(
            base=base,
            dead_rows=int(dead[0]),
            tomb=tomb,
            delta_ids=delta_ids,
            delta_words=delta_words,
            delta_seq=np.arange(delta_ids.size, dtype=np.int64),
            built_at=datetime.now(UTC),
        )
        return index


def _as_bytes(words: Words) -> npt.NDArray[np.uint8]:
    """Hashes as saved: ``(n, 32)`` bytes."""
    return words.view(np.uint8).reshape(-1, PDQ_BITS // 8)


def _rows_of(
    ids: npt.NDArray[Any], hashes: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.integer[Any]], Words]:
    """Saved (ids, hashes) as the index holds them; ValueError if they cannot be rows."""
    if ids.ndim != 1 or ids.dtype not in (np.int64, np.uint32):
        raise ValueError(f"ids are {ids.dtype} {ids.shape}")
    if hashes.dtype != np.uint8 or hashes.shape != (ids.shape[0], PDQ_BITS // 8):
        raise ValueError(f"hashes are {hashes.dtype} {hashes.shape}")
    words: Words = np.ascontiguousarray(hashes).view(WORDS_DTYPE)
    return ids, words
