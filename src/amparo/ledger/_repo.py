"""The ledger's repository: all SQL on its tables (state lock, tiles, entries, checkpoints,
scan ticks). Rows stay here."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from amparo.ledger._merkle import EMPTY_ROOT
from amparo.ledger._tiles import HASH, TILE_WIDTH, TileNodes
from amparo.store import (
    LedgerCheckpointRow,
    LedgerEntryRow,
    LedgerScanTickRow,
    LedgerStateRow,
    LedgerTileRow,
)

__all__ = [
    "add_checkpoint",
    "all_tiles",
    "checkpoints",
    "entries_of_kinds",
    "entry_at",
    "entry_bundle",
    "entry_row",
    "iter_placed",
    "latest_checkpoint",
    "lock_state",
    "pending_entries",
    "place_entries",
    "read_tile",
    "state",
    "take_scan_ticks",
    "tile_nodes",
    "write_tiles",
]

_ENTRIES = cast(Table, LedgerEntryRow.__table__)
_TILES = cast(Table, LedgerTileRow.__table__)


def lock_state(session: Session) -> LedgerStateRow:
    """Take the integrator lock (the state row, created if missing) and return the state.

    The first statement is a write, so SQLite takes its write lock before reading and
    PostgreSQL row-locks the state: at most one integrator or signer runs at a time.
    """
    lock = (
        update(LedgerStateRow)
        .where(LedgerStateRow.id == 1)
        .values(lock_counter=LedgerStateRow.lock_counter + 1)
    )
    if getattr(session.execute(lock), "rowcount", 0) == 0:
        # The row is made by the migration; recreate it (once, race-free) if it was wiped.
        dialect = session.get_bind().dialect.name
        ins = pg_insert if dialect == "postgresql" else sqlite_insert
        row = {"id": 1, "tree_size": 0, "root_hash": EMPTY_ROOT, "lock_counter": 0}
        session.execute(ins(LedgerStateRow).values(**row).on_conflict_do_nothing())
        session.execute(lock)
    state = session.get(LedgerStateRow, 1, populate_existing=True)
    assert state is not None  # just written under the lock
    return state


def read_tile(session: Session, level: int, index: int) -> bytes:
    """The stored (possibly partial) tile, or ``b""`` when there is none."""
    data = session.scalar(
        select(LedgerTileRow.hashes).where(LedgerTileRow.level == level, LedgerTileRow.idx == index)
    )
    return bytes(data) if data is not None else b""


def tile_nodes(session: Session, size: int) -> TileNodes:
    """A node source over the stored tiles for the tree of ``size`` leaves."""

    def fetch(level: int, index: int, width: int) -> bytes:
        return read_tile(session, level, index)[: width * HASH]

    return TileNodes(size, fetch)


def write_tiles(
    session: Session, tiles: Mapping[tuple[int, int], bytes], existing: set[tuple[int, int]]
) -> None:
    """Store changed tiles: update those in ``existing``, insert the others."""
    updates = [{"lv": k[0], "ix": k[1], "h": v} for k, v in tiles.items() if k in existing]
    inserts = [
        {"level": k[0], "idx": k[1], "hashes": v} for k, v in tiles.items() if k not in existing
    ]
    if updates:
        stmt = (
            update(_TILES)
            .where(_TILES.c.level == bindparam("lv"), _TILES.c.idx == bindparam("ix"))
            .values(hashes=bindparam("h"))
        )
        session.execute(stmt, updates)
    if inserts:
        session.execute(insert(_TILES), inserts)


def pending_entries(session: Session, limit: int) -> list[tuple[int, bytes]]:
    """Committed entries not yet in the tree, oldest sequence number first."""
    rows = session.execute(
        select(_ENTRIES.c.id, _ENTRIES.c.commitment)
        .where(_ENTRIES.c.leaf_index.is_(None))
        .order_by(_ENTRIES.c.id)
        .limit(limit)
    ).all()
    return [(int(r[0]), bytes(r[1])) for r in rows]


_PLACE_RUN = (
    update(_ENTRIES)
    .where(_ENTRIES.c.id.between(bindparam("lo"), bindparam("hi")))
    .values(leaf_index=_ENTRIES.c.id + bindparam("shift"))
)


def place_entries(session: Session, ids: list[int], first_index: int) -> None:
    """Give ``ids`` (ascending) the consecutive leaf indexes starting at ``first_index``.

    One UPDATE per run of consecutive ids, not one per entry: entries are written with
    consecutive ids, so a step of a round is one run but for the gaps PostgreSQL's sequence
    leaves, and updating 2,000 rows one by one was most of a step's time (which on SQLite
    holds the write lock that scans wait for).
    """
    runs: list[dict[str, int]] = []
    start = 0
    for k in range(1, len(ids) + 1):
        if k == len(ids) or ids[k] != ids[k - 1] + 1:
            runs.append(
                {"lo": ids[start], "hi": ids[k - 1], "shift": first_index + start - ids[start]}
            )
            start = k
    if runs:
        session.execute(_PLACE_RUN, runs)


def entry_bundle(session: Session, index: int, width: int) -> bytes | None:
    """The C2SP entry bundle ``index`` of ``width`` entries, or None if not all are placed."""
    start = index * TILE_WIDTH
    rows = session.execute(
        select(_ENTRIES.c.commitment)
        .where(_ENTRIES.c.leaf_index >= start, _ENTRIES.c.leaf_index < start + width)
        .order_by(_ENTRIES.c.leaf_index)
    ).all()
    if len(rows) != width:
        return None
    return b"".join(len(r[0]).to_bytes(2, "big") + bytes(r[0]) for r in rows)


def latest_checkpoint(session: Session) -> LedgerCheckpointRow | None:
    """The newest signed checkpoint."""
    return session.scalars(
        select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.id.desc()).limit(1)
    ).first()


def take_scan_ticks(session: Session) -> int:
    """Remove the committed scan ticks and return how many scans they counted (one
    statement, so a tick committed meanwhile is either counted and removed, or left)."""
    counts = session.execute(delete(LedgerScanTickRow).returning(LedgerScanTickRow.scans))
    return sum(int(n) for n in counts.scalars())


def entry_row(session: Session, entry_id: int) -> LedgerEntryRow | None:
    return session.get(LedgerEntryRow, entry_id)


def entry_at(session: Session, index: int) -> LedgerEntryRow | None:
    return session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.leaf_index == index)).first()


def entries_of_kinds(session: Session, kinds: Collection[str]) -> list[LedgerEntryRow]:
    """Every entry of these kinds, oldest first."""
    if not kinds:
        return []
    query = select(LedgerEntryRow).where(LedgerEntryRow.kind.in_(list(kinds)))
    return list(session.scalars(query.order_by(LedgerEntryRow.id)))


def state(session: Session) -> LedgerStateRow | None:
    """The integrated state, read without the lock."""
    return session.get(LedgerStateRow, 1)


def checkpoints(session: Session) -> list[LedgerCheckpointRow]:
    """Every signed checkpoint, oldest first."""
    return list(session.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.id)))


def add_checkpoint(session: Session, size: int, root: bytes, note: str) -> None:
    session.add(LedgerCheckpointRow(tree_size=size, root_hash=root, note=note))


def iter_placed(session: Session, size: int) -> Iterator[LedgerEntryRow]:
    """Entries placed below ``size``, by leaf index, streamed."""
    return iter(
        session.execute(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.leaf_index < size)
            .order_by(LedgerEntryRow.leaf_index)
            .execution_options(yield_per=4096)
        ).scalars()
    )


def all_tiles(session: Session) -> dict[tuple[int, int], bytes]:
    return {(r.level, r.idx): bytes(r.hashes) for r in session.scalars(select(LedgerTileRow))}
