"""Bank and entry operations on a SQLAlchemy session.

Departure from the guide's "rows never leave store": banks owns its repository code (it is
the only writer of these tables) and turns rows into domain values before returning them.
Every change is logged twice in the caller's transaction: to the signal change log (which
in-memory indexes follow) and to the ledger.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import String, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from amparo import ledger
from amparo.banks._model import (
    DEFAULT_PDQ_THRESHOLD,
    Bank,
    Entry,
    NewEntry,
    check_bank_name,
    check_note,
)
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.store import BankRow, EntryRow, SignalChangeRow, SignalRow, utcnow
from amparo.store._base import UTCDateTime

__all__ = [
    "add_entries",
    "add_entry",
    "bank_sizes",
    "create_bank",
    "delete_bank",
    "delete_entry",
    "delete_source_entries",
    "get_bank",
    "get_entry",
    "list_banks",
    "list_entries",
    "update_bank",
    "update_entry",
]

# Set in a session whose transaction changed signals: amparo.runtime then refreshes this
# process's index right after the commit.
SIGNALS_CHANGED = "amparo.signals_changed"
_MAX_DISABLE_SECONDS = 5 * 365 * 24 * 3600


def _bank(row: BankRow) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        description=row.description,
        matching_enabled_ratio=row.matching_enabled_ratio,
        pdq_threshold=row.pdq_threshold,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _entry(row: EntryRow, bank_name: str) -> Entry:
    return Entry(
        id=row.id,
        bank_id=row.bank_id,
        bank=bank_name,
        signals={s.signal_type: s.value for s in row.signals},
        qualities={s.signal_type: s.quality for s in row.signals if s.quality is not None},
        source=row.source,
        source_id=row.source_id,
        category=row.category,
        tags=tuple(row.tags or ()),
        note=row.note,
        disable_until_ts=row.disable_until_ts,
        metadata=row.meta,
        original_media_uri=row.original_media_uri,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _bank_row(session: Session, name: str) -> BankRow:
    row = session.scalars(select(BankRow).where(BankRow.name == name)).first()
    if row is None:
        raise NotFoundError(
            f"no bank named {name!r}", hint="list banks with `amparo bank list` or GET /v1/banks"
        )
    return row


def _check_threshold(value: int) -> int:
    if not 0 <= value <= 128:
        raise InputError(
            f"PDQ threshold {value} is out of range", hint="use 0..128; 31 is PDQ's usual choice"
        )
    return value


def _check_ratio(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"enabled ratio {value} is out of range", hint="use a number in 0..1")
    return float(value)


def create_bank(
    session: Session,
    name: str,
    *,
    description: str | None = None,
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
    matching_enabled_ratio: float = 1.0,
) -> Bank:
    check_bank_name(name)
    if session.scalars(select(BankRow.id).where(BankRow.name == name)).first() is not None:
        raise ConflictError(
            f"a bank named {name!r} already exists", hint="choose another name or update that bank"
        )
    row = BankRow(
        name=name,
        description=description,
        pdq_threshold=_check_threshold(pdq_threshold),
        matching_enabled_ratio=_check_ratio(matching_enabled_ratio),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        raise ConflictError(f"a bank named {name!r} already exists") from exc
    bank = _bank(row)
    ledger.record(session, "bank.create", bank.to_dict())
    return bank


def list_banks(session: Session) -> list[Bank]:
    return [_bank(r) for r in session.scalars(select(BankRow).order_by(BankRow.name))]


def bank_sizes(session: Session) -> dict[str, int]:
    """Number of entries per bank name."""
    rows = session.execute(
        select(BankRow.name, func.count(EntryRow.id))
        .join(EntryRow, EntryRow.bank_id == BankRow.id, isouter=True)
        .group_by(BankRow.name)
    )
    return {name: int(n) for name, n in rows}


def get_bank(session: Session, name: str) -> Bank:
    return _bank(_bank_row(session, name))


def update_bank(
    session: Session,
    name: str,
    *,
    new_name: str | None = None,
    description: str | None = None,
    pdq_threshold: int | None = None,
    matching_enabled_ratio: float | None = None,
) -> Bank:
    row = _bank_row(session, name)
    if new_name is not None and new_name != name:
        check_bank_name(new_name)
        if session.scalars(select(BankRow.id).where(BankRow.name == new_name)).first():
            raise ConflictError(
                f"cannot rename {name!r} to {new_name!r}: that bank already exists",
                hint="choose another name",
            )
        row.name = new_name
    if description is not None:
        row.description = description
    if pdq_threshold is not None:
        row.pdq_threshold = _check_threshold(pdq_threshold)
    if matching_enabled_ratio is not None:
        row.matching_enabled_ratio = _check_ratio(matching_enabled_ratio)
    row.updated_at = utcnow()
    session.flush()
    bank = _bank(row)
    ledger.record(session, "bank.update", {"previous_name": name, **bank.to_dict()})
    return bank


def delete_bank(session: Session, name: str) -> bool:
    """Delete a bank and all its entries. False if there was no such bank."""
    row = session.scalars(select(BankRow).where(BankRow.name == name)).first()
    if row is None:
        return False
    removals = (
        select(
            literal("remove", String()),
            SignalRow.id,
            SignalRow.signal_type,
            literal(utcnow(), UTCDateTime()),
        )
        .join(EntryRow, SignalRow.entry_id == EntryRow.id)
        .where(EntryRow.bank_id == row.id)
    )
    session.execute(
        insert(SignalChangeRow).from_select(
            ["op", "signal_id", "signal_type", "created_at"], removals
        )
    )
    session.info[SIGNALS_CHANGED] = True  # as _log_changes: refresh after commit
    count = session.scalar(select(func.count(EntryRow.id)).where(EntryRow.bank_id == row.id))
    ledger.record(session, "bank.delete", {"id": row.id, "name": name, "entries": count or 0})
    session.execute(delete(EntryRow).where(EntryRow.bank_id == row.id))
    session.execute(delete(BankRow).where(BankRow.id == row.id))
    session.expunge(row)
    return True


def _log_changes(session: Session, op: str, signals: Sequence[tuple[int, str, str | None]]) -> None:
    if signals:
        # Tells amparo.runtime to refresh this process's index right after commit.
        session.info[SIGNALS_CHANGED] = True
        now = utcnow()
        session.execute(
            insert(SignalChangeRow),
            [
                {"op": op, "signal_id": sid, "signal_type": st, "value": v, "created_at": now}
                for sid, st, v in signals
            ],
        )


def add_entry(session: Session, bank_name: str, new: NewEntry) -> Entry:
    """Add one entry with its signals; it is matchable as soon as the transaction commits."""
    bank = _bank_row(session, bank_name)
    (entry_id,) = _insert_entries(session, bank.id, [new])
    return get_entry(session, bank_name, entry_id)


def add_entries(session: Session, bank_name: str, entries: Iterable[NewEntry]) -> int:
    """Add many entries in batches (bulk import); returns how many were added."""
    bank = _bank_row(session, bank_name)
    batch: list[NewEntry] = []
    total = 0
    for new in entries:
        batch.append(new)
        if len(batch) >= 2000:
            total += len(_insert_entries(session, bank.id, batch))
            batch = []
    if batch:
        total += len(_insert_entries(session, bank.id, batch))
    return total


def _insert_entries(session: Session, bank_id: int, batch: Sequence[NewEntry]) -> list[int]:
    if not batch:
        return []
    for new in batch:
        if not new.signals:
            raise InputError("an entry needs at least one signal", hint="give e.g. a pdq or md5")
        check_note(new.note)
    now = utcnow()
    ids = list(
        session.scalars(
            insert(EntryRow).returning(EntryRow.id, sort_by_parameter_order=True),
            [
                {
                    "bank_id": bank_id,
                    "source": new.source,
                    "source_id": new.source_id,
                    "category": new.category,
                    "tags": list(new.tags),
                    "note": new.note,
                    "disable_until_ts": 1 if new.enabled else 0,
                    "meta": dict(new.metadata) if new.metadata is not None else None,
                    "original_media_uri": new.original_media_uri,
                    "created_at": now,
                    "updated_at": now,
                }
                for new in batch
            ],
        )
    )
    signal_rows = [
        {
            "entry_id": entry_id,
            "signal_type": st,
            "value": value,
            "quality": new.pdq_quality if st == "pdq" else None,
        }
        for entry_id, new in zip(ids, batch, strict=True)
        for st, value in new.signals.items()
    ]
    signal_ids = list(
        session.scalars(
            insert(SignalRow).returning(SignalRow.id, sort_by_parameter_order=True), signal_rows
        )
    )
    _log_changes(
        session,
        "add",
        [
            (sid, str(r["signal_type"]), str(r["value"]))
            for sid, r in zip(signal_ids, signal_rows, strict=True)
        ],
    )
    ledger.record_many(
        session,
        [
            (
                "entry.add",
                {
                    "entry_id": entry_id,
                    "bank_id": bank_id,
                    "source": new.source,
                    "source_id": new.source_id,
                    "category": new.category,
                    "tags": list(new.tags),
                    "signals": dict(new.signals),
                },
            )
            for entry_id, new in zip(ids, batch, strict=True)
        ],
    )
    return ids


def _entry_row(session: Session, bank_name: str, entry_id: int) -> tuple[BankRow, EntryRow]:
    bank = _bank_row(session, bank_name)
    row = session.scalars(
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.id == entry_id, EntryRow.bank_id == bank.id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"bank {bank_name!r} has no entry {entry_id}",
            hint=f"list its entries with `amparo bank entries {bank_name}`",
        )
    return bank, row


def get_entry(session: Session, bank_name: str, entry_id: int) -> Entry:
    bank, row = _entry_row(session, bank_name, entry_id)
    return _entry(row, bank.name)


def list_entries(
    session: Session, bank_name: str, *, after_id: int = 0, limit: int = 100
) -> list[Entry]:
    """Entries of a bank in id order, a page at a time (keyset pagination on ``after_id``)."""
    bank = _bank_row(session, bank_name)
    rows = session.scalars(
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.bank_id == bank.id, EntryRow.id > after_id)
        .order_by(EntryRow.id)
        .limit(max(1, min(limit, 10_000)))
    )
    return [_entry(r, bank.name) for r in rows]


def check_disable_until(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("disable_until_ts must be an integer", hint="0 disables, 1 enables")
    if value < 0:
        raise InputError(
            "disable_until_ts must be a non-negative integer", hint="0 disables, 1 enables"
        )
    if value > time.time() + _MAX_DISABLE_SECONDS:
        raise InputError(
            "disable_until_ts must be less than 5 years in the future",
            hint="use 0 to disable for good",
        )
    return value


_UNSET: Any = object()


def update_entry(
    session: Session,
    bank_name: str,
    entry_id: int,
    *,
    disable_until_ts: int | None = None,
    note: str | None = _UNSET,
    category: str | None = _UNSET,
    tags: tuple[str, ...] | None = None,
) -> Entry:
    """Change an entry's state or description (not its signals: delete and re-add for that)."""
    bank, row = _entry_row(session, bank_name, entry_id)
    changes: dict[str, Any] = {}
    if disable_until_ts is not None:
        row.disable_until_ts = changes["disable_until_ts"] = check_disable_until(disable_until_ts)
    if note is not _UNSET:
        row.note = changes["note"] = check_note(note)
    if category is not _UNSET:
        row.category = changes["category"] = category
    if tags is not None:
        row.tags = list(tags)
        changes["tags"] = list(tags)
    row.updated_at = utcnow()
    session.flush()
    ledger.record(
        session, "entry.update", {"entry_id": row.id, "bank_id": bank.id, "changes": changes}
    )
    return _entry(row, bank.name)


