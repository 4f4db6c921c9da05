"""PNG: our own chunk walk, and decoding in bands of rows with Pillow's own unfilter code.

Why not just ``PngImagePlugin``: Pillow refuses a whole file for an ancillary chunk with a
bad CRC, or a zTXt/iTXt that inflates past 1 MB, so one added chunk would hide the pixels
from hashing; and it decodes every pixel into one image, so a 300 KB file declaring
20,000 x 10,000 pixels costs 800 MB.

The walk (:func:`read_png`) keeps what pixels need (IHDR, PLTE, tRNS, IDAT) and ignores the
rest as browsers do, recording each problem as a sentence (bad CRC, chunks after IEND,
trailing bytes, a truncated file) for provenance to report. CRC errors on the chunks we use
are recorded too, and the data used anyway: zlib's own checksum still guards the pixels.

Decoding (:func:`decode_rows`): a non-interlaced PNG is inflated a band of rows at a time.
Each band goes through Pillow's PNG unfilter (``zip`` decoder) with the previous band's
last row in front of it as an unfiltered row, so the result is exactly Pillow's, while
memory holds only the band (and the output: the full image, or its block means). Data that
ends early or turns corrupt is decoded up to there and the missing rows repeat the last good
row, when at least half of the rows are there; with less, the image is corrupt. Of the
fillers we measured (black, grey, white, the last row), the last row keeps the PDQ closest
to the complete image's (mean distance at 95% of the rows: 18 bits against 24), so a file
cut short by a few percent still matches its original. An interlaced (Adam7) PNG cannot be
decoded in bands of final rows: it goes to Pillow whole, over the same cleaned-up chunks.
"""

from __future__ import annotations

import collections
import io
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from amparo.errors import CorruptMediaError, MediaTooLargeError
from amparo.media._limits import Deadline, mib
from amparo.media._open import JoinedFile

