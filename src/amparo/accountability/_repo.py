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

from sqlalchemy import Table, bindparam, func, select, update
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
    "NOTICED_HERE",
    "NOTICED_PAGE",
    "Due",
    "Noticed",
    "checks_of",
    "claim_due",
    "last_notice",
    "mark_noticed",
    "noticed_since",
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
_EARLIER = _SIGHTINGS.alias("earlier")
# Core, built once: every scan's group commit runs it (see _reuploads).
_NOTICED_SINCE = (
    select(
        _SIGHTINGS.c.noticed_seq,
        _SIGHTINGS.c.id,
        _SIGHTINGS.c.md5,
        _SIGHTINGS.c.sha256,
        _SIGHTINGS.c.pdq,
    )
    .where(_SIGHTINGS.c.noticed_seq > bindparam("after"))
    .order_by(_SIGHTINGS.c.noticed_seq)
    # A page at a time: memory stays bounded, and ORDER BY ... LIMIT keeps PostgreSQL on the
    # index even before the table has statistics (without, it scanned 100,000 rows: 34 ms).
    .limit(bindparam("limit"))
)
NOTICED_PAGE = 10_000
"""The most items :func:`noticed_since` reads at once."""
_NUMBER = (
    update(_SIGHTINGS)
    .where(_SIGHTINGS.c.id == bindparam("sighting"), _SIGHTINGS.c.noticed_seq.is_(None))
    .values(
        noticed_seq=select(func.coalesce(func.max(_EARLIER.c.noticed_seq), 0) + 1).scalar_subquery()
    )
)
_NUMBERING_LOCK = 0x616D7061726F0001  # PostgreSQL advisory lock key: "amparo", 1
NOTICED_HERE = "amparo.accountability.noticed_here"
"""``session.info`` key set by :func:`mark_noticed`: this transaction has numbered an item
that others cannot see until it commits."""

Noticed = tuple[int, int, str | None, str | None, str | None]


def noticed_since(session: Session, after: int) -> list[Noticed]:
    """(number, id, MD5, SHA-256, PDQ) of the sightings noticed with a number above
    ``after`` (:func:`mark_noticed`), in order of number: the first :data:`NOTICED_PAGE`."""
    rows = session.execute(_NOTICED_SINCE, {"after": after, "limit": NOTICED_PAGE}).all()
    return [(int(n), int(i), md5, sha, pdq) for n, i, md5, sha, pdq in rows]


def mark_noticed(session: Session, sighting_id: int) -> None:
    """Give a sighting just noticed its number (``noticed_seq``): one above every number
    given so far, so that numbers follow commit order. On PostgreSQL the transaction takes a
    lock that it holds until it ends (noticing transactions take turns from here to their
    commit); SQLite lets one writer in at a time anyway. A reader of
    :func:`noticed_since` therefore never sees a number while a smaller one is still to come,
    and can keep what it read and ask only for what lies above. Call it late in the
    transaction that sets ``first_notice_at``."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_NUMBERING_LOCK)))
    session.execute(_NUMBER, {"sighting": sighting_id})
    session.info[NOTICED_HERE] = True


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
