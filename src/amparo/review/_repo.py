"""The review repository: all SQL on ``review_items`` and ``review_reveals``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select, update
from sqlalchemy.orm import Session

from amparo.review._model import QueueSummary, ReviewItem
from amparo.store import ReviewItemRow, ReviewRevealRow

_ITEMS = cast(Table, ReviewItemRow.__table__)
# Returns the rows whole: each item is built from its own row, whatever order the database
# returns them in (ordering them costs SQLite one statement per row).
_INSERT_ITEM = insert(_ITEMS).returning(*_ITEMS.c)

__all__ = [
    "count_reveals",
    "insert_items",
    "item_row",
    "items",
    "queues",
    "record_reveal",
    "set_outcome",
    "take_claim",
    "take_decision",
    "to_item",
]


def to_item(row: ReviewItemRow) -> ReviewItem:
    return ReviewItem(
        row.id,
        row.scan_id,
        row.queue,
        row.priority,
        row.sla_seconds,
        row.due_at,
        row.rule,
        row.evidence_id,
        row.status,
        row.claimed_by,
        row.claimed_until,
        row.decision,
        row.outcome,
        row.decided_by,
        row.decided_at,
        row.created_at,
    )


def insert_items(session: Session, items: Sequence[Mapping[str, Any]]) -> list[ReviewItem]:
    """Insert open items (``review_items`` columns scan_id, queue, priority, sla_seconds,
    due_at, rule, evidence_id, created_at) in one statement; return them by id. Core, not
    the ORM: every matched scan under the built-in policy passes here, and an ORM flush of
    one row costs several times the INSERT itself."""
    rows = [{**item, "status": "open"} for item in items]
    inserted = session.execute(_INSERT_ITEM, rows).all()
    # A returned row has the attributes of a ReviewItemRow (the table's columns).
    return sorted((to_item(cast(ReviewItemRow, row)) for row in inserted), key=lambda i: i.id)


def item_row(session: Session, item_id: int) -> ReviewItemRow | None:
    if not 0 < item_id < 2**63:
        return None
    # populate_existing: the claim and decision UPDATEs bypass the session's identity map.
    return session.get(ReviewItemRow, item_id, populate_existing=True)


def items(
    session: Session, *, queue: str | None, status: str | None, after_id: int, limit: int
) -> list[ReviewItem]:
    """Open items most urgent first (priority, then deadline); decided ones newest first."""
    query = select(ReviewItemRow)
    if queue is not None:
        query = query.where(ReviewItemRow.queue == queue)
    if status is not None:
        query = query.where(ReviewItemRow.status == status)
    if after_id:
        query = query.where(ReviewItemRow.id > after_id)
    query = query.order_by(
        case((ReviewItemRow.status == "open", 0), else_=1),
        ReviewItemRow.priority.desc(),
        ReviewItemRow.due_at,
        ReviewItemRow.id,
    ).limit(limit)
    return [to_item(r) for r in session.scalars(query)]


def queues(session: Session, now: datetime) -> list[QueueSummary]:
    row = ReviewItemRow
    query = (
        select(
            row.queue,
            func.count(),
            func.sum(case((row.claimed_until > now, 1), else_=0)),
            func.sum(case((row.due_at < now, 1), else_=0)),
            func.min(row.due_at),
        )
        .where(row.status == "open")
        .group_by(row.queue)
        .order_by(row.queue)
    )
    out = []
    for queue, count, claimed, overdue, due in session.execute(query):
        out.append(QueueSummary(queue, int(count), int(claimed or 0), int(overdue or 0), due))
    return out


def take_claim(session: Session, item_id: int, actor: str, now: datetime, until: datetime) -> bool:
    """Claim the item for ``actor`` if it is open and nobody else holds it (one atomic
    statement: of two reviewers racing, exactly one gets it)."""
    row = ReviewItemRow
    result = session.execute(
        update(row)
        .where(
            row.id == item_id,
            row.status == "open",
            (row.claimed_by.is_(None)) | (row.claimed_until <= now) | (row.claimed_by == actor),
        )
        .values(claimed_by=actor, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def take_decision(session: Session, item_id: int, actor: str, decision: str, now: datetime) -> bool:
    """Mark the item decided if it is open and ``actor`` holds a live claim on it (one
    atomic statement: of two decisions racing, exactly one is made)."""
    row = ReviewItemRow
    query = update(row).where(
        row.id == item_id, row.status == "open", row.claimed_by == actor, row.claimed_until > now
    )
    result = session.execute(
        query.values(
            status="decided", decision=decision, decided_by=actor, decided_at=now
        ).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_outcome(session: Session, item_id: int, outcome: Mapping[str, Any]) -> None:
    session.execute(
        update(ReviewItemRow)
        .where(ReviewItemRow.id == item_id)
        .values(outcome=dict(outcome), claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def count_reveals(session: Session, actor: str, since: datetime) -> int:
    query = select(func.count()).where(
        ReviewRevealRow.actor == actor, ReviewRevealRow.revealed_at > since
    )
    return int(session.scalar(query) or 0)


def record_reveal(session: Session, item_id: int, actor: str, now: datetime) -> None:
    session.add(ReviewRevealRow(item_id=item_id, actor=actor, revealed_at=now))
    session.flush()
