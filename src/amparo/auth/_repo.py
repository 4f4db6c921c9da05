"""The keys' repository: all SQL on ``api_keys``. Rows stay in the package."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from amparo.store import ApiKeyRow, ChangeRow, utcnow

__all__ = ["insert_key", "key_row", "key_rows", "log_key_change", "touch"]


def insert_key(session: Session, name: str, role: str, prefix: str, digest: str) -> ApiKeyRow:
    row = ApiKeyRow(name=name, role=role, prefix=prefix, key_hash=digest)
    session.add(row)
    session.flush()
    log_key_change(session, row.id)
    return row


def log_key_change(session: Session, key_id: int) -> None:
    session.add(ChangeRow(kind="key", object_id=key_id, created_at=utcnow()))


def key_row(session: Session, key_id: int) -> ApiKeyRow | None:
    return session.get(ApiKeyRow, key_id)


def key_rows(session: Session, ids: Sequence[int] | None = None) -> list[ApiKeyRow]:
    """Every key (or these), by id."""
    query = select(ApiKeyRow).order_by(ApiKeyRow.id)
    if ids is not None:
        query = query.where(ApiKeyRow.id.in_(ids))
    return list(session.scalars(query))


def touch(session: Session, used: Mapping[int, datetime]) -> None:
    """Record when keys were last used."""
    if used:
        table = cast(Table, ApiKeyRow.__table__)
        stmt = (
            update(table)  # the table, not the mapped class: a plain executemany
            .where(table.c.id == bindparam("kid"))
            .values(last_used_at=bindparam("at"))
        )
        session.execute(stmt, [{"kid": k, "at": t} for k, t in used.items()])
