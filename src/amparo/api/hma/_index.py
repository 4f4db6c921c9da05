"""Index state in HMA's terms, for ``/m/index/status`` and ``/c/signal_type/index``.

HMA builds an index per signal type from a database snapshot and reports Unix times:
``built_to`` (newest item in the index) and ``newest_db_item``. Amparo keeps every signal
type's index in memory, following the database's change feed, so ``built_to`` is the time of
the newest change the indexes have applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from amparo import banks
from amparo.runtime import Runtime

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


def index_info(amparo: Runtime, signal_types: list[str]) -> dict[str, IndexInfo]:
    """Index state per signal type (a few queries: for status pages, not the hot path)."""
    status = {s.signal_type: s for s in amparo.index_status()}
    out: dict[str, IndexInfo] = {}
    with amparo.sessions() as session:
        newest = banks.change_time(session, None)
        for name in signal_types:
            st = status[name]
            built = banks.change_time(session, st.built_to) if st.present else _NEVER
            db_size = banks.signal_count(session, name)
            out[name] = IndexInfo(st.present, st.size, built, db_size, newest)
    return out
