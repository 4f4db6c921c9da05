"""Exchange routes: configuration and fetch status. Reading needs any role except scanner;
changing and fetching need curator. Credentials go in, never out.

A fetch started over HTTP runs after the response (202) unless ``wait=true``; its progress
and outcome show in ``GET /v1/exchanges/{name}`` (``status``). ``local_file`` exchanges read
the server's disk, so they can only be added from the command line.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response
from pydantic import BaseModel, Field

from amparo.api._deps import RuntimeDep, require_role
from amparo.auth import Principal
from amparo.errors import AmparoError, PermissionDeniedError
from amparo.exchanges import (
    EXCHANGE_APIS,
    FetchRun,
    create_exchange,
    delete_exchange,
    get_exchange,
    list_exchanges,
    resolve_api,
    start_fetch,
    update_exchange,
)

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/exchanges", tags=["exchanges"])

Curator = Annotated[Principal, Depends(require_role("curator"))]
Reader = Annotated[Principal, Depends(require_role("curator", "reviewer", "auditor"))]


class ExchangeCreate(BaseModel):
    name: str = Field(description="1-64 of A-Z a-z 0-9 _ . -", examples=["ncmec-industry"])
    api: str = Field(description="ncmec, stop_ncii, fb_threatexchange, tat, sample")
    bank: str = Field(description="The bank to fill (must exist)", examples=["NCMEC_INDUSTRY"])
    config: dict[str, Any] = Field(
        default_factory=dict, examples=[{"environment": "Industry", "tags": ["ncmec"]}]
    )
    credentials: dict[str, str] | str | None = Field(
        None,
        description="Fields by name, or the one-line form (ncmec: USER:PASSWORD). Stored "
        "encrypted; never returned.",
    )
    enabled: bool = True


class ExchangeUpdate(BaseModel):
    enabled: bool | None = None
    config: dict[str, Any] | None = Field(None, description="Replaces the settings (full refetch)")
    credentials: dict[str, str] | str | None = Field(None, description="Replaces the credentials")


@router.get("", summary="List exchanges with their fetch status")
def list_(amparo: RuntimeDep, _: Reader) -> list[dict[str, Any]]:
    with amparo.session() as s:
        return [e.to_dict() for e in list_exchanges(s)]


@router.get("/apis", summary="The exchange APIs, their settings and credential fields")
def apis(_: Reader) -> list[dict[str, Any]]:
    return [
        {
            "api": spec.name,
            "description": spec.description,
            "config": dict(spec.config_help),
            "credentials": list(spec.credential_fields),
        }
        for spec in EXCHANGE_APIS.values()
    ]


@router.post("", status_code=201, summary="Add an exchange feeding a bank")
def create(body: ExchangeCreate, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    if resolve_api(body.api, EXCHANGE_APIS).name == "local_file":
        raise PermissionDeniedError(
            "local_file exchanges read the server's disk and cannot be added over HTTP",
            hint="add it on the server: amparo exchange add NAME --api local_file --path FILE",
        )
    box = amparo.credential_box() if body.credentials is not None else None
    with amparo.session() as s:
        return create_exchange(
            s,
            body.name,
            api=body.api,
            bank=body.bank,
            config=body.config,
            credentials=body.credentials,
            box=box,
            enabled=body.enabled,
        ).to_dict()


@router.get("/{name}", summary="One exchange with its fetch status")
def get(name: str, amparo: RuntimeDep, _: Reader) -> dict[str, Any]:
    with amparo.session() as s:
        return get_exchange(s, name).to_dict()


@router.patch("/{name}", summary="Enable, disable, or replace settings or credentials")
def update(name: str, body: ExchangeUpdate, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    box = amparo.credential_box() if body.credentials is not None else None
    with amparo.session() as s:
        return update_exchange(
            s,
            name,
            enabled=body.enabled,
            config=body.config,
            credentials=body.credentials,
            box=box,
        ).to_dict()


def _run_quietly(run: FetchRun) -> None:
    try:
        run.run()
    except AmparoError as exc:  # already recorded as the exchange's last error
        log.warning("background fetch of %s failed: %s", run.name, exc.message)


@router.post(
    "/{name}/fetch",
    summary="Fetch new, changed and retracted hashes into the bank",
    description="Starts the fetch and answers 202; the status shows its progress. With "
    "wait=true answers 200 with the counts when done. 409 if a fetch is already running.",
    responses={202: {"description": "Fetch started"}},
)
def fetch(
    name: str,
    amparo: RuntimeDep,
    _: Curator,
    background: BackgroundTasks,
    response: Response,
    wait: Annotated[bool, Query(description="Answer when the fetch is done")] = False,
    force: Annotated[bool, Query(description="Take over a running fetch")] = False,
) -> dict[str, Any]:
    with amparo.session() as s:
        needs_key = get_exchange(s, name).has_credentials
    box = amparo.credential_box() if needs_key else None
    run = start_fetch(amparo.session, name, box=box, force=force)
    if wait:
        result = run.run()
        return {"status": "done", **result.to_dict()}
    background.add_task(_run_quietly, run)
    response.status_code = 202
    return {"status": "started", "exchange": name}


@router.delete("/{name}", summary="Delete an exchange (its entries stay unless asked)")
def delete(
    name: str,
    amparo: RuntimeDep,
    _: Curator,
    delete_entries: Annotated[bool, Query(description="Also delete its entries")] = False,
) -> dict[str, Any]:
    with amparo.session() as s:
        removed = delete_exchange(s, name, delete_entries=delete_entries)
    return {"deleted": True, "entries_deleted": removed}