__all__ = [
    "MAX_INFLATED",
    "PNG_SIGNATURE",
    "PngLayout",
    "band_rows",
    "check_work",
    "decode_rows",
    "finish",
    "png_header",
    "read_png",
    "repaired",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# (bit depth, colour type) -> (Pillow mode, Pillow raw mode): PngImagePlugin's table.
_MODES: dict[tuple[int, int], tuple[str, str]] = {
    (1, 0): ("1", "1"),
    (2, 0): ("L", "L;2"),
    (4, 0): ("L", "L;4"),
    (8, 0): ("L", "L"),
    (16, 0): ("I;16", "I;16B"),
    (8, 2): ("RGB", "RGB"),
    (16, 2): ("RGB", "RGB;16B"),
    (1, 3): ("P", "P;1"),
    (2, 3): ("P", "P;2"),
    (4, 3): ("P", "P;4"),
    (8, 3): ("P", "P"),
    (8, 4): ("LA", "LA"),
    (16, 4): ("RGBA", "LA;16B"),
    (8, 6): ("RGBA", "RGBA"),
    (16, 6): ("RGBA", "RGBA;16B"),
}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

# Pillow (mode, raw mode) pairs that unfilter rows of ``bpp`` bytes per pixel and give the
# bytes back unchanged; 16-bit colour has none, so its high and low bytes come in two passes.
_LOSSLESS: dict[int, tuple[str, str]] = {
    1: ("L", "L"),
    2: ("LA", "LA"),
    3: ("RGB", "RGB"),
    4: ("RGBA", "RGBA"),
}
_SPLIT16: dict[int, tuple[str, str, str]] = {
    6: ("RGB", "RGB;16B", "RGB;16L"),
    8: ("RGBA", "RGBA;16B", "RGBA;16L"),
}

_SIMPLE_PALETTE = re.compile(rb"\xff*\x00\xff*\Z")
_BAND_BYTES = 4 * 1024 * 1024

MAX_INFLATED = 1024 * 1024 * 1024
"""Most bytes of row data a PNG may inflate to, counting 16-bit colour rows twice (they go
through the unfilter twice). About 4 s of CPU: a 200 MP 8-bit RGBA PNG (800 MB) fits; a
16-bit colour PNG may have up to 67 (RGBA) or 89 (RGB) million pixels."""
_INPUT_STEP = 256 * 1024  # inflate input in slices so an unconsumed tail is never large


@dataclass(frozen=True)
class PngLayout:
    """What the walk found: the header, the chunks pixels need, and the problems ignored."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool
    palette: bytes | None
    transparency: bytes | None
    idat: tuple[memoryview, ...]
    problems: tuple[str, ...]

    @property
    def mode(self) -> str:
        return _MODES[self.bit_depth, self.color_type][0]

    @property
    def rawmode(self) -> str:
        return _MODES[self.bit_depth, self.color_type][1]

    @property
    def pixel_bits(self) -> int:
        return self.bit_depth * _CHANNELS[self.color_type]

    @property
    def row_bytes(self) -> int:
        """Bytes of one unfiltered row (without its filter-type byte)."""
        return (self.width * self.pixel_bits + 7) // 8

    @property
    def bpp(self) -> int:
        """Bytes per complete pixel, at least 1: the unfilter's left-neighbour distance."""
        return max(1, self.pixel_bits // 8)


def _corrupt(why: str) -> CorruptMediaError:
    return CorruptMediaError(
        f"the PNG image is corrupt: {why}",
        hint="re-export or re-download the file; a partial upload is a common cause",
    )


def png_header(view: memoryview) -> tuple[int, int, str]:
    """Width, height and Pillow mode from the IHDR chunk alone (nothing else is read).

    Raises :class:`CorruptMediaError` when there is no valid IHDR first.
    """
    width, height, depth, color, _interlace = _header(view)
    return width, height, _MODES[depth, color][0]


def _header(view: memoryview) -> tuple[int, int, int, int, int]:
    if len(view) < 33 or bytes(view[12:16]) != b"IHDR" or struct.unpack(">I", view[8:12])[0] != 13:
        raise _corrupt("it does not start with an IHDR chunk")
    width, height, depth, color, method, filtering, interlace = struct.unpack(
        ">IIBBBBB", view[16:29]
    )
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise _corrupt(f"its header declares {width} x {height} pixels")
    if (depth, color) not in _MODES:
        raise _corrupt(f"bit depth {depth} with colour type {color} does not exist")
    if method or filtering or interlace > 1:
        raise _corrupt("its header names an unknown compression, filter or interlace method")
    return width, height, depth, color, interlace


def _valid_trns(body: memoryview, color: int, palette: bytes | None) -> str | None:
    """Why a tRNS body is unusable, or None."""
    size = len(body)
    if color == 3:
        entries = len(palette) // 3 if palette else 0
        return (
            None
            if 0 < size <= max(entries, 1)
            else f"{size} entries for a {entries}-colour palette"
        )
    expected = {0: 2, 2: 6}.get(color)
    if expected is None:
        return "an image with an alpha channel cannot have one"
    return None if size == expected else f"{size} bytes instead of {expected}"


def read_png(view: memoryview) -> PngLayout:
    """Walk the chunks of a PNG (``view`` starts with the signature).

    Raises :class:`CorruptMediaError` when pixels cannot come out: no valid IHDR first, no
    image data, a palette image without a palette. Everything else is a problem sentence.
    """
    width, height, depth, color, interlace = _header(view)
    problems: list[str] = []
    palette: bytes | None = None
    trns: memoryview | None = None
    idat: list[memoryview] = []
    pos, size, ended, cut = 33, len(view), False, False
    if zlib.crc32(view[12:29]) != struct.unpack(">I", view[29:33])[0]:
        problems.append("the IHDR chunk has a bad CRC; its values were used")
    while pos + 8 <= size:
        length, kind_raw = struct.unpack(">I4s", view[pos : pos + 8])
        kind = kind_raw.decode("latin-1")
        if length >= 2**31 or not kind_raw.isalpha():
            problems.append(f"bytes at offset {pos} are not a PNG chunk; the rest is ignored")
            break
        start, end = pos + 8, pos + 8 + length
        body = view[start : min(end, size)]
        if end + 4 > size:
            problems.append(f"the file ends inside the {kind!r} chunk")
            cut = True
            if kind == "IDAT":
                idat.append(body)
            break
        if zlib.crc32(view[pos + 4 : end]) != struct.unpack(">I", view[end : end + 4])[0]:
            used = kind in ("IDAT", "PLTE", "tRNS")
            problems.append(
                f"the {kind!r} chunk has a bad CRC; "
                + ("its data was used" if used and kind != "tRNS" else "it was ignored")
            )
            if kind == "tRNS":
                pos = end + 4
                continue
        if kind == "IDAT":
            idat.append(body)
        elif kind == "PLTE" and palette is None and not idat:
            palette = bytes(body[: min(768, len(body) // 3 * 3)])
            if len(body) % 3 or len(body) > 768:
                problems.append(f"the palette has {len(body)} bytes; the first whole entries used")
        elif kind == "tRNS" and trns is None and not idat:
            why = _valid_trns(body, color, palette)
            if why is None:
                trns = body
            else:
                problems.append(f"the tRNS chunk was ignored: {why}")
        elif kind == "IEND":
            ended = True
            if end + 4 < size:
                problems.append(f"{size - end - 4} bytes after the IEND chunk were ignored")
            break
        elif kind in ("IHDR", "PLTE", "tRNS"):
            problems.append(f"a second {kind!r} chunk (or one out of place) was ignored")
        elif kind_raw[0] < 0x60:  # upper-case first letter: critical, and unknown to us
            problems.append(f"the unknown critical chunk {kind!r} was ignored")
        pos = end + 4
    if not (ended or cut):
        problems.append("the PNG ends without an IEND chunk")
    if not idat:
        raise _corrupt("it has no image data (IDAT chunk)")
    if color == 3 and not palette:
        raise _corrupt("it is a palette image without a palette (PLTE chunk)")
    return PngLayout(
        width,
        height,
        depth,
        color,
        bool(interlace),
        palette,
        bytes(trns) if trns is not None else None,
        tuple(idat),
        tuple(problems),
    )


def _chunk(kind: bytes, body: bytes | memoryview) -> list[bytes | memoryview]:
    crc = zlib.crc32(body, zlib.crc32(kind)) & 0xFFFFFFFF
    return [struct.pack(">I", len(body)) + kind, body, struct.pack(">I", crc)]


def repaired(layout: PngLayout, view: memoryview) -> io.BufferedReader:
    """The PNG with only the chunks pixels need, CRCs made right: a file for Pillow."""
    parts: list[bytes | memoryview] = [PNG_SIGNATURE]
    parts += _chunk(b"IHDR", view[16:29])
    if layout.palette is not None:
        parts += _chunk(b"PLTE", layout.palette)
    if layout.transparency is not None:
        parts += _chunk(b"tRNS", layout.transparency)
    for body in layout.idat:
        parts += _chunk(b"IDAT", body)
    parts += _chunk(b"IEND", b"")
    return io.BufferedReader(JoinedFile(parts))


def finish(image: Image.Image, layout: PngLayout) -> Image.Image:
    """Give a decoded (band or whole) image the palette and transparency Pillow would."""
    if layout.palette is not None and image.mode == "P":
        image.putpalette(layout.palette, "RGB")
    trns = layout.transparency
    if trns is None:
        return image
    if image.mode == "P":
        # Pillow's rule: one fully transparent entry among opaque ones is an index.
        image.info["transparency"] = trns.index(0) if _SIMPLE_PALETTE.match(trns) else trns
    elif image.mode in ("1", "L", "I;16"):
        image.info["transparency"] = struct.unpack(">H", trns[:2])[0]
    elif image.mode == "RGB":
        image.info["transparency"] = struct.unpack(">HHH", trns[:6])
    return image


class _Inflater:
    """The IDAT stream, inflated on demand; stops (never raises) at its end or at damage.

    Input goes in as slices of at most :data:`_INPUT_STEP` bytes. When zlib finds damage in
    a slice, the slice is retried in halves from the state before it (``copy``), down to the
    byte, so every row before the damage is kept.
    """

    def __init__(self, idat: tuple[memoryview, ...]) -> None:
        self._queue: collections.deque[bytes | memoryview] = collections.deque(
            body[at : at + _INPUT_STEP] for body in idat for at in range(0, len(body), _INPUT_STEP)
        )
        self._zlib = zlib.decompressobj()
        self.stopped: str | None = None

    def take(self, count: int) -> bytes:
        """Up to ``count`` inflated bytes; fewer only when the stream has stopped."""
        out: list[bytes] = []
        need = count
        while need > 0 and self.stopped is None:
            if not self._queue:
                self.stopped = "the image data ends early"
                break
            piece = self._queue.popleft()
            before = self._zlib.copy()
            try:
                chunk = self._zlib.decompress(piece, need)
            except zlib.error:
                self._zlib = before
                if len(piece) == 1:
                    self.stopped = "the image data is corrupt"
                    break
                half = len(piece) // 2
                self._queue.extendleft((piece[half:], piece[:half]))
                continue
            if self._zlib.unconsumed_tail:
                self._queue.appendleft(self._zlib.unconsumed_tail)
            out.append(chunk)
            need -= len(chunk)
            if self._zlib.eof and need > 0:
                self.stopped = "the image data ends early"
        return b"".join(out)


def _stored(*buffers: bytes) -> bytes:
    """A zlib stream holding ``buffers`` in stored (uncompressed) deflate blocks.

    No final block and no checksum: Pillow's decoder stops at its last row, and writing the
    blocks costs a copy where ``zlib.compress(..., 0)`` would also checksum every byte.
    """
    parts: list[bytes | memoryview] = [b"\x78\x01"]
    for buffer in buffers:
        view = memoryview(buffer)
        for at in range(0, len(view), 0xFFFF):
            piece = view[at : at + 0xFFFF]
            parts += [struct.pack("<BHH", 0, len(piece), len(piece) ^ 0xFFFF), piece]
    return b"".join(parts)


def _image(
    mode: str, size: tuple[int, int], data: bytes, decoder: str, *args: object
) -> Image.Image:
    """``Image.frombytes`` without zero-filling the image first (every pixel is written)."""
    image = Image.new(mode, size, None)
    image.frombytes(data, decoder, args)
    return image


def _band(
    layout: PngLayout, previous: bytes, filtered: bytes, rows: int
) -> tuple[Image.Image, int, bytes]:
    """``rows`` filtered rows as an image in the PNG's mode, the number of rows at its top
    that are not part of the band (0 or 1), and the band's last unfiltered row.

    Pillow's PNG unfilter does the work: ``previous``, the unfiltered row above the band
    (zeros for the first), goes in front as a row with filter type 0, so the band's Up,
    Average and Paeth filters see it. The unfilter runs in a mode that keeps every byte
    (with as many bytes per pixel); when that is the PNG's own mode (8-bit grey, grey and
    alpha, RGB, RGBA), its result is the band, ``previous`` still on top rather than copied
    away.
    """
    row_bytes, bpp, width = layout.row_bytes, layout.bpp, layout.width
    stream = _stored(b"\x00" + previous, filtered)
    size = (row_bytes // bpp, rows + 1)
    if bpp in _SPLIT16:
        mode, high, low = _SPLIT16[bpp]
        raw = np.empty(rows * row_bytes, dtype=np.uint8)
        for rawmode, offset in ((high, 0), (low, 1)):
            half = _image(mode, size, stream, "zip", rawmode).tobytes("raw", mode)
            raw[offset::2] = np.frombuffer(half, dtype=np.uint8)[row_bytes // 2 :]
        unfiltered = raw.tobytes()
    else:
        mode, rawmode = _LOSSLESS[bpp]
        decoded = _image(mode, size, stream, "zip", rawmode)
        if (layout.mode, layout.rawmode) == (mode, rawmode):
            last = decoded.crop((0, rows, width, rows + 1)).tobytes("raw", rawmode)
            return decoded, 1, last
        unfiltered = decoded.tobytes("raw", rawmode)[row_bytes:]
    image = _image(layout.mode, (width, rows), unfiltered, "raw", layout.rawmode)
    return image, 0, unfiltered[-row_bytes:]


def check_work(layout: PngLayout) -> None:
    """Refuse a PNG whose row data would take too long to inflate and unfilter.

    Raises :class:`MediaTooLargeError` over :data:`MAX_INFLATED`.
    """
    passes = 2 if layout.bpp in _SPLIT16 else 1
    work = layout.height * (layout.row_bytes + 1) * passes
    if work > MAX_INFLATED:
        raise MediaTooLargeError(
            f"this {layout.width:,} x {layout.height:,} PNG with {layout.bit_depth}-bit "
            f"samples decodes to {mib(work)} of row data, over the limit of "
            f"{mib(MAX_INFLATED)}",
            hint="downscale the image or save it with 8 bits per sample",
        )


def band_rows(layout: PngLayout, multiple: int) -> int:
    """Rows per band: about 4 MiB of raw data, a multiple of ``multiple`` (block height)."""
    rows = max(1, _BAND_BYTES // (layout.row_bytes + 1)) // multiple * multiple
    return max(multiple, rows)


def decode_rows(
    layout: PngLayout,
    rows_per_band: int,
    sink: Callable[[int, Image.Image, int], None],
    deadline: Deadline,
) -> tuple[str, ...]:
    """Decode a non-interlaced PNG band by band, calling ``sink(y, band, top)`` for each.

    ``band`` is a Pillow image in the PNG's mode, with its palette and transparency, whose
    rows from ``top`` (0 or 1) on are the image's rows from ``y`` on: ``rows_per_band`` of
    them (fewer for the last band). Returns the problems met in the pixel data.
    Raises :class:`CorruptMediaError` when less than half of the rows could be decoded.
    """
    inflater = _Inflater(layout.idat)
    row_bytes, height = layout.row_bytes, layout.height
    previous = bytes(row_bytes)
    good = 0
    problems: list[str] = []
    for y in range(0, height, rows_per_band):
        deadline.check()
        rows = min(rows_per_band, height - y)
        band: Image.Image | None = None
        complete = top = 0
        if inflater.stopped is None:
            filtered = inflater.take(rows * (row_bytes + 1))
            complete = len(filtered) // (row_bytes + 1)
            kinds = np.frombuffer(filtered, dtype=np.uint8, count=complete * (row_bytes + 1))
            bad = np.flatnonzero(kinds[:: row_bytes + 1] > 4)
            if bad.size:
                complete = int(bad[0])
                inflater.stopped = f"row {y + complete:,} has an unknown filter type"
            if complete:
                band, top, previous = _band(
                    layout, previous, filtered[: complete * (row_bytes + 1)], complete
                )
                good = y + complete
        if complete < rows:
            if 2 * good < height:
                raise _corrupt(
                    f"{inflater.stopped} after {good:,} of {height:,} rows, too few to hash"
                )
            size = (layout.width, rows - complete)
            filler = _image(layout.mode, size, previous * size[1], "raw", layout.rawmode)
            if band is not None:
                whole = Image.new(layout.mode, (layout.width, rows), None)
                whole.paste(band, (0, -top))
                whole.paste(filler, (0, complete))
                filler = whole
            band, top = filler, 0
        assert band is not None
        sink(y, finish(band, layout), top)
    if good < height:
        problems.append(
            f"{inflater.stopped} after {good:,} of {height:,} rows; the last good row is "
            "repeated below it"
        )
    return tuple(problems)
