"""Size checks that run before any pixel is decoded.

Two guards, in the order a request meets them:

1. :func:`check_byte_length` on the *declared* length (an HTTP ``Content-Length``, a file's
   ``stat`` size) so that a 2 GB upload is refused before it is read.
2. :func:`check_dimensions` on the width and height read from the image header, so that a
   50,000 x 50,000 PNG (a "decompression bomb": a few KB that would decode to 7.5 GB) is
   refused before its pixels are allocated.
"""

from __future__ import annotations

from amparo.config import MediaLimits
from amparo.errors import EmptyMediaError, MediaTooLargeError

__all__ = ["check_byte_length", "check_dimensions"]


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MiB"


def check_byte_length(length: int, limits: MediaLimits) -> None:
    """Refuse media whose (declared or actual) length is 0 or over ``limits.max_bytes``.

    Call it with the length a client *declares* before reading the body: it never needs the
    bytes themselves. Raises :class:`EmptyMediaError` or :class:`MediaTooLargeError`.
    """
    if length <= 0:
        raise EmptyMediaError(
            "the media is empty (0 bytes)",
            hint="send the file's contents; check that the upload or path is the right one",
        )
    if length > limits.max_bytes:
        raise MediaTooLargeError(
            f"the media is {_mib(length)} ({length:,} bytes), over the limit of "
            f"{_mib(limits.max_bytes)} ({limits.max_bytes:,} bytes)",
            hint="send a smaller file, or raise AMPARO_MEDIA_MAX_BYTES if such files are expected",
        )


def check_dimensions(width: int, height: int, limits: MediaLimits) -> None:
    """Refuse an image whose header declares a side or pixel count over ``limits``.

    Raises :class:`MediaTooLargeError` naming the limit that was crossed.
    """
    if max(width, height) > limits.max_side:
        raise MediaTooLargeError(
            f"the image is {width:,} x {height:,} pixels; its longest side is over the limit "
            f"of {limits.max_side:,} pixels",
            hint="downscale the image before sending it, or raise AMPARO_MEDIA_MAX_SIDE if "
            "such images are expected",
        )
    if width * height > limits.max_pixels:
        raise MediaTooLargeError(
            f"the image is {width:,} x {height:,} = {width * height:,} pixels, over the limit "
            f"of {limits.max_pixels:,} pixels",
            hint="downscale the image before sending it, or raise AMPARO_MEDIA_MAX_PIXELS if "
            "such images are expected",
        )
