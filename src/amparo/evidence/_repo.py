"""The vault's repository: all SQL on ``evidence_items`` and ``evidence_holds``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.errors import NotFoundError
from amparo.evidence._model import EvidenceItem, Hold
from amparo.store import EvidenceHoldRow, EvidenceItemRow

__all__ = [
    "MAX_PAGE",
    "active_holds",
    "expired_rows",
    "hold",
    "hold_row",
    "holds_of",
    "item",
    "item_row",
    "item_rows",
    "list_rows",
]

MAX_PAGE = 500
"""The most items one listing returns (each listing is a ledger entry naming them)."""

_HINT = "list items with `amparo evidence list` or GET /v1/evidence"


def item_row(session: Session, item_id: str, *, lock: bool = False) -> EvidenceItemRow:
    """The row of ``item_id`` (locked for update when asked), or :class:`NotFoundError`."""
    row = session.get(EvidenceItemRow, item_id, with_for_update=lock or None)
    if row is None:
        raise NotFoundError(f"no evidence item {item_id!r}", hint=_HINT)
    return row


def item_rows(
    session: Session, item_ids: Sequence[str], *, lock: bool = False
) -> list[EvidenceItemRow]:
    """The rows of ``item_ids`` in that order; :class:`NotFoundError` names a missing one."""
    query = select(EvidenceItemRow).where(EvidenceItemRow.id.in_(set(item_ids)))
    if lock:
        query = query.with_for_update()
    found = {r.id: r for r in session.scalars(query)}
    missing = [i for i in item_ids if i not in found]
    if missing:
        raise NotFoundError(f"no evidence item {missing[0]!r}", hint=_HINT)
    return [found[i] for i in item_ids]


def list_rows(
    session: Session,
    *,
    after: str | None,
    limit: int,
    scan_id: str | None = None,
    source: str | None = None,
    legal_hold: bool | None = None,
    include_purged: bool = False,
) -> list[EvidenceItemRow]:
    """Items in id order (ids are time-ordered), filtered, one page."""
    query = select(EvidenceItemRow).order_by(EvidenceItemRow.id).limit(limit)
    if after is not None:
        query = query.where(EvidenceItemRow.id > after)
    if scan_id is not None:
        query = query.where(EvidenceItemRow.scan_id == scan_id)
    if source is not None:
        query = query.where(EvidenceItemRow.source == source)
    if legal_hold is not None:
        query = query.where(EvidenceItemRow.legal_hold == legal_hold)
    if not include_purged:
        query = query.where(EvidenceItemRow.purged_at.is_(None))
    return list(session.scalars(query))


def expired_rows(session: Session, now: datetime, limit: int) -> list[EvidenceItemRow]:
    """Unpurged items past their retention and under no hold, locked (other replicas skip
    them)."""
    query = (
        select(EvidenceItemRow)
        .where(
            EvidenceItemRow.retain_until <= now,
            EvidenceItemRow.legal_hold.is_(False),
            EvidenceItemRow.purged_at.is_(None),
        )
        .order_by(EvidenceItemRow.retain_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def hold_row(session: Session, hold_id: int) -> EvidenceHoldRow:
    row = session.get(EvidenceHoldRow, hold_id) if 0 < hold_id < 2**63 else None
    if row is None:
        raise NotFoundError(
            f"no legal hold {hold_id}", hint="`amparo evidence show ITEM` lists an item's holds"
        )
    return row


def holds_of(session: Session, item_ids: Sequence[str]) -> dict[str, list[Hold]]:
    """Every hold (active and released) of these items, oldest first."""
    found: dict[str, list[Hold]] = {}
    if not item_ids:
        return found
    query = (
        select(EvidenceHoldRow)
        .where(EvidenceHoldRow.item_id.in_(set(item_ids)))
        .order_by(EvidenceHoldRow.id)
    )
    for row in session.scalars(query):
        found.setdefault(row.item_id, []).append(hold(row))
    return found


def active_holds(session: Session, item_id: str) -> list[Hold]:
    return [h for h in holds_of(session, [item_id]).get(item_id, []) if h.active]


def hold(row: EvidenceHoldRow) -> Hold:
    return Hold(
        hold_id=row.id,
        item_id=row.item_id,
        placed_by=row.placed_by,
        placed_at=row.placed_at,
        reason=row.reason,
        released_by=row.released_by,
        released_at=row.released_at,
        release_reason=row.release_reason,
    )


def item(row: EvidenceItemRow, holds: Sequence[Hold] = ()) -> EvidenceItem:
    return EvidenceItem(
        item_id=row.id,
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        source=row.source,
        scan_id=row.scan_id,
        key_id=row.key_id,
        created_at=row.created_at,
        retain_until=row.retain_until,
        legal_hold=row.legal_hold,
        purged_at=row.purged_at,
        holds=tuple(holds),
    )
