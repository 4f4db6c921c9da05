"""Index state in HMA's terms, for ``/m/index/status`` and ``/c/signal_type/index``.

HMA builds an index per signal type from a database snapshot and reports Unix times:
``built_to`` (newest item in the index) and ``newest_db_item``. Amparo keeps one PDQ index in
memory that follows the signal change log, and answers MD5, SHA-256 and video MD5 from the
database itself, so for those the "index" is always present and current.

Times are those of signal-change-log rows: ``built_to`` is the time of the newest change the
PDQ index has applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from amparo.banks import change_time, signal_count
from amparo.runtime import Amparo

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


def index_info(amparo: Amparo, signal_types: list[str], *, newest: bool) -> dict[str, IndexInfo]:
    """Index state per signal type. ``newest`` also finds each type's newest change (slower)."""
    pdq = amparo.matcher.pdq.status()
    out: dict[str, IndexInfo] = {}
    with amparo.sessions() as session:
        latest_any = change_time(session, None)
        for name in signal_types:
            db_size = signal_count(session, name)
            newest_item = change_time(session, None, name) if newest else latest_any
            if name == pdq.signal_type:
                built = change_time(session, pdq.built_to) if pdq.present else _NEVER
                out[name] = IndexInfo(pdq.present, pdq.size, built, db_size, newest_item)
            else:  # looked up in the database itself: always present and current
                out[name] = IndexInfo(True, db_size, newest_item, db_size, newest_item)
    return out
