"""Bank and entry operations: check the rules, change rows through the repository, emit events.

Writes take a :class:`~amparo.store.UnitOfWork` and emit one event per change; reads take any
session. Nothing here commits: the caller's unit of work does, with the events.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.banks import _repo
from amparo.banks._events import (
    BankCreated,
    BankDeleted,
    BankUpdated,
    EntriesAdded,
    EntryAdded,
    EntryAnnotated,
    EntryDeleted,
    EntryDisabled,
    EntryEnabled,
    entries_digest,
)
from amparo.banks._model import (
    DEFAULT_PDQ_THRESHOLD,
    Bank,
    Entry,
    NewEntry,
    check_bank_name,
    check_note,
)
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.store import UnitOfWork

__all__ = [
    "UNSET",
    "add_entries",
    "add_entry",
    "bank_sizes",
    "check_disable_until",
    "create_bank",
    "delete_bank",
    "delete_entry",
    "get_bank",
    "get_entry",
    "list_banks",
    "list_entries",
    "update_bank",
    "update_entry",
]

_MAX_DISABLE_SECONDS = 5 * 365 * 24 * 3600
_MAX_ID = 2**63 - 1
UNSET: Any = object()
"""Default of optional fields that may be set to None: "leave as it is"."""


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


def check_disable_until(value: int) -> int:
    """HMA's ``disable_until_ts``: 0 disabled, 1 enabled, else a Unix time < 5 years ahead."""
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


def create_bank(
    uow: UnitOfWork,
    name: str,
    *,
    description: str | None = None,
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
    matching_enabled_ratio: float = 1.0,
) -> Bank:
    """Create a bank (:class:`ConflictError` if the name is taken)."""
    check_bank_name(name)
    threshold, ratio = _check_threshold(pdq_threshold), _check_ratio(matching_enabled_ratio)
    if _repo.bank_exists(uow, name):
        raise ConflictError(
            f"a bank named {name!r} already exists", hint="choose another name or update that bank"
        )
    try:
        row = _repo.insert_bank(uow, name, description, threshold, ratio)
    except IntegrityError as exc:  # a concurrent create won the race
        raise ConflictError(f"a bank named {name!r} already exists") from exc
    bank = _repo.to_bank(row)
    uow.emit(BankCreated(bank.id, bank.name, description, threshold, ratio))
    return bank


def list_banks(session: Session) -> list[Bank]:
    """Every bank, by name."""
    return _repo.list_banks(session)


def bank_sizes(session: Session) -> dict[str, int]:
    """Number of entries per bank name."""
    return _repo.bank_sizes(session)


def get_bank(session: Session, name: str) -> Bank:
    """The bank called ``name``, or :class:`NotFoundError`."""
    return _repo.to_bank(_repo.bank_row(session, name))


def update_bank(
    uow: UnitOfWork,
    name: str,
    *,
    new_name: str | None = None,
    description: str | None = None,
    pdq_threshold: int | None = None,
    matching_enabled_ratio: float | None = None,
) -> Bank:
    """Rename a bank or change its description, threshold or enabled ratio."""
    row = _repo.bank_row(uow, name, for_update=True)
    if new_name is not None and new_name != name:
        check_bank_name(new_name)
        if _repo.bank_exists(uow, new_name):
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
    uow.flush()
    _repo.log_change(uow, "bank", [row.id])
    bank = _repo.to_bank(row)
    uow.emit(
        BankUpdated(
            bank.id,
            name,
            bank.name,
            bank.description,
            bank.pdq_threshold,
            bank.matching_enabled_ratio,
        )
    )
    return bank


def delete_bank(uow: UnitOfWork, name: str) -> bool:
    """Delete a bank and all its entries. False if there was no such bank."""
    try:
        row = _repo.bank_row(uow, name, for_update=True)
    except NotFoundError:
        return False
    bank_id = row.id
    count = _repo.delete_bank(uow, row)
    uow.emit(BankDeleted(bank_id, name, count))
    return True


def _check_new(new: NewEntry) -> None:
    if not new.signals:
        raise InputError("an entry needs at least one signal", hint="give e.g. a pdq or md5")
    check_note(new.note)


