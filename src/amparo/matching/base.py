"""The interface every index implements, and the values lookups use and return."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Match", "Query", "SignalIndex"]


class SignalIndex(Protocol):
    """(signal id, value) pairs of one signal type, searchable in memory. Thread-safe.

    ``distance_based`` indexes (PDQ) answer every id within a Hamming radius; the others
    (digests) answer exact equality at distance 0 and ignore the radius.
    """

    @property
    def distance_based(self) -> bool: ...

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None: ...

    def remove(self, ids: Iterable[int]) -> None: ...

    def query_many(self, values: Sequence[str], radius: int) -> list[list[tuple[int, int]]]: ...

    def __len__(self) -> int: ...

    def save(self, path: Path) -> None: ...


@dataclass(frozen=True)
class Query:
    """One hash to look up (normalised). ``variant`` names the dihedral transform a PDQ
    came from."""

    signal_type: str
    value: str
    variant: str | None = None


@dataclass(frozen=True)
class Match:
    """One bank entry a query matched, with what the answer shows of it."""

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
        """The JSON form shared by the API and the CLI."""
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
