"""PDQ hashes of decoded images: the full path (ThreatExchange parity) and the fast path.

Full path: the stored pixels go to ``pdqhash.compute`` exactly as ThreatExchange's
``pdq_hasher.pdq_from_bytes`` sends them, so for RGB, RGBA, RGBX, L and LA images the hash
and quality are identical to ThreatExchange's (and to HMA's, which uses it).

Where ThreatExchange hands ``pdqhash`` something other than the picture, we convert to what
the PDQ reference hashes (luma of the displayed colours) and so differ from it on purpose:

==========================  ============================  =================================
mode                        ThreatExchange hashes          Amparo hashes
==========================  ============================  =================================
P, PA (palette: GIF, PNG)   the palette *indices* (PA:     the palette colours (RGB)
                            crashes)
1 (bilevel)                 0/1 values: quality always 0  0/255 (~same bits, real quality)
I;16 (16-bit grey)          values clipped at 255: a      values scaled to 8 bits
                            mostly white image
I, F (32-bit int/float)     crashes                        values stretched min..max to 8 bits
CMYK, YCbCr, LAB            the raw channels as if RGB     the colours converted to RGB
==========================  ============================  =================================

EXIF orientation is never applied, on either path: PDQ hashes the stored pixels, as
ThreatExchange does; use the dihedral variants to match rotated or mirrored copies.

Fast path: see :mod:`amparo.signals._pdq_kernel`; it reads a reduced image (JPEG: DCT-scaled
to at least :data:`FAST_JPEG_MIN_SIDE` pixels per axis; other formats: block means down to
at least :data:`FAST_MIN_SIDE`) and stays within a few bits of the full path.
"""

from __future__ import annotations

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image

from amparo.errors import UnsupportedFormatError
from amparo.media import DecodedImage
from amparo.signals._pdq_kernel import MIN_HASHABLE_SIDE, block_weights, fragile, hash_buffer

__all__ = ["FAST_JPEG_MIN_SIDE", "FAST_MIN_SIDE", "pdq_fast", "pdq_full", "pdq_ready"]

FAST_MIN_SIDE = 512
"""Images decoded at full size are reduced by block means to no fewer than this many pixels
per axis: each pixel then averages a block at most a quarter of PDQ's filter window wide
(the window is ``side / 128``). Reducing further saves little: decoding dominates."""

FAST_JPEG_MIN_SIDE = 360
"""JPEGs are decoded by DCT scaling (1/2, 1/4, 1/8) to no fewer than this many pixels per
axis: each pixel is then an 8 x 8 (or smaller) block mean at most ~0.36 of PDQ's window.
360 lets a 12 MP photo (3000 or 3024 rows) decode at 1/8, where libjpeg's inverse DCT is a
single coefficient, leaving entropy decoding as nearly all of the cost. Measured by
``bench/bench_fastpath_accuracy.py``: as accurate as 512 on JPEGs of PDQ quality >= 50."""

_PARITY_MODES = frozenset({"RGB", "RGBA", "RGBX", "RGBa", "L"})
_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


def _stretch_to_l(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    span = high - low or 1.0
    return Image.fromarray(np.rint((values - low) * (255.0 / span)).astype(np.uint8), "L")


def pdq_ready(image: Image.Image) -> Image.Image:
    """``image`` in a mode whose first three channels (or one) are what PDQ should hash.

    Returns an RGB, RGBA, RGBX, RGBa or L image, converting as the module docstring says.
    Raises :class:`UnsupportedFormatError` for a colour mode Pillow cannot convert to RGB.
    """
    mode = image.mode
    if mode in _PARITY_MODES:
        return image
    if mode == "LA":  # as ThreatExchange does
        return image.convert("RGB")
    if mode == "1":
        return image.convert("L")
    if mode in _SIXTEEN_BIT:
        wide = np.asarray(image).astype(np.uint32)
        return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8), "L")
    if mode in {"I", "F"}:
        return _stretch_to_l(image)
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise UnsupportedFormatError(
            f"images in colour mode {mode!r} cannot be hashed ({exc})",
            hint="convert the image to RGB (e.g. save it as PNG) and send it again",
        ) from exc


def _hex(vector: NDArray[np.integer]) -> str:
    """ThreatExchange's hex form of a ``pdqhash`` bit vector (first bit = top bit)."""
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()


def pdq_full(image: Image.Image, *, dihedral: bool = False) -> tuple[list[str], int] | None:
    """PDQ of every stored pixel via ``pdqhash``: ``([hex, ...], quality)``.

    One hash, or the 8 dihedral variants when ``dihedral``. ``None`` when a side is under
    PDQ's minimum of 5 pixels.
    """
    if min(image.size) < MIN_HASHABLE_SIDE:
        return None
    pixels = np.asarray(pdq_ready(image))
    if pixels.ndim == 2:  # ThreatExchange stacks grey into three equal channels
        pixels = np.concatenate([pixels[..., np.newaxis]] * 3, axis=2)
    if dihedral:
        vectors, quality = pdqhash.compute_dihedral(pixels)
        return [_hex(v) for v in vectors], int(quality)
    vector, quality = pdqhash.compute(pixels)
    return [_hex(vector)], int(quality)


def pdq_fast(decoded: DecodedImage, *, dihedral: bool = False) -> tuple[list[str], int] | None:
    """PDQ from a (possibly DCT-scaled) decode: ``([hex, ...], quality)``, or ``None``.

    Takes the luma, reduces each axis by block means until it keeps at least
    :data:`FAST_MIN_SIDE` pixels, and maps it to PDQ's 64 x 64 buffer with the reference
    filter's weights (see :mod:`amparo.signals._pdq_kernel`).

    ``None`` means "no trustworthy fast answer: hash every pixel with :func:`pdq_full`":
    a side is under PDQ's minimum, or the hash is :func:`~._pdq_kernel.fragile` (many DCT
    coefficients next to their median, as in sharp periodic patterns), where the fast
    path's small approximation error could move many bits.
    """
    info = decoded.info
    if min(info.width, info.height) < MIN_HASHABLE_SIDE:
        return None
    luma = decoded.image
    if luma.mode != "L":
        luma = pdq_ready(luma).convert("L")
    factor_x = max(1, luma.width // FAST_MIN_SIDE)
    factor_y = max(1, luma.height // FAST_MIN_SIDE)
    if factor_x > 1 or factor_y > 1:
        luma = luma.reduce((factor_x, factor_y))
    pixels = np.asarray(luma, dtype=np.float32)
    rows = block_weights(info.height, pixels.shape[0], decoded.scale * factor_y)
    cols = block_weights(info.width, pixels.shape[1], decoded.scale * factor_x)
    buffer = rows.rows(cols.cols(pixels))
    if fragile(buffer):
        return None
    return hash_buffer(buffer, dihedral=dihedral)
