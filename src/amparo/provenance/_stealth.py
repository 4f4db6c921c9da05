"""Generator metadata hidden ("stealth") in the least significant bits of the pixels.

Two writers use one layout: NovelAI (a JSON object) and the SD WebUI "stealth-pnginfo"
extension (A1111's ``parameters`` text; the ComfyUI port writes ComfyUI's ``prompt`` and
``workflow`` as a JSON object). Bits are read pixel by pixel down each column, then the next
column, 8 bits per byte, most significant first: a 15-byte magic, a 32-bit big-endian
payload length in *bits*, then the payload (gzip'd for the ``...comp`` magics).

- Alpha form (:func:`read_stealth`): one bit per pixel, the alpha LSB; magics
  ``stealth_pnginfo`` (plain) and ``stealth_pngcomp`` (gzip).
- RGB form (:func:`read_stealth_rgb`, written by the extension's ``rgb`` mode): three bits
  per pixel, the R, G and B LSBs in that order; magics ``stealth_rgbinfo``/``stealth_rgbcomp``.

The payload says who wrote it: a JSON object is NovelAI's (or ComfyUI's when it carries
``prompt``/``workflow`` and no ``Software``); text is A1111's parameters, parsed by the same
parser as the PNG ``parameters`` chunk. A magic followed by garbage is still a deliberate
generator trace, so it is reported as ``likely_ai`` with the problem (and no generator, since
the magic alone does not say which tool wrote it), never raised.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import zlib

import numpy as np
from numpy.typing import NDArray

from amparo.provenance._base import Evidence
from amparo.provenance._containers import Blob
from amparo.provenance._generators import a1111_parameters, comfyui_workflow

__all__ = ["read_stealth", "read_stealth_rgb"]

_ALPHA_MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
_RGB_MAGICS = {b"stealth_rgbinfo": False, b"stealth_rgbcomp": True}
_MAGIC_BITS = 15 * 8
_ALPHA_SOURCE = "alpha channel LSB (stealth pnginfo)"
_RGB_SOURCE = "RGB LSB (stealth rgbinfo)"


def _bits(plane: NDArray[np.uint8], start: int, count: int) -> bytes:
    """``count`` bits of the LSB stream of ``plane`` (H, W, C) from bit ``start`` on, packed.

    The stream visits pixels column-major and, in each pixel, its C channels in order; only
    the columns that hold the wanted bits are touched.
    """
    height, channels = plane.shape[0], plane.shape[2]
    per_column = height * channels
    first_col = start // per_column
    last_col = (start + count + per_column - 1) // per_column
    stream = (plane[:, first_col:last_col, :] & 1).transpose(1, 0, 2).ravel()
    offset = start - first_col * per_column
    return np.packbits(stream[offset : offset + count]).tobytes()


def read_stealth(alpha: NDArray[np.uint8], *, max_bytes: int) -> Evidence | None:
    """Evidence of an alpha-channel stealth payload in ``alpha`` (H, W), or None when the
    alpha LSBs do not start with a stealth magic."""
    return _read(alpha[:, :, np.newaxis], _ALPHA_MAGICS, _ALPHA_SOURCE, max_bytes)


def read_stealth_rgb(rgb: NDArray[np.uint8], *, max_bytes: int) -> Evidence | None:
    """Evidence of an RGB-LSB stealth payload in ``rgb`` (H, W, 3), or None when the RGB
    LSBs do not start with a stealth magic."""
    return _read(rgb[:, :, :3], _RGB_MAGICS, _RGB_SOURCE, max_bytes)


def _read(
    plane: NDArray[np.uint8], magics: dict[bytes, bool], source: str, max_bytes: int
) -> Evidence | None:
    capacity = plane.size
    if capacity < _MAGIC_BITS + 32:
        return None
    magic = _bits(plane, 0, _MAGIC_BITS)
    if magic not in magics:
        return None
    (length,) = np.frombuffer(_bits(plane, _MAGIC_BITS, 32), dtype=">u4")
    length_bits = int(length)
    if length_bits == 0 or length_bits > capacity - _MAGIC_BITS - 32:
        return _broken(
            source, f"payload length {length_bits} bits does not fit the image", "bad_length"
        )
    if length_bits // 8 > max_bytes:
        return _broken(
            source, f"payload of {length_bits // 8} bytes is over the {max_bytes} cap", "too_large"
        )
    payload = _bits(plane, _MAGIC_BITS + 32, length_bits - length_bits % 8)
    if magics[magic]:
        try:
            payload = gzip.GzipFile(fileobj=io.BytesIO(payload)).read(max_bytes + 1)
        except (OSError, EOFError, zlib.error):
            return _broken(source, "compressed payload is not valid gzip", "unreadable_payload")
        if len(payload) > max_bytes:
            return _broken(source, f"payload inflates past the {max_bytes} byte cap", "too_large")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return _broken(source, "payload is neither JSON nor text", "unreadable_payload")
    return _attributed(text, source)


def _attributed(text: str, source: str) -> Evidence:
    """Who wrote the payload, read from its shape (see the module doc)."""
    try:
        meta: object = json.loads(text)
    except ValueError:
        meta = None
    if isinstance(meta, dict):
        if "Software" not in meta and ("prompt" in meta or "workflow" in meta):
            return _comfyui(meta, source)
        return _novelai(meta, source)
    if meta is not None:  # JSON, but a list, string or number: no writer makes those
        return _broken(source, "payload is JSON but not an object", "unreadable_payload")
    if not text.strip() or not _is_text(text):
        return _broken(source, "payload is neither JSON nor text", "unreadable_payload")
    # Only A1111's stealth-pnginfo extension writes plain text here: its `parameters`.
    found = a1111_parameters(text, source)
    return dataclasses.replace(found, detail=found.detail + f", hidden in the {_carrier(source)}")


def _is_text(text: str) -> bool:
    """No control characters but line breaks and tabs: what any text writer leaves, and
    what random bits that happen to be valid UTF-8 rarely do."""
    return not any((ord(char) < 0x20 and char not in "\n\r\t") or char == "\x7f" for char in text)


def _carrier(source: str) -> str:
    return "alpha channel" if source == _ALPHA_SOURCE else "RGB least significant bits"


def _novelai(meta: dict[str, object], source: str) -> Evidence:
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
        source=source,
        detail=f"NovelAI stealth metadata in the {_carrier(source)}"
        + (f" (model {str(model)[:100]})" if model else ""),
        indicates="likely_ai",
        generator="NovelAI",
        model=str(model)[:200] if model else None,
        attributes={"software": software},
        prompt=str(prompt) if prompt else None,
    )


def _comfyui(meta: dict[str, object], source: str) -> Evidence:
    """The ComfyUI port stores each item as a JSON string inside the JSON object."""
    blobs = {
        key: Blob(key, value.encode("utf-8"), source)
        for key in ("prompt", "workflow")
        if isinstance(value := meta.get(key), str)
    }
    found = comfyui_workflow(blobs.get("prompt"), blobs.get("workflow"))
    return dataclasses.replace(
        found, source=source, detail=found.detail + f", hidden in the {_carrier(source)}"
    )


def _broken(source: str, why: str, problem: str) -> Evidence:
    return Evidence(
        type="generator_metadata",
        source=source,
        detail=f"stealth header present (as NovelAI and the SD WebUI stealth-pnginfo "
        f"extension write it) but {why}",
        indicates="likely_ai",
        problem=problem,
    )
