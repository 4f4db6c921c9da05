"""Scan records for auditors: ``GET /v1/scans`` (filtered, in pages) and ``/v1/scans/{id}``.

Role auditor (or admin). Records hold hashes, matches and AI-provenance evidence, never media
and never the prompts a file held.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from amparo import scan
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.api._schemas import DecisionOut, MatchOut, ProvenanceOut
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/scans", tags=["scans"], route_class=GuardedRoute)

Auditor = Annotated[Principal, Depends(require_role("auditor"))]


class ScanRecordOut(BaseModel):
    scan_id: str
    created_at: str = Field(description="When the scan was made (UTC, ISO 8601)")
    source: str = Field(description="upload, url, cli or hash")
    filename: str | None = Field(description="The upload's file name, URL or path, if any")
    hashes: dict[str, str] = Field(description="The signals looked up, {type: hex}")
    pdq_quality: int | None
    matched: bool
    matches: list[MatchOut]
    provenance: ProvenanceOut | None
    key_id: int | None = Field(description="The API key that asked, if any")
    decision: DecisionOut | None = Field(
        description="What the policy decided (null for scans made before policies)"
    )
    content: dict[str, str] | None = Field(
        description="The caller's content metadata (content_id, uploader_id, surface, country)"
    )


class ScanListOut(BaseModel):
    scans: list[ScanRecordOut] = Field(description="Oldest first")
    next_after: str | None = Field(description="Pass as after for the next page; null at the end")


@router.get(
    "",
    response_model=ScanListOut,
    summary="List scans, oldest first, filtered by time, outcome, source and key (auditors)",
)
def list_scans(
    amparo: RuntimeDep,
    _: Auditor,
    since: Annotated[
        datetime | None, Query(description="Made at or after this time (ISO 8601; UTC if naive)")
    ] = None,
    until: Annotated[datetime | None, Query(description="Made before this time")] = None,
    matched: Annotated[
        bool | None, Query(description="Only scans with (or without) a match")
    ] = None,
    source: Annotated[
        str | None, Query(max_length=16, description="upload, url, cli or hash")
    ] = None,
    key_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only scans made with this key")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=scan.MAX_PAGE, description="Page size")] = 100,
    after: Annotated[
        str | None, Query(max_length=36, description="The next_after of the previous page")
    ] = None,
) -> dict[str, Any]:
    with amparo.session() as s:
        found = scan.list_scans(
            s,
            since=since,
            until=until,
            matched=matched,
            source=source,
            key_id=key_id,
            after=after,
            limit=limit,
        )
    return {
        "scans": [f.to_dict() for f in found],
        "next_after": found[-1].scan_id if len(found) == limit else None,
    }


@router.get("/{scan_id}", response_model=ScanRecordOut, summary="One scan record (auditors)")
def get_scan(
    scan_id: Annotated[str, Path(max_length=36, description="The scan's id")],
    amparo: RuntimeDep,
    _: Auditor,
) -> dict[str, Any]:
    with amparo.session() as s:
        return scan.get_scan(s, scan_id).to_dict()
