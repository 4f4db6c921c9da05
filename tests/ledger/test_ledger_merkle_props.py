"""Properties of proof construction and tiles, against a direct RFC 9162 MTH."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.ledger._merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)
from amparo.ledger._tiles import TileKey, TileNodes, parse_tile_path, tile_path, tiles_for_size
from amparo.ledger._verify import build_tiles


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


LEAVES = [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(1100)]
TILES = build_tiles(LEAVES)


def nodes(size: int) -> TileNodes:
    return TileNodes(size, lambda lv, ix, w: TILES[(lv, ix)][: w * 32])


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 1100).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proofs_verify_and_roots_match(case: tuple[int, int]) -> None:
    size, index = case
    root = subtree_hash(nodes(size), 0, size)
    assert root == mth(LEAVES[:size])
    verify_inclusion(index, size, LEAVES[index], inclusion_proof(nodes(size), index, size), root)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 1100).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_proofs_verify(case: tuple[int, int]) -> None:
    size1, size2 = case
    proof = consistency_proof(nodes(size2), size1, size2)
    verify_consistency(size1, size2, proof, mth(LEAVES[:size1]), mth(LEAVES[:size2]))


@given(st.integers(-1, 63), st.integers(0, 10**12), st.integers(1, 256))
def test_tile_paths_round_trip(level: int, index: int, width: int) -> None:
    key = TileKey(level, index, width)
    path = tile_path(key)
    assert path.startswith("tile/")
    assert parse_tile_path(path.removeprefix("tile/")) == key


def test_tile_path_examples_from_the_spec() -> None:
    assert tile_path(TileKey(0, 1234067, 256)) == "tile/0/x001/x234/067"
    assert tile_path(TileKey(-1, 5, 17)) == "tile/entries/005.p/17"
    for bad in ("0/x000/001", "64/000", "0/000.p/256", "0/000.p/0", "00/000", "0/1"):
        assert parse_tile_path(bad) is None
    keys = tiles_for_size(70_000)  # the spec's worked example
    assert sum(k.level == 0 and k.width == 256 for k in keys) == 273
    assert TileKey(0, 273, 112) in keys
    assert TileKey(1, 1, 17) in keys
    assert TileKey(2, 0, 1) in keys
