"""HMA's bank content routes: add by hashes or by media, read, enable/disable, delete.

An HMA "content item" is an Amparo bank entry: ``bank_content_id`` is the entry id. Content
added here is matchable as soon as the request returns. Unlike HMA, a content id is only
found under the bank that holds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amparo import banks
from amparo.api._deps import RuntimeDep
from amparo.api.hma._banks import bank_shape
from amparo.api.hma._common import (
    Curator,
    HmaError,
    HmaRoute,
    Reader,
    check_note,
    check_signal,
    check_signal_type,
    json_body,
    not_found,
    read_json,
)
from amparo.api.hma._media import UPLOAD_BODY, Media, fetch_media, read_form, read_media
from amparo.banks import Bank, Entry, NewEntry, check_disable_until
from amparo.errors import InputError, NotFoundError, UnsupportedFormatError
from amparo.runtime import Runtime
from amparo.usecases import LowQualityError, add_media_entry

__all__ = ["router"]

router = APIRouter(prefix="/c/bank", tags=["HMA: curation"], route_class=HmaRoute)

_DIGITS = re.compile(r"[0-9]{1,18}")
_INTEGER = re.compile(r"-?[0-9]{1,18}")


class ContentMetadata(BaseModel):
    """HMA's user metadata of a content item: these keys only."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    content_id: str | None = None
    content_uri: str | None = None
    json_data: dict[str, Any] | None = Field(None, alias="json")


def _bank(amparo: Runtime, name: str) -> Bank:
    with amparo.session() as s:
        try:
            return banks.get_bank(s, name)
        except NotFoundError as exc:
            raise not_found(f"bank '{name}' not found") from exc


def _content_id(text: str) -> int | None:
    """HMA's path only takes digits; anything else is "not found" there too."""
    return int(text) if _DIGITS.fullmatch(text) else None


def _entry(amparo: Runtime, name: str, content_id: str) -> tuple[Bank, Entry]:
    bank = _bank(amparo, name)
    number = _content_id(content_id)
    with amparo.session() as s:
        try:
            if number is None:
                raise NotFoundError(f"no content {content_id!r}")
            return bank, banks.get_entry(s, name, number)
        except NotFoundError as exc:
            raise not_found(f"content '{content_id}' not found") from exc


def _signals(given: Mapping[str, object]) -> dict[str, str]:
    if not given:
        raise HmaError(400, "No signals given", hint='send e.g. {"pdq": "<64 hex characters>"}')
    out: dict[str, str] = {}
    for name, value in given.items():
        check_signal_type(name, message=f"No such signal type {name}")
        out[name] = check_signal(name, value, prefix=f"Invalid {name} signal: ")
    return out


def _add(amparo: Runtime, bank_name: str, new: NewEntry) -> dict[str, Any]:
    with amparo.session() as s:
        entry = banks.add_entry(s, bank_name, new)
    return {"id": entry.id, "signals": dict(new.signals)}


