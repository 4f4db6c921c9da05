"""Reading uploaded files within the size limit (one place for every route)."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from amparo.errors import MediaTooLargeError

__all__ = ["read_upload"]


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, or :class:`MediaTooLargeError` past ``limit``.

    Never holds more than ``limit`` bytes of it: Starlette's form parser has already spooled
    the upload to a temporary file (on disk past 1 MiB) and counted its size, so one over the
    limit is refused without reading a byte; one of unknown size is read to one byte past
    the limit at most, which is how it is told apart from one exactly at the limit.
    """
    if upload.size is not None and upload.size > limit:
        raise _too_large(upload, limit)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(upload, limit)
    return data


def _too_large(upload: UploadFile, limit: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"{upload.filename or 'the file'} is over the {limit}-byte limit",
        hint="send a smaller file, or raise AMPARO_MEDIA_MAX_BYTES",
    )
