"""Hostile but benign inputs: decompression bombs and malformed files, built byte by byte.

For the tests, ``bench/bench_hostile_media.py`` and the fuzz seed corpus. Each function builds
a small file whose *structure* is hostile (a header declaring a huge image over a tiny or
missing body, thousands of empty scans, a chunk that inflates to megabytes, a broken CRC...)
and whose pixels, where it has any, are flat colour or a synthetic test pattern. Nothing here
depicts anything.

Every bomb declares an image within the default :class:`amparo.config.MediaLimits` (and
under the 179 MP at which some Pillow plugins refuse an image on their own), so the limits on
the header alone do not stop it: the decode budget must.

Don't send these to a server you don't own.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator

from PIL import Image

from amparo.media._bmp import MAX_RLE_BYTES
from amparo.media._decode import MAX_SCAN_BLOCKS
from amparo.media._open import read_jpeg

__all__ = [
    "BOMBS",
    "LIMIT_CASES",
    "bmp_huge_raw",
    "bmp_rle_huge",
    "bmp_rle_limit",
    "gif_full_screen",
    "gif_huge_screen",
    "jpeg_header_only",
    "jpeg_progressive_limit",
    "jpeg_progressive_memory",
    "jpeg_progressive_scans",
    "jpeg_truncated_header",
    "png_chunk",
    "png_insert",
    "png_interlaced_bomb",
    "png_rgba16_bomb",
    "png_rgba_bomb",
    "png_zlib_bomb",
    "tiff_huge_strip",
    "tiff_huge_tile",
    "tiff_mistyped_tile",
    "webp_huge_canvas",
    "webp_lossless_bomb",
]


# --- PNG ----------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    """One PNG chunk; ``crc`` overrides the correct CRC (to build a broken one)."""
    good = zlib.crc32(kind + body) & 0xFFFFFFFF
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", good if crc is None else crc)
    )


def png_insert(png: bytes, *chunks: bytes, before: bytes = b"IDAT") -> bytes:
    """``png`` with ``chunks`` inserted before its first chunk of type ``before``."""
    at = png.index(before) - 4
    return png[:at] + b"".join(chunks) + png[at:]


def _zeros_deflated(size: int) -> bytes:
    """A zlib stream that inflates to ``size`` zero bytes, built without holding them.

    One MiB of zeros is compressed once, ending in a full flush (byte-aligned, nothing
    referring back past it), and that segment repeated; a last segment ends the stream.
    For zeros the Adler-32 checksum is known: ``a`` stays 1 and ``b`` counts the bytes.
    """
    block = 1 << 20
    count, rest = divmod(size, block)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = packer.compress(bytes(block)) + packer.flush(zlib.Z_FULL_FLUSH)
    ender = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = ender.compress(bytes(rest)) + ender.flush()
    adler = (size % 65521) << 16 | 1
    return b"\x78\xda" + segment * count + last + struct.pack(">I", adler)


def _png_bomb(width: int, height: int, *, interlace: int, depth: int = 8, color: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    bpp = depth // 8 * {2: 3, 6: 4}[color]
    plain = height * (1 + bpp * width)
    rows = sum(_adam7_pass_bytes(width, height, bpp)) if interlace else plain
    return (
        _PNG_SIGNATURE
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", _zeros_deflated(rows))
        + png_chunk(b"IEND", b"")
    )


def _adam7_pass_bytes(width: int, height: int, bpp: int) -> Iterator[int]:
    for x0, y0, dx, dy in (
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ):
        cols = (width - x0 + dx - 1) // dx
        lines = (height - y0 + dy - 1) // dy
        if cols > 0 and lines > 0:
            yield lines * (1 + cols * bpp)


def png_zlib_bomb(width: int = 20_000, height: int = 10_000) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` black pixels: ~0.1% of its decoded size."""
    return _png_bomb(width, height, interlace=0)


def png_rgba_bomb(width: int = 20_000, height: int = 10_000) -> bytes:
    """:func:`png_zlib_bomb` with 8-bit RGBA pixels: 800 MB of rows at the default pixel
    limit, the most PNG data the default limits let through."""
    return _png_bomb(width, height, interlace=0, color=6)


def png_rgba16_bomb(width: int = 20_000, height: int = 10_000) -> bytes:
    """:func:`png_zlib_bomb` with 16-bit RGBA pixels: 8 bytes each, the most a PNG has."""
    return _png_bomb(width, height, interlace=0, depth=16, color=6)


