"""Put one XMP packet into a PNG, JPEG or WebP file without re-encoding its pixels.

Existing XMP packets are replaced (merging XMP is out of scope: the stamp's packet is the
provenance statement). Used by :func:`amparo.provenance.stamp` before C2PA signing, since
the manifest's content hash covers the XMP.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from amparo.errors import CorruptMediaError, UnsupportedFormatError

__all__ = ["with_xmp"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_PNG_KEY = b"XML:com.adobe.xmp"


def with_xmp(data: bytes, fmt: str, packet: bytes) -> bytes:
    """``data`` with ``packet`` as its only XMP. ``fmt`` is ``png``, ``jpeg`` or ``webp``."""
    if fmt == "png":
        return _png(data, packet)
    if fmt == "jpeg":
        return _jpeg(data, packet)
    if fmt == "webp":
        return _webp(data, packet)
    raise UnsupportedFormatError(f"cannot stamp {fmt} files", hint="stamp PNG, JPEG or WebP images")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(data: bytes, packet: bytes) -> bytes:
    out = [_PNG_SIGNATURE]
    pos, inserted = len(_PNG_SIGNATURE), False
    xmp_chunk = _png_chunk(b"iTXt", _XMP_PNG_KEY + b"\x00\x00\x00\x00\x00" + packet)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise CorruptMediaError("PNG is truncated", hint="stamp a complete image file")
        is_xmp = kind == b"iTXt" and data[pos + 8 : pos + 8 + len(_XMP_PNG_KEY) + 1] == (
            _XMP_PNG_KEY + b"\x00"
        )
        if kind == b"IDAT" and not inserted:
            out.append(xmp_chunk)
            inserted = True
        if not is_xmp:
            out.append(data[pos:end])
        if kind == b"IEND":
            break
        pos = end
    if not inserted:
        raise CorruptMediaError("PNG has no image data", hint="stamp a complete image file")
    return b"".join(out)


def _jpeg(data: bytes, packet: bytes) -> bytes:
    body = _XMP_JPEG + packet
    if len(body) + 2 > 0xFFFF:
        raise UnsupportedFormatError("XMP packet too large for one JPEG segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    out, pos = [data[:2]], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA or not (0xE0 <= marker <= 0xEF):
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        is_xmp = marker == 0xE1 and data[pos + 4 : pos + 4 + len(_XMP_JPEG)] == _XMP_JPEG
        if not is_xmp:
            out.append(data[pos:end])
        pos = end
    out.append(segment)  # after the APPn segments, before tables and image data
    out.append(data[pos:])
    return b"".join(out)


def _webp(data: bytes, packet: bytes) -> bytes:
    chunks: list[tuple[bytes, bytes]] = []
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        chunks.append((fourcc, data[pos + 8 : pos + 8 + length]))
        pos += 8 + length + (length & 1)
    chunks = [(fourcc, body) for fourcc, body in chunks if fourcc != b"XMP "]
    if not chunks:
        raise CorruptMediaError("WebP has no chunks", hint="stamp a complete image file")
    if chunks[0][0] == b"VP8X":
        header = bytearray(chunks[0][1])
        header[0] |= 0x04
        chunks[0] = (b"VP8X", bytes(header))
    else:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            alpha = 0x10 if image.mode == "RGBA" else 0
        canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        chunks.insert(0, (b"VP8X", bytes([0x04 | alpha, 0, 0, 0]) + canvas))
    chunks.append((b"XMP ", packet))
    body = b"".join(
        fourcc + struct.pack("<I", len(chunk)) + chunk + (b"\x00" if len(chunk) & 1 else b"")
        for fourcc, chunk in chunks
    )
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body
