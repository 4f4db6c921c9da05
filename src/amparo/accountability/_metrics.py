"""Conduct metrics: pure functions of items' timelines (no I/O, no clock of their own).

An item is a sighting on the platform whose first notice falls in the period. The shares
"removed within 24 h / 7 days" and "still online after 42 days" count only items whose
window has fully passed at ``as_of`` (an item noticed an hour ago cannot yet have failed
its 24 hours), so each is a share in [0, 1] of the items it could be judged on, or None
when there are none. Times to removal are of removed items; percentiles interpolate
linearly between order statistics (numpy's default), so they lie within the observed range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["ConductMetrics", "ItemTimeline", "conduct_metrics", "percentile"]

DAY = timedelta(days=1)
WINDOWS = {"24h": DAY, "7d": 7 * DAY, "42d": 42 * DAY}


@dataclass(frozen=True)
class ItemTimeline:
    """What the metrics need of one noticed item."""

    sighting_id: int
    first_notice_at: datetime
    removed_at: datetime | None
    notices: int
    reuploads: int
    ai_generated: bool

    def hours_to_removal(self) -> float | None:
        if self.removed_at is None:
            return None
        return max(0.0, (self.removed_at - self.first_notice_at).total_seconds() / 3600)

    def removed_within(self, window: timedelta) -> bool:
        return self.removed_at is not None and self.removed_at - self.first_notice_at <= window


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated; None if empty."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return min(max(value, ordered[low]), ordered[high])  # no rounding past the bracket


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


@dataclass(frozen=True)
class ConductMetrics:
    """The figures of one platform and period. Shares are in [0, 1] or None; times in hours.

    ``basis`` maps each figure to the sighting ids it was computed from (what the report
    links to the ledger).
    """

    items: int
    removed: int
    median_hours_to_removal: float | None
    p90_hours_to_removal: float | None
    removed_within_24h: float | None
    removed_within_7d: float | None
    still_online_after_42d: float | None
    reupload_rate: float | None
    notices_per_item: float | None
    ai_generated_share: float | None
    basis: dict[str, tuple[int, ...]]

    def figures(self) -> dict[str, float | int | None]:
        return {
            "items": self.items,
            "removed": self.removed,
            "median_hours_to_removal": self.median_hours_to_removal,
            "p90_hours_to_removal": self.p90_hours_to_removal,
            "removed_within_24h": self.removed_within_24h,
            "removed_within_7d": self.removed_within_7d,
            "still_online_after_42d": self.still_online_after_42d,
            "reupload_rate": self.reupload_rate,
            "notices_per_item": self.notices_per_item,
            "ai_generated_share": self.ai_generated_share,
        }


def conduct_metrics(items: Sequence[ItemTimeline], as_of: datetime) -> ConductMetrics:
    """The conduct figures of ``items`` as known at ``as_of`` (see the module docstring)."""
    everything = tuple(i.sighting_id for i in items)
    removed = [i for i in items if i.removed_at is not None and i.removed_at <= as_of]
    hours = [h for i in removed if (h := i.hours_to_removal()) is not None]
    judged = {
        name: [i for i in items if i.first_notice_at + window <= as_of]
        for name, window in WINDOWS.items()
    }
    within = {
        name: [i for i in judged[name] if i.removed_within(WINDOWS[name])] for name in ("24h", "7d")
    }
    still = [i for i in judged["42d"] if not i.removed_within(WINDOWS["42d"])]
    notices = sum(i.notices for i in items)
    return ConductMetrics(
        items=len(items),
        removed=len(removed),
        median_hours_to_removal=percentile(hours, 50),
        p90_hours_to_removal=percentile(hours, 90),
        removed_within_24h=_share(len(within["24h"]), len(judged["24h"])),
        removed_within_7d=_share(len(within["7d"]), len(judged["7d"])),
        still_online_after_42d=_share(len(still), len(judged["42d"])),
        reupload_rate=_share(sum(1 for i in items if i.reuploads > 0), len(items)),
        notices_per_item=notices / len(items) if items else None,
        ai_generated_share=_share(sum(1 for i in items if i.ai_generated), len(items)),
        basis={
            "items": everything,
            "removed": tuple(i.sighting_id for i in removed),
            "median_hours_to_removal": tuple(i.sighting_id for i in removed),
            "p90_hours_to_removal": tuple(i.sighting_id for i in removed),
            "removed_within_24h": tuple(i.sighting_id for i in judged["24h"]),
            "removed_within_7d": tuple(i.sighting_id for i in judged["7d"]),
            "still_online_after_42d": tuple(i.sighting_id for i in judged["42d"]),
            "reupload_rate": everything,
            "notices_per_item": everything,
            "ai_generated_share": everything,
        },
    )
