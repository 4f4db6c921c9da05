"""Accountability routes: platforms, sightings, and conduct reports.

Recording needs the ``investigator`` role (or admin); reading needs investigator or
auditor. A sighting's intake fetches the URL (public addresses only), so its route runs on
a worker thread and answers when the sighting and its ledger entries are committed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from amparo import accountability as acc
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute
from amparo.auth import Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1/accountability", tags=["accountability"], route_class=GuardedRoute)

Investigator = Annotated[Principal, Depends(require_role("investigator"))]
Reader = Annotated[Principal, Depends(require_role("investigator", "auditor"))]
SightingId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Sighting id")]

_MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


class PlatformCreate(BaseModel):
    name: str = Field(description="1-64 of A-Z a-z 0-9 _ . -", examples=["fakeshare"])
    hostnames: list[str] = Field(
        description="Host names of the platform (subdomains count)",
        examples=[["fakeshare.example"]],
    )
    channel: str = Field(description="Notice channel: email, webhook or api")
    target: str = Field(
        description="The e-mail address, webhook URL or reporting-API adapter name",
        examples=["abuse@fakeshare.example"],
    )
    legal_contact: str | None = Field(None, description="E-mail for escalated notices")
    trusted_flagger: bool = Field(False, description="Trusted flagger there (DSA Art. 22)")


class SightingCreate(BaseModel):
    url: str = Field(description="The exact URL the item was seen at")
    found_by: str = Field(description="How it was found", examples=["hotline report 114"])
    platform: str | None = Field(None, description="Default: inferred from the URL's host")
    first_seen_at: str | None = Field(None, description="ISO 8601; default: now")
    notify: bool = Field(True, description="Schedule notices to the platform")


@router.get("/platforms", summary="List the configured platforms")
def platforms(amparo: RuntimeDep, _: Reader) -> list[dict[str, Any]]:
    with amparo.session() as s:
        return [p.to_dict() for p in acc.list_platforms(s)]


@router.post("/platforms", status_code=201, summary="Add a platform")
def add_platform(body: PlatformCreate, amparo: RuntimeDep, _: Investigator) -> dict[str, Any]:
    with amparo.session() as s:
        return acc.add_platform(
            s,
            body.name,
            hostnames=body.hostnames,
            channel=body.channel,
            target=body.target,
            legal_contact=body.legal_contact,
            trusted_flagger=body.trusted_flagger,
        ).to_dict()


@router.get("/platforms/{name}", summary="One platform")
def platform(name: str, amparo: RuntimeDep, _: Reader) -> dict[str, Any]:
    with amparo.session() as s:
        return acc.get_platform(s, name).to_dict()


@router.post(
    "/sightings",
    status_code=201,
    summary="Record a sighting: fetch, hash, match, read provenance, preserve",
    description="Fetches the URL (public addresses only; 400 unsafe_url otherwise), scans "
    "it, preserves the bytes in the evidence vault (501 if none is configured) and "
    "schedules notices to the platform (404 if no platform covers the URL's host).",
)
def add_sighting(
    body: SightingCreate, amparo: RuntimeDep, principal: Investigator
) -> dict[str, Any]:
    seen = acc.parse_time(body.first_seen_at, "first_seen_at") if body.first_seen_at else None
    return acc.record_sighting(
        amparo,
        amparo.accountability.evidence,
        body.url,
        found_by=body.found_by,
        platform=body.platform,
        first_seen_at=seen,
        principal=principal,
        notify=body.notify,
        pdq_threshold=amparo.settings.accountability_pdq_threshold,
    ).to_dict()


@router.get("/sightings", summary="List sightings (oldest first)")
def sightings(
    amparo: RuntimeDep,
    _: Reader,
    platform: Annotated[str | None, Query(max_length=64, description="Only this one's")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    with amparo.session() as s:
        return [x.to_dict() for x in acc.list_sightings(s, platform=platform, limit=limit)]


@router.get("/sightings/{sighting_id}", summary="A sighting with its timeline")
def sighting(sighting_id: SightingId, amparo: RuntimeDep, _: Reader) -> dict[str, Any]:
    with amparo.session() as s:
        found = acc.get_sighting(s, sighting_id)
        timeline = acc.sighting_timeline(s, sighting_id)
    return {**found.to_dict(), "timeline": [e.to_dict() for e in timeline]}


class AnswerCreate(BaseModel):
    answer: str = Field(description="What the platform answered (1-10,000 characters)")


@router.post(
    "/sightings/{sighting_id}/answers",
    status_code=201,
    summary="Record the platform's answer to the newest notice about a sighting",
)
def add_answer(
    sighting_id: SightingId, body: AnswerCreate, amparo: RuntimeDep, principal: Investigator
) -> dict[str, Any]:
    with amparo.session() as s:
        acc.record_answer(s, sighting_id, body.answer, principal=principal)
    return {"recorded": True, "sighting_id": sighting_id}


@router.get(
    "/report",
    summary="A platform's conduct over a period, every figure citing its ledger entries",
    description="Items first noticed from `from` to `to` (days, both included): median and "
    "p90 time to removal, shares removed within 24 h and 7 days, still online after 42 "
    "days, re-upload rate, notices per item, AI-generated share. `format`: json (default), "
    "csv, html or pdf.",
    response_model=None,
)
def report(
    amparo: RuntimeDep,
    _: Reader,
    platform: Annotated[str, Query(max_length=64, description="Platform name")],
    start: Annotated[str, Query(alias="from", max_length=10, description="YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", max_length=10, description="YYYY-MM-DD, included")],
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "json",
) -> Response:
    first, last = acc.parse_period(start, end)
    with amparo.session() as s:
        built = acc.build_report(s, platform, first, last)
    data = acc.render_report(built, fmt)
    return Response(data, media_type=_MEDIA[fmt])
