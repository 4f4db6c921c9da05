"""Queries running during adds, removes and compactions see a whole state, never an error."""

from __future__ import annotations

import threading

import numpy as np
from _pdq_helpers import distance, flip, random_hashes, to_hex

from amparo.matching import PdqIndex


def test_queries_during_writes_and_compaction() -> None:
    rng = np.random.default_rng(7)
    stable = random_hashes(rng, 200)  # ids 0..199, never removed
    churn = random_hashes(rng, 600)  # ids 1000.., added and removed while queries run
    index = PdqIndex(compact_threshold=64)
    index.add(list(range(200)), [to_hex(h) for h in stable])
    known = {i: stable[i] for i in range(200)} | {1000 + i: h for i, h in enumerate(churn)}
    probes = [(i, flip(stable[i], [3, 77, 200])) for i in range(0, 200, 10)]
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        try:
            while not done.is_set():
                for i, q in probes:
                    result = index.query(to_hex(q))
                    assert (i, 3) in result, result
                    for found, d in result:  # every answer is a real row at its true distance
                        assert distance(known[found], q) == d
                batch = index.query_many([to_hex(q) for _, q in probes])
                assert all((i, 3) in r for (i, _), r in zip(probes, batch, strict=True))
        except BaseException as exc:
            errors.append(exc)

    def writer() -> None:
        try:
            for start in range(0, 600, 40):
                ids = list(range(1000 + start, 1040 + start))
                index.add(ids, [to_hex(h) for h in churn[start : start + 40]])
                index.remove(ids[::3])
                if start % 200 == 0:
                    index.compact()
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    w = threading.Thread(target=writer)
    w.start()
    w.join(timeout=120)
    done.set()
    for t in readers:
        t.join(timeout=60)
    assert index.wait_for_compaction(timeout=60)
    assert not errors, errors
    removed = {1000 + s + k for s in range(0, 600, 40) for k in range(0, 40, 3)}
    assert len(index) == 200 + 600 - len(removed)
    for i, h in enumerate(churn):
        expected = [] if 1000 + i in removed else [(1000 + i, 0)]
        assert index.query(to_hex(h), radius=0) == expected
