"""One sighting's timeline: seen, recorded, every notice and answer, every check, the
removal and re-uploads — each with its ledger entries (for case packages and auditors)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from amparo import ledger
from amparo.accountability import _repo
from amparo.accountability._events import (
    ItemRemoved,
    NoticeAnswered,
    NoticeFailed,
    NoticeSent,
    ReuploadLinked,
    SightingRecorded,
    TakedownChecked,
)
from amparo.accountability._report import LedgerRef
from amparo.accountability._sightings import get_sighting

__all__ = ["TimelineEntry", "sighting_timeline"]

# kind -> the field naming the object an entry is about (besides the sighting)
_OBJECT = {
    SightingRecorded.kind: "sighting_id",
    NoticeSent.kind: "notice_id",
    NoticeAnswered.kind: "notice_id",
    NoticeFailed.kind: "notice_id",
    TakedownChecked.kind: "check_id",
    ItemRemoved.kind: "sighting_id",
    ReuploadLinked.kind: "reupload_id",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a sighting's history, oldest first, with the entries that record it."""

    at: datetime
    event: str
    detail: dict[str, object]
    ledger: tuple[LedgerRef, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "event": self.event,
            "detail": self.detail,
            "ledger_entries": [r.to_dict() for r in self.ledger],
        }


def sighting_timeline(session: Session, sighting_id: int) -> list[TimelineEntry]:
    """The sighting's history (:class:`NotFoundError` if there is no such sighting)."""
    sighting = get_sighting(session, sighting_id)
    refs: dict[tuple[str, int], list[LedgerRef]] = {}
    for entry in ledger.entries_of_kinds(session, list(_OBJECT)):
        data = json.loads(entry.record_text).get("data", {})
        if sighting_id not in (data.get("sighting_id"), data.get("original_sighting_id")):
            continue
        key = (entry.kind.split(".")[1], int(data[_OBJECT[entry.kind]]))
        refs.setdefault(key, []).append(LedgerRef(entry.entry_id, entry.index, entry.kind))

    def cited(*keys: tuple[str, int]) -> tuple[LedgerRef, ...]:
        return tuple(r for k in keys for r in refs.get(k, []))

    out = [
        TimelineEntry(sighting.first_seen_at, "seen", {"url": sighting.url}, ()),
        TimelineEntry(
            sighting.recorded_at,
            "recorded",
            {"evidence_id": sighting.evidence_id, "sha256": sighting.sha256},
            cited(("sighting", sighting_id)),
        ),
    ]
    for n in _repo.notices_of(session, [sighting_id]):
        out.append(
            TimelineEntry(
                n.sent_at,
                "notice" if n.delivered else "notice_failed",
                {
                    "number": n.number,
                    "channel": n.channel,
                    "recipient": n.recipient,
                    "escalated": n.escalated,
                    "answer": n.answer,
                },
                cited(("notice", n.id), ("notice_answer", n.id), ("notice_failed", n.id)),
            )
        )
    for c in _repo.checks_of(session, sighting_id):
        out.append(
            TimelineEntry(
                c.checked_at,
                "check",
                {"outcome": c.outcome, "status": c.status, "sha256": c.sha256},
                cited(("check", c.id)),
            )
        )
    if sighting.removed_at is not None:
        out.append(
            TimelineEntry(
                sighting.removed_at,
                "removed",
                {"removal_kind": sighting.removal_kind},
                cited(("removal", sighting_id)),
            )
        )
    for r in _repo.reuploads_of(session, [sighting_id]):
        out.append(
            TimelineEntry(
                r.seen_at,
                "reupload",
                {
                    "source": r.source,
                    "ref": r.source_ref,
                    "url": r.url,
                    "matched_by": r.matched_by,
                    "delay_seconds": r.delay_seconds,
                },
                cited(("reupload", r.id)),
            )
        )
    return sorted(out, key=lambda e: e.at)
