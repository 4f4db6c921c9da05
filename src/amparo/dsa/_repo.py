"""All SQL against ``dsa_dump_files`` and ``dsa_daily_stats``; rows never leave this module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from amparo.dsa._aggregate import Group, GroupKey
from amparo.store import DsaDailyStatRow, DsaDumpFileRow

__all__ = ["add_file", "covered", "file_by_sha256", "groups_between"]


def file_by_sha256(s: Session, sha256: str) -> tuple[int, str | None] | None:
    """(id, platform filter) of the file already imported with this digest."""
    row = s.scalars(select(DsaDumpFileRow).where(DsaDumpFileRow.sha256 == sha256)).first()
    return (row.id, row.platform_filter) if row else None


def covered(s: Session, pairs: Iterable[tuple[str, date]]) -> set[tuple[str, date]]:
    """Which (platform, dump day) pairs some imported file already holds."""
    wanted = list(set(pairs))
    found: set[tuple[str, date]] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = s.execute(
            select(DsaDailyStatRow.platform, DsaDailyStatRow.dump_day)
            .where(tuple_(DsaDailyStatRow.platform, DsaDailyStatRow.dump_day).in_(chunk))
            .distinct()
        )
        found.update((p, d) for p, d in rows)
    return found


def add_file(
    s: Session,
    *,
    sha256: str,
    filename: str,
    platform: str | None,
    rows: int,
    bad: Mapping[str, int],
    counted: int,
    groups: Mapping[GroupKey, Group],
) -> int:
    """Store a file and its groups; return the file's id."""
    row = DsaDumpFileRow(
        sha256=sha256,
        filename=filename[:1024],
        platform_filter=platform,
        rows_read=rows,
        rows_bad=sum(bad.values()),
        rows_counted=counted,
        bad_by_reason=dict(bad),
    )
    s.add(row)
    s.flush()
    s.add_all(
        DsaDailyStatRow(
            file_id=row.id,
            platform=platform_name[:255],
            day=day,
            dump_day=dump_day,
            scope=scope,
            statements=g.statements,
            automated_detection=g.automated_detection,
            automated_decision_fully=g.automated_decision_fully,
            automated_decision_partially=g.automated_decision_partially,
            content_removed=g.content_removed,
            decision_delays={str(k): v for k, v in sorted(g.delays.items())},
        )
        for (platform_name, day, dump_day, scope), g in groups.items()
    )
    s.flush()
    return row.id


def groups_between(
    s: Session, platform: str, start: date, end: date
) -> dict[tuple[date, str], Group]:
    """Declared counts of ``platform`` (case-insensitive) per (decision day, scope), summed
    over files and dump days."""
    out: dict[tuple[date, str], Group] = {}
    rows = s.scalars(
        select(DsaDailyStatRow).where(
            func.lower(DsaDailyStatRow.platform) == platform.lower(),
            DsaDailyStatRow.day >= start,
            DsaDailyStatRow.day <= end,
        )
    )
    for r in rows:
        delays = Counter({int(k): int(v) for k, v in r.decision_delays.items()})
        out.setdefault((r.day, r.scope), Group()).add(
            Group(
                r.statements,
                r.automated_detection,
                r.automated_decision_fully,
                r.automated_decision_partially,
                r.content_removed,
                delays,
            )
        )
    return out
