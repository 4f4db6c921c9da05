"""A scan: media in; signals, matches, provenance and a scan record out.

Each scan is recorded (``scans`` table and, when it matched, the ledger) in one transaction.
Media bytes are never stored.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from amparo import ledger
from amparo.auth import Principal
from amparo.provenance import ProvenanceReport, analyze
from amparo.scan._match import Match, Query, merge_matches
from amparo.signals import Signals, hash_media
from amparo.store import ScanRow

if TYPE_CHECKING:  # runtime imports this package: avoid the import cycle
    from amparo.runtime import Amparo

__all__ = ["ScanResult", "match_hashes", "queries_for", "scan_media"]


@dataclass(frozen=True)
class ScanResult:
    scan_id: str
    signals: Signals
    matches: tuple[Match, ...]
    low_quality: bool
    provenance: ProvenanceReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API/CLI form. Prompts found in the file are left out (the scan record has them)."""
        return {
            "scan_id": self.scan_id,
            "signals": self.signals.to_dict(),
            "pdq_low_quality": self.low_quality,
            "matched": bool(self.matches),
            "matches": [m.to_dict() for m in self.matches],
            "provenance": self.provenance.to_dict() if self.provenance else None,
        }


def queries_for(
    signals: Signals, *, dihedral: bool, include_low_quality: bool, quality_threshold: int
) -> list[Query]:
    """The lookups a scan makes: MD5, SHA-256 and (unless low quality) PDQ and its variants."""
    queries = [Query("md5", signals.md5), Query("sha256", signals.sha256)]
    pdq = signals.pdq
    if pdq is not None and (include_low_quality or pdq.quality >= quality_threshold):
        queries.append(Query("pdq", pdq.hex))
        if dihedral and signals.pdq_dihedral:
            queries.extend(
                Query("pdq", value, variant=name)
                for name, value in signals.pdq_dihedral.items()
                if value != pdq.hex
            )
    return queries


def _record(
    session: Session,
    *,
    source: str,
    filename: str | None,
    signals: Signals | None,
    matches: Sequence[Match],
    principal: Principal | None,
    hashes: dict[str, str] | None = None,
    report: ProvenanceReport | None = None,
) -> str:
    scan_id = str(uuid.uuid4())
    pdq = signals.pdq if signals else None
    row = ScanRow(
        id=scan_id,
        source=source,
        filename=filename,
        md5=signals.md5 if signals else (hashes or {}).get("md5"),
        sha256=signals.sha256 if signals else (hashes or {}).get("sha256"),
        pdq=pdq.hex if pdq else (hashes or {}).get("pdq"),
        pdq_quality=pdq.quality if pdq else None,
        matches=[m.to_dict() for m in matches],
        provenance=report.to_dict(include_prompts=True) if report else None,
        key_id=principal.key_id if principal else None,
    )
    session.add(row)
    ledger.note_scan(session)
    if matches:
        ledger.record(
            session,
            "scan.match",
            {
                "scan_id": scan_id,
                "source": source,
                "key_id": row.key_id,
                "matches": [m.to_dict() for m in matches],
            },
        )
    if report is not None and report.verdict != "no_ai_signal":
        ledger.record(
            session,
            "scan.provenance",
            {
                "scan_id": scan_id,
                "source": source,
                "key_id": row.key_id,
                "verdict": report.verdict,
                "evidence": [
                    {k: v for k, v in e.to_dict().items() if k in _LEDGER_EVIDENCE_KEYS}
                    for e in report.evidence
                ],
            },
        )
    return scan_id


# What of each evidence item the ledger keeps: enough to prove the finding, never a prompt.
_LEDGER_EVIDENCE_KEYS = frozenset(
    {"type", "source", "indicates", "generator", "model", "validation", "problem", "score"}
)


def scan_media(
    amparo: Amparo,
    data: bytes,
    *,
    filename: str | None = None,
    source: str = "upload",
    dihedral: bool = False,
    include_low_quality: bool = False,
    with_provenance: bool = True,
    principal: Principal | None = None,
) -> ScanResult:
    """Hash ``data``, match it against every bank, read its AI provenance, record the scan."""
    settings = amparo.settings
    signals = hash_media(data, settings.media, dihedral=dihedral)
    report = analyze(data, options=amparo.provenance_options) if with_provenance else None
    threshold = settings.pdq_quality_threshold
    queries = queries_for(
        signals,
        dihedral=dihedral,
        include_low_quality=include_low_quality,
        quality_threshold=threshold,
    )
    with amparo.session() as session:
        matches = merge_matches(amparo.matcher.lookup(session, queries))
        scan_id = _record(
            session,
            source=source,
            filename=filename,
            signals=signals,
            matches=matches,
            principal=principal,
            report=report,
        )
    low = signals.pdq is not None and signals.pdq.quality < threshold
    return ScanResult(
        scan_id=scan_id,
        signals=signals,
        matches=tuple(matches),
        low_quality=low,
        provenance=report,
    )


def match_hashes(
    amparo: Amparo,
    queries: Sequence[Query],
    *,
    principal: Principal | None = None,
    record: bool = True,
    only_enabled: bool = True,
    banks: Collection[str] | None = None,
    rng: random.Random | None = None,
) -> list[list[Match]]:
    """Look up hashes (no media). Matched lookups are recorded as scans and in the ledger.

    ``rng`` draws the bank enabled-ratio coin flip (see :meth:`Matcher.lookup`).
    """
    with amparo.session() as session:
        results = amparo.matcher.lookup(
            session, queries, only_enabled=only_enabled, banks=banks, rng=rng
        )
        if record:
            for q, matches in zip(queries, results, strict=True):
                if matches:
                    _record(
                        session,
                        source="hash",
                        filename=None,
                        signals=None,
                        matches=matches,
                        principal=principal,
                        hashes={q.signal_type: q.value},
                    )
                else:
                    ledger.note_scan(session)
    return results
