"""Decode the first frame of an image within limits, optionally at reduced size.

Two ways to decode:

* full resolution (``min_side=None``): every stored pixel, exactly as ``PIL.Image.open`` and
  ``load`` would give them; this is what ThreatExchange hashes.
* reduced (``min_side=n``): a JPEG is decoded with libjpeg's DCT-domain scaling
  (``Image.draft``) by 1/2, 1/4 or 1/8, keeping at least ``n`` pixels on each side; each
  output pixel is then (about) the mean of a ``scale`` x ``scale`` block of the stored
  image. Entropy decoding still reads the whole file, but the inverse DCT, chroma
  upsampling and colour conversion shrink with the image, which makes decoding a 12 MP JPEG
  about twice as fast. Other formats cannot decode at reduced size and come back at full size
  with ``scale == 1``; reducing them further is the caller's business.

Pixels are returned as stored: EXIF orientation is *not* applied, because PDQ hashes the
stored pixels (as ThreatExchange does) and banks hold hashes of stored pixels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from PIL import Image

from amparo.config import MediaLimits
from amparo.errors import CorruptMediaError
from amparo.media._limits import check_byte_length
from amparo.media._open import BOMB_ERRORS, PARSE_ERRORS, open_header, too_large_for_pillow

__all__ = ["DecodedImage", "ImageInfo", "decode", "probe"]

_READ_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class ImageInfo:
    """Facts from an image header: Pillow format name, stored size and colour mode."""

    format: str
    width: int
    height: int
    mode: str


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """The first frame of an image, its pixels loaded.

    ``image`` holds the pixels: at full size when ``scale == 1``, otherwise reduced by
    ``scale`` on each axis (its size is ``ceil(width / scale) x ceil(height / scale)``).
    ``image.mode`` can differ from ``info.mode``: a colour JPEG decoded with
    ``grayscale=True`` comes back as ``L`` (its luma channel). Don't mutate ``image``.
    """

    info: ImageInfo
    image: Image.Image
    scale: int


def _stream(source: bytes | IO[bytes], limits: MediaLimits) -> IO[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        check_byte_length(len(source), limits)
        return io.BytesIO(source)
    return source


def probe(source: bytes | IO[bytes], limits: MediaLimits) -> ImageInfo:
    """Read only the header of ``source``: its format, size and mode, with limits checked.

    Raises the same errors as :func:`decode` except those that only decoding finds
    (a truncated body). ``source`` is bytes or a seekable binary file.
    """
    image, fmt = open_header(_stream(source, limits), limits)
    return ImageInfo(fmt, image.width, image.height, image.mode)


def decode(
    source: bytes | IO[bytes],
    limits: MediaLimits,
    *,
    min_side: int | None = None,
    grayscale: bool = False,
) -> DecodedImage:
    """Decode the first frame of ``source`` (bytes, or a seekable binary file).

    Limits are checked before decoding: the byte length (when ``source`` is bytes; for a
    file, check its size with :func:`check_byte_length` first), then the header's width and
    height. ``min_side`` asks for a reduced decode that keeps at least that many pixels on
    each side (JPEG only, see the module docstring). ``grayscale`` says the caller needs only
    luma (ITU-R BT.601, the PDQ and JPEG definition), letting a colour JPEG skip colour
    conversion; other images keep their mode.

    Raises :class:`EmptyMediaError`, :class:`UnsupportedFormatError`,
    :class:`CorruptMediaError` (bad header, truncated or corrupt body) or
    :class:`MediaTooLargeError`.
    """
    stream = _stream(source, limits)
    image, fmt = open_header(stream, limits)
    info = ImageInfo(fmt, image.width, image.height, image.mode)
    scale = 1
    if min_side is not None and fmt == "JPEG":
        drafted = image.draft("L" if grayscale else None, (min_side, min_side))
        if drafted is not None:
            scale = round(info.width / drafted[1][2])
    # Feed the decoder large blocks: on each 64 KiB block Pillow's default hands it, libjpeg
    # suspends and re-decodes the unfinished row of blocks (about 5% of a 12 MP JPEG).
    image.decodermaxblock = max(image.decodermaxblock, _READ_BLOCK)
    try:
        image.load()
    except BOMB_ERRORS as exc:
        raise too_large_for_pillow(exc) from exc
    except PARSE_ERRORS as exc:
        raise CorruptMediaError(
            f"the {fmt} image is truncated or corrupt and cannot be decoded ({exc})",
            hint="re-export or re-download the file; a partial upload is a common cause",
        ) from exc
    return DecodedImage(info, image, scale)
