"""Health, readiness, metrics and HMA's status routes.

For Kubernetes: ``/healthz`` is the liveness probe (the process answers; no database call,
nothing about the data), ``/readyz`` the readiness probe (503 until the database answers and
the index is loaded, saying how far the load has got).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from amparo.api._deps import RuntimeDep, require_role
from amparo.auth import Principal
from amparo.store import ping

__all__ = ["router"]

router = APIRouter(tags=["operations"])

# HMA reports its index stale when it has not refreshed for this long.
_STALE_SECONDS = 65.0


@router.get("/healthz", summary="Liveness: the process answers (no key needed)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: 200 once the database answers and the index is loaded, else 503",
    responses={503: {"description": "Not ready: database down or index loading"}},
)
async def readyz(amparo: RuntimeDep) -> JSONResponse:
    try:
        await run_in_threadpool(ping, amparo.engine)
    except Exception:  # the driver's errors vary; the probe only needs "not ready"
        return JSONResponse({"status": "database_unavailable"}, status_code=503)
    if not amparo.ready:
        loading = amparo.follower.loading
        return JSONResponse({"status": "loading", "signals_loaded": loading}, status_code=503)
    return JSONResponse({"status": "ready"})


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
async def status(amparo: RuntimeDep) -> PlainTextResponse:
    last_sync = min(
        (s.last_sync for s in amparo.index_status() if s.last_sync is not None), default=None
    )
    if not amparo.ready or last_sync is None:
        return PlainTextResponse("INDEX-NOT-LOADED", status_code=503)
    if time.monotonic() - last_sync > _STALE_SECONDS:
        return PlainTextResponse("INDEX-STALE", status_code=503)
    return PlainTextResponse("I-AM-ALIVE")


@router.get("/status/live", response_class=PlainTextResponse, summary="HMA liveness")
async def status_live() -> PlainTextResponse:
    return PlainTextResponse("I-AM-ALIVE")


# Load balancers probe with HEAD (HMA's Flask answers it on every GET route).
router.add_api_route("/status", status, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/status/live", status_live, methods=["HEAD"], include_in_schema=False)
