"""A batch search spread over threads finds exactly what a scan of every row finds."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.matching import _mih


class _Counting(ThreadPoolExecutor):
    submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


_POOL = _Counting(3)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_queries=st.integers(1, 40),
    radius=st.sampled_from([0, 8, 31, 40]),
    threads=st.integers(1, 4),
)
def test_threaded_batches_find_what_a_scan_finds(
    seed: int, n_queries: int, radius: int, threads: int
) -> None:
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**64, size=(3000, 4), dtype=np.uint64)
    queries = rng.integers(0, 2**64, size=(n_queries, 4), dtype=np.uint64)
    for i in range(n_queries):  # a planted neighbour of every other query
        if i % 2:
            row = int(rng.integers(0, len(words)))
            bits = rng.choice(256, int(rng.integers(0, radius + 2)), replace=False)
            flipped = words[row].copy()
            for b in bits:
                flipped[b // 64] ^= np.uint64(1) << np.uint64(b % 64)
            queries[i] = flipped
    base = _mih.MihBase(np.arange(len(words), dtype=np.uint32), words)
    before = _POOL.submitted
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_mih, "_BATCH_CANDIDATES", 1)  # one query per batch
        mp.setattr(_mih, "_THREADS", threads)
        mp.setattr(_mih, "_helpers", lambda: _POOL)
        hits = base.search_many(queries, radius)
    expected = base.scan(queries, radius)

    def triples(h: _mih.SearchHits) -> set[tuple[int, int, int]]:
        return set(zip(h.query.tolist(), h.row.tolist(), h.dist.tolist(), strict=True))

    assert triples(hits) == triples(expected)
    assert len(hits.row) == len(expected.row)  # each (query, row) once
    helpers = min(threads, n_queries // _mih._MIN_BATCHES_PER_THREAD) - 1
    assert _POOL.submitted - before == max(0, helpers)


def test_a_search_while_another_spreads_runs_in_its_own_thread() -> None:
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2**64, size=(3000, 4), dtype=np.uint64)
    base = _mih.MihBase(np.arange(len(words), dtype=np.uint32), words)
    before = _POOL.submitted
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_mih, "_BATCH_CANDIDATES", 1)
        mp.setattr(_mih, "_THREADS", 4)
        mp.setattr(_mih, "_helpers", lambda: _POOL)
        with _mih._searching:  # another search holds the helpers
            hits = base.search_many(words[:20], 0)
        assert _POOL.submitted == before
        assert sorted(hits.row.tolist()) == list(range(20))
        base.search_many(words[:20], 0)  # free again: spread
        assert _POOL.submitted == before + 3


def _search_in_child(base: _mih.MihBase, words: np.ndarray) -> None:
    hits = base.search_many(words, 0)
    raise SystemExit(0 if sorted(hits.row.tolist()) == list(range(len(words))) else 1)


def test_a_forked_child_searches_with_threads_of_its_own() -> None:
    rng = np.random.default_rng(8)
    words = rng.integers(0, 2**64, size=(3000, 4), dtype=np.uint64)
    base = _mih.MihBase(np.arange(len(words), dtype=np.uint32), words)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_mih, "_BATCH_CANDIDATES", 1)
        mp.setattr(_mih, "_THREADS", 2)
        _mih._helpers.cache_clear()
        base.search_many(words[:20], 0)  # the parent's pool now has its thread
        child = multiprocessing.get_context("fork").Process(
            target=_search_in_child, args=(base, words[:20])
        )
        child.start()
        child.join(30)
        if child.exitcode is None:  # stuck on the parent's pool
            child.kill()
        _mih._helpers.cache_clear()
    assert child.exitcode == 0
