"""Evidence vault routes: ``/v1/evidence`` — metadata, legal holds, purging, exports.

No route returns plaintext media. ``POST /v1/evidence/export`` answers an ``age`` file
encrypted to the caller's recipient, for ``investigator`` (or ``admin``) with a reason.
Metadata is for ``reviewer``, ``investigator`` and ``auditor``; holds are placed by an
``investigator`` and released by an ``admin``; purging named items is an ``admin``'s. Every
call is recorded in the ledger (who, and for holds and exports, why).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from amparo import evidence
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/evidence", tags=["evidence"], route_class=GuardedRoute)

Reader = Annotated[Principal, Depends(require_role(*evidence.METADATA_ROLES))]
Holder = Annotated[Principal, Depends(require_role(*evidence.HOLD_ROLES))]
Exporter = Annotated[Principal, Depends(require_role(*evidence.EXPORT_ROLES))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
ItemId = Annotated[str, Path(max_length=36, description="The item's id (a UUID)")]
Reason = Field(max_length=1000, description="Why (recorded in the ledger); required")


class HoldOut(BaseModel):
    hold_id: int
    item_id: str
    placed_by: str
    placed_at: str
    reason: str
    active: bool
    released_by: str | None
    released_at: str | None
    release_reason: str | None


class EvidenceItemOut(BaseModel):
    item_id: str
    sha256: str = Field(description="SHA-256 of the plaintext")
    size: int = Field(description="Plaintext bytes")
    media_type: str | None
    source: str = Field(description="Where it came from: scan, sighting...")
    scan_id: str | None
    key_id: str = Field(description="The key-encryption key that wraps its data key")
    created_at: str
    retain_until: str = Field(description="Kept at least until then (UTC, ISO 8601)")
    legal_hold: bool = Field(description="A legal hold blocks its deletion")
    purged_at: str | None = Field(description="When its media was destroyed, if it was")
    holds: list[HoldOut]


class EvidenceListOut(BaseModel):
    items: list[EvidenceItemOut] = Field(description="Oldest first")
    next_after: str | None = Field(description="Pass as after for the next page; null at the end")


class ReasonIn(BaseModel):
    reason: str = Reason


class PurgeIn(BaseModel):
    item_ids: list[str] | None = Field(
        None,
        max_length=500,
        description="Purge exactly these (each expired and not held, or nothing is purged); "
        "omit to purge everything whose retention ended and no hold keeps",
    )


class PurgeOut(BaseModel):
    purged: list[str] = Field(description="The ids of the items purged")


class ExportIn(BaseModel):
    item_ids: list[str] = Field(min_length=1, max_length=1000)
    recipient: str = Field(
        max_length=4096, description="age recipient: age1... or an SSH public key"
    )
    reason: str = Reason


@router.get(
    "", response_model=EvidenceListOut, summary="List evidence items' metadata (never media)"
)
def list_items(
    amparo: RuntimeDep,
    principal: Reader,
    after: Annotated[
        str | None, Query(max_length=36, description="The next_after of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 100,
    scan_id: Annotated[str | None, Query(max_length=36, description="Only this scan's")] = None,
    source: Annotated[str | None, Query(max_length=32, description="Only this source")] = None,
    legal_hold: Annotated[bool | None, Query(description="Only items (not) held")] = None,
    include_purged: Annotated[bool, Query(description="Also purged items' tombstones")] = False,
) -> dict[str, Any]:
    with amparo.session() as uow:
        items = amparo.vault.list_items(
            uow,
            principal=principal,
            after=after,
            limit=limit,
            scan_id=scan_id,
            source=source,
            legal_hold=legal_hold,
            include_purged=include_purged,
        )
    return {
        "items": [i.to_dict() for i in items],
        "next_after": items[-1].item_id if len(items) == limit else None,
    }


@router.get(
    "/{item_id}",
    response_model=EvidenceItemOut,
    summary="One evidence item's metadata and legal holds (never media)",
)
def show_item(item_id: ItemId, amparo: RuntimeDep, principal: Reader) -> dict[str, Any]:
    with amparo.session() as uow:
        return amparo.vault.show(uow, item_id, principal=principal).to_dict()


@router.post(
    "/{item_id}/holds",
    status_code=201,
    response_model=HoldOut,
    summary="Place a legal hold on an item (investigators): it is not purged while held",
)
def place_hold(
    item_id: ItemId, body: ReasonIn, amparo: RuntimeDep, principal: Holder
) -> dict[str, Any]:
    with amparo.session() as uow:
        hold = amparo.vault.place_hold(uow, item_id, principal=principal, reason=body.reason)
    return hold.to_dict()


@router.post(
    "/holds/{hold_id}/release",
    response_model=HoldOut,
    summary="Release a legal hold (admins)",
)
def release_hold(
    hold_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The hold's id")],
    body: ReasonIn,
    amparo: RuntimeDep,
    principal: Admin,
) -> dict[str, Any]:
    with amparo.session() as uow:
        hold = amparo.vault.release_hold(uow, hold_id, principal=principal, reason=body.reason)
    return hold.to_dict()


@router.post(
    "/purge",
    response_model=PurgeOut,
    summary="Purge evidence whose retention ended and that no legal hold keeps (admins)",
)
def purge(body: PurgeIn, amparo: RuntimeDep, principal: Admin) -> dict[str, Any]:
    if body.item_ids is None:
        return {"purged": amparo.purge_evidence(principal)}
    with amparo.session() as uow:
        done = amparo.vault.purge(uow, item_ids=body.item_ids, principal=principal)
    return {"purged": [i.item_id for i in done]}


@router.post(
    "/export",
    response_class=Response,
    summary="Export items as one age file encrypted to a recipient (investigators)",
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "An age file: a tar of manifest.json and the items' media",
        }
    },
)
def export(body: ExportIn, amparo: RuntimeDep, principal: Exporter) -> Response:
    with amparo.session() as uow:
        archive = amparo.vault.export_to(
            uow, body.item_ids, body.recipient, principal=principal, reason=body.reason
        )
    return Response(
        archive,
        media_type="application/octet-stream",
        headers={"Content-Disposition": 'attachment; filename="evidence.age"'},
    )
