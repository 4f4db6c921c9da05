"""Bringing a bank in line with a list, a batch at a time: what imports and exchange fetches do.

For each item of a batch (a :class:`NewEntry`, or a bare source id for a retraction):

- an item without signals is a retraction: the entry with its source id is deleted;
- an item matching an existing entry — same ``source`` and ``source_id`` when the item has
  a source id, else any of the same signal values in the bank — is updated in place when
  its signals, category, tags or metadata differ (the entry keeps its id, its curator's
  note and its enabled state; a disabled item disables it, an enabled one never re-enables
  what a curator disabled), and left alone otherwise;
- anything else is added.

Every entry an item names is touched (``updated_at``), so that after a full list,
:func:`sweep` finds the bank's entries the list no longer names, to delete (exchanges) or
disable (``import --replace``). One event per batch and per kind of change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from amparo.banks import _repo
from amparo.banks._events import (
    EntriesDeleted,
    EntriesDisabled,
    EntriesUpdated,
    entries_digest,
)
from amparo.banks._model import NewEntry
from amparo.banks._service import add_entries
from amparo.store import EntryRow, UnitOfWork

__all__ = ["ApplyCounts", "Retraction", "apply_batch", "sweep"]


@dataclass(frozen=True)
class Retraction:
    """The list no longer holds the item with this source id."""

    source_id: str


@dataclass(frozen=True)
class ApplyCounts:
    """What a batch (or a whole list) did. ``unusable``: items Amparo cannot match."""

    items: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    unusable: int = 0

    def __add__(self, other: ApplyCounts) -> ApplyCounts:
        return ApplyCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _same(row: EntryRow, new: NewEntry) -> bool:
    return (
        {s.signal_type: s.value for s in row.signals} == dict(new.signals)
        and row.category == new.category
        and tuple(row.tags or ()) == new.tags
        and (row.meta or None) == (dict(new.metadata) if new.metadata else None)
    )


def _update(uow: UnitOfWork, row: EntryRow, new: NewEntry) -> None:
    if {s.signal_type: s.value for s in row.signals} != dict(new.signals):
        _repo.replace_signals(uow, row, new)
    changes: dict[str, object] = {
        "category": new.category,
        "tags": list(new.tags),
        "meta": dict(new.metadata) if new.metadata else None,
    }
    if new.note:
        changes["note"] = new.note
    if not new.enabled:
        changes["disable_until_ts"] = 0
    _repo.set_entry_fields(uow, row, **changes)


def apply_batch(
    uow: UnitOfWork,
    *,
    bank_id: int,
    source: str,
    items: Sequence[NewEntry | Retraction],
    seen_at: datetime,
    unusable: int = 0,
    settle: Callable[[], object] | None = None,
) -> ApplyCounts:
    """Apply one batch of items to the bank (see the module docstring). ``source`` names the
    list (retractions are of it, and the batch's events); each entry keeps its own source.
    ``unusable`` counts items of the batch the list holds but Amparo cannot match (they are
    passed as retractions). ``settle``, when given, is called before writing if the batch
    holds entries already in the bank, and they are read again after it: an import that
    writes two batches at once waits there for the one before (see
    :func:`amparo.banks.import_entries`), so that no two writers change the same entry."""
    by_source, by_signal = _existing(uow, bank_id, source, items)
    if settle is not None and (by_source or by_signal):
        settle()
        by_source, by_signal = _existing(uow, bank_id, source, items)
    gone: list[EntryRow] = []
    new: list[NewEntry] = []
    updated: list[tuple[EntryRow, NewEntry]] = []
    seen: list[int] = []
    for item in items:
        if isinstance(item, Retraction):
            old = by_source.get((source, item.source_id))
            if old is not None and old not in gone:
                gone.append(old)
            continue
        old = by_source.get((item.source, item.source_id)) if item.source_id else None
        if old is None and item.source_id is None:
            old = next((by_signal[p] for p in item.signals.items() if p in by_signal), None)
        if old is None:
            new.append(item)
        elif _same(old, item) and (item.enabled or old.disable_until_ts == 0):
            seen.append(old.id)
        else:
            updated.append((old, item))
    if gone:
        uow.emit(EntriesDeleted(bank_id, source, "retracted", tuple(r.id for r in gone)))
        _repo.delete_entries(uow, gone)
    for row, item in updated:
        _update(uow, row, item)
    if updated:
        rows = [(r.id, r.source, r.source_id, i.category, i.tags, i.signals) for r, i in updated]
        ids = tuple(r.id for r, _ in updated)
        uow.emit(EntriesUpdated(bank_id, source, ids, entries_digest(rows)))
    add_entries(uow, bank_id, source, new)
    _repo.touch_entries(uow, seen + [r.id for r, _ in updated], seen_at)
    return ApplyCounts(
        items=len(items),
        added=len(new),
        updated=len(updated),
        removed=len(gone),
        unchanged=len(seen),
        unusable=unusable,
    )


def _existing(
    uow: UnitOfWork, bank_id: int, source: str, items: Sequence[NewEntry | Retraction]
) -> tuple[dict[tuple[str, str], EntryRow], dict[tuple[str, str], EntryRow]]:
    """The bank's entries the items name: by (source, source id), and by (type, value) of
    the signals of items without a source id."""
    wanted: dict[str, list[str]] = {}
    for i in items:
        if i.source_id is not None:
            wanted.setdefault(_source_of(i, source), []).append(i.source_id)
    by_source = {
        (src, sid): row
        for src, ids in wanted.items()
        for sid, row in _repo.entries_by_source(uow, bank_id, src, ids).items()
    }
    keyless = [i for i in items if isinstance(i, NewEntry) and i.source_id is None]
    by_signal = _repo.entries_by_signals(
        uow, bank_id, [pair for i in keyless for pair in i.signals.items()]
    )
    return by_source, by_signal


def sweep(
    uow: UnitOfWork,
    *,
    bank_id: int,
    source: str | None,
    before: datetime,
    action: Literal["delete", "disable"],
    limit: int = 1000,
) -> int:
    """Delete or disable up to ``limit`` of the bank's entries (of ``source``) that were not
    touched since ``before``; return how many. Call until it returns 0."""
    rows = _repo.stale_entries(
        uow, bank_id, before=before, source=source, enabled_only=action == "disable", limit=limit
    )
    if not rows:
        return 0
    ids = tuple(r.id for r in rows)
    if action == "delete":
        uow.emit(EntriesDeleted(bank_id, source or "", "no longer listed", ids))
        _repo.delete_entries(uow, rows)
    else:
        uow.emit(EntriesDisabled(bank_id, "no longer listed", ids))
        for row in rows:
            _repo.set_entry_fields(uow, row, disable_until_ts=0)
    return len(rows)


def _source_of(item: NewEntry | Retraction, source: str) -> str:
    return item.source if isinstance(item, NewEntry) else source
