"""Walk PNG, JPEG, WebP, TIFF and ISO BMFF containers for the metadata provenance reads,
without decoding pixels.

Why our own walkers instead of Pillow's ``Image.info``: Pillow refuses a whole file when a
text chunk is large (it raises on >64 MB of text), would decompress every zTXt chunk, and
decodes headers we don't need. Here every item is bounded by ``max_text_bytes``: an item
over the cap is recorded as :class:`Oversized` (so it becomes evidence) and never copied.
A walker never raises; damage is recorded in :attr:`Container.problems`.

ISO BMFF (MP4, MOV, M4A, HEIC/HEIF, AVIF) is walked where C2PA puts its store: top-level
boxes only, plus ``moov/udta`` for QuickTime's XMP; the brand in ``ftyp`` names the format.
TIFF (and DNG) is walked IFD by IFD for the C2PA tag (in the last IFD, or the first in older
files) and the XMP tag of the first IFD. Neither walk reads sample data. Formats whose XMP
lives somewhere the walk does not look (a HEIF XMP item, any unknown format) fall back to a
plain search of the bytes for an XMP packet.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Blob", "Container", "Oversized", "read_container"]

Format = Literal[
    "png", "jpeg", "webp", "tiff", "heic", "heif", "avif", "mp4", "mov", "m4a", "other"
]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_PNG_KEY = "XML:com.adobe.xmp"
_XMP_START = b"<x:xmpmeta"
_XMP_END = b"</x:xmpmeta>"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@dataclass(frozen=True)
class Blob:
    """One metadata item: ``key`` (PNG keyword, ``"xmp"``, ``"exif"``, ``"comment"``), its
    raw bytes (decompressed, at most the cap) and where it was found."""

    key: str
    data: bytes
    source: str


@dataclass(frozen=True)
class Oversized:
    """A metadata item over the size cap: reported, never read."""

    key: str
    size: int
    source: str


@dataclass(frozen=True)
class Container:
    """What a walk found. ``c2pa_store`` is true when a C2PA/JUMBF store is embedded."""

    format: Format
    texts: tuple[Blob, ...] = ()
    xmp: tuple[Blob, ...] = ()
    exif: tuple[Blob, ...] = ()
    oversized: tuple[Oversized, ...] = ()
    problems: tuple[str, ...] = ()
    c2pa_store: bool = False
    has_alpha: bool = False
    metadata_segments: int = 0


@dataclass
class _Acc:
    texts: list[Blob] = field(default_factory=list)
    xmp: list[Blob] = field(default_factory=list)
    exif: list[Blob] = field(default_factory=list)
    oversized: list[Oversized] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    c2pa_store: bool = False
    has_alpha: bool = False
    metadata_segments: int = 0

    def freeze(self, fmt: Format) -> Container:
        return Container(
            format=fmt,
            texts=tuple(self.texts),
            xmp=tuple(self.xmp),
            exif=tuple(self.exif),
            oversized=tuple(self.oversized),
            problems=tuple(self.problems),
            c2pa_store=self.c2pa_store,
            has_alpha=self.has_alpha,
            metadata_segments=self.metadata_segments,
        )


def read_container(data: bytes, *, max_text_bytes: int) -> Container:
    """Find text chunks, XMP packets, EXIF blocks and C2PA stores in ``data``."""
    acc = _Acc()
    if data.startswith(_PNG_SIGNATURE):
        _walk_png(memoryview(data), acc, max_text_bytes)
        return acc.freeze("png")
    if data.startswith(b"\xff\xd8"):
        _walk_jpeg(memoryview(data), acc, max_text_bytes)
        return acc.freeze("jpeg")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        _walk_webp(memoryview(data), acc, max_text_bytes)
        return acc.freeze("webp")
    if data[4:8] == b"ftyp":
        fmt = _walk_bmff(memoryview(data), acc, max_text_bytes)
    elif data[:4] in _TIFF_MAGICS:
        _walk_tiff(memoryview(data), acc, max_text_bytes)
        fmt = "tiff"
    else:
        fmt = "other"
    if not acc.xmp and not any(item.key == "xmp" for item in acc.oversized):
        _scan_xmp(data, acc, max_text_bytes)
    return acc.freeze(fmt)


def _inflate(compressed: bytes | memoryview, cap: int) -> bytes | None:
    """Decompress zlib data, or None when it is damaged or inflates past ``cap``."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(compressed, cap + 1)
    except zlib.error:
        return None
    return None if len(out) > cap else out


