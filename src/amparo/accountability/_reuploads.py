"""Re-uploads: a scan or sighting that matches an item already noticed.

Matched by the exact bytes (SHA-256 or MD5) or by PDQ within a threshold. Each link names
the platform the copy was seen on (when known) and its delay: seconds from the original's
removal (or, while the original is still online, from its first notice) to the sighting of
the copy. Linking runs inside the caller's unit of work and emits ``accountability.reupload``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amparo.accountability import _repo
from amparo.accountability._events import ReuploadLinked
from amparo.accountability._platforms import platform_for_url
from amparo.scan import ScanRecord
from amparo.signals import PDQ_MATCH_THRESHOLD, pdq_distance
from amparo.store import ReuploadRow, SightingRow, UnitOfWork

__all__ = ["Reupload", "link_reuploads"]


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


def link_reuploads(
    uow: UnitOfWork, scan: ScanRecord, *, pdq_threshold: int = PDQ_MATCH_THRESHOLD
) -> list[Reupload]:
    """Link ``scan`` (call it in the unit of work that commits the scan) to every noticed
    item it matches; return the links made.

    A scan by URL is placed on the platform whose host names cover that URL. Scans made by
    a sighting's intake (source ``sighting``) are skipped: the sighting links itself, with
    its own id.
    """
    if scan.source == "sighting":
        return []
    url = scan.filename if scan.source == "url" else None
    platform = platform_for_url(uow, url) if url else None
    return link_matches(
        uow,
        source="scan",
        source_ref=scan.scan_id,
        md5=scan.hashes.get("md5"),
        sha256=scan.hashes.get("sha256"),
        pdq=scan.hashes.get("pdq"),
        platform_id=platform.id if platform else None,
        url=url,
        seen_at=scan.created_at,
        pdq_threshold=pdq_threshold,
    )


def link_matches(
    uow: UnitOfWork,
    *,
    source: str,
    source_ref: str,
    md5: str | None,
    sha256: str | None,
    pdq: str | None,
    platform_id: int | None,
    url: str | None,
    seen_at: datetime,
    pdq_threshold: int,
    exclude: int | None = None,
) -> list[Reupload]:
    """Link a copy seen at ``seen_at`` to every noticed item it matches (see the module)."""
    found: dict[int, tuple[SightingRow, str, int]] = {}
    for row in _repo.find_by_digest(uow, md5, sha256, exclude):
        found[row.id] = (row, "sha256" if sha256 and row.sha256 == sha256 else "md5", 0)
    if pdq:
        skip = [*found, *([exclude] if exclude is not None else [])]
        for row in _repo.noticed_with_pdq(uow, skip):
            assert row.pdq is not None  # selected on it
            distance = pdq_distance(row.pdq, pdq)
            if distance <= pdq_threshold:
                found[row.id] = (row, "pdq", distance)
    platforms = _repo.platforms_by_id(uow) if found else {}
    links: list[Reupload] = []
    for original, matched_by, distance in found.values():
        if original.first_notice_at is None or original.first_notice_at > seen_at:
            continue
        if url is not None and url == original.url and original.state == "open":
            continue  # the noticed item itself, still where it was: not a copy
        if _repo.reupload_exists(uow, original.id, source, source_ref):
            continue
        since = original.first_notice_at
        if original.removed_at is not None and original.removed_at <= seen_at:
            since = original.removed_at
        delay = max(0, int((seen_at - since).total_seconds()))
        link_row = ReuploadRow(
            original_id=original.id,
            source=source,
            source_ref=source_ref,
            platform_id=platform_id,
            url=url,
            matched_by=matched_by,
            distance=distance,
            seen_at=seen_at,
            delay_seconds=delay,
        )
        uow.add(link_row)
        uow.flush()
        platform = platforms[platform_id].name if platform_id in platforms else None
        link = Reupload(
            link_row.id, original.id, source, source_ref, platform, matched_by, distance, delay
        )
        uow.emit(
            ReuploadLinked(
                link_row.id, original.id, source, source_ref, platform, matched_by, distance, delay
            )
        )
        links.append(link)
    return links
