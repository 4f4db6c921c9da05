"""A scan's record: what was seen and matched, when and by whom. Never media."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amparo.events import Event
from amparo.matching import Match
from amparo.provenance import ProvenanceReport
from amparo.scan._events import EvidenceFact, MatchFact, ScanMatched, ScanProvenance
from amparo.store import utcnow

__all__ = ["ScanRecord", "new_scan_id"]


def new_scan_id() -> str:
    """A new scan id: a random UUID."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class ScanRecord:
    """One scan as stored. ``hashes`` are the signals looked up (type -> hex); ``provenance``
    is the report *with* prompts (they are evidence; only this record keeps them)."""

    scan_id: str
    source: str
    filename: str | None
    hashes: Mapping[str, str]
    pdq_quality: int | None
    matches: tuple[Match, ...]
    provenance: ProvenanceReport | None
    key_id: int | None
    created_at: datetime = field(default_factory=utcnow)

    def events(self) -> Sequence[Event]:
        """The ledger events this scan makes: a match, and an AI-provenance finding."""
        out: list[Event] = []
        if self.matches:
            facts = tuple(
                MatchFact(
                    m.bank,
                    m.entry_id,
                    m.signal_type,
                    m.distance,
                    m.category,
                    m.tags,
                    m.source,
                    m.source_id,
                    m.enabled,
                    m.variant,
                )
                for m in self.matches
            )
            out.append(ScanMatched(self.scan_id, self.source, self.key_id, facts))
        report = self.provenance
        if report is not None and report.verdict != "no_ai_signal":
            evidence = tuple(
                EvidenceFact(
                    e.type,
                    e.source,
                    e.indicates,
                    e.generator,
                    e.model,
                    e.validation,
                    e.problem,
                    e.score,
                )
                for e in report.evidence
            )
            out.append(
                ScanProvenance(self.scan_id, self.source, self.key_id, report.verdict, evidence)
            )
        return out

    def row(self) -> dict[str, Any]:
        """The ``scans`` row."""
        return {
            "id": self.scan_id,
            "created_at": self.created_at,
            "source": self.source,
            "filename": self.filename[:1024] if self.filename else None,
            "md5": self.hashes.get("md5"),
            "sha256": self.hashes.get("sha256"),
            "pdq": self.hashes.get("pdq"),
            "pdq_quality": self.pdq_quality,
            "matches": [m.to_dict() for m in self.matches],
            "provenance": self.provenance.to_dict(include_prompts=True)
            if self.provenance
            else None,
            "key_id": self.key_id,
        }