_SIGNAL_BODY = json_body(
    {
        "type": "object",
        "properties": {"note": {"type": "string", "maxLength": 255}},
        "additionalProperties": {"type": "string"},
        "description": "{signal type: hash, ...}; several types make one content item",
    },
    {"pdq": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", "note": "…"},
)
_UPDATE_BODY = json_body(
    {
        "type": "object",
        "properties": {
            "disable_until_ts": {
                "type": "integer",
                "description": "0 disabled, 1 enabled, else a Unix time until which disabled",
            },
            "note": {"type": ["string", "null"], "maxLength": 255},
        },
    },
    {"disable_until_ts": 0},
)


@router.post(
    "/{bank_name}/signal",
    summary="Add one content item from its hashes (HMA)",
    openapi_extra=_SIGNAL_BODY,
)
async def add_signals(
    bank_name: str, request: Request, amparo: RuntimeDep, _: Curator
) -> dict[str, Any]:
    await run_in_threadpool(_bank, amparo, bank_name)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HmaError(400, "the JSON body must be an object", hint='send {"pdq": "..."}')
    given = dict(body)
    note = check_note(given.pop("note", None))
    new = NewEntry(signals=_signals(given), source="local", note=note)
    return await run_in_threadpool(_add, amparo, bank_name, new)


def _metadata(raw: object) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise HmaError(400, "metadata should be a json object")
    fields = {k: v for k, v in raw.items() if k != "collab"}
    try:
        meta = ContentMetadata.model_validate(fields)
    except ValidationError as exc:
        raise HmaError(
            400,
            f"Invalid metadata: {exc}",
            hint="allowed keys: content_id (string), content_uri (string), json (object)",
        ) from exc
    return meta.model_dump(by_alias=True, exclude_none=True) or None


@router.post(
    "/{bank_name}/content",
    summary="Add one content item by hashing a URL (?url=) or an upload (HMA)",
    openapi_extra=UPLOAD_BODY,
)
async def add_content(
    bank_name: str,
    request: Request,
    amparo: RuntimeDep,
    _: Curator,
    url: str | None = None,
    content_type: str | None = None,
    types: str | None = None,
) -> dict[str, Any]:
    await run_in_threadpool(_bank, amparo, bank_name)
    raw_meta: object = None
    raw_note: object = None
    form = await read_form(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await read_json(request)
        if isinstance(body, dict):
            raw_meta, raw_note = body.get("metadata"), body.get("note")
    else:
        if isinstance(form.get("metadata"), str):
            try:
                raw_meta = json.loads(str(form["metadata"]))
            except ValueError as exc:
                raise HmaError(400, "metadata form field must be valid JSON") from exc
        raw_note = form.get("note")
    metadata = _metadata(raw_meta)
    note = check_note(raw_note)
    media: Media
    if url:
        media = await fetch_media(url, content_type, types, amparo)
        source = "url"
    elif any(not isinstance(v, str) for _, v in form.multi_items()):
        media = await read_media(request, types, amparo)
        source = "upload"
    else:
        raise HmaError(
            400,
            "Neither `url` nor multipart file upload was received",
            hint="give ?url=https://... or upload the file as a multipart field named 'photo'",
        )
    try:
        entry = await run_in_threadpool(
            add_media_entry,
            amparo,
            amparo.hasher,
            bank_name,
            media.data,
            types=media.types,
            source=source,
            note=note,
            metadata=metadata,
        )
    except LowQualityError as exc:
        raise HmaError(
            400, f"Invalid pdq signal: {exc.message}", code=exc.code, hint=exc.hint
        ) from exc
    except UnsupportedFormatError as exc:  # HMA: 500; Amparo: the caller's mistake
        raise HmaError(400, exc.message, code=exc.code, hint=exc.hint) from exc
    return {"id": entry.id, "signals": dict(entry.signals)}


def _flag(value: str) -> bool:
    return value.lower() == "true"


@router.get("/{bank_name}/content/{content_id}", summary="One content item (HMA)")
def get_content(
    bank_name: str,
    content_id: str,
    amparo: RuntimeDep,
    _: Reader,
    include_signals: str = "false",
    include_metadata: str = "true",
) -> dict[str, Any]:
    bank, entry = _entry(amparo, bank_name, content_id)
    out: dict[str, Any] = {
        "id": entry.id,
        "disable_until_ts": entry.disable_until_ts,
        "original_media_uri": entry.original_media_uri,
        "bank": bank_shape(bank),
    }
    if _flag(include_signals) and entry.signals:
        out["signals"] = dict(entry.signals)
    meta = entry.metadata or {}
    if _flag(include_metadata) and any(k in meta for k in ("content_id", "content_uri", "json")):
        out["metadata"] = {
            "content_id": meta.get("content_id"),
            "content_uri": meta.get("content_uri"),
            "json": meta.get("json"),
            "collab": None,
        }
    if entry.note:
        out["note"] = entry.note
    return out


def _disable_until(value: object) -> int:
    """HMA's ``disable_until_ts``: an integer (or its string), 0..5 years ahead."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _INTEGER.fullmatch(value.strip())
    ):
        number = int(value)
    if number is None:
        raise HmaError(400, f"Invalid int: '{value}'", hint="0 disables, 1 enables")
    try:
        return check_disable_until(number)  # the range rule lives with the banks
    except InputError as exc:
        raise HmaError(400, exc.message, hint=exc.hint) from None


def _update(
    amparo: Runtime, bank_name: str, entry_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    with amparo.session() as s:
        entry = banks.update_entry(s, bank_name, entry_id, **changes)
        bank = banks.get_bank(s, bank_name)
    # HMA answers with its stored record: these fields, in this shape.
    return {
        "id": entry.id,
        "disable_until_ts": entry.disable_until_ts,
        "collab_metadata": {},
        "original_media_uri": entry.original_media_uri,
        "bank": bank_shape(bank),
        "user_metadata": dict(entry.metadata) if entry.metadata is not None else None,
        "note": entry.note,
    }


@router.put(
    "/{bank_name}/content/{content_id}",
    summary="Enable, disable or annotate (HMA)",
    openapi_extra=_UPDATE_BODY,
)
async def update_content(
    bank_name: str, content_id: str, request: Request, amparo: RuntimeDep, _: Curator
) -> dict[str, Any]:
    _bank_found, entry = await run_in_threadpool(_entry, amparo, bank_name, content_id)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise HmaError(400, "the JSON body must be an object", hint='send {"disable_until_ts": 0}')
    changes: dict[str, Any] = {}
    if "disable_until_ts" in body:
        changes["disable_until_ts"] = _disable_until(body["disable_until_ts"])
    if "note" in body:
        changes["note"] = check_note(body["note"])
    return await run_in_threadpool(_update, amparo, bank_name, entry.id, changes)


@router.delete("/{bank_name}/content/{content_id}", summary="Delete a content item (HMA)")
def delete_content(
    bank_name: str, content_id: str, amparo: RuntimeDep, _: Curator
) -> dict[str, int]:
    _bank(amparo, bank_name)
    number = _content_id(content_id)
    if number is None:
        return {"deleted": 0}
    with amparo.session() as s:
        return {"deleted": int(banks.delete_entry(s, bank_name, number))}
