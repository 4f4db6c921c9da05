"""Shared helpers for the matching tests: random hashes, bit flips, a brute-force oracle."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


def random_hashes(rng: np.random.Generator, n: int) -> U8:
    return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def flip(hash_bytes: U8, bits: list[int]) -> U8:
    """A copy of one (32,) hash with the given bit positions (0..255) flipped."""
    out = hash_bytes.copy()
    for b in bits:
        out[b // 8] ^= np.uint8(1 << (b % 8))
    return out


def to_hex(hash_bytes: U8) -> str:
    return bytes(hash_bytes).hex()


def distance(a: U8, b: U8) -> int:
    return int(np.unpackbits(a ^ b).sum())


def brute_force(pairs: dict[int, list[U8]], query: U8, radius: int) -> list[tuple[int, int]]:
    """The oracle: every id with a hash within radius, at its smallest distance."""
    best: dict[int, int] = {}
    for i, hashes in pairs.items():
        for h in hashes:
            d = distance(h, query)
            if d <= radius and d < best.get(i, 1 << 30):
                best[i] = d
    return sorted(best.items(), key=lambda item: (item[1], item[0]))