def _walk_png(view: memoryview, acc: _Acc, cap: int) -> None:
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(view):
        length, kind_raw = struct.unpack(">I4s", view[pos : pos + 8])
        kind = kind_raw.decode("latin-1")
        start, end = pos + 8, pos + 8 + length
        if end + 4 > len(view):
            acc.problems.append(f"PNG chunk {kind!r} is truncated")
            return
        if kind == "IHDR" and length >= 10:
            acc.has_alpha = view[start + 9] in (4, 6)
        elif kind == "tRNS":
            acc.has_alpha = True
        elif kind in ("tEXt", "zTXt", "iTXt"):
            acc.metadata_segments += 1
            _png_text(kind, view[start:end], acc, cap)
        elif kind == "eXIf":
            acc.metadata_segments += 1
            _add_capped(acc.exif, acc, "exif", view[start:end], "PNG eXIf", cap)
        elif kind == "caBX":
            acc.c2pa_store = True
        elif kind == "IEND":
            return
        pos = end + 4
    acc.problems.append("PNG ends without an IEND chunk")


def _png_text(kind: str, body: memoryview, acc: _Acc, cap: int) -> None:
    head = bytes(body[:80])
    nul = head.find(b"\x00")
    if nul <= 0:
        acc.problems.append(f"PNG {kind} chunk has no keyword")
        return
    key = head[:nul].decode("latin-1")
    source = f"PNG {kind} {key!r}"
    rest = body[nul + 1 :]
    if kind == "tEXt":
        _add_capped(acc.texts, acc, key, rest, source, cap)
        return
    if kind == "zTXt":
        text = _inflate(rest[1:], cap) if len(rest) > 1 else None
        _add_inflated(acc, key, text, len(rest), source, cap)
        return
    # iTXt: compression flag, method, language\0, translated keyword\0, text
    if len(rest) < 2:
        acc.problems.append(f"{source} is truncated")
        return
    compressed = rest[0] == 1
    tail = bytes(rest[2 : 2 + 512])
    first = tail.find(b"\x00")
    second = tail.find(b"\x00", first + 1) if first >= 0 else -1
    if second < 0:
        acc.problems.append(f"{source} is truncated")
        return
    payload = rest[2 + second + 1 :]
    target = acc.xmp if key == _XMP_PNG_KEY else acc.texts
    if compressed:
        _add_inflated(acc, key, _inflate(payload, cap), len(payload), source, cap, target)
    else:
        _add_capped(target, acc, key, payload, source, cap)


def _add_capped(
    target: list[Blob], acc: _Acc, key: str, body: memoryview, source: str, cap: int
) -> None:
    if len(body) > cap:
        acc.oversized.append(Oversized(key, len(body), source))
    else:
        target.append(Blob(key, bytes(body), source))


def _add_inflated(
    acc: _Acc,
    key: str,
    text: bytes | None,
    size: int,
    source: str,
    cap: int,
    target: list[Blob] | None = None,
) -> None:
    if text is None:
        if size > cap:
            acc.oversized.append(Oversized(key, size, source))
        else:
            acc.problems.append(f"{source} does not decompress (damaged, or over {cap} bytes)")
        return
    (acc.texts if target is None else target).append(Blob(key, text, source))


