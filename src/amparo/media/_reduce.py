"""Colour modes as displayed, luma, and block-mean reduction a band of rows at a time.

:func:`displayable` is the one place that decides what colours an image's stored values
stand for (palette indices -> their colours, 16-bit -> 8-bit, CMYK -> RGB...); PDQ hashes
those, on both of its paths. :func:`reduce` turns a decoded image into the block means of
its luma (or displayed colours) without ever converting the whole image at once: it works
through bands of rows, so converting a 200 MP palette image costs a few MB, not 800 MB.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
from PIL import Image

from amparo.errors import UnsupportedFormatError
from amparo.media._limits import Deadline

__all__ = ["DISPLAY_MODES", "displayable", "luma", "reduce_image"]

DISPLAY_MODES = frozenset({"RGB", "RGBA", "RGBX", "RGBa", "L"})
"""Modes :func:`displayable` returns: their first three channels (or one) are the colours."""

_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_BAND_PIXELS = 1 << 21  # ~8 MB of 4-byte pixels per band (more than a PNG band holds)


def _stretch(image: Image.Image, extrema: tuple[float, float]) -> Image.Image:
    """Grey from ``low`` (0) to ``high`` (255), the finite extrema. A float image's NaN
    shows as its minimum and an infinity as its end of the range: a few such samples leave
    the picture (and so its hash) as it was, not undefined."""
    low, high = extrema
    span = (high - low) or 1.0
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    grey = np.clip(np.rint((values - low) * (255.0 / span)), 0, 255)
    return Image.fromarray(grey.astype(np.uint8), "L")


def displayable(image: Image.Image, extrema: tuple[float, float] | None = None) -> Image.Image:
    """``image`` in a mode of :data:`DISPLAY_MODES`, holding the colours it displays.

    RGB, RGBA, RGBX, RGBa and L come back as they are; palette images (P, PA) become their
    colours (RGB), bilevel (1) becomes 0/255 grey, 16-bit grey is scaled to 8 bits, 32-bit
    integer and float grey (I, F) are stretched from their minimum to their maximum (pass
    ``extrema``, the whole image's, when converting a band), LA and the other colour spaces
    (CMYK, YCbCr, LAB, HSV) become RGB. Raises :class:`UnsupportedFormatError` for a mode
    Pillow cannot convert to RGB.
    """
    mode = image.mode
    if mode in DISPLAY_MODES:
        return image
    if mode == "1":
        return image.convert("L")
    if mode in _SIXTEEN_BIT:
        wide = np.asarray(image).astype(np.uint32)
        return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8), "L")
    if mode in {"I", "F"}:
        return _stretch(image, extrema or _extrema(image) or (0.0, 0.0))
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise UnsupportedFormatError(
            f"images in colour mode {mode!r} cannot be hashed ({exc})",
            hint="convert the image to RGB (e.g. save it as PNG) and send it again",
        ) from exc


def luma(image: Image.Image, extrema: tuple[float, float] | None = None) -> Image.Image:
    """The 8-bit luma (ITU-R BT.601, as Pillow's ``convert("L")``) of the displayed colours."""
    shown = displayable(image, extrema)
    return shown if shown.mode == "L" else shown.convert("L")


def _extrema(image: Image.Image) -> tuple[float, float] | None:
    """The minimum and maximum of a one-channel 32-bit image (I, F), else None."""
    if image.mode not in {"I", "F"}:
        return None
    low, high = (float(x) for x in cast("tuple[float, float]", image.getextrema()))
    if math.isfinite(low) and math.isfinite(high):
        return low, high
    return _finite_extrema(image)


def _finite_extrema(image: Image.Image) -> tuple[float, float] | None:
    """The extrema of a float image's finite samples, a band of rows at a time (bounded
    memory); None if it has none."""
    width, height = image.size
    rows = max(1, _BAND_PIXELS // max(1, width))
    low, high = math.inf, -math.inf
    for top in range(0, height, rows):
        band = np.asarray(image.crop((0, top, width, min(height, top + rows))))
        finite = band[np.isfinite(band)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return (low, high) if low <= high else None


def reduce_image(
    image: Image.Image,
    factors: tuple[int, int],
    *,
    grayscale: bool,
    deadline: Deadline | None = None,
    top: int = 0,
) -> Image.Image:
    """Block means of ``image`` by ``factors`` (x, y), as luma or as displayed colours.

    Equal to ``luma(image).reduce(factors)`` (or ``displayable(...)``), computed a band of
    rows at a time (each band a multiple of the block height) so that only one band is ever
    converted. The last block of a row or column averages the pixels there are. The first
    ``top`` rows of ``image`` are not part of it (a decoder's leftover).
    """
    width, height = image.size[0], image.size[1] - top
    fx, fy = factors
    extrema = _extrema(image)
    rows = max(fy, _BAND_PIXELS // max(1, width) // fy * fy)
    out: Image.Image | None = None
    for y in range(0, height, rows):
        if deadline is not None:
            deadline.check()
        box = (0, top + y, width, top + min(height, y + rows))
        band = image if rows >= height else image.crop(box)
        band = luma(band, extrema) if grayscale else displayable(band, extrema)
        if rows >= height and top:
            band = band.reduce((fx, fy), box=box)
        elif (fx, fy) != (1, 1):
            band = band.reduce((fx, fy))
        if out is None:
            out = Image.new(band.mode, (-(-width // fx), -(-height // fy)))
        out.paste(band, (0, y // fy))
    assert out is not None  # an image has at least one row
    return out
