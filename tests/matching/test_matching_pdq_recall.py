"""The recall property: the index returns exactly what a brute-force scan returns.

Planted neighbours sit at distance radius-1, radius and radius+1 of a query, and the same
hash is stored under several ids, across every path: delta only, base only, base + delta +
tombstones, and after compaction.
"""

from __future__ import annotations

import numpy as np
from _pdq_helpers import brute_force, flip, random_hashes, to_hex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.matching import PdqIndex

U8 = np.ndarray


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    seed = draw(st.integers(0, 2**32 - 1))
    radius = draw(st.sampled_from([0, 1, 8, 15, 16, 17, 31, 32, 47, 64]))
    n_random = draw(st.integers(0, 60))
    n_queries = draw(st.integers(1, 4))
    compact_after = draw(st.integers(0, 3))  # 0: never, k: after the k-th step
    removes = draw(st.lists(st.integers(0, 200), max_size=12))
    return {
        "seed": seed,
        "radius": radius,
        "n_random": n_random,
        "n_queries": n_queries,
        "compact_after": compact_after,
        "removes": removes,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_index_matches_brute_force(s: dict[str, object]) -> None:
    rng = np.random.default_rng(int(s["seed"]))  # type: ignore[call-overload]
    radius = int(s["radius"])  # type: ignore[call-overload]
    queries = random_hashes(rng, int(s["n_queries"]))  # type: ignore[call-overload]
    pairs: dict[int, list[U8]] = {}
    batches: list[tuple[list[int], list[U8]]] = []
    next_id = 0
    for q in queries:  # planted near neighbours and duplicates of the same hash
        ids, hashes = [], []
        for d in {max(0, radius - 1), radius, radius + 1, 0, min(256, radius + 2)}:
            h = flip(q, list(rng.choice(256, d, replace=False)))
            for _ in range(2):  # the same hash under two ids
                ids.append(next_id)
                hashes.append(h)
                next_id += 1
        ids.append(ids[0])  # and an id holding two hashes
        hashes.append(flip(q, [0, 1, 2]))
        batches.append((ids, hashes))
    noise = random_hashes(rng, int(s["n_random"]))  # type: ignore[call-overload]
    batches.append((list(range(next_id, next_id + len(noise))), list(noise)))
    rng.shuffle(batches)

    index = PdqIndex(background=False)
    for step, (ids, hashes) in enumerate(batches, start=1):
        index.add(ids, [to_hex(h) for h in hashes])
        for i, h in zip(ids, hashes, strict=True):
            pairs.setdefault(i, []).append(h)
        if step == s["compact_after"]:
            index.compact()
    removes = list(s["removes"])  # type: ignore[call-overload]
    index.remove(removes[: len(removes) // 2])
    index.remove(removes[len(removes) // 2 :])
    for i in removes:
        pairs.pop(i, None)

    def check() -> None:
        expected = [brute_force(pairs, q, radius) for q in queries]
        hexes = [to_hex(q) for q in queries]
        assert [index.query(h, radius) for h in hexes] == expected
        assert index.query_many(hexes, radius) == expected
        assert len(index) == sum(len(v) for v in pairs.values())

    check()  # base (maybe) + delta + tombstones
    index.compact()
    check()  # all in the base