def png_interlaced_bomb(width: int = 20_000, height: int = 10_000) -> bytes:
    """:func:`png_zlib_bomb`, Adam7-interlaced (no row can be decoded before the last pass)."""
    return _png_bomb(width, height, interlace=1)


# --- GIF ----------------------------------------------------------------------------------


def gif_huge_screen(width: int = 30_000, height: int = 6_666) -> bytes:
    """A 35-byte GIF: a ``width`` x ``height`` logical screen holding one 1 x 1 frame."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
    palette = b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    pixels = b"\x02\x02\x44\x01\x00"  # LZW minimum code size 2, one sub-block, terminator
    return header + palette + frame + pixels + b";"


# --- JPEG ---------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, whole segment bytes) up to the first SOS; the SOS segment with its data last."""
    segments, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        if marker == 0xDA:
            segments.append((marker, data[pos:]))
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segments.append((marker, data[pos : pos + 2 + length]))
        pos += 2 + length
    return segments


def _resized_sof(segment: bytes, width: int, height: int) -> bytes:
    return segment[:5] + struct.pack(">HH", height, width) + segment[9:]


def _tiny_jpeg(*, mode: str = "RGB", progressive: bool = False, subsampling: int = 2) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (16, 16), 128 if mode == "L" else (90, 120, 150)).save(
        out, "JPEG", optimize=True, progressive=progressive, subsampling=subsampling, quality=50
    )
    return out.getvalue()


def jpeg_header_only(width: int = 14_000, height: int = 14_000, *, end: bool = True) -> bytes:
    """A baseline JPEG header declaring ``width`` x ``height`` (~230 bytes), no image data.

    With ``end`` the data is an end-of-image marker right after the scan header, which libjpeg
    decodes as an image of grey; without it the file simply stops (a truncated upload).
    """
    head = b"".join(
        _resized_sof(seg, width, height) if marker == 0xC0 else seg
        for marker, seg in _jpeg_segments(_tiny_jpeg())
        if marker != 0xDA and not 0xE0 <= marker <= 0xEF
    )
    ((_, scan),) = [s for s in _jpeg_segments(_tiny_jpeg()) if s[0] == 0xDA]
    (length,) = struct.unpack(">H", scan[2:4])
    return b"\xff\xd8" + head + scan[: 2 + length] + (b"\xff\xd9" if end else b"")


def jpeg_truncated_header(width: int = 14_000, height: int = 14_000) -> bytes:
    """:func:`jpeg_header_only` without its end marker."""
    return jpeg_header_only(width, height, end=False)


def _progressive_parts(mode: str, subsampling: int) -> tuple[bytes, list[bytes]]:
    data = _tiny_jpeg(mode=mode, progressive=True, subsampling=subsampling)
    head = data[: data.index(b"\xff\xda")]
    scans, pos = [], data.index(b"\xff\xda")
    while data[pos : pos + 2] == b"\xff\xda":
        nxt = data.find(b"\xff\xda", pos + 2)
        nxt = len(data) - 2 if nxt < 0 else nxt
        scans.append(data[pos:nxt])
        pos = nxt
    return head, scans


def _sized_head(head: bytes, width: int, height: int) -> bytes:
    at = head.index(b"\xff\xc2")
    return head[:at] + _resized_sof(head[at:], width, height)


def jpeg_progressive_scans(width: int = 8_000, height: int = 8_000, scans: int = 4_000) -> bytes:
    """A greyscale progressive JPEG with ``scans`` scans and almost no data: each scan makes
    libjpeg walk every block of the image once (a few KB, minutes of CPU unguarded)."""
    head, parts = _progressive_parts("L", 0)
    first, rest = parts[0], parts[1:]
    body = first + b"".join(rest[i % len(rest)] for i in range(scans))
    return _sized_head(head, width, height) + body + b"\xff\xd9"


def jpeg_progressive_limit(width: int = 16_000, height: int = 10_000) -> bytes:
    """A 4:2:0 colour progressive JPEG whose coefficients (~460 MiB) just fit the default
    memory limit, with as many (empty) scans as the scan limit allows."""
    head, parts = _progressive_parts("RGB", 2)
    head = _sized_head(head, width, height)
    scans = [parts[0]]
    layout = read_jpeg(memoryview(head + parts[0] + b"\xff\xd9"))
    assert layout is not None
    per_round = sum(
        (lay.scan_blocks if (lay := read_jpeg(memoryview(head + p + b"\xff\xd9"))) else 0)
        for p in parts[1:]
    )
    rounds = (MAX_SCAN_BLOCKS - layout.scan_blocks) // max(1, per_round)
    scans += parts[1:] * rounds
    return head + b"".join(scans) + b"\xff\xd9"


