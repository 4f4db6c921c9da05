"""HMA's ``/m`` routes: lookups, raw lookups, index status and hash comparison (role scanner).

Lookups are answered from the live index, so content added a moment ago matches at once (HMA
waits for an index rebuild and a matcher reload, up to ~90 s). Like Amparo's own
``/v1/match``, matched lookups are recorded as scans and in the ledger. Distances are strings
in lookups (``"5"``; ``"-"`` for exact-match types, as HMA writes ``video_md5``) and ints in
``/m/compare``, as in HMA.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from amparo.api._deps import RuntimeDep
from amparo.api.hma._common import (
    HmaError,
    HmaRoute,
    Scanner,
    check_signal,
    check_signal_type,
    json_body,
    parse_banks,
    read_json,
    shortcut,
)
from amparo.api.hma._index import index_info
from amparo.api.hma._media import hash_upload, hash_url
from amparo.auth import Principal
from amparo.matching import Match
from amparo.matching import Query as Lookup
from amparo.runtime import Runtime
from amparo.signals import SIGNAL_TYPES, signal_type
from amparo.usecases import match_hashes

__all__ = ["router"]

router = APIRouter(prefix="/m", tags=["HMA: matching"], route_class=HmaRoute)

BankMatches = dict[str, list[dict[str, Any]]]


def _distance(match: Match) -> str:
    return str(match.distance) if SIGNAL_TYPES[match.signal_type].distance_based else "-"


def _by_bank(matches: list[Match]) -> BankMatches:
    out: BankMatches = {}
    for m in matches:
        out.setdefault(m.bank, []).append({"bank_content_id": m.entry_id, "distance": _distance(m)})
    return out


def _lookup_type(signal_type: str) -> str:
    return check_signal_type(signal_type, message=f"No such SignalType '{signal_type}'")


async def _find(
    request: Request,
    amparo: Runtime,
    principal: Principal,
    signal_type: str,
    signal: object,
    *,
    banks: Collection[str] | None,
    raw: bool = False,
    seed: str | None = None,
    bypass_coinflip: bool = False,
) -> list[Match]:
    """Matches of one hash. ``raw`` ignores enabled state (entries and bank ratios)."""
    started = time.perf_counter()
    value = check_signal(_lookup_type(signal_type), signal, prefix="invalid signal: ")
    # A single lookup takes microseconds in memory: answered on the event loop, no thread.
    outcome = match_hashes(
        amparo,
        [Lookup(signal_type, value)],
        principal=principal,
        only_enabled=not (raw or bypass_coinflip),
        banks=banks,
        rng=random.Random(seed) if seed is not None else None,
    )
    if outcome.committed is not None:
        await asyncio.wrap_future(outcome.committed)  # a detection is answered once durable
    (found,) = outcome.results
    if bypass_coinflip and not raw:  # every bank takes part; disabled entries still do not
        found = [m for m in found if m.enabled]
    metrics = request.app.state.metrics
    metrics.count("match", found)
    metrics.latency.labels("match").observe(time.perf_counter() - started)
    return found


@router.get("/raw_lookup", summary="Content ids whose hash matches, enabled or not (HMA)")
async def raw_lookup(
    request: Request,
    amparo: RuntimeDep,
    principal: Scanner,
    signal: Annotated[str, Query(description="The hash")],
    signal_type: Annotated[str, Query(description="pdq, video_md5, md5 or sha256")],
    banks: Annotated[str | None, Query(description="Comma-separated bank names")] = None,
    include_distance: bool = False,
) -> dict[str, Any]:
    found = await _find(
        request, amparo, principal, signal_type, signal, banks=parse_banks(banks), raw=True
    )
    if include_distance:
        return {
            "matches": [{"bank_content_id": m.entry_id, "distance": _distance(m)} for m in found]
        }
    return {"matches": [m.entry_id for m in found]}


_PLAIN_LOOKUP = frozenset({"signal", "signal_type", "banks", "seed"})


async def _plain_lookup(request: Request) -> Response | None:
    """``GET /m/lookup?signal_type=..&signal=..`` (with ``banks``, ``seed``; the gate lets
    each through once), not empty: the hot path, answered without FastAPI's parameter
    machinery (see :func:`shortcut`). None for any other form of the request."""
    query = request.query_params
    principal: Principal | None = getattr(request.state, "principal", None)
    if (
        principal is None
        or not {"signal", "signal_type"} <= query.keys() <= _PLAIN_LOOKUP
        or not query["signal"]
        or not query["signal_type"]
    ):
        return None
    principal.require("scanner")
    found = await _find(
        request,
        request.app.state.amparo,
        principal,
        query["signal_type"],
        query["signal"],
        banks=parse_banks(query.get("banks")),
        seed=query.get("seed"),
    )
    return JSONResponse(_by_bank(found))


async def lookup(
    request: Request,
    amparo: RuntimeDep,
    principal: Scanner,
    url: Annotated[str | None, Query(description="Hash this URL and look its hashes up")] = None,
    content_type: Annotated[str | None, Query(description="photo or video, with url")] = None,
    types: Annotated[str | None, Query(description="Signal types to hash, with url")] = None,
    signal: Annotated[str | None, Query(description="The hash")] = None,
    signal_type: Annotated[str | None, Query(description="Its signal type")] = None,
    banks: Annotated[str | None, Query(description="Comma-separated bank names")] = None,
    seed: Annotated[
        str | None, Query(description="Seed for the enabled-ratio coin flip (repeatable)")
    ] = None,
    bypass_coinflip: Annotated[bool, Query(description="Ignored here, as in HMA")] = False,
) -> dict[str, Any]:
    wanted = parse_banks(banks)
    if url:
        hashed = await hash_url(url, content_type, types, amparo)
        by_type: dict[str, BankMatches] = {}
        for name, value in hashed.signals.items():
            found = await _find(request, amparo, principal, name, value, banks=wanted, seed=seed)
            by_type[name] = _by_bank(found)
        if signal_type is not None:
            return by_type.get(signal_type, {})
        return dict(by_type)
    if not signal or not signal_type:
        raise HmaError(
            400,
            "Either url or both signal and signal_type are required",
            hint="e.g. /m/lookup?signal_type=pdq&signal=<64 hex characters>",
        )
    return _by_bank(
        await _find(request, amparo, principal, signal_type, signal, banks=wanted, seed=seed)
    )


router.add_api_route(
    "/lookup",
    lookup,
    methods=["GET"],
    summary="Matches by bank, for a hash or a URL (HMA)",
    route_class_override=shortcut(_plain_lookup),
)


@router.post("/lookup", summary="Hash one uploaded file and look it up (HMA)")
async def lookup_upload(
    request: Request,
    amparo: RuntimeDep,
    principal: Scanner,
    banks: Annotated[str | None, Query(description="Comma-separated bank names")] = None,
    seed: Annotated[str | None, Query(description="Seed for the coin flip")] = None,
    bypass_coinflip: Annotated[
        bool, Query(description="Let every bank match, whatever its enabled ratio")
    ] = False,
    types: Annotated[str | None, Query(description="Signal types to hash")] = None,
) -> dict[str, BankMatches]:
    hashed = await hash_upload(request, types, amparo)
    wanted = parse_banks(banks)
    out: dict[str, BankMatches] = {}
    for name, value in hashed.signals.items():
        found = await _find(
            request,
            amparo,
            principal,
            name,
            value,
            banks=wanted,
            seed=seed,
            bypass_coinflip=bypass_coinflip,
        )
        out[name] = _by_bank(found)
    return out


@router.get("/index/status", summary="Index state per signal type (HMA)")
def index_status(
    amparo: RuntimeDep,
    _: Scanner,
    signal_type: Annotated[str | None, Query(description="Only this signal type")] = None,
) -> dict[str, Any]:
    names = list(SIGNAL_TYPES)
    if signal_type is not None:
        names = [check_signal_type(signal_type, message=f"No such signal type '{signal_type}'")]
    return {name: info.status() for name, info in index_info(amparo, names).items()}


_COMPARE_BODY = json_body(
    {
        "type": "object",
        "additionalProperties": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 2,
            "maxItems": 2,
        },
        "description": "{signal type: [hash, hash]}",
    },
    {"pdq": ["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"] * 2},
)


@router.post("/compare", summary="Compare pairs of hashes (HMA)", openapi_extra=_COMPARE_BODY)
async def compare(request: Request, _: Scanner) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict", hint='send {"pdq": [h1, h2]}')
    out: dict[str, Any] = {}
    for name, pair in body.items():
        if not isinstance(pair, list):
            raise HmaError(400, f"Comparison hashes for {name} was not a list")
        if len(pair) != 2:
            raise HmaError(400, "Comparison hash list length must be exactly 2")
        kind = signal_type(_lookup_type(name))
        left, right = (check_signal(name, h, prefix=f"Invalid {name} hash: ") for h in pair)
        distance = kind.distance(left, right)
        match = distance <= kind.default_threshold
        out[name] = [match, {"distance": distance}] if kind.distance_based else [match, {}]
    return out
