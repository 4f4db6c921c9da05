"""Health, metrics and HMA's status routes."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from amparo.api._auth import require_role
from amparo.api._deps import AmparoDep
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(tags=["operations"])

# HMA reports its index stale when it has not refreshed for this long.
_STALE_SECONDS = 65.0


@router.get("/healthz", summary="Liveness and database check (no key needed)")
def healthz(amparo: AmparoDep) -> dict[str, object]:
    with amparo.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    status = amparo.matcher.pdq.status()
    return {"status": "ok", "index": {"present": status.present, "size": status.size}}


@router.get(
    "/metrics",
    summary="Prometheus metrics: scans, matches, latency histograms, index size",
    response_class=PlainTextResponse,
)
def metrics(
    request: Request,
    _: Annotated[Principal, Depends(require_role("auditor", "scanner", "curator", "reviewer"))],
) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/status", response_class=PlainTextResponse, summary="HMA status (no key needed)")
def status(amparo: AmparoDep) -> PlainTextResponse:
    st = amparo.matcher.pdq.status()
    if not st.present or st.last_sync is None:
        return PlainTextResponse("INDEX-NOT-LOADED", status_code=503)
    if time.monotonic() - st.last_sync > _STALE_SECONDS:
        return PlainTextResponse("INDEX-STALE", status_code=503)
    return PlainTextResponse("I-AM-ALIVE")


@router.get("/status/live", response_class=PlainTextResponse, summary="HMA liveness")
def status_live() -> PlainTextResponse:
    return PlainTextResponse("I-AM-ALIVE")


# Load balancers probe with HEAD (HMA's Flask answers it on every GET route).
router.add_api_route("/status", status, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/status/live", status_live, methods=["HEAD"], include_in_schema=False)
