"""Events of banks and their entries: what the ledger records of every change.

Single changes are one event each; bulk changes (imports, exchange batches) are one event
per committed batch, naming the entries by id range or list and committing to their
content with a digest an auditor can recompute from the entries table
(:func:`entries_digest`).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pydantic_core

from amparo.events import Event

__all__ = [
    "BankCreated",
    "BankDeleted",
    "BankUpdated",
    "EntriesAdded",
    "EntriesDeleted",
    "EntriesDisabled",
    "EntriesUpdated",
    "EntryAdded",
    "EntryAnnotated",
    "EntryDeleted",
    "EntryDisabled",
    "EntryEnabled",
    "entries_digest",
]


@dataclass(frozen=True)
class BankCreated(Event):
    kind = "bank.create"
    version = 2
    changes_catalog = True

    bank_id: int
    name: str
    description: str | None
    pdq_threshold: int
    matching_enabled_ratio: float


@dataclass(frozen=True)
class BankUpdated(Event):
    """The bank after the change (``previous_name`` differs when it was renamed)."""

    kind = "bank.update"
    version = 2
    changes_catalog = True

    bank_id: int
    previous_name: str
    name: str
    description: str | None
    pdq_threshold: int
    matching_enabled_ratio: float


@dataclass(frozen=True)
class BankDeleted(Event):
    kind = "bank.delete"
    version = 2
    changes_catalog = True

    bank_id: int
    name: str
    entries: int


@dataclass(frozen=True)
class EntryAdded(Event):
    kind = "entry.add"
    version = 2
    changes_catalog = True

    entry_id: int
    bank_id: int
    source: str
    source_id: str | None
    category: str | None
    tags: tuple[str, ...]
    signals: Mapping[str, str]
    enabled: bool


@dataclass(frozen=True)
class EntriesAdded(Event):
    """A batch of entries added by an import or an exchange fetch: ids ``first_entry_id``..
    ``last_entry_id`` (``count`` of them), ``digest`` = :func:`entries_digest` of them."""

    kind = "entries.add"
    changes_catalog = True

    bank_id: int
    source: str
    count: int
    first_entry_id: int
    last_entry_id: int
    digest: str


@dataclass(frozen=True)
class EntriesUpdated(Event):
    """Entries of a batch whose signals or description changed in place (same ids);
    ``digest`` = :func:`entries_digest` of their new content."""

    kind = "entries.update"
    changes_catalog = True

    bank_id: int
    source: str
    entry_ids: tuple[int, ...]
    digest: str


@dataclass(frozen=True)
class EntryDisabled(Event):
    """``until_ts`` 0: until enabled again; otherwise until that Unix time."""

    kind = "entry.disable"
    changes_catalog = True

    entry_id: int
    bank_id: int
    until_ts: int


@dataclass(frozen=True)
class EntriesDisabled(Event):
    """Entries disabled in bulk, e.g. by ``bank import --replace`` (no longer listed)."""

    kind = "entries.disable"
    changes_catalog = True

    bank_id: int
    reason: str
    entry_ids: tuple[int, ...]


@dataclass(frozen=True)
class EntryEnabled(Event):
    kind = "entry.enable"
    changes_catalog = True

    entry_id: int
    bank_id: int


@dataclass(frozen=True)
class EntryAnnotated(Event):
    """The entry's description after the change."""

    kind = "entry.annotate"
    changes_catalog = True

    entry_id: int
    bank_id: int
    note: str | None
    category: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class EntryDeleted(Event):
    kind = "entry.delete"
    version = 2
    changes_catalog = True

    entry_id: int
    bank_id: int
    source: str
    source_id: str | None


@dataclass(frozen=True)
class EntriesDeleted(Event):
    """Entries deleted in bulk (retracted by an exchange, or its sweep)."""

    kind = "entries.delete"
    changes_catalog = True

    bank_id: int
    source: str
    reason: str
    entry_ids: tuple[int, ...]


DigestRow = tuple[int, str, str | None, str | None, Sequence[str], Mapping[str, str]]


def entries_digest(entries: Sequence[DigestRow]) -> str:
    """SHA-256 of the entries as one canonical JSON array (compact, UTF-8), in id order:
    ``[[id, source, source_id, category, [tags], {type: value}], ...]`` with each entry's
    signals sorted by type. Recompute it from the entries table to check an ``entries.add``
    or ``entries.update`` record."""
    ordered = entries if all(a[0] < b[0] for a, b in itertools.pairwise(entries)) else None
    rows = [
        (
            entry_id,
            source,
            source_id,
            category,
            tuple(tags),
            signals
            if isinstance(signals, dict) and len(signals) < 2
            else dict(sorted(signals.items())),
        )
        for entry_id, source, source_id, category, tags, signals in (
            ordered if ordered is not None else sorted(entries, key=_first)
        )
    ]
    # The bytes of json.dumps(rows, separators=(",", ":"), ensure_ascii=False), written by
    # pydantic-core in a fifth of the time (a bulk import digests every row; tested alike).
    return hashlib.sha256(pydantic_core.to_json(rows)).hexdigest()


def _first(row: DigestRow) -> int:
    return row[0]
