"""Report drafts: ``GET /v1/reports`` and ``/v1/reports/{id}`` (roles reviewer, auditor).

A draft holds what a NCMEC CyberTipline report or a DSA statement of reasons will need:
hashes, matches, provenance and the caller's content metadata. Never media.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from amparo import reporting
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=GuardedRoute)

Reader = Annotated[Principal, Depends(require_role("reviewer", "auditor"))]


class ReportDraftOut(BaseModel):
    id: int
    kind: str = Field(description="ncmec or dsa")
    scan_id: str
    rule: str = Field(description="The policy rule that asked for the report")
    status: str = Field(description="draft: stored, not sent")
    created_at: str
    facts: dict[str, Any] = Field(
        description="What the report needs, with the receiving schema's field names under "
        "'ncmec' or 'dsa'"
    )


class ReportDraftListOut(BaseModel):
    reports: list[ReportDraftOut] = Field(description="Oldest first")
    next_after: int | None = Field(description="Pass as after for the next page; null at end")


@router.get("", response_model=ReportDraftListOut, summary="List report drafts, oldest first")
def list_reports(
    amparo: RuntimeDep,
    _: Reader,
    kind: Annotated[str | None, Query(max_length=16, description="ncmec or dsa")] = None,
    scan_id: Annotated[str | None, Query(max_length=36, description="Only this scan")] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Start after this id")] = 0,
    limit: Annotated[int, Query(ge=1, le=reporting.MAX_PAGE, description="Page size")] = 100,
) -> dict[str, Any]:
    with amparo.session() as s:
        found = reporting.list_drafts(s, kind=kind, scan_id=scan_id, after_id=after, limit=limit)
    return {
        "reports": [d.to_dict() for d in found],
        "next_after": found[-1].id if len(found) == limit else None,
    }


@router.get("/{draft_id}", response_model=ReportDraftOut, summary="One report draft")
def get_report(
    draft_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The draft's id")],
    amparo: RuntimeDep,
    _: Reader,
) -> dict[str, Any]:
    with amparo.session() as s:
        return reporting.get_draft(s, draft_id).to_dict()
