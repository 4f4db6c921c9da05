"""Values of the DSA cross-check, and :class:`Observations`: what Amparo saw, per day.

``Observations`` is the seam to the accountability package (sightings, notices, takedown
checks): it answers per platform and day how many items Amparo noticed to the platform, how
many the platform removed, how long removal took and how many were AI-generated. The
cross-check sets that beside what the platform itself declared to the Transparency Database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

__all__ = [
    "BadRows",
    "Comparison",
    "ComparisonDay",
    "DeclaredDay",
    "ImportReport",
    "Observations",
    "ObservedDay",
]


@dataclass(frozen=True)
class ObservedDay:
    """What Amparo observed of one platform on one day (UTC)."""

    day: date
    noticed: int
    """Items first noticed to the platform that day."""
    removed: int
    """Items the platform was seen to remove that day."""
    median_removal_hours: float | None
    """Median time from first notice to removal of the items removed that day."""
    ai_generated_share: float | None
    """Share (0..1) of the items noticed that day that were AI-generated."""


class Observations(Protocol):
    """What Amparo observed per platform and day (bound to the accountability package)."""

    def observed(self, platform: str, start: date, end: date) -> Sequence[ObservedDay]:
        """Days from ``start`` to ``end`` inclusive with anything observed, any order."""
        ...


@dataclass(frozen=True)
class BadRows:
    """Rows of a dump that were counted but not used, by reason."""

    by_reason: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


@dataclass(frozen=True)
class ImportReport:
    """The outcome of importing one dump file."""

    filename: str
    sha256: str
    already_imported: bool
    rows: int
    """Rows read (good and bad)."""
    bad: BadRows
    counted: int
    """Rows in scope (protection of minors or a CSAM/grooming keyword) that were kept."""
    platforms: tuple[str, ...]
    days: tuple[date, ...]
    overlapping: tuple[str, ...] = ()
    """``platform@dump_day`` groups skipped: another imported file already covers them (a
    platform's dump and the global one of the same day hold the same statements)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "already_imported": self.already_imported,
            "rows": self.rows,
            "bad_rows": self.bad.total,
            "bad_rows_by_reason": dict(self.bad.by_reason),
            "counted": self.counted,
            "platforms": list(self.platforms),
            "days": [d.isoformat() for d in self.days],
            "overlapping": list(self.overlapping),
        }


@dataclass(frozen=True)
class DeclaredDay:
    """What one platform declared for one decision day, summed over imported dumps."""

    day: date
    protection_of_minors: int
    csam: int
    csam_deepfake: int
    grooming: int
    automated_detection_share: float | None
    """Of CSAM statements: share detected by automated means."""
    automated_decision_share: float | None
    """Of CSAM statements: share decided fully or partially automatically."""
    removed: int
    """CSAM statements whose visibility decision was removal."""
    median_decision_days: float | None
    """Of CSAM statements: median days from the content's date to the decision."""
    p90_decision_days: float | None


@dataclass(frozen=True)
class ComparisonDay:
    """One day: declared beside observed, and the gap that matters."""

    day: date
    declared: DeclaredDay | None
    observed: ObservedDay | None

    @property
    def removals_without_statement(self) -> int | None:
        """Removals Amparo saw beyond the CSAM statements of reasons the platform declared
        (Art. 17 DSA asks a statement for each); None when either side is missing."""
        if self.declared is None or self.observed is None:
            return None
        return max(0, self.observed.removed - self.declared.csam)

    def to_dict(self) -> dict[str, object]:
        d, o = self.declared, self.observed
        return {
            "day": self.day.isoformat(),
            "declared_protection_of_minors": d.protection_of_minors if d else None,
            "declared_csam": d.csam if d else None,
            "declared_csam_deepfake": d.csam_deepfake if d else None,
            "declared_grooming": d.grooming if d else None,
            "declared_removed": d.removed if d else None,
            "declared_automated_detection_share": d.automated_detection_share if d else None,
            "declared_automated_decision_share": d.automated_decision_share if d else None,
            "declared_median_decision_days": d.median_decision_days if d else None,
            "declared_p90_decision_days": d.p90_decision_days if d else None,
            "observed_noticed": o.noticed if o else None,
            "observed_removed": o.removed if o else None,
            "observed_median_removal_hours": o.median_removal_hours if o else None,
            "observed_ai_generated_share": o.ai_generated_share if o else None,
            "removals_without_statement": self.removals_without_statement,
        }


@dataclass(frozen=True)
class Comparison:
    """Declared against observed for one platform and period, one row per day."""

    platform: str
    start: date
    end: date
    days: Sequence[ComparisonDay]
    totals: Mapping[str, float | int | None]

    def to_dict(self) -> dict[str, object]:
        return {
            "platform": self.platform,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": [d.to_dict() for d in self.days],
            "totals": dict(self.totals),
        }

    def to_csv(self) -> str:
        """One line per day (the columns of :meth:`ComparisonDay.to_dict`), then a
        ``total`` line; empty cells where a side is unknown."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        header = list(ComparisonDay(self.start, None, None).to_dict())
        writer.writerow(header)
        for day in self.days:
            writer.writerow(["" if v is None else v for v in day.to_dict().values()])
        totals = self.totals
        writer.writerow(
            [
                "total" if k == "day" else ("" if totals.get(k) is None else totals[k])
                for k in header
            ]
        )
        return buf.getvalue()
