"""Takedown monitoring: re-check each noticed URL until it is gone, and record when.

A check fetches the URL (SSRF-safe, one total deadline, the media size limit) and
classifies what it answers (:func:`classify`):

==================  ===============================================  ==========================
outcome             what was answered                                removal
==================  ===============================================  ==========================
``online``          200 with the noticed item (same SHA-256 or MD5,  no
                    or PDQ within the threshold)
``removed``         404 or 410                                       ``gone``
``geo_blocked``     451 (unavailable for legal reasons)              ``geo_blocked``
``soft_removed``    200 with a page (HTML or text) instead of the    ``soft_removed``, or
                    item: a removal notice                           ``redirected`` if redirected
``replaced``        200 with other media                             ``replaced``
``rate_limited``    429                                              no (back-off; Retry-After)
``restricted``      401 or 403                                       no (back-off)
``error``           anything else; no answer within the deadline     no (back-off)
==================  ===============================================  ==========================

The first check that finds a removal records it (``accountability.removal``, at that
check's time) and ends the monitoring and the notices of that item. Every check is ledgered
(``accountability.check``) with the status and the hash of what was served, never the bytes.

Scheduling: the next check is due ``interval`` later, spread by ``jitter``; after failures
(rate_limited, restricted, error) the wait doubles each time, up to ``max_backoff`` (and at
least what Retry-After asks). Checks to one host are at least ``host_interval`` apart per
process: a check whose host is busy is moved to the host's next free time, not made.
Several replicas share the schedule by claiming due checks (see ``_repo``).
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from amparo.accountability import _repo
from amparo.accountability._events import ItemRemoved, TakedownChecked
from amparo.errors import AmparoError
from amparo.remote import Probe, UrlFetcher
from amparo.signals import PDQ_MATCH_THRESHOLD, Hasher, pdq_distance
from amparo.store import TakedownCheckRow, UnitOfWork

__all__ = [
    "REMOVAL_KINDS",
    "CheckPolicy",
    "Classified",
    "HostLimiter",
    "classify",
    "next_check",
    "run_check_round",
]

Transactions = Callable[[], AbstractContextManager[UnitOfWork]]

REMOVAL_KINDS = ("gone", "geo_blocked", "soft_removed", "redirected", "replaced")
"""How a removal was observed (``removal_kind`` of a removed item)."""

_FAILURES = frozenset({"rate_limited", "restricted", "error"})
_GROUP = 64  # checks recorded per transaction
_PAGE_TYPES = ("text/html", "text/plain", "application/xhtml", "application/json")


@dataclass(frozen=True)
class CheckPolicy:
    """How often to check, how to back off, how far to spread checks."""

    interval: timedelta = timedelta(hours=1)
    max_backoff: timedelta = timedelta(days=1)
    jitter: float = 0.1
    host_interval: timedelta = timedelta(seconds=1)
    batch: int = 50
    concurrency: int = 8
    pdq_threshold: int = PDQ_MATCH_THRESHOLD
    lease: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Classified:
    """A check's outcome, the removal it shows (if any), and the hashes of what was served."""

    outcome: str
    removal_kind: str | None
    status: int | None
    final_url: str | None
    sha256: str | None
    pdq: str | None
    detail: str | None
    retry_after: float | None = None


class HostLimiter:
    """Per-host spacing of checks on a caller's clock. Thread-safe."""

    def __init__(self, spacing: timedelta) -> None:
        self._spacing = spacing
        self._next: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def reserve(self, host: str, now: datetime) -> datetime | None:
        """Take the host's slot at ``now`` (None), or say when it is next free."""
        with self._lock:
            free = self._next.get(host)
            if free is not None and free > now:
                return free
            self._next[host] = now + self._spacing
            return None


def _retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return float(min(int(value.strip()), 7 * 86400))


def _is_page(probe: Probe) -> bool:
    ctype = (probe.content_type or "").split(";")[0].strip().lower()
    if ctype:
        return ctype.startswith(_PAGE_TYPES)
    head = probe.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"{"))


def classify(
    probe: Probe,
    *,
    md5: str,
    sha256: str,
    pdq: str | None,
    hasher: Hasher,
    pdq_threshold: int = PDQ_MATCH_THRESHOLD,
) -> Classified:
    """What ``probe`` (a URL's answer now) says about the noticed item with these hashes
    (see the module docstring's table)."""
    status, final = probe.status, probe.url
    redirected = bool(probe.redirects)

    def out(
        outcome: str, removal: str | None, detail: str | None = None, **hashes: str | None
    ) -> Classified:
        return Classified(
            outcome,
            removal,
            status,
            final,
            hashes.get("sha256"),
            hashes.get("pdq"),
            detail,
            _retry_after(probe.retry_after),
        )

    if status in (404, 410):
        return out("removed", "gone")
    if status == 451:
        return out("geo_blocked", "geo_blocked")
    if status == 429:
        return out("rate_limited", None, "the host asked to slow down")
    if status in (401, 403):
        return out("restricted", None, f"HTTP {status}")
    if status != 200:
        return out("error", None, f"HTTP {status}")
    body = probe.body
    if probe.truncated:
        served_sha = None
        served_pdq = None
        same = False
    else:
        served_sha = hashlib.sha256(body).hexdigest()
        served_md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
        served_pdq = None
        try:
            signals = hasher.hash(body)
            served_pdq = signals.pdq.hex if signals.pdq is not None else None
        except AmparoError:  # empty or unusable bytes: digests only
            served_pdq = None
        same = served_sha == sha256 or served_md5 == md5
        if not same and pdq and served_pdq:
            same = pdq_distance(pdq, served_pdq) <= pdq_threshold
    if same:
        return out("online", None, sha256=served_sha, pdq=served_pdq)
    if _is_page(probe):
        kind = "redirected" if redirected else "soft_removed"
        return out("soft_removed", kind, "a page instead of the item", sha256=served_sha)
    detail = "over the size limit" if probe.truncated else "other content"
    return out("replaced", "replaced", detail, sha256=served_sha, pdq=served_pdq)


