"""Health, readiness, metrics and HMA's status routes.

For Kubernetes: ``/healthz`` is the liveness probe (the process answers; no database call,
nothing about the data), ``/readyz`` the readiness probe (503 until the database answers and
the index is loaded, saying how far the load has got, in the one error shape plus ``status``;
under ``amparo serve --workers N``, until every worker has loaded: see :mod:`._group`).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from amparo.api._deps import RuntimeDep, require_role
from amparo.api._errors import error_body
from amparo.api._gate import GuardedRoute
from amparo.api._group import WorkerGroup
from amparo.auth import Principal
from amparo.errors import UnavailableError
from amparo.store import ping

__all__ = ["router"]

router = APIRouter(tags=["operations"], route_class=GuardedRoute)

# HMA reports its index stale when it has not refreshed for this long.
_STALE_SECONDS = 65.0


@router.get("/healthz", summary="Liveness: the process answers (no key needed)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: 200 once the database answers and the index is loaded, else 503",
    description="Under `amparo serve --workers N`, ready once every worker has loaded its "
    "own copy of the index (`workers_loaded` says how many have).",
    responses={503: {"description": "Not ready: database down or index loading"}},
)
async def readyz(request: Request, amparo: RuntimeDep) -> JSONResponse:
    try:
        await run_in_threadpool(ping, amparo.engine)
    except Exception:  # the driver's errors vary; the probe only needs "not ready"
        down = UnavailableError("the database does not answer", hint="check the database")
        return JSONResponse({"status": "database_unavailable", **error_body(down)}, 503)
    if not amparo.ready:
        loading = amparo.follower.loading
        busy = UnavailableError(f"the index is loading ({loading:,} signals so far)")
        body = {"status": "loading", "signals_loaded": loading, **error_body(busy)}
        return JSONResponse(body, status_code=503)
    group: WorkerGroup | None = request.app.state.group
    if group is not None and (loaded := group.loaded_workers()) < group.size:
        busy = UnavailableError(f"{loaded} of {group.size} workers have loaded the index")
        body = {"status": "loading", "workers_loaded": loaded, **error_body(busy)}
        return JSONResponse(body, status_code=503)
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
async def status(request: Request, amparo: RuntimeDep) -> PlainTextResponse:
    last_sync = min(
        (s.last_sync for s in amparo.index_status() if s.last_sync is not None), default=None
    )
    group: WorkerGroup | None = request.app.state.group
    if (
        not amparo.ready
        or last_sync is None
        or (group is not None and group.loaded_workers() < group.size)
    ):
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
