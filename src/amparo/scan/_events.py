"""Events of scans: a match, AI-provenance findings, the policy's decision. Never media,
never prompts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from amparo.events import Event, Fact

__all__ = [
    "ActionFact",
    "EvidenceFact",
    "MatchFact",
    "ScanDecided",
    "ScanMatched",
    "ScanProvenance",
]


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


@dataclass(frozen=True)
class ActionFact(Fact):
    """One action of a decision: its kind and parameters (queue, days, report kind...)."""

    kind: str
    params: Mapping[str, str | int]


@dataclass(frozen=True)
class ScanDecided(Event):
    """The active policy decided this for a scan: rule ``rule`` (at ``line`` of policy
    ``policy_version``, whose text has ``policy_sha256``; version None is the built-in
    policy) fired because of ``reason``, and these are the ``actions``.

    Recorded with every scan the ledger records otherwise (a match, an AI signal) and with
    every decision that does more than allow; a clean scan that is simply allowed is only
    counted, like before policies.
    """

    kind = "scan.decide"

    scan_id: str
    source: str
    key_id: int | None
    rule: str
    line: int
    reason: str
    actions: tuple[ActionFact, ...]
    policy_name: str
    policy_version: int | None
    policy_sha256: str
