"""Review use cases: queue an item, list queues and items, claim, decide.

Every function takes the unit of work of its caller (``enqueue_review`` runs in the scan's
own transaction) and emits its event there: an item exists exactly when its scan does, and
a decision exactly when what it did (a disabled entry, an allow-list entry, an escalation).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy.orm import Session

from amparo import banks
from amparo.auth import Principal
from amparo.errors import InputError, NotFoundError, PermissionDeniedError
from amparo.review import _repo
from amparo.review._events import ReviewClaimed, ReviewDecided, ReviewEnqueued
from amparo.review._feedback import exchange_feedback
from amparo.review._model import (
    MAX_RULE,
    AlreadyDecidedError,
    ClaimConflictError,
    QueueSummary,
    ReviewItem,
    Verdict,
    check_queue,
)
from amparo.scan import StoredScan, get_scan
from amparo.store import ReviewItemRow, UnitOfWork, utcnow

__all__ = [
    "ESCALATION_QUEUE",
    "REVIEW_ROLES",
    "claim_item",
    "decide_item",
    "enqueue_review",
    "enqueue_review_later",
    "get_item",
    "item_scan",
    "list_items",
    "list_queues",
    "require_media_role",
]

ESCALATION_QUEUE = "escalated"
"""Where an escalated item goes (as a new item, same priority and SLA)."""
REVIEW_ROLES: tuple[str, ...] = ("reviewer",)
"""Roles that may claim and decide (admin always may)."""
_MAX_SLA = 366 * 86_400
_ALLOW_TAG = "allow_list"


class NewItem(TypedDict):
    """What queues a scan for review (see :func:`enqueue_review`)."""

    scan_id: str
    queue: str
    priority: int
    sla_seconds: int
    rule: str
    evidence_id: str | None


def enqueue_review(
    uow: UnitOfWork, *, now: datetime | None = None, **item: Unpack[NewItem]
) -> ReviewItem:
    """Queue scan ``scan_id`` for a person's decision, due ``sla_seconds`` from now.

    ``priority``: higher is more urgent (0-1000). ``evidence_id`` names the media in the
    evidence vault (None: nothing preserved, nothing to show). The scan row need not be
    written yet. A scan's own transaction uses :func:`enqueue_review_later`.
    """
    (queued,) = _insert(uow, [_checked(item, now or utcnow())])
    return queued


def enqueue_review_later(uow: UnitOfWork, **item: Unpack[NewItem]) -> None:
    """:func:`enqueue_review`, checked now and written just before ``uow`` commits, with
    every other item queued so in it, in one statement (:meth:`UnitOfWork.defer`): the scan
    writer's group commit of a hundred detections writes their items at once."""
    uow.defer("review.items", _insert, _checked(item, utcnow()))


def _checked(item: NewItem, now: datetime) -> dict[str, Any]:
    """The new item's columns, checked (:class:`InputError` names what is wrong)."""
    queue, priority, sla_seconds = item["queue"], item["priority"], item["sla_seconds"]
    rule, scan_id, evidence_id = item["rule"], item["scan_id"], item["evidence_id"]
    check_queue(queue)
    if not 0 <= priority <= 1000:
        raise InputError(f"priority {priority} is out of range", hint="use 0 to 1000")
    if not 0 < sla_seconds <= _MAX_SLA:
        raise InputError(f"sla_seconds {sla_seconds} is out of range", hint="1 s to a year")
    if not rule or len(rule) > MAX_RULE:
        raise InputError("rule needs 1 to 255 characters", hint="name the rule that fired")
    if not scan_id or len(scan_id) > 36:
        raise InputError("scan_id needs 1 to 36 characters")
    if evidence_id is not None and not 0 < len(evidence_id) <= 128:
        raise InputError("evidence_id needs 1 to 128 characters")
    return {**item, "due_at": now + timedelta(seconds=sla_seconds), "created_at": now}


def _insert(uow: UnitOfWork, items: list[dict[str, Any]]) -> list[ReviewItem]:
    queued = _repo.insert_items(uow, items)
    for q in queued:
        event = ReviewEnqueued(
            q.id, q.scan_id, q.queue, q.priority, q.sla_seconds, q.rule, q.evidence_id
        )
        uow.emit(event)
    return queued


