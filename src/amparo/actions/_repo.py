"""The actions' repository: all SQL on ``webhook_endpoints`` and ``action_outbox``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from amparo.errors import NotFoundError
from amparo.store import OutboxRow, WebhookEndpointRow

__all__ = [
    "DEAD",
    "DELIVERED",
    "PENDING",
    "any_due",
    "claim_leased",
    "claim_locked",
    "endpoint_id_of",
    "endpoint_row",
    "endpoint_rows",
    "leased_rows",
    "outbox_rows",
    "pending_of_endpoint",
    "record_outcomes",
    "status_counts",
]

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


def endpoint_row(session: Session, name: str) -> WebhookEndpointRow:
    row = session.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.name == name)).first()
    if row is None:
        raise NotFoundError(
            f"no webhook endpoint named {name!r}",
            hint="list them with `amparo actions endpoints list` or GET /v1/actions/endpoints",
        )
    return row


def endpoint_rows(session: Session) -> list[WebhookEndpointRow]:
    return list(session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.name)))


def pending_of_endpoint(session: Session, endpoint_id: int) -> list[OutboxRow]:
    query = select(OutboxRow).where(
        OutboxRow.endpoint_id == endpoint_id, OutboxRow.status == PENDING
    )
    return list(session.scalars(query.with_for_update()))


def outbox_rows(
    session: Session, *, status: str | None, limit: int, ids: Sequence[str] = ()
) -> list[OutboxRow]:
    """Newest first; only ``ids`` when given."""
    query = select(OutboxRow)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if ids:
        query = query.where(OutboxRow.id.in_(list(ids)))
    return list(session.scalars(query.order_by(OutboxRow.created_at.desc()).limit(limit)))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {str(status): int(n) for status, n in rows}


def _due(now: datetime) -> Select[OutboxRow]:
    return (
        select(OutboxRow)
        .join(WebhookEndpointRow, WebhookEndpointRow.id == OutboxRow.endpoint_id)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.next_attempt_at <= now,
            WebhookEndpointRow.enabled.is_(True),
        )
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
    )


def claim_locked(session: Session, now: datetime, limit: int) -> list[OutboxRow]:
    """PostgreSQL: up to ``limit`` due rows, locked until the caller's transaction ends;
    rows another transaction holds are skipped, never waited for."""
    query = _due(now).limit(limit).with_for_update(skip_locked=True, of=OutboxRow)
    return list(session.scalars(query))


def any_due(session: Session, now: datetime) -> bool:
    """Whether a row is due and unleased (read only: an idle poll writes nothing)."""
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now)
    query = _due(now).where(free).limit(1).with_only_columns(OutboxRow.id)
    return session.scalar(query) is not None


def claim_leased(session: Session, now: datetime, limit: int, token: str, until: datetime) -> int:
    """SQLite: lease up to ``limit`` due, unleased rows to ``token`` until ``until``, in one
    statement (SQLite's single writer makes it atomic); how many were leased."""
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now)
    ids = _due(now).where(free).limit(limit).with_only_columns(OutboxRow.id)
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids))
        .values(claim_token=token, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def leased_rows(session: Session, token: str) -> list[OutboxRow]:
    """The rows still leased to ``token`` (a retry or a removal may have taken one back)."""
    query = select(OutboxRow).where(OutboxRow.claim_token == token, OutboxRow.status == PENDING)
    return list(session.scalars(query))


def endpoint_id_of(session: Session, name: str) -> int | None:
    query = select(WebhookEndpointRow.id).where(WebhookEndpointRow.name == name)
    found = session.scalar(query)
    return None if found is None else int(found)


def record_outcomes(session: Session, changes: list[dict[str, object]]) -> None:
    """Write each row's new state (the same columns for all, ``id`` naming the row) in one
    executemany."""
    if changes:
        session.execute(update(OutboxRow), changes)
