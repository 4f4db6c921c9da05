"""Reading uploaded files within the size limit (one place for every route)."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from amparo.errors import MediaTooLargeError

__all__ = ["read_upload"]


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, or :class:`MediaTooLargeError` past ``limit`` (read at most once)."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise MediaTooLargeError(
            f"{upload.filename or 'the file'} is over the {limit}-byte limit",
            hint="send a smaller file, or raise AMPARO_MEDIA_MAX_BYTES",
        )
    return data
