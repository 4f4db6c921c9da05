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
to at least :data:`FAST_JPEG_MIN_SIDE` pixels per axis; then block means down to at least
:data:`FAST_MIN_SIDE`, computed by :mod:`amparo.media` a band of rows at a time, or while a
large PNG is decoded) and stays within a few bits of the full path.

The full path needs every pixel in memory several times over (the decode, an RGB array,
``pdqhash``'s two float buffers: about :data:`FULL_PATH_BYTES_PER_PIXEL` bytes a pixel), so
it is bounded by ``MediaLimits.max_decode_memory`` like any decode.
"""

from __future__ import annotations

import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image

from amparo.media import DecodedImage, displayable, reduce
from amparo.signals._pdq_kernel import MIN_HASHABLE_SIDE, block_weights, fragile, hash_buffer

__all__ = [
    "FAST_JPEG_MIN_SIDE",
    "FAST_MIN_SIDE",
    "FULL_PATH_BYTES_PER_PIXEL",
    "pdq_fast",
    "pdq_full",
    "pdq_ready",
]

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

FULL_PATH_BYTES_PER_PIXEL = 18
"""Peak bytes per pixel of :func:`pdq_full`: the decoded image (up to 4), the RGB array
handed to ``pdqhash`` (3, and 3 more for grey stacked into three channels) and its two float
buffers (8)."""


def pdq_ready(image: Image.Image) -> Image.Image:
    """``image`` in a mode whose first three channels (or one) are what PDQ should hash.

    Returns an RGB, RGBA, RGBX, RGBa or L image: :func:`amparo.media.displayable`, the
    conversions the module docstring lists. Raises :class:`UnsupportedFormatError` for a
    colour mode Pillow cannot convert to RGB.
    """
    return displayable(image)


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


def pdq_fast(
    decoded: DecodedImage, *, dihedral: bool = False, accept_fragile: bool = False
) -> tuple[list[str], int] | None:
    """PDQ from a full or reduced decode: ``([hex, ...], quality)``, or ``None``.

    Takes the luma reduced by block means to at least :data:`FAST_MIN_SIDE` pixels a side
    (:func:`amparo.media.reduce`; a decode already that small is used as it is), and maps
    it to PDQ's 64 x 64 buffer with the reference filter's weights, folded over the blocks
    the decode reduced (see :mod:`amparo.signals._pdq_kernel`).

    ``None`` means "no trustworthy fast answer: hash every pixel with :func:`pdq_full`":
    a side is under PDQ's minimum, or the hash is :func:`~._pdq_kernel.fragile` (many DCT
    coefficients next to their median, as in sharp periodic patterns), where the fast
    path's small approximation error could move many bits. ``accept_fragile`` returns the
    fast hash anyway, for images too large to hash every pixel.
    """
    info = decoded.info
    if min(info.width, info.height) < MIN_HASHABLE_SIDE:
        return None
    reduced = reduce(decoded, FAST_MIN_SIDE, grayscale=True)
    pixels = np.asarray(reduced.image, dtype=np.float32)
    factor_x, factor_y = reduced.factors
    rows = block_weights(info.height, pixels.shape[0], factor_y)
    cols = block_weights(info.width, pixels.shape[1], factor_x)
    buffer = rows.rows(cols.cols(pixels))
    if fragile(buffer) and not accept_fragile:
        return None
    return hash_buffer(buffer, dihedral=dihedral)
