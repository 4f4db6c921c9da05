"""Re-uploads: a scan or sighting that matches an item already noticed.

Matched by the exact bytes (SHA-256 or MD5) or by PDQ within a threshold. Each link names
the platform the copy was seen on (when known) and its delay: seconds from the original's
removal (or, while the original is still online, from its first notice) to the sighting of
the copy. Linking runs inside the caller's unit of work and emits ``accountability.reupload``.

Cost: one indexed query for the digests of a whole batch, and for PDQ one read of the noticed
items' hashes per batch, compared all at once (XOR and popcount over a numpy array), so the
scan writer calls :func:`link_reuploads` once per committed batch, not once per scan.
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
    """Link ``scans`` (call it in the unit of work that commits them, once per batch) to
    every noticed item each matches; return the links made.

    A scan by URL is placed on the platform whose host names cover that URL. Scans made by
    a sighting's intake (source ``sighting``) are skipped: the sighting links itself, with
    its own id.
    """
    platforms = _per_transaction(uow, "platforms", _repo.platform_rows)
    copies = []
    for scan in scans:
        if scan.source == "sighting":
            continue
        url = scan.filename if scan.source == "url" else None
        copies.append(
            Copy(
                "scan",
                scan.scan_id,
                scan.hashes.get("md5"),
                scan.hashes.get("sha256"),
                scan.hashes.get("pdq"),
                match_host(platforms, url) if url else None,
                url,
                scan.created_at,
            )
        )
    return link_copies(uow, copies, pdq_threshold=pdq_threshold)


def _per_transaction(uow: UnitOfWork, key: str, load: Callable[[UnitOfWork], _T]) -> _T:
    """``load(uow)``, read once per unit of work: the scan writer links every scan of a
    group commit in one transaction, whose platforms and noticed hashes do not change
    while it runs (sightings are noticed in transactions of their own)."""
    cache: dict[str, Any] = uow.info.setdefault("amparo.accountability.reuploads", {})
    if key not in cache:
        cache[key] = load(uow)
    result: _T = cache[key]
    return result


def _words(hexes: Sequence[str]) -> npt.NDArray[np.uint64]:
    raw = b"".join(bytes.fromhex(h.rjust(64, "0")) for h in hexes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(hexes), 4)


def _near(copies: Sequence[Copy], uow: UnitOfWork, threshold: int) -> dict[int, dict[int, int]]:
    """For each copy (by position) with a PDQ, the noticed items within ``threshold``: id ->
    distance."""
    wanted = [(k, c.pdq) for k, c in enumerate(copies) if c.pdq]
    if not wanted:
        return {}
    noticed = _per_transaction(uow, "noticed_pdqs", _repo.noticed_pdqs)
    if not noticed:
        return {}
    ids = np.array([i for i, _ in noticed], dtype=np.int64)
    table = _words([h for _, h in noticed])
    found: dict[int, dict[int, int]] = {}
    for k, pdq in wanted:
        assert pdq is not None
        query = _words([pdq])[0]
        distances = np.bitwise_count(table ^ query).sum(axis=1)
        hits = np.nonzero(distances <= threshold)[0]
        found[k] = {int(ids[h]): int(distances[h]) for h in hits}
    return found


def link_copies(uow: UnitOfWork, copies: Sequence[Copy], *, pdq_threshold: int) -> list[Reupload]:
    """Link each copy to every noticed item it matches (see the module docstring)."""
    if not copies:
        return []
    md5s = {c.md5 for c in copies if c.md5}
    shas = {c.sha256 for c in copies if c.sha256}
    exact = _repo.noticed_by_digests(uow, md5s, shas)
    near = _near(copies, uow, pdq_threshold)
    rows = {r.id: r for r in exact}
    missing = {i for hits in near.values() for i in hits} - set(rows)
    rows.update({r.id: r for r in _repo.sightings_by_id(uow, missing)})
    links: list[Reupload] = []
    for k, copy in enumerate(copies):
        matched: dict[int, tuple[str, int]] = {}
        for i, distance in near.get(k, {}).items():
            matched[i] = ("pdq", distance)
        for row in exact:
            if copy.sha256 and row.sha256 == copy.sha256:
                matched[row.id] = ("sha256", 0)
            elif copy.md5 and row.md5 == copy.md5:
                matched[row.id] = ("md5", 0)
        for original_id, (how, distance) in sorted(matched.items()):
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
