"""The scans' repository: all SQL on ``scans``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session

from amparo.scan._model import ScanRecord
from amparo.store import ScanRow

__all__ = ["insert_scans"]


def insert_scans(session: Session, records: Sequence[ScanRecord]) -> None:
    """Insert scan records in one statement."""
    if records:
        session.execute(insert(ScanRow), [r.row() for r in records])
