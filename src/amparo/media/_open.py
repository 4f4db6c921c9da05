"""Open an image's bytes, identify the format and read what its header and markers say,
never its pixels.

**Bytes** (:func:`open_source`): our own parsers (PNG chunks, JPEG markers, BMP runs) slice a
:class:`memoryview`; Pillow reads a file object. For bytes both share the caller's buffer;
for an open file the view is a read-only memory map, so a 100 MB file is never copied into
the process's memory.

**Headers** (:func:`identify`, :func:`open_header`): we call the Pillow plugin of each
supported format directly instead of ``Image.open``: ``Image.open`` tries every format
Pillow knows (dozens of rarely used parsers reachable from untrusted bytes) and applies its
own process-wide decompression-bomb threshold (``PIL.Image.MAX_IMAGE_PIXELS``), which would
override :class:`MediaLimits` and which we must not change for the whole process. Here the
limits come from the caller, per call, and are checked on the header's width and height
before anything is decoded. Pillow's own guard still runs inside a few plugins (GIF frame
extents, TIFF tiles, WebP); its ``DecompressionBombError`` is reported as
:class:`MediaTooLargeError`.

**JPEG markers** (:func:`read_jpeg`): libjpeg-turbo (through Pillow) decodes a baseline JPEG
a row of blocks at a time, and with DCT scaling outputs only 1/8 of each side: memory stays
small at any size. Two costs are not bounded by the image's size alone, and both come from
the markers, read here before libjpeg sees the file:

* *coefficient memory*: a progressive JPEG, or a baseline one whose first scan does not
  hold every component, must keep all its DCT coefficients until the last scan (2 bytes
  each, 64 per block): 1.2 GB for a 14,000 x 14,000 colour image declared in 500 bytes.
* *scans*: libjpeg walks every block a scan covers, even when the scan has no data, so a
  few KB of empty scans buy minutes of CPU (the "progressive JPEG bomb").

The walk follows the marker segments and searches the entropy-coded data between them for
the next marker (a regular expression, no decoding).
"""

from __future__ import annotations

import bisect
import io
import itertools
import mmap
import re
import struct
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

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
from amparo.media._limits import check_byte_length, check_dimensions

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "BOMB_ERRORS",
    "PARSE_ERRORS",
    "SUPPORTED_FORMATS",
    "JoinedFile",
    "JpegLayout",
    "Source",
    "identify",
    "open_header",
    "open_source",
    "read_jpeg",
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


def _empty_media() -> EmptyMediaError:
    return EmptyMediaError(
        "the media is empty (0 bytes)",
        hint="send the file's contents; check that the upload or path is the right one",
    )


def identify(prefix: bytes) -> str:
    """The supported format whose signature starts ``prefix`` (the first 16 bytes or so).

    Raises :class:`EmptyMediaError` for no bytes and :class:`UnsupportedFormatError` for
    anything else, naming what the bytes seem to be.
    """
    if not prefix:
        raise _empty_media()
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


# --- bytes ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Source:
    """``view``: every byte of the image; ``file()``: a binary file over the same bytes."""

    view: memoryview
    _file: IO[bytes]

    def file(self) -> IO[bytes]:
        """The file object, rewound: Pillow's plugins read from it."""
        self._file.seek(0)
        return self._file


@contextmanager
def open_source(source: bytes | IO[bytes], limits: MediaLimits) -> Iterator[Source]:
    """A :class:`Source` over ``source``, valid inside the ``with`` block.

    Bytes are checked against ``limits.max_bytes`` here; for a file, the caller checks its
    size first (from ``fstat``, before reading it). Raises :class:`EmptyMediaError` for no
    bytes and :class:`MediaTooLargeError` for bytes over the limit.
    """
    with ExitStack() as stack:
        if isinstance(source, bytes | bytearray | memoryview):
            check_byte_length(len(source), limits)
            data = bytes(source) if not isinstance(source, bytes) else source
            view = stack.enter_context(memoryview(data))
            yield Source(view, io.BytesIO(data))
            return
        if isinstance(source, io.BytesIO):
            view = stack.enter_context(source.getbuffer())
            if not len(view):
                raise _empty_media()
            yield Source(view, source)
            return
        try:
            fileno = source.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            fileno = -1
        if fileno < 0:  # a file-like object without a file: read it once
            source.seek(0)
            data = source.read()
            if not data:
                raise _empty_media()
            view = stack.enter_context(memoryview(data))
            yield Source(view, io.BytesIO(data))
            return
        source.seek(0, io.SEEK_END)
        if not source.tell():
            raise _empty_media()
        mapped = stack.enter_context(mmap.mmap(fileno, 0, access=mmap.ACCESS_READ))
        view = stack.enter_context(memoryview(mapped))
        yield Source(view, source)