def list_queues(session: Session, now: datetime | None = None) -> list[QueueSummary]:
    """Every queue with open items, by name."""
    return _repo.queues(session, now or utcnow())


def list_items(
    session: Session,
    *,
    queue: str | None = None,
    status: str | None = "open",
    after_id: int = 0,
    limit: int = 100,
) -> list[ReviewItem]:
    """Items (open ones by default), most urgent first: priority, then deadline."""
    if queue is not None:
        check_queue(queue)
    if status not in (None, "open", "decided"):
        raise InputError(f"unknown status {str(status)[:20]!r}", hint="open or decided")
    return _repo.items(
        session,
        queue=queue,
        status=status,
        after_id=max(0, min(after_id, 2**63 - 1)),
        limit=max(1, min(limit, 1000)),
    )


def _row(session: Session, item_id: int) -> ReviewItemRow:
    row = _repo.item_row(session, item_id)
    if row is None:
        raise NotFoundError(
            f"no review item {item_id}", hint="list items with GET /v1/review/items"
        )
    return row


def get_item(session: Session, item_id: int) -> ReviewItem:
    """Item ``item_id``, or :class:`NotFoundError`."""
    return _repo.to_item(_row(session, item_id))


def item_scan(session: Session, item: ReviewItem) -> StoredScan | None:
    """The scan an item is about (its signals, matches, provenance), if recorded."""
    try:
        return get_scan(session, item.scan_id)
    except NotFoundError:
        return None


def _reviewer(principal: Principal) -> None:
    principal.require(*REVIEW_ROLES)


def claim_item(
    uow: UnitOfWork,
    item_id: int,
    *,
    principal: Principal,
    claim_seconds: int,
    now: datetime | None = None,
) -> ReviewItem:
    """Claim an item for ``claim_seconds`` (claiming it again extends the claim).

    Raises :class:`ClaimConflictError` (409) while someone else's claim is live,
    :class:`AlreadyDecidedError` (409) for a decided item, :class:`NotFoundError`.
    """
    _reviewer(principal)
    now = now or utcnow()
    until = now + timedelta(seconds=claim_seconds)
    if not _repo.take_claim(uow, item_id, principal.actor, now, until):
        row = _row(uow, item_id)
        if row.status != "open":
            raise _decided(row)
        raise ClaimConflictError(
            f"review item {item_id} is claimed by {row.claimed_by} until "
            f"{row.claimed_until:%H:%M:%S} UTC",
            hint="choose another item; a claim ends when it is decided or expires",
        )
    uow.emit(ReviewClaimed(item_id, principal.actor, until.isoformat()))
    return _repo.to_item(_row(uow, item_id))


def _decided(row: ReviewItemRow) -> AlreadyDecidedError:
    return AlreadyDecidedError(
        f"review item {row.id} was already decided ({row.decision}) by {row.decided_by}",
        hint="a decision is final; list open items with GET /v1/review/items",
    )


