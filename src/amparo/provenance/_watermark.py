"""The invisible watermark of the Stable Diffusion reference code (``dwtDct``), read and written.

Why our own implementation: the reference package (``invisible-watermark``/``imwatermark``)
pulls OpenCV and torch, which stay out of Amparo's install. The algorithm needs only numpy:
convert to YUV (OpenCV's ``BGR2YUV`` coefficients), take the Haar DWT's LL band of the U
channel (for Haar that is the 2x2 block sum divided by 2), split it into 4x4 blocks in
row-major order, and in each block take the largest-magnitude coefficient except the first:
the block carries bit ``n % message_length``; the bit is 1 when ``|value| mod 36 > 18``. Bits
are averaged over all blocks that carry them.

Writers differ in how they call the reference, so three readings are tried:

- ``uint8``: RGB flipped to BGR and 8-bit YUV (SD 1.x/2.x scripts, Amparo's own stamp);
- ``float``: BGR float input, where OpenCV's YUV offset is 0.5 instead of 128 (Stability's
  ``sgm`` SDXL code);
- ``float_rgb``: the same with RGB passed as if it were BGR (``diffusers`` SDXL watermarker).

Messages: SD 1.x ``StableDiffusionV1``, SD 2.x ``SDV2`` (bytes), SDXL's 48-bit message, and
Amparo's own ``AmparoAI`` used by :func:`amparo.provenance.stamp`. The reference refuses
images under 256x256 pixels; so do we.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["MESSAGES", "WatermarkMatch", "embed", "read_watermarks"]

_SCALE = 36.0
_BLOCK = 4
MIN_PIXELS = 256 * 256

Reading = Literal["uint8", "float", "float_rgb"]


def _bytes_bits(message: bytes) -> NDArray[np.uint8]:
    return np.unpackbits(np.frombuffer(message, dtype=np.uint8))


_SDXL_MESSAGE = 0b101100111110110010010000011110111011000110011110
#: name -> (generator it identifies, expected bits)
MESSAGES: dict[str, tuple[str, NDArray[np.uint8]]] = {
    "StableDiffusionV1": ("Stable Diffusion 1.x", _bytes_bits(b"StableDiffusionV1")),
    "SDV2": ("Stable Diffusion 2.x", _bytes_bits(b"SDV2")),
    "SDXL": (
        "Stable Diffusion XL",
        np.array([int(bit) for bit in bin(_SDXL_MESSAGE)[2:]], dtype=np.uint8),
    ),
    "AmparoAI": ("", _bytes_bits(b"AmparoAI")),  # names no generator: the stamp's C2PA does
}


@dataclass(frozen=True)
class WatermarkMatch:
    """The best reading of one known message: its bit agreement in [0, 1]. ``generator`` is
    empty for Amparo's own stamp message."""

    message: str
    generator: str
    agreement: float
    reading: Reading


# OpenCV's U = 0.492 * (B - Y), Y = 0.299 R + 0.587 G + 0.114 B, as weights of (R, G, B).
_U_WEIGHTS = (-0.492 * 0.299, -0.492 * 0.587, 0.492 * (1 - 0.114))


def _u_raw(rgb: NDArray[np.uint8], *, swap: bool) -> NDArray[np.float32]:
    """U without its offset; ``swap`` reads RGB as if it were BGR."""
    red, green, blue = _U_WEIGHTS[::-1] if swap else _U_WEIGHTS
    pixels = rgb.astype(np.float32)
    return np.asarray(
        red * pixels[..., 0] + green * pixels[..., 1] + blue * pixels[..., 2], dtype=np.float32
    )


