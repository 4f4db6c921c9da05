"""PDQ from a reduced image: the reference downsampler replayed as two small matrices.

PDQ (hashing.pdf; ``pdq/cpp/hashing/pdqhashing.cpp``) turns luma into a 64 x 64 buffer with
two passes of a box filter per axis (a tent, "Jarosz filter", window ``ceil(side / 128)``)
and then samples the centre of each of 64 x 64 cells. It then takes the 16 x 16 lowest
non-constant DCT coefficients, and sets bit ``i*16+j`` when coefficient ``(i, j)`` is above
their median. ``quality`` counts strong gradients in the 64 x 64 buffer.

Every step up to the 64 x 64 buffer is linear and separable, so for a side of ``n`` stored
pixels it is one 64 x ``n`` matrix ``F``: ``buffer = F_rows @ luma @ F_cols.T``. When we only
have a reduced image (each pixel the mean of an ``s`` x ``s`` block, as JPEG DCT scaling and
``Image.reduce`` produce), we fold the block structure into the matrix: ``W[:, u]`` sums the
columns of ``F`` over block ``u``. That is exact for an image that is constant on each block
and close otherwise, because the filter is wider than the block for the reductions we use
(the block is at most ~0.36 of the window for JPEG DCT scaling, a quarter for block means).
Measured: within 4 bits of the full-resolution hash on JPEGs of PDQ quality >= 50
(``bench/bench_fastpath_accuracy.py``).

The last stage (DCT, median, bits, quality, dihedral variants) is written here from the PDQ
specification, because ``pdqhash`` only accepts 8-bit images and rounding the 64 x 64 buffer
to 8 bits costs accuracy. ``tests/signals`` checks it bit-for-bit against ``pdqhash`` on
64 x 64 inputs, where ``pdqhash`` does no filtering.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DIHEDRAL_NAMES",
    "MIN_HASHABLE_SIDE",
    "Band",
    "block_weights",
    "fragile",
    "hash_buffer",
]

MIN_HASHABLE_SIDE = 5
"""PDQ's reference refuses (hashes to zero) images with a side under 5 pixels."""

DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_vertical",
    "flip_horizontal",
    "flip_transpose",
    "flip_transverse",
)
"""Names of the 8 dihedral variants, in ``pdqhash.compute_dihedral`` order.

Each is the hash the image would have after the Pillow transpose of the same name:
``rotate90`` = ``Transpose.ROTATE_90`` (counter-clockwise), ``rotate180``, ``rotate270``;
``flip_vertical`` = ``FLIP_TOP_BOTTOM`` (PDQ's "flipX"); ``flip_horizontal`` =
``FLIP_LEFT_RIGHT`` (a mirror, PDQ's "flipY"); ``flip_transpose`` = ``TRANSPOSE`` (about the
main diagonal, "flipPlus1"); ``flip_transverse`` = ``TRANSVERSE`` (about the other diagonal,
"flipMinus1").
"""

_OUT = 64


def _dct_matrix() -> NDArray[np.float32]:
    i = np.arange(1, 17, dtype=np.float64)[:, np.newaxis]
    j = np.arange(_OUT, dtype=np.float64)[np.newaxis, :]
    matrix = np.sqrt(2.0 / _OUT) * np.cos((np.pi / 2.0 / _OUT) * i * (2.0 * j + 1.0))
    return np.asarray(matrix, dtype=np.float32)


_DCT = _dct_matrix()
_ODD = (np.arange(16) % 2 == 1)[np.newaxis, :]  # frequency index i + 1 is even
_COL_SIGN = np.where(_ODD, 1.0, -1.0).astype(np.float32)  # + on odd columns
_ROW_SIGN = _COL_SIGN.T
_CHECKER = _ROW_SIGN * _COL_SIGN  # - where (i + j) is odd


def _window(side: int) -> int:
    return (side + 2 * _OUT - 1) // (2 * _OUT)


