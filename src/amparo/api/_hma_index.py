"""Index state in HMA's terms, for ``/m/index/status`` and ``/c/signal_type/index``.

HMA builds an index per signal type from a database snapshot and reports Unix times:
``built_to`` (newest item in the index) and ``newest_db_item``. Amparo keeps one PDQ index in
memory that follows the signal change log, and answers MD5, SHA-256 and video MD5 from the
database itself, so for those the "index" is always present and current.

Times are those of signal-change-log rows: ``built_to`` is the time of the newest change the
PDQ index has applied. These read-only queries sit here rather than in ``banks`` because
only these two HMA status routes need them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.runtime import Amparo
from amparo.store import SignalChangeRow, SignalRow

__all__ = ["IndexInfo", "index_info"]

_NEVER = -1


@dataclass(frozen=True)
class IndexInfo:
    """One signal type's index, HMA-style. Times are Unix seconds, -1 for never."""

    present: bool
    size: int
    built_to: int
    db_size: int
    newest_db_item: int

    @property
    def out_of_date(self) -> bool:
        return not self.present or self.size != self.db_size

    def status(self) -> dict[str, object]:
        """The ``/m/index/status`` shape."""
        return {"present": self.present, "built_to": self.built_to, "size": self.size}

    def build_status(self) -> dict[str, object]:
        """The ``/c/signal_type/index`` shape."""
        return {
            "db_size": self.db_size,
            "index_size": self.size,
            "index_out_of_date": self.out_of_date,
            "newest_db_item": self.newest_db_item,
            "index_built_to": self.built_to,
        }


def _time_of(session: Session, upto_seq: int | None, signal_type: str | None = None) -> int:
    """Unix time of the newest change with seq <= ``upto_seq`` (of one type if given)."""
    newest = select(func.max(SignalChangeRow.seq))
    if upto_seq is not None:
        newest = newest.where(SignalChangeRow.seq <= upto_seq)
    if signal_type is not None:
        newest = newest.where(SignalChangeRow.signal_type == signal_type)
    seq = session.scalar(newest)
    if seq is None:
        return 0
    created = session.scalar(select(SignalChangeRow.created_at).where(SignalChangeRow.seq == seq))
    return int(created.timestamp()) if created is not None else 0


def _count(session: Session, signal_type: str) -> int:
    query = select(func.count(SignalRow.id)).where(SignalRow.signal_type == signal_type)
    return int(session.scalar(query) or 0)


def index_info(amparo: Amparo, signal_types: list[str], *, newest: bool) -> dict[str, IndexInfo]:
    """Index state per signal type. ``newest`` also finds each type's newest change (slower)."""
    pdq = amparo.matcher.pdq.status()
    out: dict[str, IndexInfo] = {}
    with amparo.sessions() as session:
        latest_any = _time_of(session, None)
        for name in signal_types:
            db_size = _count(session, name)
            newest_item = _time_of(session, None, name) if newest else latest_any
            if name == pdq.signal_type:
                built = _time_of(session, pdq.built_to) if pdq.present else _NEVER
                out[name] = IndexInfo(pdq.present, pdq.size, built, db_size, newest_item)
            else:  # looked up in the database itself: always present and current
                out[name] = IndexInfo(True, db_size, newest_item, db_size, newest_item)
    return out
