"""Unit tests of PdqIndex: adds, removes, queries, compaction, validation, stats."""

from __future__ import annotations

import numpy as np
import pytest
from _pdq_helpers import brute_force, flip, random_hashes, to_hex

from amparo.errors import InputError, InvalidSignalError
from amparo.matching import DEFAULT_RADIUS, PdqIndex, _mih

RNG_SEED = 20261128


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def test_empty_index_finds_nothing() -> None:
    index = PdqIndex()
    assert index.query("0" * 64) == []
    assert index.query_many(["0" * 64, "f" * 64]) == [[], []]
    assert len(index) == 0


def test_add_is_matchable_at_once_and_sorted(rng: np.random.Generator) -> None:
    h = random_hashes(rng, 1)[0]
    index = PdqIndex(background=False)
    index.add([10, 11, 12], [to_hex(h), to_hex(flip(h, [1, 2])), to_hex(flip(h, [3]))])
    assert index.query(to_hex(h)) == [(10, 0), (12, 1), (11, 2)]
    assert index.query(to_hex(h), radius=1) == [(10, 0), (12, 1)]
    assert len(index) == 3


def test_uppercase_hex_and_uint8_rows_are_accepted(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 3)
    index = PdqIndex(background=False)
    index.add(np.array([1, 2, 3]), hashes)
    assert index.query(to_hex(hashes[1]).upper(), radius=0) == [(2, 0)]


def test_one_id_with_several_hashes_is_reported_once_at_its_best(
    rng: np.random.Generator,
) -> None:
    h = random_hashes(rng, 1)[0]
    index = PdqIndex(background=False)
    index.add([5, 5, 6], [to_hex(flip(h, [0, 1, 2])), to_hex(flip(h, [9])), to_hex(h)])
    assert index.query(to_hex(h)) == [(6, 0), (5, 1)]
    index.compact()
    assert index.query(to_hex(h)) == [(6, 0), (5, 1)]
    index.remove([5])
    assert index.query(to_hex(h)) == [(6, 0)]
    assert len(index) == 1


@pytest.mark.parametrize("compacted", [False, True])
def test_remove_hides_base_and_delta_rows(rng: np.random.Generator, compacted: bool) -> None:
    hashes = random_hashes(rng, 50)
    index = PdqIndex(background=False)
    index.add(list(range(50)), [to_hex(h) for h in hashes])
    if compacted:
        index.compact()
    index.remove([3, 4, 999])
    assert index.query(to_hex(hashes[3]), radius=0) == []
    assert index.query(to_hex(hashes[5]), radius=0) == [(5, 0)]
    assert len(index) == 48
    index.add([3], [to_hex(hashes[3])])  # re-adding a removed id works
    assert index.query(to_hex(hashes[3]), radius=0) == [(3, 0)]
    index.compact()
    assert len(index) == 49
    stats = index.stats
    assert (stats.delta_size, stats.tombstoned_rows, stats.base_size) == (0, 0, 49)


def test_compaction_folds_delta_and_tombstones(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 30)
    index = PdqIndex(background=False)
    index.add(list(range(20)), [to_hex(h) for h in hashes[:20]])
    index.compact()
    index.remove([0, 1])
    index.add(list(range(20, 30)), [to_hex(h) for h in hashes[20:]])
    before = index.stats
    assert (before.base_size, before.delta_size, before.tombstoned_rows) == (20, 10, 2)
    assert before.tombstoned_ids == 2 and before.built_at is not None
    index.compact()
    after = index.stats
    assert (after.base_size, after.delta_size, after.tombstoned_rows) == (28, 0, 0)
    assert after.compactions == 2 and after.memory_bytes > 0
    for i, h in enumerate(hashes):
        assert index.query(to_hex(h), radius=0) == ([] if i < 2 else [(i, 0)])


def test_background_compaction_starts_at_threshold(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 40)
    index = PdqIndex(compact_threshold=16)
    index.add(list(range(40)), [to_hex(h) for h in hashes])
    assert index.wait_for_compaction(timeout=30)
    assert index.stats.delta_size == 0 and index.stats.base_size == 40
    assert index.query(to_hex(hashes[7]), radius=0) == [(7, 0)]


def test_a_small_delta_that_queries_keep_scanning_is_compacted(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 1_030)
    index = PdqIndex.from_arrays(np.arange(1_000), hashes[:1_000])  # threshold 20k: far off
    index.add(list(range(1_000, 1_030)), [to_hex(h) for h in hashes[1_000:]])
    queries = [to_hex(h) for h in hashes[::10]]  # 103 queries, each scanning 30 delta rows
    expected = [index.query(q, 31) for q in queries]  # 3,090 comparisons, as each batch
    # 200 comparisons per row pay for a rebuild: 206,000 here, 67 times 3,090.
    for _ in range(65):
        assert index.query_many(queries, 31) == expected
    assert index.wait_for_compaction(timeout=30)
    assert index.stats.compactions == 0 and index.stats.delta_size == 30
    assert index.query_many(queries, 31) == expected  # the one that pays: 67 * 3,090
    assert index.wait_for_compaction(timeout=30)
    stats = index.stats
    assert (stats.compactions, stats.delta_size, stats.base_size) == (1, 0, 1_030)
    assert [index.query(q, 31) for q in queries] == expected


def test_a_delta_without_a_base_is_never_compacted_by_queries(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 30)
    index = PdqIndex()
    index.add(list(range(30)), [to_hex(h) for h in hashes])
    for _ in range(300):
        index.query_many([to_hex(h) for h in hashes], 31)
    assert index.wait_for_compaction(timeout=30)
    assert index.stats.compactions == 0 and index.stats.delta_size == 30


