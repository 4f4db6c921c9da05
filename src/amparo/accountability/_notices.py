"""The notice round: send every notice that is due, record each one and its answer.

A sighting's first notice is due when it is recorded; after each delivered notice the next
is due ``interval`` later, until a takedown check records the removal. From notice
``escalate_after + 1`` on, each notice also goes to the platform's legal contact (by
e-mail). A failed delivery is tried again after a back-off (5 minutes doubling, at most the
interval). Every notice is ledgered (``accountability.notice``), with the channel's answer
(``accountability.notice_answer``) or the failure (``accountability.notice_failed``).

Due notices are claimed first (see :mod:`amparo.accountability._repo`), delivered outside
any transaction, then recorded, each in its own unit of work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from amparo.accountability import _repo
from amparo.accountability._channels import Notifier
from amparo.accountability._events import NoticeAnswered, NoticeFailed, NoticeSent
from amparo.accountability._model import AI_VERDICTS, Notice, Platform
from amparo.errors import AmparoError
from amparo.store import NoticeRow, UnitOfWork

__all__ = ["NoticePolicy", "explanation", "run_notice_round"]

Transactions = Callable[[], AbstractContextManager[UnitOfWork]]
_RETRY = timedelta(minutes=5)


@dataclass(frozen=True)
class NoticePolicy:
    """When notices go out, and who they come from."""

    interval: timedelta = timedelta(hours=24)
    escalate_after: int = 3
    check_after: timedelta = timedelta(hours=1)
    notifier_name: str = "Amparo"
    notifier_email: str | None = None
    batch: int = 50
    # Deliveries are sequential and each may take its whole timeout: a long lease, so a
    # live replica's claim never lapses mid-round (a lapsed one would notice twice).
    lease: timedelta = timedelta(hours=2)


def explanation(matched_banks: tuple[str, ...], ai_verdict: str | None) -> str:
    """Why the item is illegal (DSA Art. 16(2)(a)), from what its intake found."""
    if matched_banks:
        why = (
            "The file served at this location matches entries of the hash list(s) "
            f"{', '.join(matched_banks)} of known child sexual abuse material."
        )
    else:
        why = "An investigator identified the file served at this location as child sexual "
        why += "abuse material."
    why += (
        " Its dissemination is a criminal offence under Article 5 of Directive 2011/93/EU "
        "and the national laws implementing it."
    )
    if ai_verdict in AI_VERDICTS:
        why += (
            f" Provenance analysis indicates it is AI-generated ({ai_verdict}); "
            "AI-generated child sexual abuse material is illegal as well."
        )
    return why


@dataclass(frozen=True)
class _Due:
    sighting_id: int
    claim: str | None
    notice: Notice
    platform: Platform


def _claim(transactions: Transactions, policy: NoticePolicy, now: datetime) -> list[_Due]:
    with transactions() as uow:
        rows = _repo.claim_due(uow, "notice", now, now + policy.lease, policy.batch)
        platforms = _repo.platforms_by_id(uow)
        due = []
        for row in rows:
            platform = _repo.to_platform(platforms[row.platform_id])
            number = row.notices_sent + 1
            notice = Notice(
                sighting_id=row.id,
                number=number,
                platform=platform.name,
                url=row.url,
                explanation=explanation(tuple(row.matched_banks), row.ai_verdict),
                notifier_name=policy.notifier_name,
                notifier_email=policy.notifier_email,
                trusted_flagger=platform.trusted_flagger,
                escalated=number > policy.escalate_after,
                sha256=row.sha256,
                first_seen_at=row.first_seen_at,
            )
            due.append(_Due(row.id, row.claim, notice, platform))
        return due


def _record(
    uow: UnitOfWork,
    notice: Notice,
    channel: str,
    recipient: str,
    now: datetime,
    outcome: str | AmparoError,
    *,
    to_legal: bool,
) -> bool:
    delivered = isinstance(outcome, str)
    answer = outcome if isinstance(outcome, str) else outcome.message
    row = NoticeRow(
        sighting_id=notice.sighting_id,
        number=notice.number,
        channel=channel,
        recipient=recipient,
        escalated=to_legal,
        sent_at=now,
        delivered=delivered,
        content_sha256=hashlib.sha256(notice.text().encode()).hexdigest(),
        answer=answer,
    )
    uow.add(row)
    uow.flush()
    if delivered:
        uow.emit(
            NoticeSent(
                row.id,
                notice.sighting_id,
                notice.platform,
                notice.number,
                channel,
                recipient,
                row.escalated,
                notice.trusted_flagger,
                notice.url,
                row.content_sha256,
            )
        )
        uow.emit(NoticeAnswered(row.id, notice.sighting_id, notice.platform, answer, None))
    else:
        uow.emit(
            NoticeFailed(
                row.id,
                notice.sighting_id,
                notice.platform,
                channel,
                recipient,
                row.escalated,
                answer,
            )
        )
    return delivered


def _deliver(notifier: Notifier, channel: str, target: str, notice: Notice) -> str | AmparoError:
    try:
        return notifier.deliver(channel, target, notice)
    except AmparoError as exc:
        return exc


def run_notice_round(
    transactions: Transactions, notifier: Notifier, policy: NoticePolicy, now: datetime
) -> int:
    """Send the notices due at ``now`` (see the module docstring); return how many
    sightings were handled."""
    due = _claim(transactions, policy, now)
    for item in due:
        notice, platform = item.notice, item.platform
        primary = _deliver(notifier, platform.channel, platform.channel_target, notice)
        legal = None
        if notice.escalated and platform.legal_contact:
            legal = _deliver(notifier, "email", platform.legal_contact, notice)
        with transactions() as uow:
            row = _repo.sighting_row(uow, item.sighting_id, lock=True)
            if row is None:  # deleted meanwhile: nothing to schedule
                continue
            target = platform.channel_target
            ok = _record(uow, notice, platform.channel, target, now, primary, to_legal=False)
            if legal is not None and platform.legal_contact:
                contact = platform.legal_contact
                _record(uow, notice, "email", contact, now, legal, to_legal=True)
            if ok:
                row.notices_sent = notice.number
                row.notice_failures = 0
                if row.first_notice_at is None:
                    row.first_notice_at = now
                    _repo.mark_noticed(uow, row.id)
                if row.next_check_at is None and row.state == "open":
                    row.next_check_at = now + policy.check_after
                row.next_notice_at = now + policy.interval if row.state == "open" else None
            else:
                row.notice_failures += 1
                wait = min(policy.interval, _RETRY * (1 << min(row.notice_failures - 1, 20)))
                row.next_notice_at = now + wait if row.state == "open" else None
            if row.claim == item.claim:
                row.claim = None
    return len(due)
