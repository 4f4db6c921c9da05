"""Conduct reports: the metrics of one platform and period, each figure with the ledger
entries behind it, so the timeline can be proven entry by entry (``amparo ledger prove``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from amparo import ledger
from amparo.accountability import _repo
from amparo.accountability._events import ItemRemoved, NoticeSent, ReuploadLinked, SightingRecorded
from amparo.accountability._metrics import ConductMetrics, ItemTimeline, conduct_metrics
from amparo.accountability._model import AI_VERDICTS
from amparo.accountability._platforms import get_platform
from amparo.errors import InputError
from amparo.store import utcnow

__all__ = ["FIGURES", "ConductReport", "FigureRow", "LedgerRef", "build_report"]

FIGURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "items": ("Items noticed in the period", ("sighting", "first_notice")),
    "removed": ("Items removed", ("first_notice", "removal")),
    "median_hours_to_removal": ("Median time to removal (hours)", ("first_notice", "removal")),
    "p90_hours_to_removal": (
        "90th percentile time to removal (hours)",
        ("first_notice", "removal"),
    ),
    "removed_within_24h": ("Share removed within 24 hours", ("first_notice", "removal")),
    "removed_within_7d": ("Share removed within 7 days", ("first_notice", "removal")),
    "still_online_after_42d": (
        "Share still online 42 days after the first notice",
        ("first_notice", "removal"),
    ),
    "reupload_rate": ("Share of items re-uploaded", ("sighting", "reupload")),
    "notices_per_item": ("Notices per item", ("notice",)),
    "ai_generated_share": ("Share AI-generated (provenance)", ("sighting",)),
}
"""Figure name -> (label, which entries of its items stand behind it)."""


@dataclass(frozen=True)
class LedgerRef:
    """One ledger entry: its sequence number (``amparo ledger prove SEQ``) and leaf index
    (None until integrated)."""

    seq: int
    index: int | None
    kind: str

    def to_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "index": self.index, "kind": self.kind}


@dataclass(frozen=True)
class FigureRow:
    name: str
    label: str
    value: float | int | None
    items: int
    ledger: tuple[LedgerRef, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "items": self.items,
            "ledger_entries": [r.to_dict() for r in self.ledger],
        }


@dataclass(frozen=True)
class ConductReport:
    """A platform's conduct over a period, as known at ``as_of``."""

    platform: str
    start: datetime
    end: datetime
    as_of: datetime
    metrics: ConductMetrics
    figures: tuple[FigureRow, ...]
    items: tuple[ItemTimeline, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "from": self.start.date().isoformat(),
            "to": (self.end - timedelta(seconds=1)).date().isoformat(),
            "window": {"start": self.start.isoformat(), "end_exclusive": self.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "figures": [f.to_dict() for f in self.figures],
            "items": [
                {
                    "sighting_id": i.sighting_id,
                    "first_notice_at": i.first_notice_at.isoformat(),
                    "removed_at": i.removed_at.isoformat() if i.removed_at else None,
                    "hours_to_removal": i.hours_to_removal(),
                    "notices": i.notices,
                    "reuploads": i.reuploads,
                    "ai_generated": i.ai_generated,
                }
                for i in self.items
            ],
        }


_KINDS = {
    SightingRecorded.kind: "sighting",
    NoticeSent.kind: "notice",
    ItemRemoved.kind: "removal",
    ReuploadLinked.kind: "reupload",
}


def _refs(session: Session, ids: set[int]) -> Mapping[int, Mapping[str, list[LedgerRef]]]:
    """Per sighting id, its entries by role: sighting, notice, first_notice, removal,
    reupload."""
    found: dict[int, dict[str, list[LedgerRef]]] = defaultdict(lambda: defaultdict(list))
    for entry in ledger.entries_of_kinds(session, list(_KINDS)):
        data = json.loads(entry.record_text).get("data", {})
        role = _KINDS[entry.kind]
        sid = data.get("original_sighting_id" if role == "reupload" else "sighting_id")
        if sid not in ids:
            continue
        ref = LedgerRef(entry.entry_id, entry.index, entry.kind)
        roles = found[sid]
        roles[role].append(ref)
        if role == "notice" and not data.get("escalated") and not roles["first_notice"]:
            roles["first_notice"].append(ref)
    return found


def build_report(
    session: Session,
    platform: str,
    start: datetime,
    end: datetime,
    *,
    as_of: datetime | None = None,
) -> ConductReport:
    """The conduct report of ``platform`` for items first noticed in ``[start, end)``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError("report dates need a time zone", hint="give dates as 2026-01-31")
    if end <= start:
        raise InputError(
            f"the period ends ({end.date()}) before it starts ({start.date()})",
            hint="give --from before --to",
        )
    target = get_platform(session, platform)
    as_of = as_of or utcnow()
    rows = _repo.sighting_rows(session, platform_id=target.id, noticed_from=start, noticed_to=end)
    ids = [r.id for r in rows]
    notices: dict[int, int] = defaultdict(int)
    for n in _repo.notices_of(session, ids):
        if n.delivered and not n.escalated and n.sent_at <= as_of:
            notices[n.sighting_id] += 1
    reuploads: dict[int, int] = defaultdict(int)
    for r in _repo.reuploads_of(session, ids):
        if r.seen_at <= as_of:
            reuploads[r.original_id] += 1
    items = tuple(
        ItemTimeline(
            r.id,
            r.first_notice_at,
            r.removed_at if r.removed_at and r.removed_at <= as_of else None,
            notices[r.id],
            reuploads[r.id],
            r.ai_verdict in AI_VERDICTS,
        )
        for r in rows
        if r.first_notice_at is not None
    )
    metrics = conduct_metrics(items, as_of)
    refs = _refs(session, set(ids))
    values = metrics.figures()
    figures = []
    for name, (label, roles) in FIGURES.items():
        behind = metrics.basis[name]
        cited = sorted(
            {ref for sid in behind for role in roles for ref in refs.get(sid, {}).get(role, [])},
            key=lambda r: r.seq,
        )
        figures.append(FigureRow(name, label, values[name], len(behind), tuple(cited)))
    return ConductReport(target.name, start, end, as_of, metrics, tuple(figures), items)
