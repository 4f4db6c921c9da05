"""Read paths that matching needs: resolve signal ids, exact lookups, streaming for loads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from amparo.banks._model import Bank, Entry
from amparo.banks._repo import _bank, _entry
from amparo.store import BankRow, EntryRow, SignalRow

__all__ = ["entries_for_signals", "find_exact", "iter_signals"]


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
