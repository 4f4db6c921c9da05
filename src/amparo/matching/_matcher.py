"""Lookups: hashes in, matches out, from memory only (indexes plus the catalog)."""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Mapping, Sequence

from amparo.errors import InvalidSignalError
from amparo.matching._catalog import BankInfo, Catalog, EntryInfo
from amparo.matching.base import Match, Query, SignalIndex

__all__ = ["Matcher", "is_enabled", "merge_matches"]

DEFAULT_THRESHOLD = 31


def is_enabled(disable_until_ts: int, now: float | None = None) -> bool:
    """HMA's rule: 1 enabled, 0 disabled, any other value disabled until that Unix time."""
    if disable_until_ts == 1:
        return True
    if disable_until_ts == 0:
        return False
    return disable_until_ts <= (time.time() if now is None else now)


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
    """Answers lookups from the indexes (one per signal type) and the catalog.

    Never touches a database: the runtime keeps both current from the change feed.
    """

    def __init__(self, indexes: Mapping[str, SignalIndex], catalog: Catalog) -> None:
        self.indexes = indexes
        self.catalog = catalog

    def lookup(
        self,
        queries: Sequence[Query],
        *,
        only_enabled: bool = True,
        banks: Collection[str] | None = None,
        radius: int | None = None,
        respect_bank_thresholds: bool = True,
        rng: random.Random | None = None,
        now: float | None = None,
    ) -> list[list[Match]]:
        """Matches for each query, closest first.

        ``only_enabled`` leaves out disabled entries and applies each bank's enabled ratio
        (a bank takes part if its ratio >= one random draw from ``rng`` per call; 1 always,
        0 never). ``radius`` overrides the radius of distance-based types (default: the
        largest bank threshold). Raises :class:`InvalidSignalError` for a signal type
        without an index.
        """
        all_banks = self.catalog.banks
        if radius is None:
            radius = max((b.pdq_threshold for b in all_banks.values()), default=DEFAULT_THRESHOLD)
        hits: list[dict[int, int]] = [{} for _ in queries]
        by_type: dict[str, list[int]] = {}
        for i, q in enumerate(queries):
            by_type.setdefault(q.signal_type, []).append(i)
        for signal_type, positions in by_type.items():
            index = self.indexes.get(signal_type)
            if index is None:
                raise InvalidSignalError(
                    f"no index for signal type {signal_type!r}",
                    hint=f"known types: {', '.join(self.indexes)}",
                )
            found = index.query_many([queries[i].value for i in positions], radius)
            for i, pairs in zip(positions, found, strict=True):
                for signal_id, distance in pairs:
                    prev = hits[i].get(signal_id)
                    hits[i][signal_id] = distance if prev is None else min(prev, distance)
        draw = (rng or random).random()
        clock = time.time() if now is None else now
        out: list[list[Match]] = []
        for q, query_hits in zip(queries, hits, strict=True):
            distance_based = self.indexes[q.signal_type].distance_based
            matches = []
            for signal_id, distance in query_hits.items():
                entry = self.catalog.entry_of(signal_id)
                bank = all_banks.get(entry.bank_id) if entry is not None else None
                if entry is None or bank is None:
                    continue  # deleted since the index saw it
                enabled = is_enabled(entry.disable_until_ts, clock)
                if banks is not None and bank.name not in banks:
                    continue
                if distance_based and respect_bank_thresholds and distance > bank.pdq_threshold:
                    continue
                if only_enabled and not _takes_part(enabled, bank, draw):
                    continue
                matches.append(_match(entry, bank, signal_id, q, distance, enabled))
            out.append(sorted(matches, key=lambda m: (m.distance, m.bank, m.entry_id)))
        return out


def _takes_part(enabled: bool, bank: BankInfo, draw: float) -> bool:
    ratio = bank.matching_enabled_ratio
    return enabled and ratio > 0 and (ratio >= 1 or ratio >= draw)


def _match(
    entry: EntryInfo, bank: BankInfo, signal_id: int, q: Query, distance: int, enabled: bool
) -> Match:
    return Match(
        bank=bank.name,
        entry_id=entry.entry_id,
        signal_id=signal_id,
        signal_type=q.signal_type,
        distance=distance,
        category=entry.category,
        tags=entry.tags,
        source=entry.source,
        source_id=entry.source_id,
        enabled=enabled,
        variant=q.variant,
    )
