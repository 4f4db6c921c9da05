"""Case packages over HTTP (investigators): ``/v1/cases``, mirroring ``amparo case``.

An export answers with the archive itself (``application/x-tar``), written to a private
temporary folder in the data directory and deleted once sent. Verifying an archive needs
no server: ``amparo case verify``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from amparo import cases
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=GuardedRoute)

Investigator = Annotated[Principal, Depends(require_role(*cases.CASE_ROLES))]
CaseName = Annotated[str, PathParam(min_length=1, max_length=255, description="The case's name")]


class CaseCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255, description="A unique name for the case")
    description: str | None = Field(None, max_length=4000)


class ItemsAdd(BaseModel):
    items: list[str] = Field(
        min_length=1,
        max_length=1000,
        description="sighting:ID or scan:ID (a bare UUID is a scan, a bare number a sighting)",
    )


class ExportCreate(BaseModel):
    recipient: str = Field(
        min_length=1,
        max_length=16_384,
        description="The prosecutor's or hotline's age public key (age1...) or SSH public key",
    )


@router.post("", status_code=201, summary="Open a case (ledgered)")
def create_case(body: CaseCreate, amparo: RuntimeDep, who: Investigator) -> dict[str, Any]:
    return cases.create_case(
        amparo, body.name, description=body.description, principal=who
    ).to_dict()


@router.get("", summary="List cases, oldest first")
def list_cases(amparo: RuntimeDep, who: Investigator) -> dict[str, Any]:
    return {"cases": [c.to_dict() for c in cases.list_cases(amparo, principal=who)]}


@router.get("/{name}", summary="A case and its items")
def get_case(name: CaseName, amparo: RuntimeDep, who: Investigator) -> dict[str, Any]:
    return cases.get_case(amparo, name, principal=who).to_dict()


@router.post("/{name}/items", summary="Add sightings and scans to a case (each ledgered)")
def add_items(
    name: CaseName, body: ItemsAdd, amparo: RuntimeDep, who: Investigator
) -> dict[str, Any]:
    parsed = [cases.parse_item(i) for i in body.items]
    added, present = cases.add_items(amparo, cases.sources_for(amparo), name, parsed, principal=who)
    return {"added": [i.text() for i in added], "already_present": [i.text() for i in present]}


@router.post(
    "/{name}/export",
    summary="Export a case as one archive encrypted to the recipient (ledgered)",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-tar": {}}}},
)
def export_case(
    name: CaseName, body: ExportCreate, amparo: RuntimeDep, who: Investigator
) -> FileResponse:
    """The archive: evidence age-encrypted to ``recipient``, manifest of hashes, custody
    record, timeline, ledger inclusion proofs with the checkpoint and its cosignatures, a
    PDF summary, and the seal proving the manifest. Header ``X-Amparo-Export-Id`` names the
    export in the ledger."""
    cases.parse_recipients(body.recipient)  # a malformed recipient: 400 before any work
    folder = Path(tempfile.mkdtemp(prefix="case-export-", dir=amparo.settings.data_path()))
    try:
        out = folder / f"{name.replace('/', '_')[:100]}.tar"
        report = cases.export_case(
            amparo,
            cases.sources_for(amparo),
            name,
            recipient=body.recipient,
            out=out,
            principal=who,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type="application/x-tar",
        filename=out.name,
        headers={"X-Amparo-Export-Id": report.export_id},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
