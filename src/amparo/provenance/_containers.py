"""Walk PNG, JPEG and WebP containers for the metadata provenance reads, without decoding pixels.

Why our own walkers instead of Pillow's ``Image.info``: Pillow refuses a whole file when a
text chunk is large (it raises on >64 MB of text), would decompress every zTXt chunk, and
decodes headers we don't need. Here every item is bounded by ``max_text_bytes``: an item
over the cap is recorded as :class:`Oversized` (so it becomes evidence) and never copied.
A walker never raises; damage is recorded in :attr:`Container.problems`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Blob", "Container", "Oversized", "read_container"]

Format = Literal["png", "jpeg", "webp", "other"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_PNG_KEY = "XML:com.adobe.xmp"
_XMP_START = b"<x:xmpmeta"
_XMP_END = b"</x:xmpmeta>"


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
    _scan_xmp(data, acc, max_text_bytes)
    return acc.freeze("other")


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
