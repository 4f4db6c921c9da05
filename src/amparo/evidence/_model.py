"""The vault's values: an item's metadata and a legal hold (never plaintext)."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "EvidenceItem",
    "Hold",
    "new_item_id",
]

DEFAULT_RETENTION_DAYS = 365
"""One year: what 18 U.S.C. 2258A(h) requires a provider to preserve a report's contents."""


def new_item_id() -> str:
    """A new item id: a UUIDv7 (time-ordered, so ids sort by creation)."""
    ms = time.time_ns() // 1_000_000
    rand = secrets.randbits(74)
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62
    return str(uuid.UUID(int=value | (rand & (2**62 - 1))))


@dataclass(frozen=True)
class Hold:
    """A legal hold on an item: who placed it, why, when; and its release, if any."""

    hold_id: int
    item_id: str
    placed_by: str
    placed_at: datetime
    reason: str
    released_by: str | None = None
    released_at: datetime | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hold_id": self.hold_id,
            "item_id": self.item_id,
            "placed_by": self.placed_by,
            "placed_at": self.placed_at.isoformat(),
            "reason": self.reason,
            "active": self.active,
            "released_by": self.released_by,
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "release_reason": self.release_reason,
        }


@dataclass(frozen=True)
class EvidenceItem:
    """An item's metadata: what was preserved (digest, size, type), from where, under which
    key, until when, and its holds. ``purged_at`` is set once retention ended and the blob
    and wrapped key were destroyed (the metadata stays as a tombstone)."""

    item_id: str
    sha256: str
    size: int
    media_type: str | None
    source: str
    scan_id: str | None
    key_id: str
    created_at: datetime
    retain_until: datetime
    legal_hold: bool
    purged_at: datetime | None = None
    holds: tuple[Hold, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``GET /v1/evidence/{id}`` (metadata only)."""
        return {
            "item_id": self.item_id,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "source": self.source,
            "scan_id": self.scan_id,
            "key_id": self.key_id,
            "created_at": self.created_at.isoformat(),
            "retain_until": self.retain_until.isoformat(),
            "legal_hold": self.legal_hold,
            "purged_at": self.purged_at.isoformat() if self.purged_at else None,
            "holds": [h.to_dict() for h in self.holds],
        }
