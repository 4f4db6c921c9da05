"""Events of review: an item queued, claimed, its media revealed, decided."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["ReviewClaimed", "ReviewDecided", "ReviewEnqueued", "ReviewRevealed"]


@dataclass(frozen=True)
class ReviewEnqueued(Event):
    kind = "review.enqueue"

    item_id: int
    scan_id: str
    queue: str
    priority: int
    sla_seconds: int
    rule: str
    evidence_id: str | None


@dataclass(frozen=True)
class ReviewClaimed(Event):
    """``actor`` holds the item until ``until`` (ISO 8601, UTC)."""

    kind = "review.claim"

    item_id: int
    actor: str
    until: str


@dataclass(frozen=True)
class ReviewRevealed(Event):
    """``actor`` saw the item's media unblurred: the ``reveals``-th time in their shift."""

    kind = "review.reveal"

    item_id: int
    evidence_id: str
    actor: str
    reveals: int


@dataclass(frozen=True)
class ReviewDecided(Event):
    """A decision and what it did: ``action`` (``disable_entry``, ``allow_list`` or none),
    the entry it disabled or added, what became of the exchange feedback, and the item an
    escalation created."""

    kind = "review.decide"

    item_id: int
    scan_id: str
    actor: str
    decision: str
    category: str | None
    generative_ai: bool
    action: str | None
    bank: str | None
    entry_id: int | None
    feedback: str | None
    escalated_to: int | None
    note: str | None
