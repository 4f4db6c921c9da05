"""Lookups: hashes in, matches out (exact for MD5/SHA-256, within a radius for PDQ)."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from amparo.banks import Bank, Entry, entries_for_signals, find_exact, list_banks
from amparo.scan._follower import IndexFollower

__all__ = ["Match", "Matcher", "Query", "merge_matches"]


@dataclass(frozen=True)
class Query:
    """One hash to look up. ``variant`` names the dihedral transform a PDQ came from."""

    signal_type: str
    value: str
    variant: str | None = None


@dataclass(frozen=True)
class Match:
    bank: str
    entry_id: int
    signal_id: int
    signal_type: str
    distance: int
    category: str | None
    tags: tuple[str, ...]
    source: str
    source_id: str | None
    enabled: bool
    variant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "entry_id": self.entry_id,
            "signal_type": self.signal_type,
            "distance": self.distance,
            "category": self.category,
            "tags": list(self.tags),
            "source": self.source,
            "source_id": self.source_id,
            "enabled": self.enabled,
            "variant": self.variant,
        }


def merge_matches(groups: Sequence[Sequence[Match]]) -> list[Match]:
    """One match per (bank entry, signal type), the closest, ordered by distance."""
    best: dict[tuple[int, str], Match] = {}
    for group in groups:
        for m in group:
            key = (m.entry_id, m.signal_type)
            if key not in best or m.distance < best[key].distance:
                best[key] = m
    return sorted(best.values(), key=lambda m: (m.distance, m.bank, m.entry_id))


class Matcher:
    """Answers lookups from the in-memory PDQ index and exact lookups from the database."""

    def __init__(self, sessions: sessionmaker[Session], *, refresh_seconds: float) -> None:
        self.pdq = IndexFollower(sessions)
        self._refresh_seconds = refresh_seconds
        self._changed = True

    def notify_changed(self) -> None:
        """Called after this process committed signal changes: the next lookup syncs first."""
        self._changed = True

    def refresh(self) -> None:
        if self._changed:
            self._changed = False
            self.pdq.sync()
        else:
            self.pdq.sync_if_older(self._refresh_seconds)

    def lookup(
        self,
        session: Session,
        queries: Sequence[Query],
        *,
        only_enabled: bool = True,
        banks: Collection[str] | None = None,
        radius: int | None = None,
        respect_bank_thresholds: bool = True,
        rng: random.Random | None = None,
    ) -> list[list[Match]]:
        """Matches for each query, closest first.

        ``only_enabled`` leaves out disabled entries and applies each bank's enabled ratio (a
        bank takes part if its ratio >= a random draw from ``rng``; 1 always, 0 never).
        ``radius`` overrides the PDQ radius (default: the largest bank threshold).
        """
        self.refresh()
        all_banks = {b.name: b for b in list_banks(session)}
        if radius is None:
            radius = max((b.pdq_threshold for b in all_banks.values()), default=31)
        hits: list[dict[int, int]] = [{} for _ in queries]
        pdq_positions = [i for i, q in enumerate(queries) if q.signal_type == "pdq"]
        if pdq_positions:
            results = self.pdq.index.query_many([queries[i].value for i in pdq_positions], radius)
            for i, found in zip(pdq_positions, results, strict=True):
                for signal_id, distance in found:
                    prev = hits[i].get(signal_id)
                    hits[i][signal_id] = distance if prev is None else min(prev, distance)
        by_type: dict[str, list[int]] = {}
        for i, q in enumerate(queries):
            if q.signal_type != "pdq":
                by_type.setdefault(q.signal_type, []).append(i)
        for signal_type, positions in by_type.items():
            found_exact = find_exact(session, signal_type, [queries[i].value for i in positions])
            for i in positions:
                for signal_id in found_exact.get(queries[i].value, []):
                    hits[i][signal_id] = 0
        resolved = entries_for_signals(session, {sid for h in hits for sid in h})
        draw = (rng or random).random()
        out: list[list[Match]] = []
        for q, query_hits in zip(queries, hits, strict=True):
            matches = []
            for signal_id, distance in query_hits.items():
                if signal_id not in resolved:
                    continue  # deleted since the index saw it
                entry, bank = resolved[signal_id]
                if not _keep(
                    entry, bank, distance, q, banks, only_enabled, draw, respect_bank_thresholds
                ):
                    continue
                matches.append(_match(entry, bank, signal_id, q, distance))
            out.append(sorted(matches, key=lambda m: (m.distance, m.bank, m.entry_id)))
        return out


def _keep(
    entry: Entry,
    bank: Bank,
    distance: int,
    q: Query,
    banks: Collection[str] | None,
    only_enabled: bool,
    draw: float,
    respect_bank_thresholds: bool,
) -> bool:
    if banks is not None and bank.name not in banks:
        return False
    if q.signal_type == "pdq" and respect_bank_thresholds and distance > bank.pdq_threshold:
        return False
    if only_enabled:
        if not entry.enabled:
            return False
        ratio = bank.matching_enabled_ratio
        if ratio <= 0 or (ratio < 1 and ratio < draw):
            return False
    return True


def _match(entry: Entry, bank: Bank, signal_id: int, q: Query, distance: int) -> Match:
    return Match(
        bank=bank.name,
        entry_id=entry.id,
        signal_id=signal_id,
        signal_type=q.signal_type,
        distance=distance,
        category=entry.category,
        tags=entry.tags,
        source=entry.source,
        source_id=entry.source_id,
        enabled=entry.enabled,
        variant=q.variant,
    )
