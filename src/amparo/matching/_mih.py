"""The immutable base of the PDQ index: multi-index hashing tables in plain numpy.

Why hand-written: faiss's ``IndexBinaryMultiHash`` (what threatexchange's ``PDQIndex`` and so
HMA use) keeps one ``unordered_map`` of ``vector`` per chunk and de-duplicates candidates in
an ``unordered_set``: it is slow for range search, and the wrapper peaked at 9 GB for 10M
hashes in ``bench/bench_matching.py`` (Amparo: under 0.9 GB, 10x the lookups/s). No
well-kept library does *exact* Hamming range search at this size in bounded memory, so this
module does it with a few flat arrays:

* ``words``: the hashes, ``(n, 4)`` little-endian ``uint64`` (32 bytes each), for verifying;
* ``ids``: the caller's id of each row (``uint32`` when every id fits, else ``int64``);
* one bucket table per chunk, in CSR form: ``starts`` (where each chunk value's rows begin,
  all chunks in one array) and ``entries`` (row numbers grouped by chunk value), stored in
  4 bytes per entry (3 from 4M to 16M rows).

A lookup computes every probe key at once (see ``_probes``), gathers the bucket ranges with a
repeat/cumsum trick, verifies candidates with ``np.bitwise_count`` and keeps those within the
radius. Nothing here is ever mutated after ``__init__``, so any number of threads may search a
base while another builds the next one. Don't add mutating methods: the index's thread safety
depends on it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.matching._probes import ProbePlan, make_plan

__all__ = ["MihBase", "SearchHits", "distances", "scan_pairs"]

I64 = npt.NDArray[np.int64]
Words = npt.NDArray[np.uint64]

_BLOCK = 1 << 18  # rows per step when building, to bound temporary memory
_SPLIT_FROM = 1 << 22  # rows from which row numbers take 3 bytes (2 + 1 byte planes)
_SMALL = 1 << 19  # below this many rows, 16-bit chunks (4 MB of starts) beat wider ones
_BATCH_CANDIDATES = 1 << 16  # candidates verified per step in search_many
_PAIRS = 1 << 16  # (query, row) pairs compared per step of a brute-force scan
# Threads one search_many spreads its batches over (the caller's among them). numpy lets go
# of the GIL in the gathers and bit counts that are most of a batch: measured at 1M rows on
# two cores, 1,000 queries took 69 ms in one thread and 42-46 ms in two.
_THREADS = min(4, os.cpu_count() or 1)
_MIN_BATCHES_PER_THREAD = 2


_searching = threading.Lock()  # held by the one search using the helpers


@functools.cache
def _helpers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(_THREADS - 1, thread_name_prefix="amparo-search")


def _after_fork() -> None:
    """A forked child has none of its parent's threads: a pool inherited from the parent
    would queue work that no thread runs, and a lock held there would stay held."""
    global _searching
    _searching = threading.Lock()
    _helpers.cache_clear()


os.register_at_fork(after_in_child=_after_fork)


def _layout(n: int) -> tuple[int, ...]:
    """Bits per chunk; chunk ``j`` covers the next ``widths[j]`` bits of the 256.

    Bits per chunk near log2(n) keep buckets small (Norouzi et al.), but the bucket starts
    grow as 2**bits, so the width is capped at 22 bits (134 MB of starts at 12 chunks).
    Measured on random hashes: 16x16 bits is fastest up to ~500k rows, 12 chunks of 21-22
    bits from there (13 to 15 chunks were never better), radius 31.
    """
    if n < _SMALL:
        return (16,) * 16
    return _split_bits(12)


def _split_bits(m: int) -> tuple[int, ...]:
    q, r = divmod(256, m)
    return (q + 1,) * r + (q,) * (m - r)


def _split_rows_below(low: npt.NDArray[Any], high: npt.NDArray[Any], n: int) -> bool:
    """Whether every row number ``low | high << 16`` is below ``n``, a block at a time."""
    top, rest = (n - 1) >> 16, (n - 1) & 0xFFFF
    for a in range(0, high.size, _BLOCK * 16):
        h = high[a : a + _BLOCK * 16]
        if int(h.max()) > top or int(low[a : a + _BLOCK * 16][h == top].max(initial=0)) > rest:
            return False
    return True


@dataclass(frozen=True, eq=False)
class SearchHits:
    """Rows within the radius: ``query[i]`` (index into the queries), ``row[i]``, ``dist[i]``.

    Each (query, row) pair appears once.
    """

    query: I64
    row: I64
    dist: I64


def distances(cand: Words, q: Words) -> npt.NDArray[np.uint32]:
    """Hamming distance of each row of ``cand`` (k, 4) to ``q`` (4,) or (k, 4)."""
    counts = np.bitwise_count(cand ^ q).view("<u4").reshape(-1)
    # Adds the four per-word counts (each <= 64, packed in one uint32) in two lane steps;
    # cheaper than a reduction over a length-4 axis.
    pairs = (counts & np.uint32(0x00FF00FF)) + ((counts >> np.uint32(8)) & np.uint32(0x00FF00FF))
    total: npt.NDArray[np.uint32] = (pairs & np.uint32(0xFFFF)) + (pairs >> np.uint32(16))
    return total


class MihBase:
    """An immutable multi-index hash table over ``n`` (id, PDQ words) rows."""

    def __init__(
        self,
        ids: npt.NDArray[np.integer[Any]],
        words: Words,
        tables: tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]] | None = None,
    ) -> None:
        """Build the tables, or take ``tables`` (:attr:`tables` of a base over the same
        ``ids`` and ``words``, as saved: a saved index loads without rebuilding; checked
        for shape and bounds, :class:`ValueError` if they cannot be this base's). Uses the
        arrays in place: don't mutate them after."""
        n = int(ids.shape[0])
        self.ids = ids
        self.words = words
        bits = list(_layout(n))
        first_bit = np.concatenate([[0], np.cumsum(bits)[:-1]])
        # A chunk may straddle two words: value = (w[a] >> s | w[a + 1] << (64 - s)) & mask.
        # A fifth, zero word stands in for "no second word", so one formula serves all chunks.
        self._cw = (first_bit // 64).astype(np.intp)
        self._cs = (first_bit % 64).astype(np.uint64)
        straddles = (first_bit % 64) + bits > 64
        self._cw2 = np.where(straddles, self._cw + 1, 4).astype(np.intp)
        self._cs2 = np.where(straddles, 64 - first_bit % 64, 0).astype(np.uint64)
        self._cm = np.array([(1 << b) - 1 for b in bits], dtype=np.uint64)
        self._cut = tuple((int(a), (1 << b) - 1) for a, b in zip(first_bit, bits, strict=True))
        bases = np.concatenate([[0], np.cumsum([1 << b for b in bits])]).astype(np.int64)
        self._bucket_base = tuple(int(x) for x in bases[:-1])
        self._chunk_bits = tuple(bits)
        m = len(bits)
        # Row numbers: 4 bytes each, except from 4M to 16M rows, where a 2-byte and a 1-byte
        # plane save a quarter of the biggest structure (the 1 GB budget at 10M rows).
        self._split = _SPLIT_FROM <= n < (1 << 24)
        starts_type = np.uint32 if m * n < 1 << 32 else np.uint64
        entries_type = np.uint16 if self._split else np.uint32
        if tables is None:
            self._starts = np.empty(int(bases[-1]) + 1, dtype=starts_type)
            self._starts[-1] = m * n
            self._entries = np.empty(m * n, dtype=entries_type)
            self._high = np.empty(m * n if self._split else 0, dtype=np.uint8)
            for j in range(m):
                self._build_chunk(j, n)
        else:
            self._starts, self._entries, self._high = tables
            self._check_tables(n, m, int(bases[-1]) + 1, starts_type, entries_type)
        for arr in (self._starts, self._entries, self._high):
            arr.setflags(write=False)
        self._plans: dict[int, ProbePlan | None] = {}
        self._plans_lock = threading.Lock()

    @property
    def tables(self) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
        """The bucket tables (starts, row numbers, their high bytes), for saving."""
        return self._starts, self._entries, self._high

    def _check_tables(
        self, n: int, m: int, n_starts: int, starts_type: type, entries_type: type
    ) -> None:
        """Loaded tables must have this base's shapes and types, and point at its rows only:
        a damaged file fails here, not as a wrong answer or an IndexError in a lookup."""
        starts, entries, high = self._starts, self._entries, self._high
        shapes_ok = (
            self.words.shape == (n, 4)
            and starts.shape == (n_starts,)
            and starts.dtype == starts_type
            and entries.shape == (m * n,)
            and entries.dtype == entries_type
            and high.shape == ((m * n,) if self._split else (0,))
            and high.dtype == np.uint8
        )
        if not shapes_ok:
            raise ValueError("the index tables do not fit its rows")
        if n and (
            int(starts[0]) != 0
            or int(starts[-1]) != m * n
            or bool(np.less(starts[1:], starts[:-1]).any())
            or (not self._split and int(entries.max()) >= n)
            or (self._split and not _split_rows_below(entries, high, n))
        ):
            raise ValueError("the index tables point outside its rows")

    def _build_chunk(self, j: int, n: int) -> None:
        """Counting sort of the rows by chunk ``j``'s value, one block of rows at a time.

        Bounded temporaries (a count per bucket plus one block) keep the peak memory of a
        build close to the memory of the finished tables.
        """
        bits = self._chunk_bits[j]
        counts = np.zeros(1 << bits, dtype=np.int64)
        for a in range(0, n, _BLOCK):
            key = self._chunk_values(self.words[a : a + _BLOCK], j)
            counts += np.bincount(key, minlength=1 << bits)
        cursor = np.empty_like(counts)  # where each bucket's next row goes
        cursor[0] = j * n
        np.cumsum(counts[:-1], out=cursor[1:])
        cursor[1:] += j * n
        del counts
        base = self._bucket_base[j]
        self._starts[base : base + (1 << bits)] = cursor
        for a in range(0, n, _BLOCK):
            key = self._chunk_values(self.words[a : a + _BLOCK], j)
            order = np.argsort(key)
            sorted_keys = key[order]
            first = np.empty(key.size, dtype=bool)
            first[:1] = True
            np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
            run_start = np.flatnonzero(first)
            run_len = np.diff(np.append(run_start, key.size))
            rank = np.arange(key.size) - np.repeat(run_start, run_len)
            dest = cursor[sorted_keys] + rank
            rows = order + a
            if self._split:
                self._entries[dest] = rows & 0xFFFF
                self._high[dest] = rows >> 16
            else:
                self._entries[dest] = rows
            cursor[sorted_keys[run_start]] += run_len

    def _chunk_values(self, block: Words, j: int) -> I64:
        value = block[:, self._cw[j]] >> self._cs[j]
        if self._cw2[j] < 4:
            value |= block[:, self._cw2[j]] << self._cs2[j]
        chunk: I64 = (value & self._cm[j]).view(np.int64)
        return chunk

    def _query_chunks(self, qs: Words) -> I64:
        """Chunk values of queries ``(k, 4)`` -> ``(k, m)``."""
        q5 = np.zeros((qs.shape[0], 5), dtype=np.uint64)
        q5[:, :4] = qs
        value = (q5[:, self._cw] >> self._cs) | (q5[:, self._cw2] << self._cs2)
        return (value & self._cm).view(np.int64)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes held by this base's arrays."""
        parts = (self.ids, self.words, self._starts, self._entries, self._high)
        return sum(int(a.nbytes) for a in parts)

    def _plan(self, radius: int) -> ProbePlan | None:
        try:
            return self._plans[radius]
        except KeyError:
            plan = make_plan(self._chunk_bits, self._bucket_base, len(self), radius)
            with self._plans_lock:
                self._plans[radius] = plan
            return plan

    def _rows(self, idx: I64) -> I64:
        rows = np.take(self._entries, idx).astype(np.int64)
        if self._split:
            rows |= np.take(self._high, idx).astype(np.int64) << 16
        return rows

    def search(self, q: Words, radius: int) -> tuple[I64, I64]:
        """Rows within ``radius`` of one query ``(4,)``: (rows, distances), rows unique."""
        plan = self._plan(radius)
        if plan is None:
            hits = self.scan(q.reshape(1, 4), radius)
            return hits.row, hits.dist
        # One query: Python's big ints cut the chunks faster than a dozen tiny numpy calls.
        value = int.from_bytes(q.astype("<u8").tobytes(), "little")
        qc = np.array([(value >> at) & mask for at, mask in self._cut], dtype=np.int64)
        keys = plan.base + (qc[plan.chunk] ^ plan.mask)
        s = np.take(self._starts, keys).astype(np.int64)
        lens = np.take(self._starts, keys + 1) - s
        ends = np.cumsum(lens)
        total = int(ends[-1])
        if total == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        idx = np.arange(total, dtype=np.int64) + np.repeat(s - (ends - lens), lens)
        rows = self._rows(idx)
        all_dist = distances(np.take(self.words, rows, axis=0), q)
        ok = all_dist <= radius
        rows = rows[ok]
        dist = all_dist[ok].astype(np.int64)
        if rows.size > 1:
            rows, first = np.unique(rows, return_index=True)
            dist = dist[first]
        return rows, dist

    def search_many(self, qs: Words, radius: int) -> SearchHits:
        """Rows within ``radius`` of each query of ``qs`` ``(k, 4)``, in batches."""
        plan = self._plan(radius)
        if plan is None:
            return self.scan(qs, radius)
        per_query = max(1.0, plan.expected_candidates + plan.chunk.size)
        step = max(1, int(_BATCH_CANDIDATES // per_query))
        starts = range(0, len(qs), step)

        def run(share: range) -> list[SearchHits]:
            return [self._search_batch(qs[a : a + step], a, plan, radius) for a in share]

        threads = min(_THREADS, len(starts) // _MIN_BATCHES_PER_THREAD)
        if threads <= 1 or not _searching.acquire(blocking=False):
            return _concat(run(starts))  # another search has the helpers: no oversubscribing
        try:
            return _spread(run, starts, threads)
        finally:
            _searching.release()

    def _search_batch(self, qs: Words, first: int, plan: ProbePlan, radius: int) -> SearchHits:
        k = len(qs)
        qc = self._query_chunks(qs)
        keys = (plan.base + (qc[:, plan.chunk] ^ plan.mask)).reshape(-1)
        # np.take, not indexing: ~25% cheaper for these random reads of the bucket starts.
        s = np.take(self._starts, keys).astype(np.int64)
        lens = np.take(self._starts, keys + 1) - s
        ends = np.cumsum(lens)
        total = int(ends[-1]) if ends.size else 0
        idx = np.arange(total, dtype=np.int64) + np.repeat(s - (ends - lens), lens)
        # Each query's candidates are contiguous: repeat over the k queries, not the probes.
        qidx = np.repeat(np.arange(k, dtype=np.int64), lens.reshape(k, -1).sum(axis=1))
        rows = self._rows(idx)
        dist = distances(np.take(self.words, rows, axis=0), np.take(qs, qidx, axis=0))
        ok = dist <= radius
        return _unique_hits(qidx[ok] + first, rows[ok], dist[ok].astype(np.int64), len(self))

    def scan(self, qs: Words, radius: int) -> SearchHits:
        """Exhaustive search: every row against every query (large radii, tests)."""
        return scan_pairs(self.words, qs, radius)


def scan_pairs(words: Words, qs: Words, radius: int) -> SearchHits:
    """Every (query, row) of ``qs`` x ``words`` within ``radius``, by brute force: a block of
    rows against a block of queries, ~64k pairs a step (one numpy pass each, not one per
    query: a delta of 1,000 rows costs a batch of 1,000 queries 1M comparisons)."""
    n = len(words)
    rows = min(max(1, n), _PAIRS)
    step = max(1, _PAIRS // rows)
    parts: list[SearchHits] = []
    for r in range(0, n, rows):
        block = words[r : r + rows, None, :]
        for a in range(0, len(qs), step):
            dist = distances(block, qs[None, a : a + step, :])  # (row, query) pairs
            hit = np.flatnonzero(dist <= radius)
            if hit.size:
                width = min(step, len(qs) - a)
                parts.append(
                    SearchHits(hit % width + a, hit // width + r, dist[hit].astype(np.int64))
                )
    return _concat(parts)


def _spread(run: Callable[[range], list[SearchHits]], starts: range, threads: int) -> SearchHits:
    """``run`` over ``starts`` split in ``threads`` shares, one in the calling thread."""
    shares = [starts[i::threads] for i in range(threads)]
    helped = [_helpers().submit(run, share) for share in shares[1:]]
    parts = run(shares[0])
    for done in helped:
        parts += done.result()
    return _concat(parts)


def _concat(parts: list[SearchHits]) -> SearchHits:
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return SearchHits(empty, empty, empty)
    if len(parts) == 1:
        return parts[0]
    return SearchHits(
        np.concatenate([p.query for p in parts]),
        np.concatenate([p.row for p in parts]),
        np.concatenate([p.dist for p in parts]),
    )


def _unique_hits(query: I64, row: I64, dist: I64, n: int) -> SearchHits:
    if row.size <= 1:
        return SearchHits(query, row, dist)
    _, first = np.unique(query * n + row, return_index=True)
    return SearchHits(query[first], row[first], dist[first])