def add_entry(uow: UnitOfWork, bank_name: str, new: NewEntry) -> Entry:
    """Add one entry with its signals; it is matchable as soon as the transaction commits."""
    _check_new(new)
    bank = _repo.bank_row(uow, bank_name)
    (entry_id,) = _repo.insert_entries(uow, bank.id, [new])
    uow.emit(
        EntryAdded(
            entry_id,
            bank.id,
            new.source,
            new.source_id,
            new.category,
            new.tags,
            dict(new.signals),
            new.enabled,
        )
    )
    return get_entry(uow, bank_name, entry_id)


def add_entries(uow: UnitOfWork, bank_id: int, source: str, batch: Sequence[NewEntry]) -> list[int]:
    """Add a batch of entries of one source (imports, exchanges): one event for the batch."""
    for new in batch:
        _check_new(new)
    ids = _repo.insert_entries(uow, bank_id, batch)
    if ids:
        rows = [
            (i, n.source, n.source_id, n.category, n.tags, n.signals)
            for i, n in zip(ids, batch, strict=True)
        ]
        uow.emit(EntriesAdded(bank_id, source, len(ids), ids[0], ids[-1], entries_digest(rows)))
    return ids


def _found(session: Session, bank_name: str, entry_id: int) -> tuple[Bank, Any]:
    bank = _repo.bank_row(session, bank_name)
    row = _repo.entry_row(session, bank.id, entry_id) if 0 <= entry_id <= _MAX_ID else None
    if row is None:
        raise NotFoundError(
            f"bank {bank_name!r} has no entry {entry_id}",
            hint=f"list its entries with `amparo bank entries {bank_name}`",
        )
    return _repo.to_bank(bank), row


def get_entry(session: Session, bank_name: str, entry_id: int) -> Entry:
    """Entry ``entry_id`` of the bank, or :class:`NotFoundError` (also for ids out of range)."""
    bank, row = _found(session, bank_name, entry_id)
    return _repo.to_entry(row, bank.name)


def list_entries(
    session: Session, bank_name: str, *, after_id: int = 0, limit: int = 100
) -> list[Entry]:
    """Entries of a bank in id order, a page at a time (keyset pagination on ``after_id``)."""
    bank = _repo.bank_row(session, bank_name)
    return _repo.list_entries(
        session, bank, after_id=max(0, min(after_id, _MAX_ID)), limit=max(1, min(limit, 10_000))
    )


def update_entry(
    uow: UnitOfWork,
    bank_name: str,
    entry_id: int,
    *,
    disable_until_ts: int | None = None,
    note: str | None = UNSET,
    category: str | None = UNSET,
    tags: tuple[str, ...] | None = None,
) -> Entry:
    """Change an entry's state or description (not its signals: delete and re-add for that)."""
    bank, row = _found(uow, bank_name, entry_id)
    fields: dict[str, Any] = {}
    if disable_until_ts is not None:
        fields["disable_until_ts"] = check_disable_until(disable_until_ts)
    if note is not UNSET:
        fields["note"] = check_note(note)
    if category is not UNSET:
        fields["category"] = category
    if tags is not None:
        fields["tags"] = list(tags)
    _repo.set_entry_fields(uow, row, **fields)
    if "disable_until_ts" in fields:
        until = fields["disable_until_ts"]
        uow.emit(
            EntryEnabled(row.id, bank.id) if until == 1 else EntryDisabled(row.id, bank.id, until)
        )
    if fields.keys() - {"disable_until_ts"}:
        uow.emit(EntryAnnotated(row.id, bank.id, row.note, row.category, tuple(row.tags or ())))
    return _repo.to_entry(row, bank.name)


def delete_entry(uow: UnitOfWork, bank_name: str, entry_id: int) -> bool:
    """Delete one entry. False if it was already gone (the bank must exist)."""
    try:
        bank, row = _found(uow, bank_name, entry_id)
    except NotFoundError:
        _repo.bank_row(uow, bank_name)  # a missing bank is still an error
        return False
    event = EntryDeleted(row.id, bank.id, row.source, row.source_id)
    _repo.delete_entries(uow, [row])
    uow.emit(event)
    return True