def next_check(
    now: datetime,
    policy: CheckPolicy,
    failures: int,
    rng: random.Random,
    retry_after: float | None = None,
) -> datetime:
    """When to check again: the interval spread by jitter, or after ``failures`` failed
    checks in a row, the interval doubled per failure up to ``max_backoff`` (at least
    ``retry_after`` seconds)."""
    if failures <= 0:
        spread = 1.0 + policy.jitter * rng.uniform(-1.0, 1.0)
        return now + policy.interval * spread
    wait = min(policy.interval * (1 << min(failures, 30)), policy.max_backoff)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return now + wait * (1.0 + policy.jitter * rng.uniform(0.0, 1.0))


@dataclass(frozen=True)
class _Job:
    sighting_id: int
    claim: str | None
    url: str
    platform: str
    md5: str
    sha256: str
    pdq: str | None


def _check(fetcher: UrlFetcher, hasher: Hasher, job: _Job, policy: CheckPolicy) -> Classified:
    try:
        probe = fetcher.probe(job.url)
    except AmparoError as exc:
        return Classified("error", None, None, None, None, None, exc.message[:500])
    return classify(
        probe,
        md5=job.md5,
        sha256=job.sha256,
        pdq=job.pdq,
        hasher=hasher,
        pdq_threshold=policy.pdq_threshold,
    )


def _record(
    uow: UnitOfWork,
    job: _Job,
    result: Classified,
    now: datetime,
    policy: CheckPolicy,
    rng: random.Random,
) -> None:
    row = _repo.sighting_row(uow, job.sighting_id, lock=True)
    if row is None:
        return
    check = TakedownCheckRow(
        sighting_id=row.id,
        checked_at=now,
        outcome=result.outcome,
        status=result.status,
        final_url=result.final_url,
        sha256=result.sha256,
        pdq=result.pdq,
        detail=result.detail,
    )
    uow.add(check)
    uow.flush()
    uow.emit(
        TakedownChecked(
            check.id,
            row.id,
            job.platform,
            result.outcome,
            result.status,
            result.final_url,
            result.sha256,
            result.pdq,
            result.detail,
        )
    )
    row.last_check_at = now
    row.last_outcome = result.outcome
    if row.claim == job.claim:
        row.claim = None
    if result.removal_kind is not None and row.state == "open":
        row.state = "removed"
        row.removed_at = now
        row.removal_kind = result.removal_kind
        row.next_check_at = None
        row.next_notice_at = None
        first = row.first_notice_at.isoformat() if row.first_notice_at else None
        uow.emit(
            ItemRemoved(
                row.id,
                job.platform,
                result.removal_kind,
                now.isoformat(),
                first,
                row.notices_sent,
            )
        )
        return
    row.check_failures = row.check_failures + 1 if result.outcome in _FAILURES else 0
    if row.state == "open":
        row.next_check_at = next_check(now, policy, row.check_failures, rng, result.retry_after)


def run_check_round(
    transactions: Transactions,
    fetcher: UrlFetcher,
    hasher: Hasher,
    policy: CheckPolicy,
    limiter: HostLimiter,
    rng: random.Random,
    now: datetime,
) -> int:
    """Make the checks due at ``now`` (see the module docstring), at most
    ``policy.concurrency`` at a time; return how many were made."""
    with transactions() as uow:
        rows = _repo.claim_due(uow, "check", now, now + policy.lease, policy.batch)
        platforms = _repo.platforms_by_id(uow)
        jobs = []
        for row in rows:
            host = (urlsplit(row.url).hostname or "").lower()
            free = limiter.reserve(host, now)
            if free is not None:  # the host's turn comes later: move the check there
                row.next_check_at = free
                row.claim = None
                continue
            jobs.append(
                _Job(
                    row.id,
                    row.claim,
                    row.url,
                    platforms[row.platform_id].name,
                    row.md5,
                    row.sha256,
                    row.pdq,
                )
            )
    if not jobs:
        return 0

    # Fetch at bounded concurrency; record in groups, each one transaction (one commit for
    # many checks). A crash before a group commits loses no check: its claims lapse and the
    # checks are made again.
    with ThreadPoolExecutor(max(1, min(policy.concurrency, len(jobs)))) as pool:
        results = list(pool.map(lambda job: _check(fetcher, hasher, job, policy), jobs))
    for start in range(0, len(jobs), _GROUP):
        with transactions() as uow:
            for job, result in zip(
                jobs[start : start + _GROUP], results[start : start + _GROUP], strict=True
            ):
                _record(uow, job, result, now, policy, rng)
    return len(jobs)
