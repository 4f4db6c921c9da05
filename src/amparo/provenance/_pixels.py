"""Pixels for the checks that need them (NovelAI alpha stealth, SD watermark), through
:mod:`amparo.media` only.

Every pixel read goes through :func:`amparo.media.decode`, with its limits, memory budget,
decode slots and deadline; nothing here opens untrusted bytes itself. A scan that already
decoded the image at full resolution (``hash_media(..., keep_pixels=True)``) passes that
decode in, and the file is decoded once for both. Damage the decoder worked around (an
ancillary PNG chunk with a bad CRC, a truncated image) comes back with the pixels, as
problems for the report.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from amparo.config import MediaLimits
from amparo.errors import MediaError
from amparo.media import DecodedImage, decode, probe

__all__ = ["Pixels", "decode_pixels"]


@dataclass(frozen=True)
class Pixels:
    """Decoded pixels: ``rgb`` (H, W, 3) uint8 and ``alpha`` (H, W) uint8 or None, and the
    ``problems`` the decoder worked around."""

    rgb: NDArray[np.uint8]
    alpha: NDArray[np.uint8] | None
    problems: tuple[str, ...] = ()


def _over_cap(width: int, height: int, max_pixels: int) -> str | None:
    if width * height > max_pixels:
        return f"image has {width * height} pixels, over the {max_pixels} cap"
    return None


def _full_decode(
    data: bytes, shared: DecodedImage | None, limits: MediaLimits, max_pixels: int
) -> DecodedImage | str:
    """A full-resolution decode of ``data``: ``shared`` when it is one, else a new one."""
    if shared is not None:
        refused = _over_cap(shared.info.width, shared.info.height, max_pixels)
        if refused or shared.full_resolution:
            return refused or shared
    # The bytes are already in memory, so the byte limit (which guards reading an upload)
    # has done its work: a stream skips it, the pixel and memory limits still apply.
    source = io.BytesIO(data)
    try:
        info = probe(source, limits)
        refused = _over_cap(info.width, info.height, max_pixels)
        return refused or decode(source, limits)
    except MediaError as exc:
        return f"pixels could not be decoded ({exc.code}: {exc.message})"


def decode_pixels(
    data: bytes,
    *,
    max_pixels: int,
    want_alpha: bool,
    limits: MediaLimits | None = None,
    shared: DecodedImage | None = None,
) -> Pixels | str:
    """The pixels of ``data``, or a sentence saying why they were not decoded.

    ``shared`` is a decode of the same ``data`` a caller already has; it is used when it
    holds every stored pixel (:attr:`DecodedImage.full_resolution`), else ``data`` is
    decoded here with ``limits`` (default :class:`MediaLimits`). Images over ``max_pixels``
    are not decoded. Never raises for bad media.
    """
    decoded = _full_decode(data, shared, limits or MediaLimits(), max_pixels)
    if isinstance(decoded, str):
        return decoded
    image = decoded.image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if want_alpha and has_alpha:
        rgba = np.asarray(image.convert("RGBA"))
        return Pixels(rgb=rgba[:, :, :3], alpha=rgba[:, :, 3], problems=decoded.problems)
    return Pixels(rgb=np.asarray(image.convert("RGB")), alpha=None, problems=decoded.problems)
