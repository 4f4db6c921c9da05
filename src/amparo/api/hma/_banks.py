"""HMA's bank routes: ``/c/banks``, ``/c/bank/{name}`` and ``/c/signal_type/index``.

Reading needs any of curator, scanner, reviewer or auditor; changing needs curator. Banks
made here get Amparo's default PDQ threshold (31, HMA's) and can be used by every other
Amparo route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from amparo import banks
from amparo.api._deps import RuntimeDep
from amparo.api.hma._common import (
    Curator,
    HmaError,
    HmaRoute,
    Reader,
    check_signal_type,
    not_found,
)
from amparo.api.hma._index import index_info
from amparo.banks import Bank
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.signals import SIGNAL_TYPES

__all__ = ["bank_name_error", "bank_shape", "router"]

router = APIRouter(prefix="/c", tags=["HMA: curation"], route_class=HmaRoute)


class BankCreateRequest(BaseModel):
    name: str = Field(description="UPPER_WITH_UNDERSCORE", examples=["MY_BANK"])
    enabled_ratio: float | None = Field(1.0, description="Share of lookups the bank takes part in")
    enabled: bool | None = Field(None, description="Shorthand for a ratio of 1 or 0")


class BankUpdateRequest(BaseModel):
    name: str | None = Field(None, description="New name")
    enabled_ratio: float | None = Field(None, description="Wins over enabled if both are given")
    enabled: bool | None = Field(None, description="Sets the ratio to 1 or 0")


def bank_shape(bank: Bank) -> dict[str, Any]:
    """A bank as HMA shows it."""
    return {"name": bank.name, "matching_enabled_ratio": bank.matching_enabled_ratio}


def bank_name_error(exc: InputError) -> HmaError:
    return HmaError(400, "Bank names must be UPPER_WITH_UNDERSCORE", hint=exc.hint)


@router.get("/banks", summary="List banks (HMA)")
def list_banks(amparo: RuntimeDep, _: Reader) -> list[dict[str, Any]]:
    with amparo.session() as s:
        return [bank_shape(b) for b in banks.list_banks(s)]


@router.post("/banks", status_code=201, summary="Create a bank (HMA)")
def create_bank(body: BankCreateRequest, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    # HMA's default enabled_ratio of 1.0 makes it ignore a lone "enabled": false; Amparo
    # honours it (see the README's list of differences).
    if "enabled_ratio" in body.model_fields_set and body.enabled_ratio is not None:
        ratio = body.enabled_ratio
    elif body.enabled is not None:
        ratio = 1.0 if body.enabled else 0.0
    else:
        ratio = 1.0
    try:
        banks.check_bank_name(body.name)
    except InputError as exc:
        raise bank_name_error(exc) from exc
    try:
        with amparo.session() as s:
            return bank_shape(banks.create_bank(s, body.name, matching_enabled_ratio=ratio))
    except ConflictError as exc:
        raise HmaError(403, "Bank already exists", code=exc.code, hint=exc.hint) from exc


@router.get("/bank/{bank_name}", summary="One bank (HMA)")
def get_bank(bank_name: str, amparo: RuntimeDep, _: Reader) -> dict[str, Any]:
    with amparo.session() as s:
        try:
            return bank_shape(banks.get_bank(s, bank_name))
        except NotFoundError as exc:
            raise not_found(f"bank '{bank_name}' not found") from exc


@router.put("/bank/{bank_name}", summary="Rename a bank or change its enabled ratio (HMA)")
def update_bank(
    bank_name: str, body: BankUpdateRequest, amparo: RuntimeDep, _: Curator
) -> dict[str, Any]:
    ratio = body.enabled_ratio
    if ratio is None and body.enabled is not None:
        ratio = 1.0 if body.enabled else 0.0
    with amparo.session() as s:
        try:
            banks.get_bank(s, bank_name)
        except NotFoundError as exc:
            raise not_found("Bank not found") from exc
        if body.name is not None:
            try:
                banks.check_bank_name(body.name)
            except InputError as exc:
                raise bank_name_error(exc) from exc
        try:
            bank = banks.update_bank(s, bank_name, new_name=body.name, matching_enabled_ratio=ratio)
        except ConflictError as exc:
            raise HmaError(403, "Bank name already exists", code=exc.code, hint=exc.hint) from exc
        return bank_shape(bank)


@router.delete("/bank/{bank_name}", summary="Delete a bank and its content (HMA)")
def delete_bank(bank_name: str, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    with amparo.session() as s:
        banks.delete_bank(s, bank_name)
    return {"message": "Done"}


@router.get("/signal_type/index", summary="Index build state per signal type (HMA)")
def signal_type_index(
    amparo: RuntimeDep,
    _: Reader,
    signal_type: Annotated[str | None, Query(description="Only this signal type")] = None,
) -> dict[str, Any]:
    names = list(SIGNAL_TYPES)
    if signal_type is not None:
        names = [check_signal_type(signal_type, message=f"No such signal type '{signal_type}'")]
    return {n: info.build_status() for n, info in index_info(amparo, names).items()}
