"""Use cases: import a dump (:func:`import_dump`) and compare declared with observed
(:func:`compare`)."""

from __future__ import annotations

import statistics
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from amparo.dsa import _repo
from amparo.dsa._aggregate import Aggregator, Group, GroupKey
from amparo.dsa._dump import file_digests, members, prefetched
from amparo.dsa._events import DsaDumpImported
from amparo.dsa.base import (
    BadRows,
    Comparison,
    ComparisonDay,
    DeclaredDay,
    ImportReport,
    Observations,
    ObservedDay,
)
from amparo.errors import InputError
from amparo.store import UnitOfWork

__all__ = ["MAX_COMPARE_DAYS", "Transactional", "compare", "import_dump"]

MAX_COMPARE_DAYS = 3660
"""The longest period :func:`compare` answers for (about ten years)."""


class Transactional(Protocol):
    """Anything that opens units of work (the runtime)."""

    def session(self) -> AbstractContextManager[UnitOfWork]: ...


def _check_sha1(path: Path, sha1: str) -> None:
    companion = path.with_name(path.name + ".sha1")
    if not companion.is_file():
        return
    try:
        published = companion.read_text(errors="replace").split()
    except OSError:
        return
    if published and published[0].lower() != sha1:
        raise InputError(
            f"{path.name} does not match its published SHA-1 in {companion.name}",
            hint="the download is incomplete or altered; download it again",
        )


def import_dump(
    db: Transactional,
    path: Path,
    *,
    platform: str | None = None,
    progress: Callable[[int], None] | None = None,
    workdir: Path | None = None,
) -> ImportReport:
    """Import one Transparency Database dump (zip of zips, zipped CSV, CSV or Parquet).

    Streams it table by table (see :mod:`amparo.dsa._aggregate`), then stores the
    per-platform, per-day aggregates and a ``dsa.dump_import`` ledger entry in one unit of
    work. The same file (by SHA-256) imported again changes nothing and says so. Groups of
    a platform and dump day that another file already holds are skipped and named (the
    global dump and a platform's dump of the same day overlap). ``progress`` gets the
    number of rows read so far.
    """
    sha256, sha1 = file_digests(path)
    _check_sha1(path, sha1)
    with db.session() as s:
        known = _repo.file_by_sha256(s, sha256)
    if known is not None:
        return ImportReport(path.name, sha256, True, 0, BadRows(), 0, (), ())
    with tempfile.TemporaryDirectory(prefix="amparo-dsa-", dir=workdir) as tmp:
        agg = Aggregator(Path(tmp), platform=platform)
        for member in prefetched(members(path, Path(tmp))):
            try:
                agg.add(member)
            finally:
                member.discard()
            if progress is not None:
                progress(agg.rows)
    with db.session() as s:
        if _repo.file_by_sha256(s, sha256) is not None:  # imported meanwhile by another process
            return ImportReport(path.name, sha256, True, 0, BadRows(), 0, (), ())
        taken = _repo.covered(s, ((p, dd) for p, _, dd, _ in agg.groups))
        kept: dict[GroupKey, Group] = {
            k: g for k, g in agg.groups.items() if (k[0], k[2]) not in taken
        }
        counted = sum(n for pair, n in agg.in_scope.items() if pair not in taken)
        file_id = _repo.add_file(
            s,
            sha256=sha256,
            filename=path.name,
            platform=platform,
            rows=agg.rows,
            bad=agg.bad,
            counted=counted,
            groups=kept,
        )
        s.emit(
            DsaDumpImported(
                file_id=file_id,
                filename=path.name,
                sha256=sha256,
                platform=platform,
                rows=agg.rows,
                bad_rows=sum(agg.bad.values()),
                counted=counted,
            )
        )
    return ImportReport(
        filename=path.name,
        sha256=sha256,
        already_imported=False,
        rows=agg.rows,
        bad=BadRows(dict(sorted(agg.bad.items()))),
        counted=counted,
        platforms=tuple(sorted({k[0] for k in kept})),
        days=tuple(sorted({k[1] for k in kept})),
        overlapping=tuple(sorted(f"{p}@{d.isoformat()}" for p, d in taken)),
    )


