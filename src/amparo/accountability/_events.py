"""Events of accountability: platforms, sightings, notices and their answers, takedown
checks, removals and re-uploads. Never media; hashes of media only (auditors may see them).

Each event names the sighting (or platform) it is about, so a report can link every figure
to the ledger entries behind it (:func:`amparo.accountability.ledger_refs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = [
    "ItemRemoved",
    "NoticeAnswered",
    "NoticeFailed",
    "NoticeSent",
    "PlatformConfigured",
    "ReuploadLinked",
    "SightingRecorded",
    "TakedownChecked",
]


@dataclass(frozen=True)
class PlatformConfigured(Event):
    """A platform was added (or its record replaced): where its notices go."""

    kind = "accountability.platform"

    platform: str
    hostnames: tuple[str, ...]
    channel: str
    channel_target: str
    legal_contact: str | None
    trusted_flagger: bool


@dataclass(frozen=True)
class SightingRecorded(Event):
    """An investigator saw an item online; it was fetched, hashed, matched and preserved."""

    kind = "accountability.sighting"

    sighting_id: int
    platform: str
    url: str
    first_seen_at: str
    found_by: str
    key_id: int | None
    scan_id: str | None
    evidence_id: str
    md5: str
    sha256: str
    pdq: str | None
    ai_verdict: str | None
    matched_banks: tuple[str, ...]


@dataclass(frozen=True)
class NoticeSent(Event):
    """A notice (DSA Art. 16) went to a platform's channel (or, escalated, its legal
    contact). ``content_sha256`` is the digest of exactly what was sent."""

    kind = "accountability.notice"

    notice_id: int
    sighting_id: int
    platform: str
    number: int
    channel: str
    recipient: str
    escalated: bool
    trusted_flagger: bool
    url: str
    content_sha256: str


@dataclass(frozen=True)
class NoticeAnswered(Event):
    """What the platform's side answered to a notice: the channel's reply (SMTP, webhook or
    API answer; ``key_id`` None), or a later answer recorded by an investigator's key."""

    kind = "accountability.notice_answer"

    notice_id: int
    sighting_id: int
    platform: str
    answer: str
    key_id: int | None


@dataclass(frozen=True)
class NoticeFailed(Event):
    """A notice could not be delivered; it is tried again later."""

    kind = "accountability.notice_failed"

    notice_id: int
    sighting_id: int
    platform: str
    channel: str
    recipient: str
    escalated: bool
    error: str


@dataclass(frozen=True)
class TakedownChecked(Event):
    """A noticed URL was checked again: what it answered and served (hashes only)."""

    kind = "accountability.check"

    check_id: int
    sighting_id: int
    platform: str
    outcome: str
    status: int | None
    final_url: str | None
    sha256: str | None
    pdq: str | None
    detail: str | None


@dataclass(frozen=True)
class ItemRemoved(Event):
    """A check found a noticed item gone (``removal_kind``: gone, soft_removed, geo_blocked,
    redirected, replaced); ``removed_at`` is that check's time."""

    kind = "accountability.removal"

    sighting_id: int
    platform: str
    removal_kind: str
    removed_at: str
    first_notice_at: str | None
    notices_sent: int


@dataclass(frozen=True)
class ReuploadLinked(Event):
    """A scan or sighting matched an item already noticed."""

    kind = "accountability.reupload"

    reupload_id: int
    original_sighting_id: int
    source: str
    source_ref: str
    platform: str | None
    matched_by: str
    distance: int
    delay_seconds: int
