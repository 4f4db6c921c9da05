"""The ledger over HTTP: C2SP tlog-tiles under ``/ledger/`` (public, read-only: it holds only
commitments) and auditor routes under ``/v1/ledger/`` that disclose records and proofs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import PlainTextResponse, Response

from amparo.api._deps import RuntimeDep, require_role
from amparo.auth import Principal
from amparo.errors import NotFoundError
from amparo.ledger import Ledger, parse_tile_path

__all__ = ["get_ledger", "router"]

router = APIRouter()

_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
Auditor = Annotated[Principal, Depends(require_role("auditor"))]


def get_ledger(amparo: RuntimeDep) -> Ledger:
    return amparo.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The entry's sequence number")]
Index = Annotated[int, Path(ge=0, le=2**63 - 1, description="Position in the tree")]


@router.get("/ledger/checkpoint", response_class=PlainTextResponse, tags=["ledger"])
def checkpoint(log: LedgerDep) -> Response:
    """The newest signed checkpoint (C2SP tlog-checkpoint). No key needed."""
    note = log.latest_note()
    if note is None:
        raise NotFoundError("the ledger has not signed a checkpoint yet")
    return PlainTextResponse(
        note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "max-age=2"}
    )


@router.get("/ledger/tile/{path:path}", tags=["ledger"])
def tile(path: str, log: LedgerDep) -> Response:
    """A tile or entry bundle (C2SP tlog-tiles). No key needed; entries are commitments."""
    key = parse_tile_path(path)
    if key is None:
        raise NotFoundError(f"no tile at {path!r}", hint="see https://c2sp.org/tlog-tiles")
    data = log.tile(key)
    if data is None:
        raise NotFoundError(f"tile {path} does not exist yet")
    # Tiles and bundles never change once they exist (partial ones are prefixes of full ones).
    return Response(data, media_type="application/octet-stream", headers=_IMMUTABLE)


@router.get("/v1/ledger/records/{entry_id}", tags=["ledger"])
def record(entry_id: EntryId, log: LedgerDep, _: Auditor) -> dict[str, Any]:
    """Disclose an entry's full record and salt; ``SHA-256(salt || record)`` is its leaf."""
    return log.disclose(entry_id).to_dict()


@router.get("/v1/ledger/leaves/{index}", tags=["ledger"])
def leaf(index: Index, log: LedgerDep, _: Auditor) -> dict[str, Any]:
    """Disclose the entry at tree position ``index``."""
    return log.disclose_index(index).to_dict()


@router.get("/v1/ledger/tallies", tags=["ledger"])
def tallies(log: LedgerDep, _: Auditor) -> dict[str, Any]:
    """Every scan tally in full and their sum: how many scans ran in all."""
    found = [d.to_dict() for d in log.tallies()]
    total = sum(int(json.loads(str(d["record"]))["data"]["scans"]) for d in found)
    return {"total_scans": total, "tallies": found}


@router.get("/v1/ledger/proofs/{entry_id}", response_class=PlainTextResponse, tags=["ledger"])
def proof(entry_id: EntryId, log: LedgerDep, _: Auditor) -> Response:
    """A tlog-proof file for the entry, verifiable offline with `amparo ledger check-proof`."""
    return PlainTextResponse(log.prove(entry_id), media_type="text/plain; charset=utf-8")