def _walk_jpeg(view: memoryview, acc: _Acc, cap: int) -> None:
    pos = 2
    while pos + 4 <= len(view):
        if view[pos] != 0xFF:
            acc.problems.append("JPEG marker stream is damaged")
            return
        marker = view[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata follows
            return
        (length,) = struct.unpack(">H", view[pos + 2 : pos + 4])
        start, end = pos + 4, pos + 2 + length
        if length < 2 or end > len(view):
            acc.problems.append("JPEG segment is truncated")
            return
        body = view[start:end]
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            acc.metadata_segments += 1
        if marker == 0xE1 and bytes(body[:6]) == b"Exif\x00\x00":
            _add_capped(acc.exif, acc, "exif", body[6:], "JPEG APP1 Exif", cap)
        elif marker == 0xE1 and bytes(body[: len(_XMP_JPEG)]) == _XMP_JPEG:
            _add_capped(acc.xmp, acc, "xmp", body[len(_XMP_JPEG) :], "JPEG APP1 XMP", cap)
        elif marker == 0xEB and bytes(body[:2]) == b"JP":
            acc.c2pa_store = True
        elif marker == 0xFE:
            _add_capped(acc.texts, acc, "comment", body, "JPEG COM", cap)
        pos = end
    acc.problems.append("JPEG ends before its image data")


def _walk_webp(view: memoryview, acc: _Acc, cap: int) -> None:
    pos = 12
    while pos + 8 <= len(view):
        fourcc = bytes(view[pos : pos + 4]).decode("latin-1")
        (length,) = struct.unpack("<I", view[pos + 4 : pos + 8])
        start, end = pos + 8, pos + 8 + length
        if end > len(view):
            acc.problems.append(f"WebP chunk {fourcc!r} is truncated")
            return
        body = view[start:end]
        if fourcc == "VP8X" and length >= 1:
            acc.has_alpha = bool(body[0] & 0x10)
        elif fourcc == "VP8L" and length >= 5:
            acc.has_alpha = bool(body[4] & 0x10)
        elif fourcc == "ALPH":
            acc.has_alpha = True
        elif fourcc == "EXIF":
            acc.metadata_segments += 1
            exif = body[6:] if bytes(body[:6]) == b"Exif\x00\x00" else body
            _add_capped(acc.exif, acc, "exif", exif, "WebP EXIF", cap)
        elif fourcc == "XMP ":
            acc.metadata_segments += 1
            _add_capped(acc.xmp, acc, "xmp", body, "WebP XMP", cap)
        elif fourcc == "C2PA":
            acc.c2pa_store = True
        pos = end + (length & 1)


# ---------------------------------------------------------------- ISO BMFF

_C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
#: Purposes of a C2PA box that holds a manifest store ("merkle" boxes hold only hashes).
_STORE_PURPOSES = (b"manifest", b"original", b"update")
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})


def _bmff_format(ftyp: memoryview) -> Format:
    """The format an ``ftyp`` body names: major brand first, then the compatible brands."""
    brands = [bytes(ftyp[i : i + 4]) for i in range(0, len(ftyp) - 3, 4) if i != 4]
    major = brands[0] if brands else b""
    if b"avif" in brands or b"avis" in brands:
        return "avif"
    if _HEIC_BRANDS.intersection(brands):
        return "heic"
    if major == b"qt  ":
        return "mov"
    if major in (b"M4A ", b"M4B ", b"M4P "):
        return "m4a"
    if major in (b"mif1", b"msf1"):
        return "heif"
    return "mp4"


def _bmff_boxes(
    view: memoryview, start: int, end: int, acc: _Acc
) -> Iterator[tuple[str, int, int]]:
    """(type, body start, box end) of each box in ``view[start:end]``; damage is recorded and
    ends the walk. Every box takes at least 8 bytes, so the walk is bounded by the length."""
    pos = start
    while pos < end:
        if pos + 8 > end:
            acc.problems.append("ISO BMFF box header is truncated")
            return
        size, kind_raw = struct.unpack(">I4s", view[pos : pos + 8])
        kind, header = kind_raw.decode("latin-1"), 8
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > end:
                acc.problems.append(f"ISO BMFF box {kind!r} is truncated")
                return
            (size,) = struct.unpack(">Q", view[pos + 8 : pos + 16])
            header = 16
        elif size == 0:  # the box runs to the end of its parent
            size = end - pos
        if size < header:
            acc.problems.append(f"ISO BMFF box {kind!r} has an impossible size ({size})")
            return
        if pos + size > end:
            acc.problems.append(f"ISO BMFF box {kind!r} is truncated")
            return
        yield kind, pos + header, pos + size
        pos += size


def _walk_bmff(view: memoryview, acc: _Acc, cap: int) -> Format:
    fmt: Format = "mp4"
    for kind, start, end in _bmff_boxes(view, 0, len(view), acc):
        if kind == "ftyp":
            fmt = _bmff_format(view[start:end])
        elif kind == "uuid":
            _bmff_uuid(view[start:end], acc, cap)
        elif kind == "moov":
            for inner, inner_start, inner_end in _bmff_boxes(view, start, end, acc):
                if inner != "udta":
                    continue
                for item, item_start, item_end in _bmff_boxes(view, inner_start, inner_end, acc):
                    if item == "XMP_":
                        acc.metadata_segments += 1
                        body = view[item_start:item_end]
                        _add_capped(acc.xmp, acc, "xmp", body, "QuickTime udta XMP_", cap)
    return fmt


