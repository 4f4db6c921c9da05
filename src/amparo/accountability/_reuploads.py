"""Re-uploads: a scan or sighting that matches an item already noticed.

Matched by the exact bytes (SHA-256 or MD5) or by PDQ within a threshold. Each link names
the platform the copy was seen on (when known) and its delay: seconds from the original's
removal (or, while the original is still online, from its first notice) to the sighting of
the copy. Linking runs inside the caller's unit of work and emits ``accountability.reupload``.

Cost: one read of the noticed items' digests and PDQs per unit of work (the scan writer's
group commit), compared in memory (PDQ: XOR and popcount over a numpy array); the matched
items' rows are read only when something matched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from amparo.accountability import _repo
from amparo.accountability._events import ReuploadLinked
from amparo.accountability._platforms import match_host
from amparo.policy import Decision
from amparo.scan import ScanRecord
from amparo.signals import PDQ_MATCH_THRESHOLD
from amparo.store import PlatformRow, ReuploadRow, SightingRow, UnitOfWork

_T = TypeVar("_T")

__all__ = ["Copy", "Reupload", "link_copies", "link_reuploads"]


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


@dataclass(frozen=True)
class _Noticed:
    """Every noticed item's digests and PDQ, read once per unit of work (one query: a scan
    that matched a bank pays it before its answer, so it must stay one)."""

    by_md5: dict[str, list[int]]
    by_sha256: dict[str, list[int]]
    pdq_ids: npt.NDArray[np.int64]
    pdq_words: npt.NDArray[np.uint64]

    @classmethod
    def load(cls, uow: UnitOfWork) -> _Noticed:
        by_md5: dict[str, list[int]] = {}
        by_sha256: dict[str, list[int]] = {}
        pdqs: list[tuple[int, str]] = []
        for sighting_id, md5, sha256, pdq in _repo.noticed_signatures(uow):
            if md5:
                by_md5.setdefault(md5, []).append(sighting_id)
            if sha256:
                by_sha256.setdefault(sha256, []).append(sighting_id)
            if pdq:
                pdqs.append((sighting_id, pdq))
        ids = np.array([i for i, _ in pdqs], dtype=np.int64)
        return cls(by_md5, by_sha256, ids, _words([h for _, h in pdqs]))

    def matches(self, copy: Copy, threshold: int) -> dict[int, tuple[str, int]]:
        """Noticed items ``copy`` matches: id -> (how, distance); exact bytes win."""
        found: dict[int, tuple[str, int]] = {}
        if copy.pdq and len(self.pdq_ids):
            distances = np.bitwise_count(self.pdq_words ^ _words([copy.pdq])[0]).sum(axis=1)
            for k in np.nonzero(distances <= threshold)[0]:
                found[int(self.pdq_ids[k])] = ("pdq", int(distances[k]))
        for i in self.by_md5.get(copy.md5 or "", ()):
            found[i] = ("md5", 0)
        for i in self.by_sha256.get(copy.sha256 or "", ()):
            found[i] = ("sha256", 0)
        return found


def _words(hexes: Sequence[str]) -> npt.NDArray[np.uint64]:
    raw = b"".join(bytes.fromhex(h.rjust(64, "0")) for h in hexes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(hexes), 4)


def link_copies(uow: UnitOfWork, copies: Sequence[Copy], *, pdq_threshold: int) -> list[Reupload]:
    """Link each copy to every noticed item it matches (see the module docstring)."""
    if not copies:
        return []
    noticed = _per_transaction(uow, "noticed", _Noticed.load)
    matched = [noticed.matches(copy, pdq_threshold) for copy in copies]
    wanted = {i for found in matched for i in found}
    if not wanted:
        return []
    rows = {r.id: r for r in _repo.sightings_by_id(uow, wanted)}
    links: list[Reupload] = []
    for copy, found in zip(copies, matched, strict=True):
        for original_id, (how, distance) in sorted(found.items()):
            link = _link(uow, copy, rows[original_id], how, distance)
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
