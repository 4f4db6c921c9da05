"""Sightings: an investigator records an item seen online; Amparo fetches, hashes, matches,
reads provenance and preserves it.

Intake, in order, each step before the next:

1. check the input (URL, platform, first-seen time, how it was found) and that an evidence
   sink is configured — nothing is fetched for a request that cannot be recorded;
2. fetch the item with the runtime's SSRF-safe fetcher (public addresses only unless
   ``unsafe_allow_private_urls``; total deadline; size limit);
3. scan it with the scan use case (:func:`amparo.usecases.scan_media`, source
   ``sighting``): hashes, bank matches, provenance, and the scan record with its events;
4. in one unit of work: hand the bytes to the :class:`EvidenceSink` (the only place they
   go), store the sighting, ledger it (``accountability.sighting``), link it to noticed
   items it copies (re-uploads), and schedule its first notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from amparo import inputs
from amparo.accountability import _repo
from amparo.accountability._events import NoticeAnswered, SightingRecorded
from amparo.accountability._model import EvidenceSink, Sighting
from amparo.accountability._platforms import get_platform, platform_for_url
from amparo.accountability._reuploads import Copy, link_copies
from amparo.auth import Principal
from amparo.errors import ConflictError, InputError, NotConfiguredError, NotFoundError
from amparo.signals import PDQ_MATCH_THRESHOLD
from amparo.store import PlatformRow, SightingRow, UnitOfWork, utcnow
from amparo.usecases import ScanContext, Transactional, scan_media

__all__ = [
    "IntakeContext",
    "get_sighting",
    "list_sightings",
    "record_answer",
    "record_sighting",
]

MAX_URL = 8192
# A first-seen time this far ahead of the server's clock is a mistake, not clock skew.
_FUTURE_SLACK = timedelta(minutes=5)


class IntakeContext(ScanContext, Transactional, Protocol):
    """What intake needs: scanning (hasher, matcher, fetcher, scan records) and units of
    work. :class:`amparo.runtime.Runtime` is one."""


def _check_url(url: str) -> str:
    url = url.strip()
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise InputError(
            "a sighting needs one URL of up to 8192 characters, without spaces",
            hint="give the exact address the item was seen at",
        )
    inputs.check_text(url, what="url")
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port
    except ValueError:
        ok = False
    if not ok:
        raise InputError(
            f"{url!r} is not an http(s) URL", hint="give the exact http:// or https:// address"
        )
    return url


def record_sighting(
    ctx: IntakeContext,
    sink: EvidenceSink | None,
    url: str,
    *,
    found_by: str,
    platform: str | None = None,
    first_seen_at: datetime | None = None,
    principal: Principal | None = None,
    notify: bool = True,
    now: datetime | None = None,
    pdq_threshold: int = PDQ_MATCH_THRESHOLD,
) -> Sighting:
    """Record a sighting (see the module docstring) and return it.

    ``platform`` is a configured platform's name; without it the platform is inferred from
    the URL's host (:class:`NotFoundError` if none covers it). ``first_seen_at`` defaults to
    ``now``. ``notify`` schedules the first notice at once (the notice worker sends it).
    Raises :class:`InputError` (bad URL, time or text), :class:`UnsafeURLError` (a private
    address), :class:`NotFoundError` (unknown platform), :class:`NotConfiguredError` (no
    evidence vault), :class:`FetchError` or :class:`MediaTooLargeError` (the fetch).
    """
    now = now or utcnow()
    url = _check_url(url)
    how = found_by.strip()
    if not how or len(how) > 255:
        raise InputError(
            "say how the item was found, in 1 to 255 characters",
            hint="e.g. --found-by 'hotline report 2026-114' or 'crawler'",
        )
    inputs.check_text(how, what="found_by")
    seen = first_seen_at or now
    if seen.tzinfo is None:
        raise InputError(
            "the first-seen time has no time zone", hint="give it as 2026-05-01T12:00:00Z"
        )
    if seen > now + _FUTURE_SLACK:
        raise InputError(
            f"the first-seen time {seen.isoformat()} is in the future",
            hint="give when the item was first seen, in UTC",
        )
    with ctx.session() as s:
        target = get_platform(s, platform) if platform else platform_for_url(s, url)
        duplicate = _repo.open_sighting_at(s, url)
    if duplicate is not None:
        raise ConflictError(
            f"sighting {duplicate.id} of this URL is open: its notices and checks go on",
            hint=f"see it with: amparo accountability sighting show {duplicate.id}",
        )
    if target is None:
        raise NotFoundError(
            f"no configured platform covers the host of {url!r}",
            hint="pass --platform NAME, or add one: amparo accountability platform add",
        )
    if sink is None:
        raise NotConfiguredError(
            "no evidence vault is configured, and a sighting's bytes go nowhere else",
            hint="configure the evidence vault before recording sightings",
        )
    data = ctx.fetcher.fetch(url)
    scanned = scan_media(ctx, data, filename=url, source="sighting", principal=principal)
    signals = scanned.signals
    pdq = signals.pdq.hex if signals.pdq is not None else None
    verdict = scanned.provenance.verdict if scanned.provenance is not None else None
    banks = tuple(sorted({m.bank for m in scanned.matches}))
    with ctx.session() as uow:
        evidence_id = sink.preserve(uow, data, source="sighting", url=url, sha256=signals.sha256)
        row = SightingRow(
            platform_id=target.id,
            url=url,
            host=(urlsplit(url).hostname or "").lower(),
            first_seen_at=seen,
            found_by=how,
            recorded_at=now,
            key_id=principal.key_id if principal else None,
            scan_id=scanned.scan_id,
            evidence_id=evidence_id,
            md5=signals.md5,
            sha256=signals.sha256,
            pdq=pdq,
            ai_verdict=verdict,
            matched_banks=list(banks),
            state="open",
            notices_sent=0,
            notice_failures=0,
            check_failures=0,
            next_notice_at=now if notify else None,
        )
        uow.add(row)
        uow.flush()
        uow.emit(
            SightingRecorded(
                row.id,
                target.name,
                url,
                seen.isoformat(),
                how,
                row.key_id,
                scanned.scan_id,
                evidence_id,
                signals.md5,
                signals.sha256,
                pdq,
                verdict,
                banks,
            )
        )
        copy = Copy(
            "sighting",
            str(row.id),
            signals.md5,
            signals.sha256,
            pdq,
            uow.get(PlatformRow, target.id),
            url,
            seen,
            exclude=row.id,
        )
        link_copies(uow, [copy], pdq_threshold=pdq_threshold)
        return _repo.to_sighting(row, target.name)


def get_sighting(session: Session, sighting_id: int) -> Sighting:
    """One sighting, or :class:`NotFoundError`."""
    row = _repo.sighting_row(session, sighting_id) if 0 < sighting_id < 2**63 else None
    if row is None:
        raise NotFoundError(
            f"no sighting with id {sighting_id}",
            hint="list them with: amparo accountability sighting list",
        )
    platforms = _repo.platforms_by_id(session)
    return _repo.to_sighting(row, platforms[row.platform_id].name)


def record_answer(
    uow: UnitOfWork, sighting_id: int, answer: str, *, principal: Principal | None = None
) -> None:
    """Record what the platform answered about a sighting later (an e-mail back, a ticket
    update), against its newest delivered notice: ledgered as
    ``accountability.notice_answer``. :class:`InputError` if nothing was noticed yet."""
    text = answer.strip()
    if not text or len(text) > 10_000:
        raise InputError("an answer is 1 to 10,000 characters", hint="paste what they wrote")
    inputs.check_text(text, what="answer")
    sighting = get_sighting(uow, sighting_id)
    notice = _repo.last_notice(uow, sighting_id)
    if notice is None:
        raise InputError(
            f"sighting {sighting_id} has had no notice to answer",
            hint="answers are recorded against the notice they answer",
        )
    notice.answer = f"{notice.answer or ''}\n---\n{text}".strip()
    key = principal.key_id if principal else None
    uow.emit(NoticeAnswered(notice.id, sighting_id, sighting.platform, text, key))


def list_sightings(
    session: Session, *, platform: str | None = None, limit: int = 1000
) -> list[Sighting]:
    """Sightings, oldest first (of one platform, if named)."""
    platform_id = get_platform(session, platform).id if platform else None
    platforms = _repo.platforms_by_id(session)
    return [
        _repo.to_sighting(r, platforms[r.platform_id].name)
        for r in _repo.sighting_rows(session, platform_id=platform_id, limit=limit)
    ]
