"""Events of scans: a match, and AI-provenance findings. Never media, never prompts."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event, Fact

__all__ = ["EvidenceFact", "MatchFact", "ScanMatched", "ScanProvenance"]


@dataclass(frozen=True)
class MatchFact(Fact):
    """One bank entry a scan matched."""

    bank: str
    entry_id: int
    signal_type: str
    distance: int
    category: str | None
    tags: tuple[str, ...]
    source: str
    source_id: str | None
    enabled: bool
    variant: str | None


@dataclass(frozen=True)
class ScanMatched(Event):
    """A scan (``source``: upload, url, cli, hash...) matched these entries."""

    kind = "scan.match"
    version = 2

    scan_id: str
    source: str
    key_id: int | None
    matches: tuple[MatchFact, ...]


@dataclass(frozen=True)
class EvidenceFact(Fact):
    """What the ledger keeps of one provenance evidence item: enough to prove the finding,
    never a prompt."""

    type: str
    source: str
    indicates: str
    generator: str | None
    model: str | None
    validation: str | None
    problem: str | None
    score: float | None


@dataclass(frozen=True)
class ScanProvenance(Event):
    """A scan found an AI signal (any verdict but ``no_ai_signal``)."""

    kind = "scan.provenance"
    version = 2

    scan_id: str
    source: str
    key_id: int | None
    verdict: str
    evidence: tuple[EvidenceFact, ...]
