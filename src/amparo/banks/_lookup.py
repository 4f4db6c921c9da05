"""Read paths that matching and index status need: resolve signal ids, exact lookups,
streaming for loads, counts and change times."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from amparo.banks._model import Bank, Entry
from amparo.banks._repo import _bank, _entry
from amparo.store import BankRow, EntryRow, SignalChangeRow, SignalRow

__all__ = ["change_time", "entries_for_signals", "find_exact", "iter_signals", "signal_count"]


def entries_for_signals(
    session: Session, signal_ids: Iterable[int]
) -> dict[int, tuple[Entry, Bank]]:
    """Resolve signal ids (what indexes hold) to their entries and banks; gone ids are absent."""
    ids = list(set(signal_ids))
    out: dict[int, tuple[Entry, Bank]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows = session.execute(
            select(SignalRow.id, EntryRow, BankRow)
            .join(EntryRow, SignalRow.entry_id == EntryRow.id)
            .join(BankRow, EntryRow.bank_id == BankRow.id)
            .options(selectinload(EntryRow.signals))
            .where(SignalRow.id.in_(chunk))
        )
        for sid, entry_row, bank_row in rows:
            out[sid] = (_entry(entry_row, bank_row.name), _bank(bank_row))
    return out


def find_exact(session: Session, signal_type: str, values: Iterable[str]) -> dict[str, list[int]]:
    """Signal ids whose value equals one of ``values`` exactly (MD5, SHA-256, ...)."""
    wanted = list(set(values))
    out: dict[str, list[int]] = {}
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            select(SignalRow.value, SignalRow.id).where(
                SignalRow.signal_type == signal_type,
                SignalRow.value.in_(wanted[start : start + 1000]),
            )
        )
        for value, sid in rows:
            out.setdefault(value, []).append(sid)
    return out


def iter_signals(
    session: Session, signal_type: str, *, batch: int = 100_000
) -> Iterator[tuple[list[int], list[str]]]:
    """Every (signal id, value) of a type in id order, a batch at a time (index loading)."""
    after = 0
    while True:
        rows = session.execute(
            select(SignalRow.id, SignalRow.value)
            .where(SignalRow.signal_type == signal_type, SignalRow.id > after)
            .order_by(SignalRow.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield [r[0] for r in rows], [r[1] for r in rows]
        after = rows[-1][0]


def change_time(session: Session, upto_seq: int | None, signal_type: str | None = None) -> int:
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


def signal_count(session: Session, signal_type: str) -> int:
    """How many signals of a type the banks hold."""
    query = select(func.count(SignalRow.id)).where(SignalRow.signal_type == signal_type)
    return int(session.scalar(query) or 0)
