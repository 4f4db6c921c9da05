"""NovelAI "stealth" metadata hidden in the least significant bits of the alpha channel.

Layout (as NovelAI and the SD WebUI stealth-pnginfo extension write it): bits are read
column by column (down each column, then the next column), 8 bits per byte, most significant
first: the 15-byte magic ``stealth_pnginfo`` (plain) or ``stealth_pngcomp`` (gzip), a 32-bit
big-endian payload length in *bits*, then the payload, a JSON object. A magic followed by
garbage is still a deliberate generator trace, so it is reported as ``likely_ai`` with the
problem, never raised.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib

import numpy as np
from numpy.typing import NDArray

from amparo.provenance._base import Evidence

__all__ = ["read_stealth"]

_MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
_MAGIC_BITS = 15 * 8
_SOURCE = "alpha channel LSB (NovelAI stealth)"


def _bits(alpha: NDArray[np.uint8], start: int, count: int) -> bytes:
    """``count`` bits from column-major bit ``start`` on, packed into bytes."""
    height = alpha.shape[0]
    first_col, last_col = start // height, (start + count + height - 1) // height
    column_major = (alpha[:, first_col:last_col] & 1).T.ravel()
    offset = start - first_col * height
    return np.packbits(column_major[offset : offset + count]).tobytes()


def read_stealth(alpha: NDArray[np.uint8], *, max_bytes: int) -> Evidence | None:
    """Evidence of a stealth payload in ``alpha``, or None when there is no magic."""
    capacity = alpha.size
    if capacity < _MAGIC_BITS + 32:
        return None
    magic = _bits(alpha, 0, _MAGIC_BITS)
    if magic not in _MAGICS:
        return None
    (length,) = np.frombuffer(_bits(alpha, _MAGIC_BITS, 32), dtype=">u4")
    length_bits = int(length)
    if length_bits == 0 or length_bits > capacity - _MAGIC_BITS - 32:
        return _broken(f"payload length {length_bits} bits does not fit the image", "bad_length")
    if length_bits // 8 > max_bytes:
        return _broken(
            f"payload of {length_bits // 8} bytes is over the {max_bytes} cap", "too_large"
        )
    payload = _bits(alpha, _MAGIC_BITS + 32, length_bits - length_bits % 8)
    if _MAGICS[magic]:
        try:
            payload = gzip.GzipFile(fileobj=io.BytesIO(payload)).read(max_bytes + 1)
        except (OSError, EOFError, zlib.error):
            return _broken("compressed payload is not valid gzip", "unreadable_payload")
        if len(payload) > max_bytes:
            return _broken(f"payload inflates past the {max_bytes} byte cap", "too_large")
    try:
        meta = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _broken("payload is not JSON", "unreadable_payload")
    if not isinstance(meta, dict):
        return _broken("payload is not a JSON object", "unreadable_payload")
    return _found(meta)


def _found(meta: dict[str, object]) -> Evidence:
    model = meta.get("Source")
    comment = meta.get("Comment")
    prompt: object = meta.get("Description")
    if isinstance(comment, str):
        try:
            parsed = json.loads(comment)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("prompt"):
            prompt = parsed["prompt"]
    software = str(meta.get("Software", "NovelAI"))[:100]
    return Evidence(
        type="generator_metadata",
        source=_SOURCE,
        detail="NovelAI stealth metadata in the alpha channel"
        + (f" (model {str(model)[:100]})" if model else ""),
        indicates="likely_ai",
        generator="NovelAI",
        model=str(model)[:200] if model else None,
        attributes={"software": software},
        prompt=str(prompt) if prompt else None,
    )


def _broken(why: str, problem: str) -> Evidence:
    return Evidence(
        type="generator_metadata",
        source=_SOURCE,
        detail=f"NovelAI stealth header present but {why}",
        indicates="likely_ai",
        generator="NovelAI",
        problem=problem,
    )
