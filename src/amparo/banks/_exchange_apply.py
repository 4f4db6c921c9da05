"""Applying converted exchange records to a bank, a chunk at a time.

For each record: a new one is added; a changed one (signals, category, tags or metadata) is
deleted and added again, keeping the curator's note and enabled state; an unchanged one is
left alone (or only has ``updated_at`` touched during a full fetch, which is how the final
sweep knows it was seen); one without signals is deleted if present. Work happens in chunks
of :data:`CHUNK` records, and loaded rows are dropped from the session after each chunk, so
memory stays bounded whatever the size of a delta.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from amparo.banks._exchange_convert import ExchangeItem
from amparo.banks._model import NewEntry
from amparo.banks._repo import add_entries, delete_source_entries
from amparo.store import EntryRow, utcnow

__all__ = ["CHUNK", "FetchCounts", "apply_items"]

CHUNK = 1000


@dataclass(frozen=True)
class FetchCounts:
    """What a fetch (or one batch of it) did. ``unusable``: records Amparo cannot match."""

    items: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    unusable: int = 0

    def __add__(self, other: FetchCounts) -> FetchCounts:
        return FetchCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _chunks(items: Iterable[ExchangeItem]) -> Iterator[list[ExchangeItem]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, CHUNK)):
        yield chunk


def _same(row: EntryRow, item: ExchangeItem) -> bool:
    return (
        {s.signal_type: s.value for s in row.signals} == dict(item.signals)
        and row.category == item.category
        and tuple(row.tags or ()) == item.tags
        and (row.meta or None) == (dict(item.metadata) if item.metadata else None)
    )


def _new_entry(item: ExchangeItem, source: str, old: EntryRow | None) -> NewEntry:
    return NewEntry(
        signals=dict(item.signals),
        source=source,
        source_id=item.source_id,
        category=item.category,
        tags=item.tags,
        note=old.note if old is not None else None,
        metadata=dict(item.metadata) if item.metadata else None,
        enabled=old is None or old.disable_until_ts == 1,
    )


def apply_items(
    session: Session,
    *,
    bank_id: int,
    bank_name: str,
    source: str,
    items: Iterable[ExchangeItem],
    touch: bool,
) -> FetchCounts:
    """Bring the bank's entries of ``source`` in line with ``items`` (one transaction)."""
    total = FetchCounts()
    for chunk in _chunks(items):
        total += _apply_chunk(session, bank_id, bank_name, source, chunk, touch)
    return total


def _apply_chunk(
    session: Session,
    bank_id: int,
    bank_name: str,
    source: str,
    chunk: list[ExchangeItem],
    touch: bool,
) -> FetchCounts:
    existing = {
        row.source_id: row
        for row in session.scalars(
            select(EntryRow)
            .options(selectinload(EntryRow.signals))
            .where(
                EntryRow.bank_id == bank_id,
                EntryRow.source == source,
                EntryRow.source_id.in_([i.source_id for i in chunk]),
            )
        )
    }
    gone: list[str] = []
    new: list[NewEntry] = []
    seen: list[int] = []
    timed: list[tuple[str, int]] = []
    added = updated = removed = unchanged = unusable = 0
    for item in chunk:
        old = existing.get(item.source_id)
        if not item.signals:
            unusable += item.unusable
            if old is not None:
                gone.append(item.source_id)
                removed += 1
        elif old is None:
            new.append(_new_entry(item, source, None))
            added += 1
        elif _same(old, item):
            seen.append(old.id)
            unchanged += 1
        else:
            gone.append(item.source_id)
            new.append(_new_entry(item, source, old))
            if old.disable_until_ts not in (0, 1):
                timed.append((item.source_id, old.disable_until_ts))
            updated += 1
    delete_source_entries(session, bank_id, source, gone)
    add_entries(session, bank_name, new)
    for source_id, until in timed:
        session.execute(
            update(EntryRow)
            .where(
                EntryRow.bank_id == bank_id,
                EntryRow.source == source,
                EntryRow.source_id == source_id,
            )
            .values(disable_until_ts=until)
        )
    if touch and seen:
        session.execute(update(EntryRow).where(EntryRow.id.in_(seen)).values(updated_at=utcnow()))
    for row in existing.values():
        if row in session:
            session.expunge(row)
    return FetchCounts(len(chunk), added, updated, removed, unchanged, unusable)
