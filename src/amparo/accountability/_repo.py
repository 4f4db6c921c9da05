"""All SQL on the accountability tables. Rows stay here; callers get values and ids.

Due work (notices, takedown checks) is *claimed* before it is done: the rows are locked with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (another replica skips them instead of waiting),
then moved to a lease time and tagged with a claim token in the same short transaction.
Whatever a replica claimed is invisible to the others until the lease passes; if the
replica dies mid-round, the lease passing makes the work due again: nothing is lost, and
nothing is done twice while the claimant lives. SQLite serialises writers, and the
conditional update (``... AND next_x_at <= now``) makes a second claimant find nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from amparo.accountability._model import CHANNELS, Channel, Platform, Sighting
from amparo.store import (
    NoticeRow,
    PlatformRow,
    ReuploadRow,
    SightingRow,
    TakedownCheckRow,
)

__all__ = [
    "Due",
    "checks_of",
    "claim_due",
    "last_notice",
    "noticed_signatures",
    "notices_of",
    "open_sighting_at",
    "platform_row",
    "platform_rows",
    "platforms_by_id",
    "reupload_exists",
    "reuploads_of",
    "sighting_row",
    "sighting_rows",
    "sightings_by_id",
    "to_platform",
    "to_sighting",
]

Due = Literal["notice", "check"]
_CHANNEL: dict[str, Channel] = {c: c for c in CHANNELS}


def platform_row(session: Session, name: str) -> PlatformRow | None:
    return session.scalars(select(PlatformRow).where(PlatformRow.name == name)).first()


def platform_rows(session: Session) -> list[PlatformRow]:
    return list(session.scalars(select(PlatformRow).order_by(PlatformRow.name)))


def platforms_by_id(session: Session) -> dict[int, PlatformRow]:
    return {r.id: r for r in platform_rows(session)}


def to_platform(row: PlatformRow) -> Platform:
    return Platform(
        row.id,
        row.name,
        tuple(row.hostnames),
        _CHANNEL[row.channel],  # validated on the way in
        row.channel_target,
        row.legal_contact,
        row.trusted_flagger,
        row.created_at,
    )


def sighting_row(session: Session, sighting_id: int, *, lock: bool = False) -> SightingRow | None:
    stmt = select(SightingRow).where(SightingRow.id == sighting_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def open_sighting_at(session: Session, url: str) -> SightingRow | None:
    """An open sighting of exactly ``url``, if there is one."""
    return session.scalars(
        select(SightingRow).where(SightingRow.url == url, SightingRow.state == "open").limit(1)
    ).first()


def last_notice(session: Session, sighting_id: int) -> NoticeRow | None:
    """The newest delivered notice about a sighting."""
    return session.scalars(
        select(NoticeRow)
        .where(NoticeRow.sighting_id == sighting_id, NoticeRow.delivered.is_(True))
        .order_by(NoticeRow.id.desc())
        .limit(1)
    ).first()


def sighting_rows(
    session: Session,
    *,
    platform_id: int | None = None,
    noticed_from: datetime | None = None,
    noticed_to: datetime | None = None,
    limit: int | None = None,
) -> list[SightingRow]:
    stmt = select(SightingRow).order_by(SightingRow.id)
    if platform_id is not None:
        stmt = stmt.where(SightingRow.platform_id == platform_id)
    if noticed_from is not None:
        stmt = stmt.where(SightingRow.first_notice_at >= noticed_from)
    if noticed_to is not None:
        stmt = stmt.where(SightingRow.first_notice_at < noticed_to)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def to_sighting(row: SightingRow, platform: str) -> Sighting:
    return Sighting(
        row.id,
        platform,
        row.url,
        row.first_seen_at,
        row.found_by,
        row.recorded_at,
        row.scan_id,
        row.evidence_id,
        row.md5,
        row.sha256,
        row.pdq,
        row.ai_verdict,
        tuple(row.matched_banks),
        row.state,
        row.notices_sent,
        row.first_notice_at,
        row.next_notice_at,
        row.next_check_at,
        row.last_outcome,
        row.removed_at,
        row.removal_kind,
    )


def claim_due(
    session: Session, due: Due, now: datetime, lease_until: datetime, limit: int
) -> list[SightingRow]:
    """Claim up to ``limit`` open sightings whose notice (or check) is due at ``now``: their
    due time moves to ``lease_until`` (see the module docstring). The caller commits."""
    column = SightingRow.next_notice_at if due == "notice" else SightingRow.next_check_at
    candidates = (
        select(SightingRow.id)
        .where(SightingRow.state == "open", column.is_not(None), column <= now)
        .order_by(column, SightingRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    token = str(uuid.uuid4())
    session.execute(
        update(SightingRow)
        .where(SightingRow.id.in_(ids), SightingRow.state == "open", column <= now)
        .values({column.key: lease_until, "claim": token})
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(
            select(SightingRow)
            .where(SightingRow.claim == token)
            .order_by(SightingRow.id)
            .execution_options(populate_existing=True)
        )
    )


_SIGHTINGS = cast(Table, SightingRow.__table__)
# Core, built once: every matched scan's commit runs it (see _reuploads._Noticed).
_NOTICED = select(_SIGHTINGS.c.id, _SIGHTINGS.c.md5, _SIGHTINGS.c.sha256, _SIGHTINGS.c.pdq).where(
    _SIGHTINGS.c.first_notice_at.is_not(None)
)


def noticed_signatures(session: Session) -> list[tuple[int, str | None, str | None, str | None]]:
    """(id, MD5, SHA-256, PDQ) of every noticed sighting."""
    rows = session.execute(_NOTICED).all()
    return [(int(i), md5, sha, pdq) for i, md5, sha, pdq in rows]


def sightings_by_id(session: Session, ids: Collection[int]) -> list[SightingRow]:
    if not ids:
        return []
    return list(session.scalars(select(SightingRow).where(SightingRow.id.in_(list(ids)))))


def notices_of(session: Session, sighting_ids: Sequence[int]) -> list[NoticeRow]:
    if not sighting_ids:
        return []
    return list(
        session.scalars(
            select(NoticeRow)
            .where(NoticeRow.sighting_id.in_(list(sighting_ids)))
            .order_by(NoticeRow.id)
        )
    )


def checks_of(session: Session, sighting_id: int) -> list[TakedownCheckRow]:
    return list(
        session.scalars(
            select(TakedownCheckRow)
            .where(TakedownCheckRow.sighting_id == sighting_id)
            .order_by(TakedownCheckRow.id)
        )
    )


def reuploads_of(session: Session, original_ids: Sequence[int]) -> list[ReuploadRow]:
    if not original_ids:
        return []
    return list(
        session.scalars(
            select(ReuploadRow)
            .where(ReuploadRow.original_id.in_(list(original_ids)))
            .order_by(ReuploadRow.id)
        )
    )


def reupload_exists(session: Session, original_id: int, source: str, source_ref: str) -> bool:
    return (
        session.scalars(
            select(ReuploadRow.id).where(
                ReuploadRow.original_id == original_id,
                ReuploadRow.source == source,
                ReuploadRow.source_ref == source_ref,
            )
        ).first()
        is not None
    )