def jpeg_progressive_memory(width: int = 14_000, height: int = 14_000) -> bytes:
    """A 4:4:4 colour progressive JPEG header: libjpeg keeps every DCT coefficient of a
    progressive image (2 bytes x 3 channels x 196 MP = 1.2 GB here) before it outputs a row."""
    head, parts = _progressive_parts("RGB", 0)
    return _sized_head(head, width, height) + b"".join(parts) + b"\xff\xd9"


# --- WebP ---------------------------------------------------------------------------------


def _riff(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _webp_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")


class _Bits:
    """A little-endian bit writer (VP8L's bit order)."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.value |= value << self.count
        self.count += bits

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def _vp8l_flat(width: int, height: int) -> bytes:
    """A VP8L bitstream of one flat colour: every prefix code has a single symbol, so each
    pixel costs zero bits and a few bytes describe any size (VP8L spec, 'simple code')."""
    bits = _Bits()
    bits.put(0x2F, 8)  # signature
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha hint
    bits.put(0, 3)  # version
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    for symbol in (0x40, 0x60, 0x80, 0xFF, 0):  # green, red, blue, alpha, distance
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # one symbol
        bits.put(1, 1)  # 8-bit symbol
        bits.put(symbol, 8)
    return bits.bytes()


def webp_lossless_bomb(width: int = 12_000, height: int = 12_000) -> bytes:
    """A lossless WebP of ``width`` x ``height`` flat pixels in about 40 bytes."""
    return _riff(_webp_chunk(b"VP8L", _vp8l_flat(width, height)))


def webp_huge_canvas(width: int = 12_000, height: int = 12_000) -> bytes:
    """An animated WebP: a ``width`` x ``height`` canvas holding one 1 x 1 frame."""
    flags = 0x02  # animation
    vp8x = (
        struct.pack("<I", flags)
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    anim = struct.pack("<IH", 0, 0)
    frame = (0).to_bytes(3, "little") * 2 + (0).to_bytes(3, "little") * 2
    frame += (100).to_bytes(3, "little") + b"\x00"
    anmf = _webp_chunk(b"ANMF", frame + _webp_chunk(b"VP8L", _vp8l_flat(1, 1)))
    return _riff(_webp_chunk(b"VP8X", vp8x), _webp_chunk(b"ANIM", anim), anmf)


# --- TIFF ---------------------------------------------------------------------------------


def _tiff(width: int, height: int, layout: list[tuple[int, int, int]], data: bytes) -> bytes:
    """A little-endian RGB TIFF with ``layout`` tags (tag, type, value) and one data block."""
    tags = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),  # bits per sample (the count is 3: points at 8, 8, 8 below)
        (259, 3, 8),  # Adobe deflate
        (262, 3, 2),  # RGB
        (277, 3, 3),
        (284, 3, 1),
        *layout,
    ]
    tags.sort()
    ifd_at = 8
    extra_at = ifd_at + 2 + 12 * len(tags) + 4
    bits = struct.pack("<HHH", 8, 8, 8)
    data_at = extra_at + len(bits)
    entries = []
    for tag, kind, value in tags:
        if tag == 258:
            entries.append(struct.pack("<HHII", tag, kind, 3, extra_at))
        elif tag in (273, 324):
            entries.append(struct.pack("<HHII", tag, kind, 1, data_at))
        elif tag in (279, 325):
            entries.append(struct.pack("<HHII", tag, kind, 1, len(data)))
        else:
            entries.append(struct.pack("<HHII", tag, kind, 1, value))
    ifd = struct.pack("<H", len(tags)) + b"".join(entries) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_at) + ifd + bits + data


def tiff_huge_strip(width: int = 20_000, height: int = 8_000) -> bytes:
    """An RGB TIFF whose single deflated strip holds the whole ``width`` x ``height`` image
    of zeros: libtiff allocates the full strip, Pillow the full image."""
    layout = [(273, 4, 0), (278, 4, height), (279, 4, 0)]
    return _tiff(width, height, layout, _zeros_deflated(width * height * 3))


def tiff_huge_tile(width: int = 64, height: int = 64, tile: int = 16_384) -> bytes:
    """A small RGB TIFF stored as one ``tile`` x ``tile`` deflated tile (tiles may be larger
    than the image): decoding it allocates the whole tile."""
    layout = [(322, 4, tile), (323, 4, tile), (324, 4, 0), (325, 4, 0)]
    return _tiff(width, height, layout, _zeros_deflated(tile * tile * 3))


def tiff_mistyped_tile(width: int = 16, height: int = 16) -> bytes:
    """A tiled RGB TIFF whose TileLength is stored as BYTE data, not a number (found by the
    fuzzer): Pillow hands the tag's raw bytes over as its value."""
    layout = [(322, 4, width), (323, 1, height), (324, 4, 0), (325, 4, 0)]
    return _tiff(width, height, layout, _zeros_deflated(width * height * 3))


# --- BMP ----------------------------------------------------------------------------------


def _bmp(width: int, height: int, bits: int, compression: int, body: bytes) -> bytes:
    palette = b"".join(struct.pack("<BBBB", i, i, i, 0) for i in range(256)) if bits == 8 else b""
    offset = 14 + 40 + len(palette)
    info = struct.pack(
        "<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(body), 2835, 2835, 0, 0
    )
    head = b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset)
    return head + info + palette + body


