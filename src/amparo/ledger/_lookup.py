"""Finding entries by kind, for reports that cite the entries behind their figures."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.ledger._ledger import Disclosure, _disclosure
from amparo.store import LedgerEntryRow

__all__ = ["entries_of_kinds"]


def entries_of_kinds(session: Session, kinds: Collection[str]) -> list[Disclosure]:
    """Every entry of these kinds in full (record and salt: for auditors only), by
    sequence number. ``index`` is None until the entry is integrated into the tree."""
    if not kinds:
        return []
    rows = session.scalars(
        select(LedgerEntryRow)
        .where(LedgerEntryRow.kind.in_(list(kinds)))
        .order_by(LedgerEntryRow.id)
    )
    return [_disclosure(r) for r in rows]
