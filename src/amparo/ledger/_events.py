"""The ledger's own event: the scan tally."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["ScanTally"]


@dataclass(frozen=True)
class ScanTally(Event):
    """How many scans (matched or not) were committed between ``since`` and ``until``
    (ISO 8601 UTC; ``since`` is None for the first tally). The tallies add up to the number
    of scans ever run, so an operator cannot hide scans by leaving them out of the log."""

    kind = "scan.tally"

    scans: int
    since: str | None
    until: str