def bmp_rle_huge(width: int = 30_000, height: int = 6_666) -> bytes:
    """An 8-bit RLE BMP of ``width`` x ``height`` whose every row is one pixel and an
    end-of-line code (4 bytes a row): the other pixels are implied, the file is ~26 KB."""
    return _bmp(width, height, 8, 1, b"\x01\x00\x00\x00" * height + b"\x00\x01")


def bmp_rle_limit(width: int = 2_048, height: int = 1_024) -> bytes:
    """An 8-bit RLE BMP of one-pixel runs, as many as the run-length cap allows (~a million):
    the most Python work a BMP can ask for."""
    runs = min(width * height, (MAX_RLE_BYTES - 2) // 2)
    return _bmp(width, height, 8, 1, b"\x01\x07" * runs + b"\x00\x01")


def bmp_huge_raw(width: int = 20_000, height: int = 10_000) -> bytes:
    """A 24-bit uncompressed BMP header declaring ``width`` x ``height``, with no pixel data."""
    return _bmp(width, height, 24, 0, b"")


def gif_full_screen(width: int = 30_000, height: int = 6_666) -> bytes:
    """A GIF whose one frame covers its ``width`` x ``height`` screen (flat colour): the most
    LZW data a GIF decodes at the default pixel limit."""
    out = io.BytesIO()
    Image.new("P", (width, height), 1).save(out, "GIF")
    return out.getvalue()


BOMBS: dict[str, Callable[[], bytes]] = {
    "gif_huge_screen": gif_huge_screen,
    "jpeg_header_only": jpeg_header_only,
    "jpeg_truncated_header": jpeg_truncated_header,
    "jpeg_progressive_scans": jpeg_progressive_scans,
    "jpeg_progressive_memory": jpeg_progressive_memory,
    "png_zlib_bomb": png_zlib_bomb,
    "png_rgba16_bomb": png_rgba16_bomb,
    "png_interlaced_bomb": png_interlaced_bomb,
    "webp_huge_canvas": webp_huge_canvas,
    "webp_lossless_bomb": webp_lossless_bomb,
    "tiff_huge_strip": tiff_huge_strip,
    "tiff_huge_tile": tiff_huge_tile,
    "bmp_rle_huge": bmp_rle_huge,
    "bmp_huge_raw": bmp_huge_raw,
}
"""Every worst case ``bench/bench_hostile_media.py`` measures, by name."""

LIMIT_CASES: dict[str, Callable[[], bytes]] = {
    "gif_full_screen": gif_full_screen,
    "jpeg_progressive_limit": jpeg_progressive_limit,
    "png_rgba_bomb": png_rgba_bomb,
    "png_interlaced_limit": lambda: png_interlaced_bomb(16_000, 8_000),
    "webp_lossless_limit": lambda: webp_lossless_bomb(5_600, 5_600),
    "tiff_strip_limit": lambda: tiff_huge_strip(10_000, 7_400),
    "bmp_rle_limit": bmp_rle_limit,
}
"""The costliest inputs the default limits still accept (each just under one limit): what
an attacker gets by staying inside them. The benchmark measures these too."""
