"""Provenance routes: POST /v1/provenance (read) and POST /v1/stamp (label, admin only).

Responses never carry prompts found in files (``include_prompts=False``); the scan record
keeps them. The stamp route signs with the server's configured provider certificate and key
(``AMPARO_PROVENANCE_SIGNING_CERT``/``_KEY``) and is refused when they are not set.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from amparo.api._deps import RuntimeDep, require_role
from amparo.api._uploads import read_upload
from amparo.auth import Principal
from amparo.errors import InputError
from amparo.provenance import analyze, stamp

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["provenance"])

_MEDIA_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8": "image/jpeg", b"RIFF": "image/webp"}


async def _read(upload: UploadFile, limit: int) -> bytes:
    data = await read_upload(upload, limit)
    if not data:
        raise InputError("the file is empty", hint="send the media as the 'file' field")
    return data


@router.post(
    "/provenance",
    summary="AI provenance of one file: verdict and evidence (C2PA, IPTC, generator "
    "metadata, watermarks)",
)
async def provenance(
    amparo: RuntimeDep,
    principal: Annotated[Principal, Depends(require_role("scanner"))],
    file: Annotated[UploadFile, File(description="The image to read.")],
) -> dict[str, Any]:
    data = await _read(file, amparo.settings.media.max_bytes)
    options = amparo.provenance_options
    report = await run_in_threadpool(analyze, data, options=options)
    return {"input": file.filename, **report.to_dict(include_prompts=False)}


@router.post(
    "/stamp",
    summary="Stamp an AI generator's output: signed C2PA manifest declaring "
    "trainedAlgorithmicMedia, IPTC XMP, optional watermark (admin)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}},
)
async def stamp_file(
    amparo: RuntimeDep,
    principal: Annotated[Principal, Depends(require_role("admin"))],
    file: Annotated[UploadFile, File(description="The image to stamp (PNG, JPEG or WebP).")],
    generator: Annotated[str, Form(description="Name of the AI system that made it.")],
    watermark: Annotated[bool, Form(description="Also embed an invisible watermark.")] = False,
    generator_version: Annotated[str | None, Form(description="Version of the AI system.")] = None,
) -> Response:
    data = await _read(file, amparo.settings.media.max_bytes)
    cert_pem, key_pem = await run_in_threadpool(amparo.signing_credentials)
    stamped = await run_in_threadpool(
        lambda: stamp(
            data,
            generator=generator,
            cert_pem=cert_pem,
            key_pem=key_pem,
            watermark=watermark,
            generator_version=generator_version,
        )
    )
    media_type = _MEDIA_TYPES.get(stamped[:4]) or _MEDIA_TYPES.get(stamped[:2], "image/png")
    return Response(content=stamped, media_type=media_type)
