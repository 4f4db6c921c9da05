"""What Amparo observed of a platform, per day, for the DSA cross-check
(:class:`amparo.dsa.Observations`), read from the sightings table.

A day's ``noticed`` are the platform's items whose first notice fell on that day (UTC);
its ``removed`` the items whose removal a takedown check recorded that day, with the median
hours from their first notice to that removal; its AI-generated share is of the items
noticed that day (provenance verdicts in :data:`AI_VERDICTS`). Items never noticed count
on neither side. The platform is matched case-insensitively with the configured
platforms' names (the dumps spell names their own way); an unknown platform was observed
on no day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import and_, func, or_, select

from amparo.accountability._metrics import percentile
from amparo.accountability._model import AI_VERDICTS
from amparo.dsa import ObservedDay
from amparo.store import PlatformRow, SightingRow, UnitOfWork

__all__ = ["SightingObservations"]


class _Sessions(Protocol):
    def session(self) -> AbstractContextManager[UnitOfWork]: ...


def _day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def _hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


class SightingObservations:
    """:class:`amparo.dsa.Observations` over a runtime's sightings (see the module
    docstring). Reads only; each call is one short read transaction."""

    def __init__(self, db: _Sessions) -> None:
        self._db = db

    def observed(self, platform: str, start: date, end: date) -> Sequence[ObservedDay]:
        lo = datetime.combine(start, time(), UTC)
        hi = datetime.combine(end + timedelta(days=1), time(), UTC)
        with self._db.session() as s:
            ids = list(
                s.scalars(
                    select(PlatformRow.id).where(
                        func.lower(PlatformRow.name) == platform.strip().lower()
                    )
                )
            )
            if not ids:
                return ()
            rows = s.execute(
                select(
                    SightingRow.first_notice_at, SightingRow.removed_at, SightingRow.ai_verdict
                ).where(
                    SightingRow.platform_id.in_(ids),
                    SightingRow.first_notice_at.is_not(None),
                    or_(
                        and_(SightingRow.first_notice_at >= lo, SightingRow.first_notice_at < hi),
                        and_(SightingRow.removed_at >= lo, SightingRow.removed_at < hi),
                    ),
                )
            ).all()
        noticed: dict[date, int] = defaultdict(int)
        ai: dict[date, int] = defaultdict(int)
        removal_hours: dict[date, list[float]] = defaultdict(list)
        for first_notice_at, removed_at, verdict in rows:
            if first_notice_at is None:  # excluded by the query; says so to the type checker
                continue
            day = _day(first_notice_at)
            if start <= day <= end:
                noticed[day] += 1
                ai[day] += verdict in AI_VERDICTS
            if removed_at is not None and start <= (gone := _day(removed_at)) <= end:
                removal_hours[gone].append(_hours(first_notice_at, removed_at))
        return [
            ObservedDay(
                day=day,
                noticed=noticed.get(day, 0),
                removed=len(removal_hours.get(day, ())),
                median_removal_hours=percentile(removal_hours.get(day, []), 50),
                ai_generated_share=ai[day] / noticed[day] if noticed.get(day) else None,
            )
            for day in sorted(set(noticed) | set(removal_hours))
        ]