def _bmff_uuid(body: memoryview, acc: _Acc, cap: int) -> None:
    usertype = bytes(body[:16])
    if usertype == _XMP_UUID:
        acc.metadata_segments += 1
        _add_capped(acc.xmp, acc, "xmp", body[16:], "ISO BMFF XMP uuid box", cap)
    elif usertype == _C2PA_UUID:
        acc.metadata_segments += 1
        # 4 bytes of version and flags, then a NUL-terminated purpose, then the payload.
        head = bytes(body[20:84])
        nul = head.find(b"\x00")
        if nul < 0:
            acc.problems.append("ISO BMFF C2PA box has no purpose")
        elif head[:nul] in _STORE_PURPOSES:
            acc.c2pa_store = True


# ---------------------------------------------------------------- TIFF

_TIFF_C2PA_TAG, _TIFF_XMP_TAG = 0xCD41, 700
_TIFF_MAX_IFDS = 2000  # pages; c2pa-rs stops at the same number
_TIFF_MAX_ENTRIES = 4096  # per IFD; real files have dozens


def _walk_tiff(view: memoryview, acc: _Acc, cap: int) -> None:
    """Follow the IFD chain (classic and BigTIFF) without reading strips or tiles."""
    order = "<" if bytes(view[:2]) == b"II" else ">"
    big = bytes(view[2:4]) in (b"+\x00", b"\x00+")
    word, count_size, entry_size = ("Q", 8, 20) if big else ("I", 4, 12)
    if len(view) < (16 if big else 8):
        acc.problems.append("TIFF header is truncated")
        return
    (offset,) = struct.unpack(order + word, view[8:16] if big else view[4:8])
    seen: set[int] = set()
    while offset and len(seen) < _TIFF_MAX_IFDS:
        if offset in seen:
            acc.problems.append("TIFF IFD chain loops")
            return
        seen.add(offset)
        count_format = order + ("Q" if big else "H")
        count_bytes = 8 if big else 2
        if offset + count_bytes > len(view):
            acc.problems.append("TIFF IFD offset points outside the file")
            return
        (count,) = struct.unpack(count_format, view[offset : offset + count_bytes])
        entries = offset + count_bytes
        next_at = entries + count * entry_size
        if count > _TIFF_MAX_ENTRIES or next_at + count_size > len(view):
            acc.problems.append("TIFF IFD is truncated or has too many entries")
            return
        for pos in range(entries, next_at, entry_size):
            _tiff_entry(view, pos, order, big, first_ifd=len(seen) == 1, acc=acc, cap=cap)
        (offset,) = struct.unpack(order + word, view[next_at : next_at + count_size])
    if offset:
        acc.problems.append(f"TIFF has over {_TIFF_MAX_IFDS} IFDs; the rest were not read")


def _tiff_entry(
    view: memoryview, pos: int, order: str, big: bool, *, first_ifd: bool, acc: _Acc, cap: int
) -> None:
    tag, kind = struct.unpack(order + "HH", view[pos : pos + 4])
    if tag == _TIFF_C2PA_TAG:
        # A store is declared here; whether it is readable is the C2PA reader's call.
        acc.metadata_segments += 1
        acc.c2pa_store = True
        return
    if tag != _TIFF_XMP_TAG or not first_ifd:
        return
    acc.metadata_segments += 1
    if kind not in (1, 7):  # BYTE or UNDEFINED: one byte per count
        acc.problems.append(f"TIFF XMP tag has type {kind}, not bytes")
        return
    if big:
        count, value = struct.unpack(order + "QQ", view[pos + 4 : pos + 20])
        inline, value_at = 8, pos + 12
    else:
        count, value = struct.unpack(order + "II", view[pos + 4 : pos + 12])
        inline, value_at = 4, pos + 8
    start = value_at if count <= inline else value
    if start + count > len(view):
        acc.problems.append("TIFF XMP tag points outside the file")
        return
    _add_capped(acc.xmp, acc, "xmp", view[start : start + count], "TIFF XMP tag", cap)


def _scan_xmp(data: bytes, acc: _Acc, cap: int) -> None:
    """For formats without a walker: find a raw XMP packet anywhere in the bytes."""
    start = data.find(_XMP_START)
    if start < 0:
        return
    end = data.find(_XMP_END, start)
    if end < 0:
        acc.problems.append("XMP packet has no end")
        return
    end += len(_XMP_END)
    _add_capped(acc.xmp, acc, "xmp", memoryview(data)[start:end], "embedded XMP packet", cap)
