"""Re-uploads: a scan or sighting that matches an item already noticed.

Matched by the exact bytes (SHA-256 or MD5) or by PDQ within a threshold. Each link names
the platform the copy was seen on (when known) and its delay: seconds from the original's
removal (or, while the original is still online, from its first notice) to the sighting of
the copy. Linking runs inside the caller's unit of work and emits ``accountability.reupload``.

Cost: each process keeps the noticed items' digests and an index of their PDQs in memory
(:class:`~amparo.matching.PdqIndex`), and a unit of work (the scan writer's group commit)
reads only the items noticed since the process last looked: one indexed query, whatever
their number (reading them all cost 115 ms a commit at 10,000 noticed items). The matched
items' rows are read only when something matched.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from amparo.accountability import _repo
from amparo.accountability._events import ReuploadLinked
from amparo.accountability._platforms import match_host
from amparo.matching import PdqIndex
from amparo.policy import Decision
from amparo.scan import ScanRecord
from amparo.signals import PDQ_MATCH_THRESHOLD
from amparo.store import PlatformRow, ReuploadRow, SightingRow, UnitOfWork

_T = TypeVar("_T")

__all__ = ["Copy", "Reupload", "link_copies", "link_reuploads", "load_noticed"]


@dataclass(frozen=True)
class Reupload:
    """One link from a noticed item to a copy of it."""

    id: int
    original_sighting_id: int
    source: str
    source_ref: str
    platform: str | None
    matched_by: str
    distance: int
    delay_seconds: int

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "original_sighting_id": self.original_sighting_id,
            "source": self.source,
            "source_ref": self.source_ref,
            "platform": self.platform,
            "matched_by": self.matched_by,
            "distance": self.distance,
            "delay_seconds": self.delay_seconds,
        }


@dataclass(frozen=True)
class Copy:
    """Something seen that may copy a noticed item: a scan or a sighting."""

    source: str
    source_ref: str
    md5: str | None
    sha256: str | None
    pdq: str | None
    platform: PlatformRow | None
    url: str | None
    seen_at: datetime
    exclude: int | None = None  # a sighting never copies itself


def link_reuploads(
    uow: UnitOfWork, *scans: ScanRecord, pdq_threshold: int = PDQ_MATCH_THRESHOLD
) -> list[Reupload]:
    """Link ``scans`` (call it in the unit of work that commits them) to every noticed item
    each matches; return the links made.

    A scan by URL is placed on the platform whose host names cover that URL. Scans made by
    a sighting's intake (source ``sighting``) are skipped: the sighting links itself, with
    its own id.
    """
    copies = []
    for scan in scans:
        if scan.source == "sighting":
            continue
        url = scan.filename if scan.source == "url" else None
        platform = None
        if url:
            platform = match_host(_per_transaction(uow, "platforms", _repo.platform_rows), url)
        copies.append(
            Copy(
                "scan",
                scan.scan_id,
                scan.hashes.get("md5"),
                scan.hashes.get("sha256"),
                scan.hashes.get("pdq"),
                platform,
                url,
                scan.created_at,
            )
        )
    return link_copies(uow, copies, pdq_threshold=pdq_threshold)


def _per_transaction(uow: UnitOfWork, key: str, load: Callable[[UnitOfWork], _T]) -> _T:
    """``load(uow)``, read once per unit of work: the scan writer links every scan of a
    group commit in one transaction, whose platforms and noticed items do not change
    while it runs (sightings are noticed in transactions of their own)."""
    cache: dict[str, Any] = uow.info.setdefault("amparo.accountability.reuploads", {})
    if key not in cache:
        cache[key] = load(uow)
    result: _T = cache[key]
    return result


class _NoticedItems:
    """The noticed items of one database, as this process has read them: their digests and
    an index of their PDQs, up to number :attr:`seq` (:func:`_repo.mark_noticed`).

    It only grows: an item once noticed stays so, and its hashes never change. A unit of
    work reads the items numbered above :attr:`seq` (one indexed query, usually empty) and
    adds them; numbers follow commit order, so nothing below is still to come.
    """

    def __init__(self) -> None:
        self.seq = 0
        self.by_md5: dict[str, tuple[int, ...]] = {}
        self.by_sha256: dict[str, tuple[int, ...]] = {}
        self.pdqs = PdqIndex()
        self._lock = threading.Lock()

    def add(self, rows: Sequence[_repo.Noticed]) -> None:
        """Add ``rows`` (those numbered above :attr:`seq` when they were read, in order)."""
        with self._lock:
            fresh = [r for r in rows if r[0] > self.seq]  # another thread may have added some
            if not fresh:
                return
            for _, i, md5, sha256, _ in fresh:
                if md5:
                    self.by_md5[md5] = (*self.by_md5.get(md5, ()), i)
                if sha256:
                    self.by_sha256[sha256] = (*self.by_sha256.get(sha256, ()), i)
            pdqs = [(i, pdq.rjust(64, "0")) for _, i, _, _, pdq in fresh if pdq]
            if pdqs:
                self.pdqs.add([i for i, _ in pdqs], [h for _, h in pdqs])
            self.seq = fresh[-1][0]  # last: a reader that sees it finds every item below

    def matches(self, copies: Sequence[Copy], threshold: int) -> list[dict[int, tuple[str, int]]]:
        """Per copy, the noticed items it matches: id -> (how, distance); exact bytes win."""
        found: list[dict[int, tuple[str, int]]] = [{} for _ in copies]
        with_pdq = [k for k, c in enumerate(copies) if c.pdq]
        if with_pdq and len(self.pdqs):
            hashes = [str(copies[k].pdq).rjust(64, "0") for k in with_pdq]
            for k, hits in zip(with_pdq, self.pdqs.query_many(hashes, threshold), strict=True):
                found[k].update((i, ("pdq", d)) for i, d in hits)
        for copy, links in zip(copies, found, strict=True):
            for i in self.by_md5.get(copy.md5 or "", ()):
                links[i] = ("md5", 0)
            for i in self.by_sha256.get(copy.sha256 or "", ()):
                links[i] = ("sha256", 0)
        return found


_NOTICED: weakref.WeakKeyDictionary[Engine, _NoticedItems] = weakref.WeakKeyDictionary()
_NOTICED_LOCK = threading.Lock()


def _noticed(uow: UnitOfWork) -> list[_NoticedItems]:
    """What ``uow`` matches copies against: this process's noticed items of its database,
    brought up to date (see :class:`_NoticedItems`), and, when ``uow`` itself noticed items
    (which nobody else may see before it commits, nor after it rolls back), those apart."""
    engine = uow.get_bind().engine
    with _NOTICED_LOCK:
        items = _NOTICED.get(engine)
        if items is None:
            items = _NOTICED[engine] = _NoticedItems()
    rows: list[_repo.Noticed] = []
    while True:
        page = _repo.noticed_since(uow, rows[-1][0] if rows else items.seq)
        rows += page
        if len(page) < _repo.NOTICED_PAGE:
            break
    if not uow.info.get(_repo.NOTICED_HERE):
        items.add(rows)  # at once: the PDQ index folds one big addition in, not many
        return [items]
    own = _NoticedItems()
    own.add(rows)
    return [items, own]


def load_noticed(uow: UnitOfWork) -> None:
    """Bring this process's noticed items of ``uow``'s database up to date (reading what it
    has not seen). A server's ``noticed`` worker calls it from its start on, so that its
    scans do not wait to read them all (0.5-1 s at 100,000) at start or after a bulk
    notice."""
    _noticed(uow)


def link_copies(uow: UnitOfWork, copies: Sequence[Copy], *, pdq_threshold: int) -> list[Reupload]:
    """Link each copy to every noticed item it matches (see the module docstring)."""
    if not copies:
        return []
    matched: list[dict[int, tuple[str, int]]] = [{} for _ in copies]
    for items in _per_transaction(uow, "noticed", _noticed):
        for found, more in zip(matched, items.matches(copies, pdq_threshold), strict=True):
            found.update(more)  # the same item, if in both, is found the same way in both
    wanted = {i for found in matched for i in found}
    if not wanted:
        return []
    # Another thread may have added items noticed after this transaction began; on SQLite
    # their rows are not visible to it. Noticed after this copy was seen, they are no
    # originals of it: skipped.
    rows = {r.id: r for r in _repo.sightings_by_id(uow, wanted)}
    links: list[Reupload] = []
    for copy, found in zip(copies, matched, strict=True):
        for original_id, (how, distance) in sorted(found.items()):
            original = rows.get(original_id)
            if original is None:
                continue
            link = _link(uow, copy, original, how, distance)
            if link is not None:
                links.append(link)
    return links


def _link(
    uow: UnitOfWork, copy: Copy, original: SightingRow, how: str, distance: int
) -> Reupload | None:
    if original.id == copy.exclude or original.first_notice_at is None:
        return None
    if original.first_notice_at > copy.seen_at:
        return None
    if copy.url is not None and copy.url == original.url and original.state == "open":
        return None  # the noticed item itself, still where it was: not a copy
    if _repo.reupload_exists(uow, original.id, copy.source, copy.source_ref):
        return None
    since = original.first_notice_at
    if original.removed_at is not None and original.removed_at <= copy.seen_at:
        since = original.removed_at
    delay = max(0, int((copy.seen_at - since).total_seconds()))
    platform = copy.platform
    row = ReuploadRow(
        original_id=original.id,
        source=copy.source,
        source_ref=copy.source_ref,
        platform_id=platform.id if platform else None,
        url=copy.url,
        matched_by=how,
        distance=distance,
        seen_at=copy.seen_at,
        delay_seconds=delay,
    )
    uow.add(row)
    uow.flush()
    name = platform.name if platform else None
    uow.emit(
        ReuploadLinked(
            row.id, original.id, copy.source, copy.source_ref, name, how, distance, delay
        )
    )
    return Reupload(row.id, original.id, copy.source, copy.source_ref, name, how, distance, delay)


class ReuploadEffect:
    """Links every scan that matches a noticed item as a re-upload, in the scan's own
    transaction: a :class:`~amparo.usecases.DecisionEffect` the runtime applies to every
    scan whatever its decision."""

    def __init__(self, pdq_threshold: int = PDQ_MATCH_THRESHOLD) -> None:
        self._threshold = pdq_threshold

    def apply(
        self, uow: UnitOfWork, record: ScanRecord, decision: Decision, media: bytes | None
    ) -> None:
        link_reuploads(uow, record, pdq_threshold=self._threshold)
