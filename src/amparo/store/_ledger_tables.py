"""Tables of the tamper-evident ledger (owned by ``amparo.ledger``; rows never leave it).

- ``ledger_entries``: one row per record: the canonical JSON, its salt and the public
  commitment ``SHA-256(salt || record)``. ``leaf_index`` is NULL until the integrator places
  the entry in the Merkle tree; then it never changes.
- ``ledger_tiles``: the tree as C2SP tlog-tiles (level, index, up to 256 hashes).
- ``ledger_checkpoints``: every checkpoint the log signed, newest last.
- ``ledger_state``: a single row (id 1): integrated tree size and root, the row every
  integrator locks first, and when the last scan tally was written.
- ``ledger_scan_ticks``: scans counted (``scans`` per row) until the next tally sums and
  removes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from amparo.store._base import Base, BigIntPK, UTCDateTime, utcnow

__all__ = [
    "LedgerCheckpointRow",
    "LedgerEntryRow",
    "LedgerScanTickRow",
    "LedgerStateRow",
    "LedgerTileRow",
]


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        # Finds entries awaiting integration without scanning the whole table.
        Index(
            "ix_ledger_entries_pending",
            "id",
            postgresql_where=text("leaf_index IS NULL"),
            sqlite_where=text("leaf_index IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, unique=True)


class LedgerTileRow(Base):
    __tablename__ = "ledger_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpointRow(Base):
    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerStateRow(Base):
    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    lock_counter: Mapped[int] = mapped_column(BigInteger, default=0)
    last_tally_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LedgerScanTickRow(Base):
    __tablename__ = "ledger_scan_ticks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scans: Mapped[int] = mapped_column(BigInteger, default=1)
