"""Hashing media the way HMA's ``/h/hash`` does: one upload or one URL, by content type.

HMA names content types ``photo`` (hashed with PDQ) and ``video`` (hashed with ``video_md5``,
the MD5 of the file). An upload's multipart field name is its content type; a URL's content
type is the ``content_type`` parameter, else guessed. ``types`` picks signal types; Amparo
also offers ``md5`` and ``sha256`` of the bytes, which are not in the default selection so
the answers stay HMA's.

Departures from HMA, on purpose:

- HMA answers 500 for an upload that is not an image; Amparo answers 400 with the reason.
- HMA trusts the server's Content-Type header for a URL; Amparo guesses from the bytes
  (video containers are recognised by their signature, anything else is tried as a photo).
- A PDQ below the quality threshold is ``""`` as in HMA; its quality is kept for callers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from amparo.api._gate import read_upload
from amparo.api.hma._common import HmaError
from amparo.errors import EmptyMediaError, FetchError, UnsupportedFormatError
from amparo.runtime import Runtime
from amparo.signals import Hasher

__all__ = [
    "CONTENT_TYPES",
    "UPLOAD_BODY",
    "Hashed",
    "Media",
    "fetch_media",
    "hash_bytes",
    "hash_upload",
    "hash_url",
    "read_form",
    "read_media",
    "select_types",
]

CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "photo": ("pdq", "md5", "sha256"),
    "video": ("video_md5", "md5", "sha256"),
}
"""Signal types each content type can be hashed with."""
_DEFAULT_TYPES: dict[str, tuple[str, ...]] = {"photo": ("pdq",), "video": ("video_md5",)}
_MAX_FORM_PARTS = 16

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photo": {"type": "string", "format": "binary"},
                        "video": {"type": "string", "format": "binary"},
                    },
                    "description": "Exactly one file; its field name is its content type.",
                }
            }
        },
    }
}
"""OpenAPI request body of an upload: one file whose field name is its content type."""


@dataclass(frozen=True)
class Media:
    """Bytes received to hash, their content type and the signal types chosen for them."""

    content_type: str
    types: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Hashed:
    """Hashes of one piece of media: ``{signal type: hex}`` and the PDQ quality, if any."""

    content_type: str
    signals: dict[str, str]
    pdq_quality: int | None = None


def check_content_type(name: str) -> str:
    if name not in CONTENT_TYPES:
        raise HmaError(
            400,
            f"no such content_type: '{name}'",
            hint=f"content types: {', '.join(CONTENT_TYPES)}",
        )
    return name


def select_types(content_type: str, types: str | None) -> tuple[str, ...]:
    """HMA's ``types`` parameter (comma-separated) checked against the content type."""
    if types is None:
        return _DEFAULT_TYPES[content_type]
    allowed = CONTENT_TYPES[content_type]
    chosen: list[str] = []
    for raw in types.split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in allowed:
            raise HmaError(
                400,
                f"signal type '{name}' doesn't exist or is disabled",
                hint=f"{content_type} can be hashed with: {', '.join(allowed)}",
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise HmaError(400, "empty signal type selection", hint="e.g. types=pdq")
    return tuple(chosen)


def hash_bytes(media: Media, hasher: Hasher) -> Hashed:
    """Hash media as its content type with its types. Photos are decoded (safely); videos
    not. A PDQ below the quality threshold is ``""``, as in HMA."""
    data = media.data
    if not data:
        raise EmptyMediaError("the file is empty", hint="send the media's bytes")
    out: dict[str, str] = {}
    quality: int | None = None
    if media.content_type == "photo":
        try:
            signals = hasher.hash(data)
            if signals.decode_error is not None:  # HMA photo hashing needs the pixels
                signals.decode_error.raise_error()
        except UnsupportedFormatError as exc:  # HMA: 500; Amparo: the caller's mistake
            raise HmaError(400, exc.message, code=exc.code, hint=exc.hint) from exc
        pdq = signals.pdq
        for name in media.types:
            if name == "pdq":
                quality = pdq.quality if pdq is not None else 0
                out["pdq"] = pdq.hex if pdq is not None and not pdq.low_quality else ""
            elif name == "md5":
                out["md5"] = signals.md5
            elif name == "sha256":
                out["sha256"] = signals.sha256
    else:
        for name in media.types:
            if name in ("video_md5", "md5"):
                out[name] = hashlib.md5(data).hexdigest()
            elif name == "sha256":
                out[name] = hashlib.sha256(data).hexdigest()
    return Hashed(media.content_type, out, quality)


async def read_form(request: Request) -> FormData:
    """The request's form (empty unless it is multipart or urlencoded)."""
    return await request.form(max_files=_MAX_FORM_PARTS, max_fields=_MAX_FORM_PARTS)


async def read_media(request: Request, types: str | None, runtime: Runtime) -> Media:
    """The one multipart file of ``request``; its field name is its content type."""
    form = await read_form(request)
    uploads = [(name, value) for name, value in form.multi_items() if isinstance(value, UploadFile)]
    if not uploads:
        raise HmaError(
            400,
            "Missing multipart/form-data file upload",
            hint="send the file as a multipart field named 'photo' (or 'video')",
        )
    if len(uploads) > 1:
        raise HmaError(400, "Only one file allowed per request", hint="send one file")
    ((field, upload),) = uploads
    content_type = check_content_type(field)
    chosen = select_types(content_type, types)
    data = await read_upload(upload, runtime.settings.media.max_bytes)
    return Media(content_type, chosen, data)


async def hash_upload(request: Request, types: str | None, runtime: Runtime) -> Hashed:
    """Hash the one multipart file of ``request``."""
    media = await read_media(request, types, runtime)
    return await run_in_threadpool(hash_bytes, media, runtime.hasher)


def guess_content_type(data: bytes) -> str:
    """``video`` for the common video containers, else ``photo`` (decoding then decides)."""
    head = data[:16]
    if head[4:8] == b"ftyp" and head[8:12] not in (b"avif", b"avis", b"heic", b"heix", b"mif1"):
        return "video"
    if head.startswith((b"\x1a\x45\xdf\xa3", b"FLV", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "video"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "video"
    return "photo"


async def fetch_media(
    url: str, content_type: str | None, types: str | None, runtime: Runtime
) -> Media:
    """Fetch ``url`` (public addresses only, see :mod:`amparo.remote`)."""
    chosen = None
    if content_type:
        check_content_type(content_type)
        chosen = select_types(content_type, types)
    try:
        data = await run_in_threadpool(runtime.fetcher.fetch, url)
    except FetchError as exc:  # HMA answers a failed fetch with 400
        raise HmaError(400, exc.message, code=exc.code, hint=exc.hint) from exc
    kind = content_type or guess_content_type(data)
    return Media(kind, chosen or select_types(kind, types), data)


async def hash_url(
    url: str, content_type: str | None, types: str | None, runtime: Runtime
) -> Hashed:
    """Fetch ``url`` and hash it."""
    media = await fetch_media(url, content_type, types, runtime)
    return await run_in_threadpool(hash_bytes, media, runtime.hasher)
