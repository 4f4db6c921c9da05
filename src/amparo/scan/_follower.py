"""Keep an in-memory PDQ index in step with the database's signal change log.

The index holds (signal id, PDQ) pairs. It is loaded once (streamed in batches) and then
follows ``signal_changes`` by sequence number. Lookups never wait for a rebuild: the
index applies adds and removes in place (see ``amparo.matching``).

PostgreSQL hands out sequence numbers before commit, so a later number can become visible
before an earlier one. The follower therefore advances its watermark only over a contiguous
run of applied numbers, remembers what it applied above it, and treats a hole older than
``gap_timeout`` seconds as a rolled-back transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from amparo.banks import iter_signals
from amparo.matching import PdqIndex
from amparo.store import SignalChangeRow

__all__ = ["IndexFollower", "IndexStatus"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexStatus:
    signal_type: str
    present: bool
    size: int
    built_to: int
    last_sync: float | None


class IndexFollower:
    """One PDQ index, following the change log. Thread-safe."""

    signal_type = "pdq"

    def __init__(self, sessions: sessionmaker[Session], *, gap_timeout: float = 30.0) -> None:
        self._sessions = sessions
        self._gap_timeout = gap_timeout
        self._lock = threading.Lock()
        self.index = PdqIndex()
        self._watermark = -1
        self._applied_above: set[int] = set()
        self._gap_seen: dict[int, float] = {}
        self._last_sync: float | None = None
        self._loaded = False

    def status(self) -> IndexStatus:
        return IndexStatus(
            signal_type=self.signal_type,
            present=self._loaded,
            size=len(self.index),
            built_to=self._watermark,
            last_sync=self._last_sync,
        )

    def ensure_loaded(self) -> None:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load()

    def _load(self) -> None:
        with self._sessions() as session:
            # Read the watermark before streaming, and step back 1000 changes: on PostgreSQL a
            # transaction with an earlier number may commit after this read. Replaying that
            # window after the stream is idempotent (see _add).
            newest = int(session.scalar(select(func.max(SignalChangeRow.seq))) or 0)
            self._watermark = max(0, newest - 1000)
            id_parts: list[npt.NDArray[np.int64]] = []
            hash_parts: list[npt.NDArray[np.uint8]] = []
            for ids, values in iter_signals(session, self.signal_type):
                id_parts.append(np.asarray(ids, dtype=np.int64))
                raw = bytes.fromhex("".join(values))  # stored values are normalised hex
                hash_parts.append(np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32))
            if id_parts:
                self.index = PdqIndex.from_arrays(
                    np.concatenate(id_parts), np.ascontiguousarray(np.concatenate(hash_parts))
                )
        self._loaded = True
        self._last_sync = time.monotonic()
        # The replayed window overlaps what the stream loaded: replace, don't duplicate.
        self._sync_locked(replay=True)

    def sync(self) -> int:
        """Apply changes committed since the last sync; returns how many were applied."""
        self.ensure_loaded()
        with self._lock:
            return self._sync_locked()

    def sync_if_older(self, seconds: float) -> None:
        if self._last_sync is None or time.monotonic() - self._last_sync >= seconds:
            self.sync()

    def _sync_locked(self, *, replay: bool = False) -> int:
        with self._sessions() as session:
            rows = session.execute(
                select(
                    SignalChangeRow.seq,
                    SignalChangeRow.op,
                    SignalChangeRow.signal_type,
                    SignalChangeRow.signal_id,
                    SignalChangeRow.value,
                )
                .where(SignalChangeRow.seq > self._watermark)
                .order_by(SignalChangeRow.seq)
            ).all()
        applied = 0
        adds_ids: list[int] = []
        adds_values: list[str] = []
        for seq, op, signal_type, signal_id, value in rows:
            if seq in self._applied_above:
                continue
            self._applied_above.add(seq)
            if signal_type != self.signal_type:
                continue
            if op == "add" and value is not None:
                adds_ids.append(signal_id)
                adds_values.append(value)
            else:
                if adds_ids:
                    self._add(adds_ids, adds_values, replay)
                    adds_ids, adds_values = [], []
                self.index.remove([signal_id])
            applied += 1
        if adds_ids:
            self._add(adds_ids, adds_values, replay)
        if rows:
            self._advance(int(rows[-1][0]))
        self._last_sync = time.monotonic()
        return applied

    def _add(self, ids: list[int], values: list[str], replay: bool) -> None:
        if replay:  # a signal's value never changes, so remove-then-add is idempotent
            self.index.remove(ids)
        self.index.add(ids, values)

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
