"""What the vault records in the ledger: typed events, never bytes.

Each event names the item(s) by id and SHA-256, and the actor of every access (API key id
— 0 for the local command line —, name, role) with the reason they gave. The ledger entry's
own time is the "when".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amparo.events import Event

__all__ = [
    "EvidenceExported",
    "EvidenceHoldPlaced",
    "EvidenceHoldReleased",
    "EvidenceListed",
    "EvidencePreserved",
    "EvidencePurged",
    "EvidenceRead",
]


@dataclass(frozen=True)
class EvidencePreserved(Event):
    """An item was sealed into the vault."""

    kind = "evidence.preserve"

    item_id: str
    sha256: str
    size: int
    media_type: str | None
    source: str
    scan_id: str | None
    key_id: str
    retain_until: datetime


@dataclass(frozen=True)
class EvidenceRead(Event):
    """Custody: someone opened an item's plaintext (in memory), and why."""

    kind = "evidence.read"

    item_id: str
    sha256: str
    actor_key_id: int
    actor: str
    role: str
    reason: str


@dataclass(frozen=True)
class EvidenceListed(Event):
    """Custody: someone read the metadata (never the media) of these items."""

    kind = "evidence.list"

    item_ids: tuple[str, ...]
    actor_key_id: int
    actor: str
    role: str


@dataclass(frozen=True)
class EvidenceExported(Event):
    """Custody: items left the vault, encrypted to an age recipient. ``items_sha256`` is
    the SHA-256 of the lines ``<item id> <sha256 of its plaintext>\n`` in ``item_ids``
    order (an auditor recomputes it from the items' ``evidence.preserve`` entries), so a
    1,000-item export stays one entry well under the ledger's record limit."""

    kind = "evidence.export"

    item_ids: tuple[str, ...]
    items_sha256: str
    recipient: str
    archive_sha256: str
    actor_key_id: int
    actor: str
    role: str
    reason: str


@dataclass(frozen=True)
class EvidenceHoldPlaced(Event):
    """A legal hold now blocks an item's deletion."""

    kind = "evidence.hold"

    hold_id: int
    item_id: str
    actor_key_id: int
    actor: str
    role: str
    reason: str


@dataclass(frozen=True)
class EvidenceHoldReleased(Event):
    """A legal hold was released (the item may be purged once its retention ends)."""

    kind = "evidence.release"

    hold_id: int
    item_id: str
    actor_key_id: int
    actor: str
    role: str
    reason: str


@dataclass(frozen=True)
class EvidencePurged(Event):
    """An item's blob and wrapped key were destroyed after its retention ended; its
    metadata stays as a tombstone. ``actor`` is ``purge-job`` for the periodic job."""

    kind = "evidence.purge"

    item_id: str
    sha256: str
    retain_until: datetime
    actor_key_id: int
    actor: str