def delete_entry(session: Session, bank_name: str, entry_id: int) -> bool:
    """Delete one entry. False if it was already gone (the bank must exist)."""
    bank = _bank_row(session, bank_name)
    row = session.scalars(
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.id == entry_id, EntryRow.bank_id == bank.id)
    ).first()
    if row is None:
        return False
    _delete_rows(session, [row])
    return True


def delete_source_entries(
    session: Session, bank_id: int, source: str, source_ids: Sequence[str]
) -> int:
    """Delete entries that an exchange retracted; returns how many existed."""
    rows = list(
        session.scalars(
            select(EntryRow)
            .options(selectinload(EntryRow.signals))
            .where(
                EntryRow.bank_id == bank_id,
                EntryRow.source == source,
                EntryRow.source_id.in_(source_ids),
            )
        )
    )
    _delete_rows(session, rows)
    return len(rows)


def _delete_rows(session: Session, rows: Sequence[EntryRow]) -> None:
    if not rows:
        return
    _log_changes(
        session, "remove", [(s.id, s.signal_type, None) for row in rows for s in row.signals]
    )
    ledger.record_many(
        session,
        [
            (
                "entry.delete",
                {"entry_id": row.id, "bank_id": row.bank_id, "source_id": row.source_id},
            )
            for row in rows
        ],
    )
    session.execute(delete(EntryRow).where(EntryRow.id.in_([r.id for r in rows])))
    for row in rows:
        session.expunge(row)