def decide_item(
    uow: UnitOfWork,
    item_id: int,
    verdict: Verdict,
    *,
    principal: Principal,
    allow_list_bank: str = "LOCAL_ALLOW_LIST",
    now: datetime | None = None,
) -> ReviewItem:
    """Decide an item the caller has claimed, and do what the decision says.

    ``confirmed`` records the category and the ``generative_ai`` flag; ``false_positive``
    disables the matched bank entry (``disable_entry``) or adds the scan's hashes to
    ``allow_list_bank`` (``allow_list``), and says whether the entry's exchange was told;
    ``escalate`` queues the scan again in :data:`ESCALATION_QUEUE`. The outcome is stored
    on the item and ledgered with the decision, in one transaction.

    Raises :class:`AlreadyDecidedError` (409) for a decided item, :class:`ClaimConflictError`
    (409) unless the caller holds a live claim, :class:`InputError` for an incomplete
    verdict or an entry that is not among the scan's matches.
    """
    _reviewer(principal)
    verdict = verdict.checked()
    now = now or utcnow()
    actor = principal.actor
    if not _repo.take_decision(uow, item_id, actor, verdict.decision, now):
        row = _row(uow, item_id)
        if row.status != "open":
            raise _decided(row)
        raise ClaimConflictError(
            f"review item {item_id} is not claimed by you"
            + (
                f" (claimed by {row.claimed_by})"
                if row.claimed_until and row.claimed_until > now
                else ""
            ),
            hint="claim it first (POST /v1/review/items/ID/claim, or 'c' in the console)",
        )
    item = _repo.to_item(_row(uow, item_id))
    outcome: dict[str, Any] = {"decision": verdict.decision, "note": verdict.note}
    bank = entry_id = feedback = escalated = None
    if verdict.decision == "confirmed":
        outcome |= {"category": verdict.category, "generative_ai": verdict.generative_ai}
    elif verdict.decision == "false_positive":
        if verdict.action == "disable_entry":
            bank, entry_id, feedback = _disable_entry(uow, item, verdict)
        else:
            bank, entry_id = _allow_list(uow, item, allow_list_bank, actor)
        outcome |= {"action": verdict.action, "bank": bank, "entry_id": entry_id}
        outcome["feedback"] = feedback
    else:
        new = enqueue_review(
            uow,
            scan_id=item.scan_id,
            queue=ESCALATION_QUEUE,
            priority=item.priority,
            sla_seconds=item.sla_seconds,
            rule=f"escalated from item {item.id}: {item.rule}"[:MAX_RULE],
            evidence_id=item.evidence_id,
            now=now,
        )
        escalated = new.id
        outcome["escalated_to"] = escalated
    _repo.set_outcome(uow, item_id, outcome)
    uow.emit(
        ReviewDecided(
            item_id,
            item.scan_id,
            actor,
            verdict.decision,
            verdict.category,
            verdict.generative_ai,
            verdict.action,
            bank,
            entry_id,
            feedback,
            escalated,
            verdict.note,
        )
    )
    return _repo.to_item(_row(uow, item_id))


def _scan_for(uow: UnitOfWork, item: ReviewItem) -> StoredScan:
    scan = item_scan(uow, item)
    if scan is None:
        raise InputError(
            f"scan {item.scan_id} of review item {item.id} is not recorded",
            hint="decide it as 'escalate', or retry once the scan is stored",
        )
    return scan


def _disable_entry(uow: UnitOfWork, item: ReviewItem, verdict: Verdict) -> tuple[str, int, str]:
    scan = _scan_for(uow, item)
    matches = [
        (str(m["bank"]), int(m["entry_id"]), str(m.get("source") or "")) for m in scan.matches
    ]
    if verdict.bank is None:
        if not matches:
            raise InputError(
                f"scan {scan.scan_id} matched no bank entry", hint="use the action allow_list"
            )
        chosen = matches[0]
    else:
        found = [m for m in matches if m[:2] == (verdict.bank, verdict.entry_id)]
        if not found:
            raise InputError(
                f"entry {verdict.entry_id} of bank {verdict.bank!r} is not among the scan's "
                "matches",
                hint="name one of the matched entries, or leave bank and entry_id out",
            )
        chosen = found[0]
    bank, entry_id, _ = chosen
    entry = banks.update_entry(uow, bank, entry_id, disable_until_ts=0)
    return bank, entry_id, exchange_feedback(uow, entry.source)


def _allow_list(uow: UnitOfWork, item: ReviewItem, bank: str, actor: str) -> tuple[str, int]:
    scan = _scan_for(uow, item)
    if not scan.hashes:
        raise InputError(f"scan {scan.scan_id} has no hashes to allow-list")
    try:
        banks.get_bank(uow, bank)
    except NotFoundError:
        banks.create_bank(
            uow, bank, description="hashes that reviewers found to be false positives"
        )
    entry = banks.add_entry(
        uow,
        bank,
        banks.NewEntry(
            signals=dict(scan.hashes),
            source="review",
            source_id=f"item-{item.id}",
            tags=(_ALLOW_TAG,),
            note=f"false positive, review item {item.id}, {actor}"[:255],
        ),
    )
    return bank, entry.id


def require_media_role(principal: Principal) -> None:
    """Only ``reviewer`` and ``admin`` see media."""
    if principal.role not in ("admin", *REVIEW_ROLES):
        raise PermissionDeniedError(
            f"{principal.kind} {principal.name!r} has role {principal.role!r}; only reviewers "
            "and admins see media",
            hint="ask an admin for a reviewer account",
        )
