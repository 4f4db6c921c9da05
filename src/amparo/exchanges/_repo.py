"""The exchanges' repository: all SQL on the ``exchanges`` table. Rows stay in the package."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.errors import NotFoundError
from amparo.store import BankRow, ExchangeRow

__all__ = ["bank_name", "exchange_row", "exchange_rows", "name_taken"]


def exchange_row(session: Session, name: str, *, for_update: bool = False) -> ExchangeRow:
    """The row of exchange ``name`` (locked on PostgreSQL when ``for_update``)."""
    query = select(ExchangeRow).where(ExchangeRow.name == name)
    row = session.scalars(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFoundError(
            f"no exchange named {name!r}",
            hint="list exchanges with `amparo exchange list` or GET /v1/exchanges",
        )
    return row


def exchange_rows(session: Session) -> list[tuple[ExchangeRow, str]]:
    """Every exchange with the name of its bank, by exchange name."""
    rows = session.execute(
        select(ExchangeRow, BankRow.name)
        .join(BankRow, BankRow.id == ExchangeRow.bank_id)
        .order_by(ExchangeRow.name)
    ).all()
    return [(row, str(bank)) for row, bank in rows]


def name_taken(session: Session, name: str) -> bool:
    return session.scalar(select(ExchangeRow.id).where(ExchangeRow.name == name)) is not None


def bank_name(session: Session, bank_id: int) -> str:
    return str(session.scalar(select(BankRow.name).where(BankRow.id == bank_id)))
