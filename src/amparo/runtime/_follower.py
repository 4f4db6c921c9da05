"""Keep the in-memory catalog (indexes, entries, banks, keys) in step with the change feed.

The catalog is loaded once (streamed in batches) and then follows ``changes`` by sequence
number, re-reading what each change names: lookups never wait for a rebuild, and a revoked
key or disabled entry takes effect at the next sync (every ``index_refresh_seconds``, and
right after this process commits such a change).

PostgreSQL hands out sequence numbers before commit, so a later number can become visible
before an earlier one. The follower therefore advances its watermark only over a contiguous
run of applied numbers, remembers what it applied above it, and treats a hole older than
``gap_timeout`` seconds as a rolled-back transaction. Re-reading makes applying a change
twice harmless, which is what lets a full load replay the changes it may have raced with.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from amparo import auth, banks
from amparo.auth import Keyring
from amparo.collector import collector_paused
from amparo.matching import Catalog, EntryInfo, Matcher, SignalIndex
from amparo.runtime._snapshot import load_snapshot, save_snapshot
from amparo.signals import SIGNAL_TYPES
from amparo.store import database_instance

__all__ = ["CatalogFollower", "IndexStatus"]

log = logging.getLogger(__name__)

Sessions = Callable[[], AbstractContextManager[Session]]
_REPLAY_WINDOW = 1000


_APPLY_SPAN = 10_000
"""Signals a follower reads and applies at once: a poll's changes are applied in parts of at
most this many (a change row may name a run of a whole import batch)."""


def _parts(
    rows: Sequence[tuple[int, str, int, int]], span: int = _APPLY_SPAN
) -> Iterator[list[tuple[int, str, int, int]]]:
    """``rows`` in order, in parts naming at most ``span`` signals (one bigger run alone)."""
    part: list[tuple[int, str, int, int]] = []
    size = 0
    for row in rows:
        n = row[3] - row[2] + 1 if row[1] == "signal+" else 1
        if part and size + n > span:
            yield part
            part, size = [], 0
        part.append(row)
        size += n
    if part:
        yield part


def _unread(
    runs: Sequence[tuple[int, int]], loaded: npt.NDArray[np.int64]
) -> list[tuple[int, int]]:
    """The ids of these runs that ``loaded`` (ascending) lacks, as lone ids."""
    if not runs:
        return []
    ids = np.concatenate([np.arange(a, b + 1, dtype=np.int64) for a, b in runs])
    at = np.minimum(np.searchsorted(loaded, ids), max(len(loaded) - 1, 0))
    held = loaded[at] == ids if len(loaded) else np.zeros(len(ids), dtype=bool)
    return [(int(i), int(i)) for i in ids[~held]]


@dataclass(frozen=True)
class IndexStatus:
    """The state of one signal type's index: loaded, size, last change applied, last sync
    (``time.monotonic()``), and how far a running load has got."""

    signal_type: str
    present: bool
    size: int
    built_to: int
    last_sync: float | None
    loading: int


class CatalogFollower:
    """Owns the matcher's indexes and catalog and the keyring, and keeps them current.

    Thread-safe: loads and syncs take one lock; lookups never do.
    """

    def __init__(
        self,
        sessions: Sessions,
        *,
        gap_timeout: float = 30.0,
        snapshot_dir: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._snapshot_dir = snapshot_dir
        self._applied_since_save = 0
        self._gap_timeout = gap_timeout
        self._lock = threading.Lock()
        self.matcher = Matcher({t: st.new_index() for t, st in SIGNAL_TYPES.items()}, Catalog())
        self.keyring = Keyring()
        self._watermark = -1
        self._applied_above: set[int] = set()
        self._gap_seen: dict[int, float] = {}
        self._last_sync: float | None = None
        self._loaded = False
        self.freeze_when_loaded = False
        """Move what is alive once the catalog is loaded out of the garbage collector's
        reach (``gc.freeze``), for a server process: see :meth:`_now_ready`."""
        self.ready = threading.Event()
        """Set once loaded: checked on every lookup, so a plain attribute, not a property."""
        self._loading = 0
        self.loaded_from: str | None = None
        """``"snapshot"`` or ``"database"`` once loaded."""

    @property
    def loaded(self) -> bool:
        return self._loaded

    def status(self) -> list[IndexStatus]:
        return [
            IndexStatus(
                name, self._loaded, len(index), self._watermark, self._last_sync, self._loading
            )
            for name, index in self.matcher.indexes.items()
        ]

    def ensure_loaded(self) -> None:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load()

    def load_keys(self) -> None:
        """Load the keys and banks now (fast), before the catalog: a server authenticates
        while its indexes load."""
        with self._sessions() as session:
            keys = auth.key_records(session)
            banks_now = banks.catalog_banks(session)
        self.keyring.put(keys)
        self.matcher.catalog.set_banks(banks_now)

    @property
    def loading(self) -> int:
        """Signals read so far by a running load."""
        return self._loading

    def sync(self) -> int:
        """Apply changes committed since the last sync; return how many were applied."""
        self.ensure_loaded()
        with self._lock:
            return self._sync_locked()

    def sync_if_older(self, seconds: float) -> None:
        if self._last_sync is None or time.monotonic() - self._last_sync >= seconds:
            self.sync()

    # -- loading --------------------------------------------------------------------------

    def _load(self) -> None:
        started = time.monotonic()
        if self._snapshot_dir is not None and self._load_snapshot(self._snapshot_dir):
            log.info("catalog loaded from its snapshot in %.1f s", time.monotonic() - started)
            return
        with collector_paused():
            self._load_from_database(started)

    def _load_from_database(self, started: float) -> None:
        ids: dict[str, list[int]] = defaultdict(list)
        values: dict[str, list[str]] = defaultdict(list)
        entries: dict[int, EntryInfo] = {}
        signal_ids: list[int] = []
        signal_entry: list[int] = []
        with self._sessions() as session:
            # Read the watermark before streaming, and step back: on PostgreSQL a transaction
            # with an earlier number may commit after this read. Replaying that window after
            # the stream is harmless (changes are re-read).
            self._watermark = max(0, banks.newest_change(session) - _REPLAY_WINDOW)
            banks_now = banks.catalog_banks(session)
            keys = auth.key_records(session)
            for batch in banks.iter_catalog(session):
                for sid, st, value, entry in batch:
                    ids[st].append(sid)
                    values[st].append(value)
                    entries[entry.entry_id] = entry
                    signal_ids.append(sid)
                    signal_entry.append(entry.entry_id)
                self._loading = len(signal_ids)
        catalog = self.matcher.catalog
        catalog.set_banks(banks_now)
        catalog.load(
            entries.values(),
            np.array(signal_ids, dtype=np.int64),
            np.array(signal_entry, dtype=np.int64),
        )
        indexes: dict[str, SignalIndex] = {
            name: st.build_index(np.array(ids[name], dtype=np.int64), values[name])
            if ids[name]
            else st.new_index()
            for name, st in SIGNAL_TYPES.items()
        }
        self.matcher.indexes = indexes
        self.keyring.put(keys)
        self._now_ready()
        self.loaded_from = "database"
        self._last_sync = time.monotonic()
        self._sync_locked(loaded=np.array(signal_ids, dtype=np.int64))
        self._applied_since_save = len(signal_ids) + 1  # worth saving: the next start is fast
        log.info(
            "catalog loaded: %d signals of %d entries in %.1f s",
            len(signal_ids),
            len(entries),
            time.monotonic() - started,
        )

    def _now_ready(self) -> None:
        """Mark the catalog loaded; first, with :attr:`freeze_when_loaded`, freeze the heap.

        A server process's objects at this point (modules, the app, the catalog's arrays)
        live as long as it does, yet every full pass of the collector scans them all: ~120
        ms for the ~230k objects of a worker, a stall of every request in flight
        (BENCHMARKS.md "Serving over HTTP"). Frozen, they are skipped. Freezing is a move,
        not a pass: no collection first, which would stall the threads already at work (a
        webhook delivery, say) just as long; what little garbage there is now stays, once.
        Only for servers, because frozen objects are never collected (a test process would
        keep each test's runtime).
        """
        if self.freeze_when_loaded:
            gc.freeze()
        self._loaded = True
        self.ready.set()

    def _load_snapshot(self, folder: Path) -> bool:
        with self._sessions() as session:
            instance = database_instance(session)
            snapshot = load_snapshot(
                folder, instance=instance, newest_change=banks.newest_change(session)
            )
            if snapshot is None:
                return False
            banks_now = banks.catalog_banks(session)
            keys = auth.key_records(session)
        snapshot.catalog.set_banks(banks_now)
        self.matcher.catalog = snapshot.catalog
        self.matcher.indexes = dict(snapshot.indexes)
        self.keyring.put(keys)
        self._watermark = snapshot.watermark
        self._applied_above = set(snapshot.applied_above)
        self._now_ready()
        self.loaded_from = "snapshot"
        self._sync_locked()
        return True

    def save_snapshot(self) -> bool:
        """Save the catalog for the next start if it changed since the last save (and no
        other process is saving); True when saved."""
        if self._snapshot_dir is None or not self._loaded or not self._applied_since_save:
            return False
        with self._lock:
            with self._sessions() as session:
                instance = database_instance(session)
            saved = save_snapshot(
                self._snapshot_dir,
                instance=instance,
                watermark=self._watermark,
                applied_above=frozenset(self._applied_above),
                catalog=self.matcher.catalog,
                indexes=self.matcher.indexes,
            )
            if saved:
                self._applied_since_save = 0
        return saved

    # -- following ------------------------------------------------------------------------

    def _sync_locked(self, *, loaded: npt.NDArray[np.int64] | None = None) -> int:
        """Apply the changes after the watermark. ``loaded``: the ids of the signals a load
        from the database has just read, ascending; the replay of the window before its
        watermark (see :meth:`_load_from_database`) reads only the signals it did not."""
        applied = 0
        while True:
            with self._sessions() as session:
                rows = banks.changes_after(session, self._watermark)
                fresh = [row for row in rows if row[0] not in self._applied_above]
                for part in _parts(fresh):
                    self._apply(session, part, loaded)
            self._applied_above.update(row[0] for row in fresh)
            applied += len(fresh)
            self._applied_since_save += len(fresh)
            if rows:
                self._advance(rows[-1][0])
            if len(rows) < banks.CHANGES_BATCH or self._watermark < rows[-1][0]:
                break
        self.matcher.catalog.compact_if_needed()
        self._last_sync = time.monotonic()
        return applied

    def _apply(
        self,
        session: Session,
        rows: Sequence[tuple[int, str, int, int]],
        loaded: npt.NDArray[np.int64] | None,
    ) -> None:
        by_kind: dict[str, list[int]] = defaultdict(list)
        runs: list[tuple[int, int]] = []
        for _, kind, first, last in rows:
            if kind == "signal+":
                runs.append((first, last))
            else:
                by_kind[kind].append(first)
        catalog, indexes = self.matcher.catalog, self.matcher.indexes
        if "bank" in by_kind:
            catalog.set_banks(banks.catalog_banks(session))
        if "key" in by_kind:
            self.keyring.put(auth.key_records(session, by_kind["key"]))
        if "entry" in by_kind:
            catalog.put_entries(banks.catalog_entries(session, by_kind["entry"]))
        removed = by_kind.get("signal-", [])
        if removed:  # the feed does not say which index held a signal: ask every index
            for index in indexes.values():
                index.remove(removed)
            catalog.drop_signals(removed)
        added = banks.catalog_signals(
            session, _unread(runs, loaded) if loaded is not None else runs
        )
        if added:
            catalog.put_entries(entry for _, _, _, entry in added)
            catalog.put_signals((sid, entry.entry_id) for sid, _, _, entry in added)
            by_type: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for sid, st, value, _ in added:
                by_type[st].append((sid, value))
            for st, pairs in by_type.items():
                index = indexes[st]
                new_ids = [sid for sid, _ in pairs]
                if loaded is not None:  # a value never changes: remove-then-add is idempotent
                    index.remove(new_ids)
                index.add(new_ids, [value for _, value in pairs])
        if "entry-" in by_kind:
            catalog.drop_entries(by_kind["entry-"])

    def _advance(self, newest: int) -> None:
        now = time.monotonic()
        mark = self._watermark
        while mark < newest:
            nxt = mark + 1
            if nxt not in self._applied_above:
                first = self._gap_seen.setdefault(nxt, now)
                if now - first < self._gap_timeout:
                    break  # maybe an uncommitted transaction: keep reading from here
                log.info("change %d never appeared; assuming a rolled-back transaction", nxt)
            mark = nxt
        self._watermark = mark
        self._applied_above = {s for s in self._applied_above if s > mark}
        self._gap_seen = {s: t for s, t in self._gap_seen.items() if s > mark}