def test_compacting_everything_away_leaves_an_empty_index(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 5)
    index = PdqIndex(background=False)
    index.add(list(range(5)), [to_hex(h) for h in hashes])
    index.compact()
    index.remove(range(5))
    index.compact()
    assert len(index) == 0 and index.query(to_hex(hashes[0])) == []


def test_query_many_equals_query(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 300)
    index = PdqIndex(background=False)
    index.add(list(range(200)), [to_hex(h) for h in hashes[:200]])
    index.compact()
    index.add(list(range(200, 300)), [to_hex(h) for h in hashes[200:]])
    index.remove([0, 250])
    queries = [to_hex(flip(h, list(range(i % 40)))) for i, h in enumerate(hashes[::7])]
    for radius in (0, 10, 31, 40):
        assert index.query_many(queries, radius) == [index.query(q, radius) for q in queries]
        for q in queries[:10]:  # one hash, as hex or as bytes, takes the single-query path
            raw = np.frombuffer(bytes.fromhex(q), dtype=np.uint8).reshape(1, 32)
            assert index.query_many([q], radius) == index.query_many(raw, radius)
            assert index.query_many([q], radius) == index.query_many([q, q], radius)[:1]


def test_query_many_over_a_delta_in_several_steps(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 400)  # all in the delta: 163 queries a step, 4 steps
    index = PdqIndex(background=False, compact_threshold=10_000)
    index.add(list(range(400)), [to_hex(h) for h in hashes])
    queries = [to_hex(flip(h, list(range(i % 40)))) for i, h in enumerate(np.tile(hashes, (2, 1)))]
    assert len(queries) // (2**16 // 400) >= 4
    expected = [index.query(q, 31) for q in queries]
    assert index.query_many(queries, 31) == expected
    assert sum(bool(hits) for hits in expected) > 500


def test_large_radius_scans_everything(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 64)
    index = PdqIndex.from_arrays(np.arange(64), hashes)
    pairs = {i: [h] for i, h in enumerate(hashes)}
    for radius in (100, 128, 256):
        assert index.query(to_hex(hashes[0]), radius) == brute_force(pairs, hashes[0], radius)
    assert len(index.query(to_hex(hashes[0]), 256)) == 64


@pytest.mark.parametrize(
    ("small", "split"), [(1 << 19, 1 << 22), (0, 1 << 22), (0, 0)], ids=["16x16", "12x21", "split"]
)
def test_every_table_layout_is_exact(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch, small: int, split: int
) -> None:
    """The wide-chunk layout and the 3-byte row planes normally need 0.5M and 4M rows."""
    monkeypatch.setattr(_mih, "_SMALL", small)
    monkeypatch.setattr(_mih, "_SPLIT_FROM", split)
    hashes = random_hashes(rng, 2000)
    index = PdqIndex.from_arrays(np.arange(2000) * 1000, hashes)
    pairs = {i * 1000: [h] for i, h in enumerate(hashes)}
    queries = [flip(hashes[i], list(rng.choice(256, i % 34, replace=False))) for i in range(60)]
    for radius in (0, 5, 31, 33):
        got = index.query_many([to_hex(q) for q in queries], radius)
        assert got == [brute_force(pairs, q, radius) for q in queries]


@pytest.mark.parametrize(
    "bad",
    ["", "0" * 63, "0" * 65, "g" * 64, "0" * 62 + " 0", "é" * 64, "0x" + "0" * 62],
)
def test_malformed_hex_is_an_invalid_signal(bad: str) -> None:
    index = PdqIndex()
    with pytest.raises(InvalidSignalError):
        index.query(bad)
    with pytest.raises(InvalidSignalError):
        index.add([1], [bad])
    with pytest.raises(InvalidSignalError):
        index.query_many(["0" * 64, bad])
    assert len(index) == 0


def test_wrong_types_are_refused() -> None:
    index = PdqIndex()
    with pytest.raises(InvalidSignalError):
        index.query(123)  # type: ignore[arg-type]
    with pytest.raises(InvalidSignalError):
        index.add([1], np.zeros((1, 31), dtype=np.uint8))
    with pytest.raises(InputError):
        index.add([1, 2], ["0" * 64])
    with pytest.raises(InputError):
        index.add([1.5], ["0" * 64])  # type: ignore[list-item]
    with pytest.raises(InputError):
        index.add([2**64], ["0" * 64])
    with pytest.raises(InputError):
        index.remove("12")  # type: ignore[arg-type]
    for radius in (-1, 257, True, 3.0):
        with pytest.raises(InputError):
            index.query("0" * 64, radius)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        PdqIndex(compact_threshold=0)


def test_removing_ids_outside_the_stored_range_is_harmless(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 40)
    index = PdqIndex.from_arrays(np.arange(40, dtype=np.uint32), hashes)  # 4-byte ids
    index.remove([-1, 2**40, 2**63 - 1])
    index.remove([*range(-30, 0), 3])  # the many-ids path
    assert len(index) == 39 and index.stats.tombstoned_ids == 1
    assert index.query(to_hex(hashes[4]), radius=0) == [(4, 0)]


def test_negative_and_large_ids_round_trip(rng: np.random.Generator) -> None:
    hashes = random_hashes(rng, 3)
    ids = [-5, 2**40, 2**63 - 1]
    index = PdqIndex.from_arrays(np.array(ids), hashes)
    for i, h in zip(ids, hashes, strict=True):
        assert index.query(to_hex(h), radius=0) == [(i, 0)]
    assert DEFAULT_RADIUS == 31
