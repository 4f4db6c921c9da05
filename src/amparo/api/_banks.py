"""Bank routes: banks, entries, bulk import. Reading needs any role; changing needs curator."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from amparo import banks
from amparo.api._deps import RuntimeDep, require_role
from amparo.api._gate import GuardedRoute, read_upload
from amparo.api._schemas import BankOut, EntryListOut, EntryOut
from amparo.auth import Principal
from amparo.banks import NewEntry
from amparo.errors import InputError
from amparo.signals import normalize_signal
from amparo.usecases import add_media_entry

__all__ = ["router"]

router = APIRouter(prefix="/v1/banks", tags=["banks"], route_class=GuardedRoute)

Curator = Annotated[Principal, Depends(require_role("curator"))]
Reader = Annotated[Principal, Depends(require_role("curator", "scanner", "reviewer", "auditor"))]
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The entry's id")]


class BankCreate(BaseModel):
    name: str = Field(description="UPPER_WITH_UNDERSCORE", examples=["NCMEC_INDUSTRY"])
    description: str | None = None
    pdq_threshold: int = Field(banks.DEFAULT_PDQ_THRESHOLD, ge=0, le=128)
    matching_enabled_ratio: float = Field(1.0, ge=0, le=1)


class BankUpdate(BaseModel):
    name: str | None = Field(None, description="New name")
    description: str | None = None
    pdq_threshold: int | None = Field(None, ge=0, le=128)
    matching_enabled_ratio: float | None = Field(None, ge=0, le=1)
    enabled: bool | None = Field(None, description="Shorthand for a ratio of 1 or 0")


class EntryCreate(BaseModel):
    signals: dict[str, str] = Field(description="{signal type: hash}", examples=[{"md5": "…"}])
    source: str = Field("local", max_length=64)
    source_id: str | None = Field(None, max_length=255)
    category: str | None = Field(None, description="A1, A2, B1, B2 (NCMEC), A, B, C (IWF)")
    tags: list[str] = Field(default_factory=list, examples=[["generative_ai"]])
    note: str | None = Field(None, max_length=255)
    enabled: bool = True


class EntryUpdate(BaseModel):
    enabled: bool | None = None
    disable_until_ts: int | None = Field(None, description="0 disabled, 1 enabled, or a Unix time")
    note: str | None = Field(None, max_length=255)
    category: str | None = None
    tags: list[str] | None = None


@router.get("", response_model=list[BankOut], summary="List banks with their entry counts")
def list_banks(amparo: RuntimeDep, _: Reader) -> list[dict[str, Any]]:
    with amparo.session() as s:
        sizes = banks.bank_sizes(s)
        return [{**b.to_dict(), "entries": sizes.get(b.name, 0)} for b in banks.list_banks(s)]


@router.post("", status_code=201, response_model=BankOut, summary="Create a bank")
def create_bank(body: BankCreate, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    with amparo.session() as s:
        return banks.create_bank(
            s,
            body.name,
            description=body.description,
            pdq_threshold=body.pdq_threshold,
            matching_enabled_ratio=body.matching_enabled_ratio,
        ).to_dict()


@router.get("/{name}", response_model=BankOut, summary="One bank")
def get_bank(name: str, amparo: RuntimeDep, _: Reader) -> dict[str, Any]:
    with amparo.session() as s:
        bank = banks.get_bank(s, name)
        return {**bank.to_dict(), "entries": banks.bank_sizes(s).get(bank.name, 0)}


@router.patch(
    "/{name}",
    response_model=BankOut,
    summary="Rename a bank or change its threshold or enabled ratio",
)
def update_bank(name: str, body: BankUpdate, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    ratio = body.matching_enabled_ratio
    if ratio is None and body.enabled is not None:
        ratio = 1.0 if body.enabled else 0.0
    with amparo.session() as s:
        return banks.update_bank(
            s,
            name,
            new_name=body.name,
            description=body.description,
            pdq_threshold=body.pdq_threshold,
            matching_enabled_ratio=ratio,
        ).to_dict()


@router.delete("/{name}", summary="Delete a bank and all its entries")
def delete_bank(name: str, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    with amparo.session() as s:
        banks.get_bank(s, name)
        return {"deleted": banks.delete_bank(s, name)}


@router.get(
    "/{name}/entries",
    response_model=EntryListOut,
    summary="List a bank's entries (keyset pagination)",
)
def list_entries(
    name: str,
    amparo: RuntimeDep,
    _: Reader,
    after_id: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Return entries with id > this")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    with amparo.session() as s:
        entries = banks.list_entries(s, name, after_id=after_id, limit=limit)
    return {
        "entries": [e.to_dict() for e in entries],
        "next_after_id": entries[-1].id if len(entries) == limit else None,
    }


def _new_entry(body: EntryCreate) -> NewEntry:
    return NewEntry(
        signals={k.lower(): normalize_signal(k.lower(), v) for k, v in body.signals.items()},
        source=body.source,
        source_id=body.source_id,
        category=banks.check_category(body.category),
        tags=banks.check_tags(body.tags),
        note=banks.check_note(body.note),
        enabled=body.enabled,
    )


@router.post(
    "/{name}/entries",
    status_code=201,
    response_model=EntryOut,
    summary="Add an entry from its hashes",
)
def add_entry(name: str, body: EntryCreate, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    if not body.signals:
        raise InputError("no signals given", hint='send e.g. {"signals": {"pdq": "…"}}')
    new = _new_entry(body)
    with amparo.session() as s:
        return banks.add_entry(s, name, new).to_dict()


@router.post(
    "/{name}/media",
    status_code=201,
    response_model=EntryOut,
    summary="Add an entry by hashing an image",
)
async def add_media(
    name: str,
    amparo: RuntimeDep,
    _: Curator,
    file: Annotated[UploadFile, File(description="The image to hash")],
    category: str | None = None,
    tags: Annotated[str | None, Query(description="Comma-separated tags")] = None,
    note: str | None = None,
    source_id: str | None = None,
) -> dict[str, Any]:
    data = await read_upload(file, amparo.settings.media.max_bytes)
    entry = await run_in_threadpool(
        add_media_entry,
        amparo,
        amparo.hasher,
        name,
        data,
        source="upload",
        source_id=source_id,
        category=category,
        tags=tags,
        note=note,
    )
    return entry.to_dict()


@router.get("/{name}/entries/{entry_id}", response_model=EntryOut, summary="One entry")
def get_entry(name: str, entry_id: EntryId, amparo: RuntimeDep, _: Reader) -> dict[str, Any]:
    with amparo.session() as s:
        return banks.get_entry(s, name, entry_id).to_dict()


@router.patch(
    "/{name}/entries/{entry_id}",
    response_model=EntryOut,
    summary="Enable, disable or annotate an entry",
)
def update_entry(
    name: str, entry_id: EntryId, body: EntryUpdate, amparo: RuntimeDep, _: Curator
) -> dict[str, Any]:
    until = body.disable_until_ts
    if until is None and body.enabled is not None:
        until = 1 if body.enabled else 0
    fields = body.model_fields_set
    kwargs: dict[str, Any] = {}
    if "note" in fields:
        kwargs["note"] = body.note
    if "category" in fields:
        kwargs["category"] = banks.check_category(body.category)
    with amparo.session() as s:
        return banks.update_entry(
            s,
            name,
            entry_id,
            disable_until_ts=until,
            tags=banks.check_tags(body.tags) if body.tags is not None else None,
            **kwargs,
        ).to_dict()


@router.delete("/{name}/entries/{entry_id}", summary="Delete an entry")
def delete_entry(name: str, entry_id: EntryId, amparo: RuntimeDep, _: Curator) -> dict[str, Any]:
    with amparo.session() as s:
        return {"deleted": banks.delete_entry(s, name, entry_id)}


@router.post(
    "/{name}/import",
    summary="Bulk import entries from CSV or JSON Lines (an upsert: re-importing is safe)",
    description="Every row is checked first. With bad rows nothing is imported (400 lists the "
    "row numbers) unless skip_bad_rows=true, which imports the good rows and lists the bad. "
    "A row updates the entry of the same source and source_id (or, without a source_id, the "
    "entry holding one of its hashes), else adds one; replace=true disables the bank's "
    "entries the file no longer lists. Rows are committed in batches. The file must be UTF-8 "
    "(a byte order mark is dropped): a byte that is not refuses the whole file (400 naming "
    "the line).",
)
async def import_entries(
    name: str,
    amparo: RuntimeDep,
    _: Curator,
    file: Annotated[UploadFile, File(description="CSV (with header) or JSON Lines")],
    format: Annotated[
        Literal["csv", "jsonl"] | None, Query(description="Default: by file name")
    ] = None,
    skip_bad_rows: bool = False,
    replace: Annotated[
        bool,
        Query(description="Make the bank equal the file: entries it no longer lists are disabled"),
    ] = False,
) -> dict[str, Any]:
    fmt = format or ("jsonl" if (file.filename or "").endswith((".jsonl", ".ndjson")) else "csv")
    # Spool to a temporary file: the import reads it twice (check, then insert).
    with tempfile.TemporaryFile() as spool:
        while chunk := await file.read(1024 * 1024):
            spool.write(chunk)

        def open_lines() -> Iterator[str]:
            return banks.file_lines(spool, name=file.filename or "the file")

        def run() -> dict[str, Any]:
            return banks.import_entries(
                amparo.session,
                name,
                open_lines,
                fmt,
                skip_bad_rows=skip_bad_rows,
                replace=replace,
            ).to_dict()

        return await run_in_threadpool(run)
