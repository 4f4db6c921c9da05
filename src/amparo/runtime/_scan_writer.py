"""Group commit of scan records: one transaction (one fsync) serves many requests.

A scan hands its record to :meth:`ScanWriter.submit` and gets a future that completes when
the record, its ledger events and its scan count are committed; a request that reports a
detection answers only after that. The writer thread takes whatever is queued (up to
``max_batch`` records) and commits it in one unit of work; what arrives during a commit goes
into the next, so batches grow with the load and add no wait when it is light.

Lookups that matched nothing are only counted (:meth:`count`), in memory; the counts are
committed with the next batch or at least every ``count_interval`` seconds. A crash loses
at most that interval's counts of unmatched lookups, never a detection and never an
acknowledged scan.

Each record's decision has its effects (:class:`~amparo.usecases.DecisionEffect`) applied in
the same unit of work, so a scan and what its decision makes happen commit together. When a
group fails (an effect raised, say), each of its records is tried again alone: one bad
record fails only its own scan.

Without a started thread (the command line), :meth:`submit` commits at once.

Each group's transaction runs inside ``writer_lock`` (:class:`~amparo.store.WriterLock`): on
SQLite, server workers in other processes take turns there instead of in SQLite's sleeping
busy handler.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from amparo import ledger
from amparo.scan import ScanRecord, insert_scans
from amparo.store import UnitOfWork
from amparo.usecases import DecisionEffect

__all__ = ["ScanWriter"]

log = logging.getLogger(__name__)

Transactions = Callable[[], AbstractContextManager[UnitOfWork]]


@dataclass(frozen=True)
class _Item:
    record: ScanRecord
    done: Future[None]
    media: bytes | None = None


class ScanWriter:
    """Commits scan records in groups (see the module docstring). Thread-safe."""

    def __init__(
        self,
        transactions: Transactions,
        *,
        max_batch: int = 512,
        count_interval: float = 1.0,
        effects: tuple[DecisionEffect, ...] = (),
        writer_lock: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self._transactions = transactions
        self._writer_lock = writer_lock
        self.effects = effects
        """Applied to every decided record in its transaction (set before :meth:`start`)."""
        self._max_batch = max_batch
        self._count_interval = count_interval
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._counted = 0
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._gate = threading.Lock()  # a submission is queued only while the thread runs

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="amparo-scan-writer", daemon=True)
        self._thread.start()

    def submit(self, record: ScanRecord, media: bytes | None = None) -> Future[None]:
        """Queue ``record``; the future completes once it is committed with its decision's
        effects (or fails with the error that stopped the commit). ``media`` is handed to
        the effects: pass it only when the decision needs it (``Decision.needs_media``)."""
        item = _Item(record, Future(), media)
        with self._gate:
            queued = self._thread is not None
            if queued:
                self._queue.put(item)
        if not queued:
            self._commit([item])
        return item.done

    def count(self, scans: int = 1) -> None:
        """Count lookups that matched nothing (committed within ``count_interval``)."""
        with self._count_lock:
            self._counted += scans
        if self._thread is None:
            self._commit([])

    def _take_count(self) -> int:
        with self._count_lock:
            counted, self._counted = self._counted, 0
        return counted

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._count_interval)
            except queue.Empty:
                self._commit([])  # flush counts
                continue
            if first is None:
                break
            # Classic group commit: take what is already queued, commit it, and let what
            # arrives meanwhile form the next batch. Waiting for company would only add
            # latency when requests come one at a time.
            batch = [first]
            stop = False
            try:
                while len(batch) < self._max_batch:
                    more = self._queue.get_nowait()
                    if more is None:
                        stop = True
                        break
                    batch.append(more)
            except queue.Empty:
                pass
            self._commit(batch)
            if stop:
                break
        self._drain()

    def _drain(self) -> None:
        rest: list[_Item] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                rest.append(item)
        self._commit(rest)

    def _commit(self, batch: list[_Item]) -> None:
        counted = self._take_count()
        if not batch and not counted:
            return
        try:
            with self._writer_lock(), self._transactions() as uow:
                records = [i.record for i in batch]
                insert_scans(uow, records)
                for item in batch:
                    record = item.record
                    for event in record.events():
                        uow.emit(event)
                    if record.decision is not None:
                        for effect in self.effects:
                            effect.apply(uow, record, record.decision, item.media)
                ledger.count_scans(uow, len(records) + counted)
        except BaseException as exc:
            with self._count_lock:
                self._counted += counted  # try again with the next batch
            if len(batch) > 1 and isinstance(exc, Exception):
                for item in batch:  # one at a time: only the bad record's scan fails
                    self._commit([item])
                return
            for item in batch:
                item.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            log.exception("could not commit %d scan record(s)", len(batch))
            return
        for item in batch:
            item.done.set_result(None)

    def stop(self) -> None:
        """Commit everything queued and counted, then stop the thread (later submissions
        commit at once)."""
        with self._gate:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(30)
        self._commit([])
