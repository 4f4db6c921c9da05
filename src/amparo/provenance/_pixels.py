"""Decode pixels for the checks that need them (watermark, NovelAI alpha stealth), once.

Bounded by a pixel cap checked on the header before any decode. A PNG whose oversized text
chunks would make Pillow refuse the file is re-assembled from its image chunks alone, so a
100 MB text chunk does not hide the pixels from the watermark check.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = ["Pixels", "decode_pixels"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IMAGE_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"sRGB"})


@dataclass(frozen=True)
class Pixels:
    """Decoded pixels: ``rgb`` (H, W, 3) uint8 and ``alpha`` (H, W) uint8 or None."""

    rgb: NDArray[np.uint8]
    alpha: NDArray[np.uint8] | None


def decode_pixels(data: bytes, *, max_pixels: int, want_alpha: bool) -> Pixels | str:
    """The pixels of ``data``, or a sentence saying why they were not decoded."""
    try:
        with warnings.catch_warnings():
            # Pillow's decompression-bomb warning: our own cap below is the guard.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return _decode(_image_chunks_only(data), max_pixels=max_pixels, want_alpha=want_alpha)
    except Exception as exc:  # Pillow raises many types on damaged media
        return f"pixels could not be decoded ({type(exc).__name__}: {exc})"


def _decode(data: bytes, *, max_pixels: int, want_alpha: bool) -> Pixels | str:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if width * height > max_pixels:
            return f"image has {width * height} pixels, over the {max_pixels} cap"
        image.load()
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        if want_alpha and has_alpha:
            rgba = np.asarray(image.convert("RGBA"))
            return Pixels(rgb=rgba[:, :, :3], alpha=rgba[:, :, 3])
        return Pixels(rgb=np.asarray(image.convert("RGB")), alpha=None)


def _image_chunks_only(data: bytes) -> bytes:
    """For a PNG, the same image without ancillary chunks; other formats unchanged."""
    if not data.startswith(_PNG_SIGNATURE):
        return data
    view = memoryview(data)
    parts: list[bytes | memoryview] = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(view):
        (length,) = struct.unpack(">I", view[pos : pos + 4])
        kind = bytes(view[pos + 4 : pos + 8])
        end = pos + 12 + length
        if kind in _PNG_IMAGE_CHUNKS:
            parts.append(view[pos:end])
        if kind == b"IEND":
            break
        pos = end
    return b"".join(parts)
