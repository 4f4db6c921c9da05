"""HMA's ``/h/hash``: hash one URL (GET) or one uploaded file (POST). Needs role ``scanner``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from amparo.api._deps import RuntimeDep
from amparo.api.hma._common import HmaRoute, Scanner
from amparo.api.hma._media import UPLOAD_BODY, hash_upload, hash_url

__all__ = ["router"]

router = APIRouter(prefix="/h", tags=["HMA: hashing"], route_class=HmaRoute)


@router.get("/hash", summary="Fetch a URL and hash it (HMA)")
async def hash_get(
    request: Request,
    amparo: RuntimeDep,
    _: Scanner,
    url: Annotated[str, Query(description="http(s) URL of a public image or video")],
    content_type: Annotated[
        str | None, Query(description="photo or video (default: guessed from the bytes)")
    ] = None,
    types: Annotated[
        str | None, Query(description="Comma-separated signal types (default: HMA's)")
    ] = None,
) -> dict[str, str]:
    hashed = await hash_url(url, content_type, types, amparo)
    request.app.state.metrics.scans.labels("hash").inc()
    return hashed.signals


@router.post("/hash", summary="Hash one uploaded file (HMA)", openapi_extra=UPLOAD_BODY)
async def hash_post(
    request: Request,
    amparo: RuntimeDep,
    _: Scanner,
    types: Annotated[str | None, Query(description="Comma-separated signal types")] = None,
) -> dict[str, str]:
    hashed = await hash_upload(request, types, amparo)
    request.app.state.metrics.scans.labels("hash").inc()
    return hashed.signals
