"""Review for machines: ``/v1/review/...`` — queues, items, claims and decisions.

Roles reviewer (or admin); queueing an item by hand is admin's (the policy queues them in
the scan's own transaction). No media is served here: people see media only in the
console (``/review``), as previews from the evidence vault.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from amparo import review
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal
from amparo.store import utcnow

__all__ = ["router"]

router = APIRouter(prefix="/v1/review", tags=["review"], route_class=GuardedRoute)

Reviewer = Annotated[Principal, Depends(require_role(*review.REVIEW_ROLES))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The review item's id")]


class ItemOut(BaseModel):
    id: int
    scan_id: str
    queue: str
    priority: int = Field(description="Higher is more urgent")
    sla_seconds: int
    due_at: str = Field(description="When a decision is due (UTC, ISO 8601)")
    overdue: bool
    rule: str = Field(description="The policy rule that sent the scan to review")
    evidence_id: str | None = Field(description="The media in the evidence vault, if preserved")
    status: Literal["open", "decided"]
    claimed_by: str | None = Field(description="Who holds a live claim (key:NAME#ID, user:NAME)")
    claimed_until: str | None
    decision: str | None
    outcome: dict[str, Any] | None = Field(
        description="What the decision did: category, generative_ai, action, bank, entry_id, "
        "feedback (whether the entry's exchange was told), escalated_to"
    )
    decided_by: str | None
    decided_at: str | None
    created_at: str


class ItemsOut(BaseModel):
    items: list[ItemOut] = Field(description="Open items most urgent first")


class QueueOut(BaseModel):
    queue: str
    open: int
    claimed: int
    overdue: int
    next_due_at: str | None


class QueuesOut(BaseModel):
    queues: list[QueueOut]


class ItemDetailOut(ItemOut):
    scan: dict[str, Any] | None = Field(
        description="The scan: signals, matches, provenance (null if not recorded)"
    )


class EnqueueIn(BaseModel):
    scan_id: str = Field(min_length=1, max_length=36)
    queue: str = Field(min_length=1, max_length=64, description="e.g. csam_high")
    priority: int = Field(0, ge=0, le=1000, description="Higher is more urgent")
    sla_seconds: int = Field(86_400, ge=1, le=366 * 86_400)
    rule: str = Field(min_length=1, max_length=255)
    evidence_id: str | None = Field(None, min_length=1, max_length=128)


class DecideIn(BaseModel):
    decision: Literal["confirmed", "false_positive", "escalate"]
    category: Literal["A1", "A2", "B1", "B2"] | None = Field(
        None, description="NCMEC industry category (confirmed only)"
    )
    generative_ai: bool = Field(False, description="The media is AI-generated (confirmed only)")
    action: Literal["disable_entry", "allow_list"] | None = Field(
        None, description="false_positive only: disable the matched entry, or allow-list"
    )
    bank: str | None = Field(None, max_length=255, description="disable_entry: which bank")
    entry_id: int | None = Field(None, ge=1, le=2**63 - 1, description="...and which entry")
    note: str | None = Field(None, max_length=1000)


@router.get("/queues", response_model=QueuesOut, summary="Queues with open items")
def queues(amparo: RuntimeDep, _: Reviewer) -> dict[str, Any]:
    with amparo.session() as s:
        found = review.list_queues(s)
    return {"queues": [q.to_dict() for q in found]}


@router.get("/items", response_model=ItemsOut, summary="Review items, most urgent first")
def items(
    amparo: RuntimeDep,
    _: Reviewer,
    queue: Annotated[str | None, Query(max_length=64, description="Only this queue")] = None,
    status: Annotated[
        Literal["open", "decided"], Query(description="open (default) or decided")
    ] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    now = utcnow()
    with amparo.session() as s:
        found = review.list_items(s, queue=queue, status=status, limit=limit)
    return {"items": [i.to_dict(now) for i in found]}


@router.post("/items", response_model=ItemOut, status_code=201, summary="Queue a scan (admin)")
def enqueue(amparo: RuntimeDep, _: Admin, body: EnqueueIn) -> dict[str, Any]:
    with amparo.session() as s:
        item = review.enqueue_review(s, **body.model_dump())
    return item.to_dict(utcnow())


@router.get("/items/{item_id}", response_model=ItemDetailOut, summary="One item with its scan")
def item(amparo: RuntimeDep, _: Reviewer, item_id: ItemId) -> dict[str, Any]:
    with amparo.session() as s:
        found = review.get_item(s, item_id)
        scan = review.item_scan(s, found)
    return {**found.to_dict(utcnow()), "scan": scan.to_dict() if scan else None}


@router.post(
    "/items/{item_id}/claim",
    response_model=ItemOut,
    summary="Claim an item (409 if someone else holds it)",
    description="The claim lasts AMPARO_REVIEW_CLAIM_SECONDS; claiming again extends it.",
)
def claim(amparo: RuntimeDep, principal: Reviewer, item_id: ItemId) -> dict[str, Any]:
    with amparo.session() as s:
        found = review.claim_item(
            s,
            item_id,
            principal=principal,
            claim_seconds=amparo.settings.review_claim_seconds,
        )
    return found.to_dict(utcnow())


@router.post(
    "/items/{item_id}/decide",
    response_model=ItemOut,
    summary="Decide a claimed item (409 if decided already or not claimed by you)",
)
def decide(
    amparo: RuntimeDep, principal: Reviewer, item_id: ItemId, body: DecideIn
) -> dict[str, Any]:
    verdict = review.Verdict(**body.model_dump())
    with amparo.session() as s:
        found = review.decide_item(
            s,
            item_id,
            verdict,
            principal=principal,
            allow_list_bank=amparo.settings.review_allow_list_bank,
        )
    return found.to_dict(utcnow())
