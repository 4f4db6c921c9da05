"""JPEG: what a decode will cost, read from the markers before libjpeg sees the file.

libjpeg-turbo (through Pillow) decodes a baseline JPEG a row of blocks at a time, and with
DCT scaling outputs only 1/8 of each side: memory stays small at any size. Two things are
not bounded by the image's size alone, and both come from the markers:

* **coefficient memory**: a progressive JPEG, or a baseline one whose first scan does not
  hold every component, must keep all its DCT coefficients until the last scan (2 bytes
  each, 64 per block): 1.2 GB for a 14,000 x 14,000 colour image declared in 500 bytes.
* **scans**: libjpeg walks every block a scan covers, even when the scan has no data, so a
  few KB of empty scans buy minutes of CPU (the "progressive JPEG bomb").

:func:`read_jpeg` walks the marker segments and the entropy-coded data between them (a
regular-expression search for the next marker, no decoding) and returns both figures.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

__all__ = ["JpegLayout", "read_jpeg"]

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