def _box_bounds(side: int, positions: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """Inclusive bounds of the box window at ``positions`` (clipped at the edges)."""
    window = _window(side)
    half = (window + 2) // 2
    lo = np.maximum(0, positions + half - window)
    hi = np.minimum(side - 1, positions + half - 1)
    return lo, hi


def _filter_matrix(side: int) -> NDArray[np.float64]:
    """``F``: 64 x ``side`` weights of two box passes and the decimation, along one axis."""
    centres = ((np.arange(_OUT) + 0.5) * side / _OUT).astype(np.int64)
    lo1, hi1 = _box_bounds(side, centres)
    rows, ys, first = [], [], []
    for k in range(_OUT):
        span = np.arange(lo1[k], hi1[k] + 1, dtype=np.int64)
        rows.append(np.full(span.size, k))
        ys.append(span)
        first.append(np.full(span.size, 1.0 / span.size))
    row = np.concatenate(rows)
    y = np.concatenate(ys)
    lo2, hi2 = _box_bounds(side, y)
    weight = np.concatenate(first) / (hi2 - lo2 + 1)
    # A difference array per output row: +w at the window start, -w just past its end.
    diff = np.zeros((_OUT, side + 1), dtype=np.float64)
    np.add.at(diff, (row, lo2), weight)
    np.add.at(diff, (row, hi2 + 1), -weight)
    weights = np.cumsum(diff, axis=1)[:, :side]
    weights[weights < 1e-12] = 0.0  # the cumulative sum leaves rounding dust outside windows
    return weights


@dataclass(frozen=True, eq=False)
class Band:
    """A 64 x ``reduced`` weight matrix stored by rows of its non-zero band.

    Row ``k`` is ``weight[k]`` at columns ``index[k]`` (padding has weight 0). Applying it
    costs ~20 multiply-adds per output instead of ``reduced``, and never starts BLAS
    threads, which stall when other processes hold the CPUs.
    """

    index: NDArray[np.intp]
    weight: NDArray[np.float32]

    def rows(self, pixels: NDArray[np.float32]) -> NDArray[np.float32]:
        """``W @ pixels``: 64 x width from reduced-height x width."""
        return np.asarray(np.einsum("kb,kbj->kj", self.weight, pixels[self.index]), np.float32)

    def cols(self, pixels: NDArray[np.float32]) -> NDArray[np.float32]:
        """``pixels @ W.T``: height x 64 from height x reduced-width."""
        return np.asarray(np.einsum("kb,hkb->hk", self.weight, pixels[:, self.index]), np.float32)


@functools.lru_cache(maxsize=128)
def block_weights(side: int, reduced: int, scale: int) -> Band:
    """The weights taking one reduced axis to PDQ's 64 samples along it.

    ``side`` is the stored length of the axis, ``reduced == ceil(side / scale)`` its length
    after block-mean reduction by ``scale`` (1 for none: then this is exactly ``F``).
    """
    full = _filter_matrix(side)
    if scale > 1:
        full = np.add.reduceat(full, np.arange(reduced, dtype=np.int64) * scale, axis=1)
    nonzero = full != 0.0
    first = nonzero.argmax(axis=1)
    last = reduced - 1 - nonzero[:, ::-1].argmax(axis=1)
    width = int((last - first).max()) + 1
    index = np.minimum(first[:, np.newaxis] + np.arange(width), reduced - 1)
    weight = np.take_along_axis(full, index, axis=1)
    # Columns clipped at the right edge repeat the last one: count it once.
    weight[first[:, np.newaxis] + np.arange(width) > reduced - 1] = 0.0
    band = Band(index.astype(np.intp), weight.astype(np.float32))
    band.index.flags.writeable = band.weight.flags.writeable = False  # shared via the cache
    return band


def _bits_hex(coefficients: NDArray[np.float32]) -> str:
    flat = coefficients.reshape(-1)
    median = np.partition(flat, 127)[127]  # Torben's median: the 128th smallest of 256
    bits = (flat > median).astype(np.uint8)
    # Bit k = i*16 + j is bit k of the 256-bit number the hex string spells.
    return str(np.packbits(bits[::-1]).tobytes().hex())


def _quality(buffer: NDArray[np.float32]) -> int:
    down = np.trunc((buffer[:-1, :] - buffer[1:, :]) * np.float32(100) / np.float32(255))
    across = np.trunc((buffer[:, :-1] - buffer[:, 1:]) * np.float32(100) / np.float32(255))
    gradient_sum = int(np.abs(down).sum(dtype=np.int64) + np.abs(across).sum(dtype=np.int64))
    return min(100, gradient_sum // 90)


def _variants(b: NDArray[np.float32]) -> tuple[NDArray[np.float32], ...]:
    """The 16 x 16 DCT of each dihedral transform of the image, in DIHEDRAL_NAMES order."""
    return (
        b,
        (b * _COL_SIGN).T,
        b * _CHECKER,
        (b * _ROW_SIGN).T,
        b * _ROW_SIGN,
        b * _COL_SIGN,
        b.T,
        (b * _CHECKER).T,
    )


def _coefficients(buffer: NDArray[np.floating]) -> NDArray[np.float32]:
    luma = np.ascontiguousarray(buffer, dtype=np.float32)
    return np.asarray((_DCT @ luma) @ _DCT.T, dtype=np.float32)  # 16 x 16


_FRAGILE_BAND = 0.05
_FRAGILE_COUNT = 32
_FLAT = 1e-3  # luma units; photos' coefficients are tens to thousands


def fragile(buffer: NDArray[np.floating]) -> bool:
    """Whether the hash of this 64 x 64 buffer could move many bits under a small error.

    Each bit compares a DCT coefficient with their median; coefficients next to the median
    flip with any error of the fast path's approximation. True when more than
    ``_FRAGILE_COUNT`` of the 256 lie within ``_FRAGILE_BAND`` times their median absolute
    deviation of the median, or when that deviation is rounding dust (a flat image). Sharp
    periodic patterns (checkerboards, which alias in PDQ's 64 x 64 sampling) have 44 to 70
    such coefficients and are fragile; photos, shapes, text and noise have at most 11
    (``bench/bench_fastpath_accuracy.py`` counts the fallbacks). Don't use it to judge a
    hash's worth for matching: that is PDQ's quality.
    """
    flat = _coefficients(buffer).reshape(-1)
    median = np.partition(flat, 127)[127]
    distance = np.abs(flat - median)
    spread = float(np.median(distance))
    return spread < _FLAT or int((distance < _FRAGILE_BAND * spread).sum()) > _FRAGILE_COUNT


def hash_buffer(buffer: NDArray[np.floating], *, dihedral: bool = False) -> tuple[list[str], int]:
    """PDQ hex hash(es) and quality of a 64 x 64 luma buffer.

    Returns ``([original], quality)``, or all 8 variants in :data:`DIHEDRAL_NAMES` order
    when ``dihedral`` is true.
    """
    luma = np.ascontiguousarray(buffer, dtype=np.float32)
    coefficients = _coefficients(luma)
    chosen = _variants(coefficients) if dihedral else (coefficients,)
    return [_bits_hex(c) for c in chosen], _quality(luma)
