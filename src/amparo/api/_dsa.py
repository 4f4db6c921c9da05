"""The DSA cross-check over HTTP: ``GET /v1/dsa/compare`` (investigators and auditors).

Dumps are imported with ``amparo dsa import`` on the server's machine: they are gigabytes,
not request bodies.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from amparo import dsa
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/dsa", tags=["dsa"], route_class=GuardedRoute)

Reader = Annotated[Principal, Depends(require_role("investigator", "auditor"))]


@router.get(
    "/compare",
    summary="What a platform declared to the DSA Transparency Database against what Amparo "
    "observed, per day",
    responses={200: {"content": {"text/csv": {}}}},
)
def compare(
    amparo: RuntimeDep,
    _: Reader,
    platform: Annotated[
        str, Query(min_length=1, max_length=255, description="The platform, as in the dumps")
    ],
    start: Annotated[date, Query(alias="from", description="First day (YYYY-MM-DD)")],
    end: Annotated[date, Query(alias="to", description="Last day (YYYY-MM-DD), included")],
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
) -> Any:
    """Per day: statements of reasons declared under protection of minors, CSAM, deepfake
    CSAM and grooming, their automated detection and decision shares and median days to
    decision; beside them the items Amparo noticed, the removals it saw, median hours to
    removal and the AI-generated share; and removals seen beyond declared CSAM statements.
    Totals over the period follow. Days with neither side are left out."""
    result = dsa.compare(amparo, dsa.observations_for(amparo), platform, start, end)
    if format == "csv":
        return Response(result.to_csv(), media_type="text/csv; charset=utf-8")
    return result.to_dict()