class JoinedFile(io.RawIOBase):
    """A read-only, seekable file over a list of buffers, without joining them."""

    def __init__(self, parts: list[bytes | memoryview]) -> None:
        self._parts = [memoryview(p).cast("B") for p in parts]
        self._starts = list(itertools.accumulate((len(p) for p in self._parts), initial=0))
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._starts[-1]}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        out = memoryview(buffer).cast("B")
        done = 0
        index = bisect.bisect_right(self._starts, self._pos) - 1
        while done < len(out) and index < len(self._parts):
            part = self._parts[index]
            offset = self._pos - self._starts[index]
            step = min(len(part) - offset, len(out) - done)
            out[done : done + step] = part[offset : offset + step]
            done += step
            self._pos += step
            index += 1
        return done


# --- JPEG markers -----------------------------------------------------------------------

# A marker inside entropy-coded data: 0xFF followed by neither a stuffed zero, a restart
# marker (0xD0-0xD7) nor another 0xFF (fill bytes before the real marker).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_FF = re.compile(rb"\xff")
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_LOSSLESS = frozenset({0xC3, 0xC7, 0xCB, 0xCF})


@dataclass(frozen=True)
class JpegLayout:
    """The figures of the first image in a JPEG file (an MPO's first picture).

    ``blocks`` is the number of 8 x 8 blocks of all components; ``buffered`` says libjpeg
    keeps all their coefficients (progressive, or a first scan without every component);
    ``scan_blocks`` is the number of blocks all scans together make libjpeg visit;
    ``complete`` is false when the file ends before its end-of-image marker.
    """

    width: int
    height: int
    progressive: bool
    lossless: bool
    blocks: int
    buffered: bool
    scans: int
    scan_blocks: int
    complete: bool

    @property
    def coefficient_bytes(self) -> int:
        """Memory libjpeg holds for coefficients: 64 of 2 bytes per block when buffered."""
        return self.blocks * 128 if self.buffered else 0


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class _Frame:
    width: int
    height: int
    components: dict[int, tuple[int, int]]  # id -> (h, v) sampling factors

    def blocks_of(self, ids: list[int]) -> int:
        hmax = max(h for h, _ in self.components.values())
        vmax = max(v for _, v in self.components.values())
        known = [self.components[i] for i in ids if i in self.components]
        if len(known) == 1:  # non-interleaved scan: that component's own blocks
            h, v = known[0]
            return _ceil(_ceil(self.width * h, hmax), 8) * _ceil(_ceil(self.height * v, vmax), 8)
        mcus = _ceil(self.width, 8 * hmax) * _ceil(self.height, 8 * vmax)
        return mcus * sum(h * v for h, v in known)

    def all_blocks(self) -> int:
        return sum(self.blocks_of([i]) for i in self.components)


def read_jpeg(view: memoryview) -> JpegLayout | None:
    """The layout of the JPEG in ``view`` (which starts with SOI), or None when it has no
    readable frame header; then libjpeg reports the damage itself. Junk between segments is
    skipped, as libjpeg skips it, so that it cannot hide scans from the count."""
    frame: _Frame | None = None
    progressive = lossless = buffered = complete = False
    scans = scan_blocks = 0
    pos, size = 2, len(view)
    try:
        while pos + 1 < size:
            if view[pos] != 0xFF:  # junk before a marker: libjpeg skips it, so do we
                found = _FF.search(view, pos)
                if found is None:
                    break
                pos = found.start()
                continue
            marker = view[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker == 0xD9:
                complete = True
                break
            if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            (length,) = struct.unpack(">H", view[pos + 2 : pos + 4])
            body = view[pos + 4 : pos + 2 + length]
            if marker in _SOF and frame is None:
                height, width, count = struct.unpack(">HHB", body[1:6])
                components = {
                    body[6 + 3 * i]: (body[7 + 3 * i] >> 4, body[7 + 3 * i] & 15)
                    for i in range(count)
                }
                if not components or min(min(hv) for hv in components.values()) < 1:
                    return None
                frame = _Frame(width, height, components)
                progressive, lossless = marker in _PROGRESSIVE, marker in _LOSSLESS
            elif marker == 0xDA:
                if frame is None:
                    return None
                ids = [body[1 + 2 * i] for i in range(body[0])]
                if scans == 0 and len(set(ids)) < len(frame.components):
                    buffered = True
                scans += 1
                scan_blocks += frame.blocks_of(ids)
                found = _NEXT_MARKER.search(view, pos + 2 + length)
                if found is None:
                    break
                pos = found.start()
                continue
            pos += 2 + length
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None
    if frame is None:
        return None
    return JpegLayout(
        frame.width,
        frame.height,
        progressive,
        lossless,
        frame.all_blocks(),
        buffered or progressive,
        scans,
        scan_blocks,
        complete,
    )