def _ll(channel: NDArray[np.float32]) -> NDArray[np.float32]:
    """The Haar LL band (2x2 sums / 2) of the largest top-left part with sides divisible by 4."""
    rows, cols = (channel.shape[0] // 4) * 4, (channel.shape[1] // 4) * 4
    c = channel[:rows, :cols]
    return np.asarray((c[0::2, 0::2] + c[0::2, 1::2] + c[1::2, 0::2] + c[1::2, 1::2]) / 2.0)


def _ll_blocks(channel: NDArray[np.float32]) -> NDArray[np.float32]:
    """4x4 blocks of the Haar LL band, row-major, as rows of 16 coefficients."""
    return _blocks(_ll(channel))


def _blocks(ll: NDArray[np.float32]) -> NDArray[np.float32]:
    n_rows, n_cols = ll.shape[0] // _BLOCK, ll.shape[1] // _BLOCK
    blocks = ll[: n_rows * _BLOCK, : n_cols * _BLOCK].reshape(n_rows, _BLOCK, n_cols, _BLOCK)
    return np.asarray(blocks.transpose(0, 2, 1, 3).reshape(-1, _BLOCK * _BLOCK))


def _peak(blocks: NDArray[np.float32]) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """Position and value of each block's largest-magnitude coefficient after the first."""
    position = np.argmax(np.abs(blocks[:, 1:]), axis=1) + 1
    return position, blocks[np.arange(blocks.shape[0]), position]


def _block_bits(blocks: NDArray[np.float32]) -> NDArray[np.float64]:
    _, value = _peak(blocks)
    return (np.mod(np.abs(value), _SCALE) > 0.5 * _SCALE).astype(np.float64)


def _agreement(bits: NDArray[np.float64], expected: NDArray[np.uint8]) -> float:
    length = expected.size
    carrier = np.arange(bits.size) % length
    counts = np.bincount(carrier, minlength=length)
    if counts.min() == 0:
        return 0.0
    average = np.bincount(carrier, weights=bits, minlength=length) / counts
    decoded = (average * 255 > 127).astype(np.uint8)
    return float(np.mean(decoded == expected))


def read_watermarks(rgb: NDArray[np.uint8]) -> list[WatermarkMatch]:
    """Best agreement of every known message over the three readings (strongest first)."""
    straight = _u_raw(rgb, swap=False)
    # The float readings are linear in the pixels, so their LL bands come from the LL bands
    # of R, G and B (a quarter of the work); only the 8-bit reading rounds per pixel.
    channels = [_ll(rgb[..., index].astype(np.float32)) for index in range(3)]
    weights = _U_WEIGHTS
    float_ll = sum((w * c for w, c in zip(weights, channels, strict=True)), np.float32(1.0))
    swapped_ll = sum((w * c for w, c in zip(weights[::-1], channels, strict=True)), np.float32(1.0))
    readings: dict[Reading, NDArray[np.float64]] = {
        "uint8": _block_bits(_ll_blocks(np.rint(straight + 128.0).clip(0, 255))),
        "float": _block_bits(_blocks(np.asarray(float_ll, dtype=np.float32))),
        "float_rgb": _block_bits(_blocks(np.asarray(swapped_ll, dtype=np.float32))),
    }
    matches = []
    for name, (generator, expected) in MESSAGES.items():
        scored = [(_agreement(bits, expected), reading) for reading, bits in readings.items()]
        agreement, reading = max(scored, key=lambda pair: pair[0])
        matches.append(WatermarkMatch(name, generator, agreement, reading))
    return sorted(matches, key=lambda match: match.agreement, reverse=True)


def embed(rgb: NDArray[np.uint8], message: str = "AmparoAI") -> NDArray[np.uint8]:
    """``rgb`` with ``message`` embedded as the reference ``dwtDct`` does (``uint8`` reading).

    Readable by the reference decoder. Unlike the reference encoder, it keeps each block's
    peak coefficient the peak (so it also holds on smooth images), rounds and clips instead
    of truncating, and does not swap the Haar detail bands (a reference quirk that only adds
    noise).
    """
    if rgb.shape[0] * rgb.shape[1] < MIN_PIXELS:
        raise ValueError("image too small for the watermark: needs at least 256x256 pixels")
    expected = MESSAGES[message][1]
    pixels = rgb.astype(np.float32)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    u = _u_raw(rgb, swap=False)
    v = 0.877 * (red - luma)
    blocks = _ll_blocks(np.rint(u + 128.0).clip(0, 255))
    position, value = _peak(blocks)
    bits = expected[np.arange(blocks.shape[0]) % expected.size].astype(np.float32)
    target = (np.floor(np.abs(value) / _SCALE) + 0.25 + 0.5 * bits) * _SCALE
    # The reference may lower the peak below another coefficient, so a reader then looks at
    # the wrong one (it fails on smooth images). Keep the peak on top, with a margin for the
    # rounding of 8-bit pixels: move it one step up instead.
    others = np.abs(blocks[:, 1:]).copy()
    others[np.arange(blocks.shape[0]), position - 1] = -1.0
    target = np.where(target < others.max(axis=1) + 4.0, target + _SCALE, target)
    delta_blocks = np.zeros_like(blocks)
    sign = np.where(value >= 0, 1.0, -1.0).astype(np.float32)
    delta_blocks[np.arange(blocks.shape[0]), position] = sign * target - value
    return _to_rgb(luma, u + _spread(delta_blocks, u.shape), v)


def _spread(delta_blocks: NDArray[np.float32], shape: tuple[int, ...]) -> NDArray[np.float32]:
    """The pixel-domain change of an LL-band change: each LL value moves its 2x2 by half."""
    rows, cols = (shape[0] // 4) * 4, (shape[1] // 4) * 4
    n_rows, n_cols = rows // 2 // _BLOCK, cols // 2 // _BLOCK
    ll = np.zeros((rows // 2, cols // 2), dtype=np.float32)
    ll[: n_rows * _BLOCK, : n_cols * _BLOCK] = (
        delta_blocks.reshape(n_rows, n_cols, _BLOCK, _BLOCK)
        .transpose(0, 2, 1, 3)
        .reshape(n_rows * _BLOCK, n_cols * _BLOCK)
    )
    full = np.zeros(shape[:2], dtype=np.float32)
    full[:rows, :cols] = np.repeat(np.repeat(ll, 2, axis=0), 2, axis=1) / 2.0
    return full


def _to_rgb(
    luma: NDArray[np.float32], u: NDArray[np.float32], v: NDArray[np.float32]
) -> NDArray[np.uint8]:
    red = luma + 1.140 * v
    green = luma - 0.395 * u - 0.581 * v
    blue = luma + 2.032 * u
    stacked = np.stack([red, green, blue], axis=-1)
    return np.asarray(np.rint(stacked).clip(0, 255).astype(np.uint8))
