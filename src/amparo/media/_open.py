"""Identify an image from its first bytes and read its header, never its pixels.

We call the Pillow plugin of each supported format directly instead of ``Image.open``:
``Image.open`` tries every format Pillow knows (dozens of rarely used parsers reachable from
untrusted bytes) and applies its own process-wide decompression-bomb threshold
(``PIL.Image.MAX_IMAGE_PIXELS``), which would override :class:`MediaLimits` and which we must
not change for the whole process. Here the limits come from the caller, per call, and are
checked on the header's width and height before anything is decoded. Pillow's own guard
still runs inside a few plugins (GIF frame extents, TIFF tiles); its
``DecompressionBombError`` is reported as :class:`MediaTooLargeError`.
"""

from __future__ import annotations

import struct
from typing import IO

# Importing the plugins registers them in Image.OPEN; nothing else of Pillow's is loaded.
from PIL import (
    BmpImagePlugin,  # noqa: F401
    GifImagePlugin,  # noqa: F401
    Image,
    ImageFile,
    JpegImagePlugin,  # noqa: F401
    PngImagePlugin,  # noqa: F401
    TiffImagePlugin,  # noqa: F401
    WebPImagePlugin,  # noqa: F401
)

from amparo.config import MediaLimits
from amparo.errors import (
    CorruptMediaError,
    EmptyMediaError,
    MediaTooLargeError,
    UnsupportedFormatError,
)
from amparo.media._limits import check_dimensions

__all__ = [
    "BOMB_ERRORS",
    "PARSE_ERRORS",
    "SUPPORTED_FORMATS",
    "identify",
    "open_header",
    "too_large_for_pillow",
]

SUPPORTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
"""Pillow format names Amparo decodes; ``MPO`` (a camera JPEG) is reported as ``JPEG``."""

# What Pillow's parsers raise on malformed input. MemoryError is deliberately absent.
# Warning is there for processes that turn warnings into errors (pytest -W error): Pillow
# warns about corrupt metadata, and a warning raised as an error means corrupt media.
PARSE_ERRORS: tuple[type[Exception], ...] = (
    Warning,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    EOFError,
    ArithmeticError,
    struct.error,
)

# Pillow's own bomb guard; the warning only arrives as an exception under -W error.
BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

_SUPPORTED_TEXT = "JPEG, PNG, WebP, GIF (first frame), BMP and TIFF"

# Formats people send by mistake, to say what the bytes are rather than only what they are not.
_OTHER_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF", "a PDF document"),
    (0, b"8BPS", "a Photoshop (PSD) image"),
    (0, b"\x00\x00\x01\x00", "an ICO icon"),
    (0, b"\xff\x0a", "a JPEG XL image"),
    (0, b"\x00\x00\x00\x0cJXL ", "a JPEG XL image"),
    (0, b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (0, b"\xff\x4f\xff\x51", "a JPEG 2000 image"),
    (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM video"),
    (8, b"AVI ", "an AVI video"),
    (0, b"OggS", "an Ogg media file"),
    (0, b"ID3", "an MP3 file"),
    (0, b"PK\x03\x04", "a ZIP archive"),
)
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _describe_unknown(prefix: bytes) -> str:
    """What the bytes seem to be, for the UnsupportedFormatError message."""
    if prefix[4:8] == b"ftyp":
        brand = prefix[8:12]
        if brand in _HEIF_BRANDS:
            return "a HEIC/HEIF image"
        if brand in _AVIF_BRANDS:
            return "an AVIF image"
        return "an MP4/QuickTime video"
    for offset, magic, name in _OTHER_SIGNATURES:
        if prefix[offset : offset + len(magic)] == magic:
            return name
    stripped = prefix.lstrip()
    if stripped.startswith((b"<?xml", b"<svg")):
        return "an SVG or XML document"
    return "not an image in any supported format"


def too_large_for_pillow(exc: Exception) -> MediaTooLargeError:
    """Translate Pillow's own bomb guard (which can fire inside GIF and TIFF plugins)."""
    return MediaTooLargeError(
        f"the image would decode to more pixels than Pillow allows ({exc})",
        hint="downscale the image before sending it",
    )


def identify(prefix: bytes) -> str:
    """The supported format whose signature starts ``prefix`` (the first 16 bytes or so).

    Raises :class:`EmptyMediaError` for no bytes and :class:`UnsupportedFormatError` for
    anything else, naming what the bytes seem to be.
    """
    if not prefix:
        raise EmptyMediaError(
            "the media is empty (0 bytes)",
            hint="send the file's contents; check that the upload or path is the right one",
        )
    for name in SUPPORTED_FORMATS:
        _factory, accept = Image.OPEN[name]
        verdict = accept(prefix) if accept is not None else False
        if isinstance(verdict, str):  # Pillow recognises the format but lacks its codec
            raise UnsupportedFormatError(
                f"this {name} image cannot be decoded here: {verdict}",
                hint="install a Pillow build with that codec, or convert the image to PNG",
            )
        if verdict:
            return name
    raise UnsupportedFormatError(
        f"unsupported media: the data is {_describe_unknown(prefix)}; "
        f"supported formats are {_SUPPORTED_TEXT}",
        hint="convert the file to one of the supported formats (PNG keeps every pixel)",
    )


def open_header(
    source: IO[bytes], limits: MediaLimits, name: str | None = None
) -> tuple[ImageFile.ImageFile, str]:
    """Identify the image in ``source`` and read its header with Pillow; return it and its
    format.

    Checks, in order: some bytes exist (:class:`EmptyMediaError`); the first bytes are those
    of a supported format (:class:`UnsupportedFormatError`); the header parses
    (:class:`CorruptMediaError`); width and height are within ``limits``
    (:class:`MediaTooLargeError`). No pixel data is read. The returned image reads lazily from
    ``source``, so keep ``source`` open until the image is loaded. ``name`` skips the
    identification when the caller has done it.
    """
    if name is None:
        source.seek(0)
        name = identify(source.read(16))
    factory, _accept = Image.OPEN[name]
    source.seek(0)
    try:
        image = factory(source, "")
    except BOMB_ERRORS as exc:
        raise too_large_for_pillow(exc) from exc
    except PARSE_ERRORS as exc:
        raise CorruptMediaError(
            f"the data starts like a {name} image but its header is corrupt ({exc})",
            hint="re-export or re-download the file; a partial upload is a common cause",
        ) from exc
    check_dimensions(image.width, image.height, limits)
    return image, "JPEG" if image.format == "MPO" else name
