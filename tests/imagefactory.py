"""Benign synthetic test images: the generators of ``amparo.media.synthetic`` plus test extras.

Import it from any test (``tests/`` is on ``sys.path`` through ``tests/conftest.py``)::

    from imagefactory import image_bytes, make, variant

Everything here draws gradients, checkerboards, shapes, text or noise, or crafts file
headers byte by byte. Never add real photographs or anything depicting people.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image

from amparo.media.synthetic import (
    KINDS,
    VARIANTS,
    Kind,
    VariantName,
    checkerboard,
    encode,
    gradient,
    make,
    noise,
    photo_like,
    shapes,
    text,
    variant,
)

__all__ = [
    "KINDS",
    "SIGNATURES",
    "VARIANTS",
    "Kind",
    "VariantName",
    "checkerboard",
    "encode",
    "garbage_with_signature",
    "gradient",
    "image_bytes",
    "in_mode",
    "jpeg_header_only",
    "make",
    "noise",
    "photo_like",
    "png_header_only",
    "shapes",
    "text",
    "truncated",
    "variant",
]

SIGNATURES: dict[str, bytes] = {
    "JPEG": b"\xff\xd8\xff\xe0",
    "PNG": b"\x89PNG\r\n\x1a\n",
    "GIF": b"GIF89a",
    "BMP": b"BM",
    "TIFF": b"II*\x00",
    "WEBP": b"RIFF\x00\x01\x00\x00WEBPVP8 ",
}


def image_bytes(
    kind: Kind = "photo_like",
    width: int = 320,
    height: int = 240,
    *,
    fmt: str = "PNG",
    seed: int = 0,
    quality: int = 90,
) -> bytes:
    """A synthetic image of ``kind``, encoded as ``fmt``."""
    return encode(make(kind, width, height, seed=seed), fmt, quality=quality)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that *declares* ``width`` x ``height`` (8-bit RGB) but carries no pixels.

    A few dozen bytes: a decompression-bomb header that costs nothing to build.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def jpeg_header_only(width: int, height: int) -> bytes:
    """A baseline JPEG start (SOI, SOF0 for 3 components) declaring ``width`` x ``height``."""
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    """The first ``fraction`` of ``data``: an interrupted upload."""
    return data[: max(1, int(len(data) * fraction))]


def garbage_with_signature(fmt: str, size: int = 512, *, seed: int = 0) -> bytes:
    """Random bytes behind the magic number of ``fmt``: looks like an image, is not one."""
    rng = np.random.default_rng(seed)
    return SIGNATURES[fmt] + rng.integers(0, 256, size=size, dtype=np.uint8).tobytes()


def in_mode(mode: str, *, fmt: str = "PNG", width: int = 200, height: int = 150) -> bytes:
    """A shapes image converted to Pillow colour ``mode`` and encoded as ``fmt``.

    16-bit grey (``I;16``) spans the full 0..65535 range, like a real 16-bit scan.
    """
    base = shapes(width, height, seed=11)
    image: Image.Image
    if mode == "I;16":
        grey = np.asarray(base.convert("L"), dtype=np.uint16) * 257
        image = Image.fromarray(grey)
    elif mode == "I":
        image = Image.fromarray(np.asarray(base.convert("L"), dtype=np.int32) * 1000 - 70000)
    elif mode == "F":
        image = Image.fromarray(np.asarray(base.convert("L"), dtype=np.float32) / 255.0)
    elif mode in {"P", "PA"}:
        image = base.quantize(colors=64)
        if mode == "PA":
            image = image.convert("PA")
    else:
        image = base.convert(mode)
    return encode(image, fmt)