def _percentile(delays: Counter[int], q: float) -> float | None:
    total = sum(delays.values())
    if total == 0:
        return None
    if q == 0.5:
        return float(statistics.median(_expand(delays)))
    rank = q * (total - 1)
    seen = 0
    for value in sorted(delays):
        seen += delays[value]
        if seen > rank:
            return float(value)
    return float(max(delays))


def _expand(delays: Counter[int]) -> Sequence[int]:
    # Median of a histogram without materialising it: the one or two middle values.
    total = sum(delays.values())
    middle = {(total - 1) // 2, total // 2}
    picked: list[int] = []
    seen = 0
    for value in sorted(delays):
        for index in sorted(middle):
            if seen <= index < seen + delays[value]:
                picked.append(value)
        seen += delays[value]
    return picked


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _declared(day: date, groups: dict[tuple[date, str], Group]) -> DeclaredDay | None:
    scoped = {scope: g for (d, scope), g in groups.items() if d == day}
    if not scoped:
        return None
    csam = scoped.get("csam", Group())
    return DeclaredDay(
        day=day,
        protection_of_minors=scoped.get("protection_of_minors", Group()).statements,
        csam=csam.statements,
        csam_deepfake=scoped.get("csam_deepfake", Group()).statements,
        grooming=scoped.get("grooming", Group()).statements,
        automated_detection_share=_share(csam.automated_detection, csam.statements),
        automated_decision_share=_share(
            csam.automated_decision_fully + csam.automated_decision_partially, csam.statements
        ),
        removed=csam.content_removed,
        median_decision_days=_percentile(csam.delays, 0.5),
        p90_decision_days=_percentile(csam.delays, 0.9),
    )


def compare(
    db: Transactional,
    observations: Observations,
    platform: str,
    start: date,
    end: date,
) -> Comparison:
    """What ``platform`` declared (imported dumps) beside what Amparo observed, per day
    from ``start`` to ``end`` inclusive, with totals over the period.

    Days with neither are left out. The platform name is matched case-insensitively with
    the dumps' ``platform_name``.
    """
    if not platform.strip():
        raise InputError("--platform is empty", hint="give the platform's name as in the dumps")
    if end < start:
        raise InputError(
            f"the period ends ({end}) before it starts ({start})",
            hint="--from is the first day, --to the last (both included)",
        )
    if (end - start).days >= MAX_COMPARE_DAYS:
        raise InputError(
            f"the period is {(end - start).days + 1} days; at most {MAX_COMPARE_DAYS}",
            hint="compare a shorter period",
        )
    with db.session() as s:
        groups = _repo.groups_between(s, platform, start, end)
    observed = {o.day: o for o in observations.observed(platform, start, end)}
    days: list[ComparisonDay] = []
    day = start
    while day <= end:
        declared = _declared(day, groups)
        seen = observed.get(day)
        if declared is not None or seen is not None:
            days.append(ComparisonDay(day, declared, seen))
        day += timedelta(days=1)
    return Comparison(platform, start, end, days, _totals(groups, list(observed.values())))


def _totals(
    groups: dict[tuple[date, str], Group], observed: list[ObservedDay]
) -> dict[str, float | int | None]:
    by_scope: dict[str, Group] = {}
    for (_, scope), g in groups.items():
        by_scope.setdefault(scope, Group()).add(g)
    csam = by_scope.get("csam", Group())
    removed = sum(o.removed for o in observed)
    times = [o.median_removal_hours for o in observed if o.median_removal_hours is not None]
    return {
        "declared_protection_of_minors": by_scope.get("protection_of_minors", Group()).statements,
        "declared_csam": csam.statements,
        "declared_csam_deepfake": by_scope.get("csam_deepfake", Group()).statements,
        "declared_grooming": by_scope.get("grooming", Group()).statements,
        "declared_removed": csam.content_removed,
        "declared_automated_detection_share": _share(csam.automated_detection, csam.statements),
        "declared_automated_decision_share": _share(
            csam.automated_decision_fully + csam.automated_decision_partially, csam.statements
        ),
        "declared_median_decision_days": _percentile(csam.delays, 0.5),
        "declared_p90_decision_days": _percentile(csam.delays, 0.9),
        "observed_noticed": sum(o.noticed for o in observed),
        "observed_removed": removed,
        "observed_median_removal_hours": (float(statistics.median(times)) if times else None),
        "removals_without_statement": max(0, removed - csam.statements) if observed else None,
    }
