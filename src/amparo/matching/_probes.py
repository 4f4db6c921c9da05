"""Probe plans for multi-index hashing: which chunk values to look up for a given radius.

Multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with
Multi-Index Hashing", CVPR 2012) splits the 256 bits into ``m`` disjoint chunks. Give each
chunk ``j`` a flip budget ``f_j`` (``-1`` means "don't probe this chunk"). If

    sum_j (f_j + 1) >= radius + 1

then any hash within ``radius`` of the query differs in at most ``f_j`` bits in at least one
chunk ``j`` (otherwise the chunk distances would add up to more than ``radius``). So probing,
in every chunk, the query's chunk value XOR every mask of at most ``f_j`` bits finds *every*
hash within ``radius``: recall is 100% by construction, for any radius, never approximate.

The budgets are spread greedily by estimated cost (bucket look-ups plus expected candidates),
so a larger radius costs more but stays exact. When probing would cost about as much as
reading everything, the plan says so and the caller scans all hashes instead.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ProbePlan", "flip_masks", "make_plan"]

# Relative cost of one bucket look-up versus verifying one candidate hash. Both are one
# random memory access; a look-up also slices the bucket, so it counts a little more.
_PROBE_COST = 2.0
# Refuse plans with more look-ups than this: a scan of every hash is cheaper by then.
_MAX_PROBES = 200_000


@dataclass(frozen=True, eq=False)
class ProbePlan:
    """For one (layout, size, radius): one row per bucket look-up.

    ``chunk[i]`` is the chunk a look-up reads, ``mask[i]`` the bits flipped in the query's
    chunk value, ``base[i]`` where that chunk's buckets start in the global bucket array.
    """

    chunk: npt.NDArray[np.intp]
    mask: npt.NDArray[np.int64]
    base: npt.NDArray[np.int64]
    expected_candidates: float


@functools.lru_cache(maxsize=64)
def flip_masks(bits: int, max_flips: int) -> npt.NDArray[np.int64]:
    """Every ``bits``-wide value with at most ``max_flips`` bits set, fewest bits first."""
    out = [0]
    for k in range(1, max_flips + 1):
        for combo in itertools.combinations(range(bits), k):
            out.append(sum(1 << b for b in combo))
    masks = np.array(out, dtype=np.int64)
    masks.setflags(write=False)
    return masks


def _lookups(bits: int, flips: int) -> int:
    return sum(math.comb(bits, k) for k in range(flips + 1))


def make_plan(
    chunk_bits: tuple[int, ...], bucket_base: tuple[int, ...], size: int, radius: int
) -> ProbePlan | None:
    """The cheapest exact plan, or ``None`` when scanning every hash is the better way.

    ``chunk_bits[j]`` is the width of chunk ``j``; ``bucket_base[j]`` where its buckets start.
    """

    def cost(j: int, budget: int) -> float:  # budget = flips + 1; 0 = chunk unused
        if budget == 0:
            return 0.0
        if budget - 1 > chunk_bits[j]:
            return math.inf
        n = _lookups(chunk_bits[j], budget - 1)
        return n * (_PROBE_COST + size / 2.0 ** chunk_bits[j])

    budgets = [0] * len(chunk_bits)
    for _ in range(radius + 1):
        steps = [cost(j, budgets[j] + 1) - cost(j, budgets[j]) for j in range(len(budgets))]
        best = min(range(len(steps)), key=steps.__getitem__)
        if math.isinf(steps[best]):
            return None
        budgets[best] += 1
    lookups = sum(_lookups(chunk_bits[j], b - 1) for j, b in enumerate(budgets) if b)
    expected = sum(
        _lookups(chunk_bits[j], b - 1) * size / 2.0 ** chunk_bits[j]
        for j, b in enumerate(budgets)
        if b
    )
    if lookups > _MAX_PROBES or expected > size / 4:
        return None
    chunks: list[npt.NDArray[np.intp]] = []
    masks: list[npt.NDArray[np.int64]] = []
    for j, b in enumerate(budgets):
        if b:
            m = flip_masks(chunk_bits[j], b - 1)
            masks.append(m)
            chunks.append(np.full(m.size, j, dtype=np.intp))
    chunk = np.concatenate(chunks)
    base = np.asarray(bucket_base, dtype=np.int64)[chunk]
    return ProbePlan(
        chunk=chunk, mask=np.concatenate(masks), base=base, expected_candidates=expected
    )
