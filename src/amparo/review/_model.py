"""Review values: items, queues, verdicts, the media seam, and review's own errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from amparo.auth import Principal
from amparo.errors import ConflictError, InputError, PermissionDeniedError
from amparo.store import UnitOfWork

__all__ = [
    "CONFIRMED_CATEGORIES",
    "DECISIONS",
    "FP_ACTIONS",
    "AlreadyDecidedError",
    "ClaimConflictError",
    "ExposureCapError",
    "ExposurePolicy",
    "MediaSource",
    "QueueSummary",
    "ReviewItem",
    "Verdict",
    "check_queue",
]

DECISIONS: tuple[str, ...] = ("confirmed", "false_positive", "escalate")
CONFIRMED_CATEGORIES: tuple[str, ...] = ("A1", "A2", "B1", "B2")
"""NCMEC's industry categories: A (prepubescent) or B (pubescent), 1 (sex act) or 2 (lascivious
exhibition)."""
FP_ACTIONS: tuple[str, ...] = ("disable_entry", "allow_list")
MAX_QUEUE = 64
MAX_RULE = 255
MAX_NOTE = 1000


class ClaimConflictError(ConflictError):
    """Someone else holds a live claim on the item (HTTP 409)."""

    code = "claimed"


class AlreadyDecidedError(ConflictError):
    """The item was decided already (HTTP 409)."""

    code = "already_decided"


class ExposureCapError(PermissionDeniedError):
    """The reviewer has revealed as many items as a shift allows (HTTP 403)."""

    code = "exposure_cap"


class MediaSource(Protocol):
    """Where review reads an item's media: the evidence vault, and nothing else.

    ``read`` returns the plaintext bytes of ``evidence_id`` for ``principal``, who must
    give ``reason`` (the vault records both in its custody ledger) — or raises an
    :class:`amparo.errors.AmparoError` (not found, not allowed). Review never stores them
    and never sends them to a browser as they are: it renders previews.
    """

    def read(
        self, uow: UnitOfWork, evidence_id: str, *, principal: Principal, reason: str
    ) -> bytes:
        """The media's bytes (see the class docstring)."""
        ...


@dataclass(frozen=True)
class ExposurePolicy:
    """How many unblurred views one person may open in a shift (rolling window)."""

    max_reveals: int = 30
    shift_hours: float = 8.0


@dataclass(frozen=True)
class ReviewItem:
    """One scan waiting for (or given) a person's decision."""

    id: int
    scan_id: str
    queue: str
    priority: int
    sla_seconds: int
    due_at: datetime
    rule: str
    evidence_id: str | None
    status: str
    claimed_by: str | None
    claimed_until: datetime | None
    decision: str | None
    outcome: Mapping[str, Any] | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime

    def claim_live(self, now: datetime) -> bool:
        """Whether someone holds the item at ``now``."""
        return self.claimed_until is not None and self.claimed_until > now

    def held_by(self, principal: Principal, now: datetime) -> bool:
        return self.claim_live(now) and self.claimed_by == principal.actor

    def to_dict(self, now: datetime) -> dict[str, Any]:
        live = self.status == "open" and self.claim_live(now)
        return {
            "id": self.id,
            "scan_id": self.scan_id,
            "queue": self.queue,
            "priority": self.priority,
            "sla_seconds": self.sla_seconds,
            "due_at": self.due_at.isoformat(),
            "overdue": self.status == "open" and self.due_at < now,
            "rule": self.rule,
            "evidence_id": self.evidence_id,
            "status": self.status,
            "claimed_by": self.claimed_by if live else None,
            "claimed_until": self.claimed_until.isoformat()
            if live and self.claimed_until
            else None,
            "decision": self.decision,
            "outcome": dict(self.outcome) if self.outcome is not None else None,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class QueueSummary:
    """A queue's open work: items, how many are claimed and overdue, the next deadline."""

    queue: str
    open: int
    claimed: int
    overdue: int
    next_due_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "open": self.open,
            "claimed": self.claimed,
            "overdue": self.overdue,
            "next_due_at": self.next_due_at.isoformat() if self.next_due_at else None,
        }


@dataclass(frozen=True)
class Verdict:
    """What a reviewer decided (checked by :meth:`checked`).

    * ``confirmed``: ``category`` is an NCMEC industry category (A1, A2, B1, B2);
      ``generative_ai`` says the media is AI-generated.
    * ``false_positive``: ``action`` is ``disable_entry`` (the matched bank entry, or the
      one named by ``bank`` and ``entry_id``, among the scan's matches) or ``allow_list``
      (the scan's hashes go to the local allow-list bank).
    * ``escalate``: the item goes to the ``escalated`` queue as a new item.
    """

    decision: Literal["confirmed", "false_positive", "escalate"]
    category: str | None = None
    generative_ai: bool = False
    action: Literal["disable_entry", "allow_list"] | None = None
    bank: str | None = None
    entry_id: int | None = None
    note: str | None = None

    def checked(self) -> Verdict:
        """This verdict if it is complete and consistent, else :class:`InputError`."""
        if self.decision not in DECISIONS:
            raise InputError(
                f"unknown decision {str(self.decision)[:40]!r}",
                hint=f"one of: {', '.join(DECISIONS)}",
            )
        if self.note is not None and len(self.note) > MAX_NOTE:
            raise InputError(f"a note has at most {MAX_NOTE} characters", hint="shorten it")
        if self.decision == "confirmed":
            if self.category not in CONFIRMED_CATEGORIES:
                raise InputError(
                    "a confirmed item needs an NCMEC industry category",
                    hint="category: one of A1, A2, B1, B2",
                )
        elif self.category is not None or self.generative_ai:
            raise InputError(
                "category and generative_ai go only with the decision 'confirmed'",
                hint="leave them out",
            )
        if self.decision == "false_positive":
            if self.action not in FP_ACTIONS:
                raise InputError(
                    "a false positive needs an action",
                    hint="action: disable_entry (the matched bank entry) or allow_list",
                )
            if (self.bank is None) != (self.entry_id is None):
                raise InputError("give both bank and entry_id, or neither")
            if self.action == "allow_list" and self.bank is not None:
                raise InputError("bank and entry_id go only with the action disable_entry")
        elif self.action is not None or self.bank is not None or self.entry_id is not None:
            raise InputError(
                "action, bank and entry_id go only with the decision 'false_positive'",
                hint="leave them out",
            )
        return self


def check_queue(queue: str) -> str:
    """Queue names: 1-64 characters of a-z, 0-9, '_', '-', '.'."""
    if (
        not isinstance(queue, str)
        or not 0 < len(queue) <= MAX_QUEUE
        or not all(c.isascii() and (c.isalnum() or c in "_-.") for c in queue)
        or queue != queue.lower()
    ):
        raise InputError(
            f"invalid queue name {str(queue)[:80]!r}",
            hint="use 1-64 lower-case letters, digits, '_', '-' or '.', e.g. csam_high",
        )
    return queue
