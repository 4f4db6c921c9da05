"""Save and load round trips, and refusal of files that are not saved indexes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _pdq_helpers import random_hashes, to_hex

from amparo.errors import InputError
from amparo.matching import PdqIndex


def test_round_trip_keeps_live_pairs(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    hashes = random_hashes(rng, 100)
    index = PdqIndex(background=False)
    index.add(list(range(60)), [to_hex(h) for h in hashes[:60]])
    index.compact()
    index.add(list(range(60, 100)), [to_hex(h) for h in hashes[60:]])
    index.remove([1, 70])
    path = tmp_path / "pdq.npz"
    index.save(path)
    loaded = PdqIndex.load(path)
    assert len(loaded) == len(index) == 98
    queries = [to_hex(h) for h in hashes]
    assert loaded.query_many(queries) == index.query_many(queries)
    assert not list(tmp_path.glob("*.tmp"))


def test_empty_index_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    PdqIndex().save(path)
    assert len(PdqIndex.load(path)) == 0


def test_refuses_other_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an index")
    with pytest.raises(InputError):
        PdqIndex.load(junk)
    with pytest.raises(InputError):
        PdqIndex.load(tmp_path / "missing.npz")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, format=np.array([1]), ids=np.arange(2), hashes=np.zeros((3, 32), np.uint8))
    with pytest.raises(InputError):
        PdqIndex.load(wrong)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, format=np.array([1]), ids=np.array([object()]), hashes=np.zeros((1, 32)))
    with pytest.raises(InputError):
        PdqIndex.load(pickled)
    future = tmp_path / "future.npz"
    np.savez(future, format=np.array([2]), ids=np.arange(1), hashes=np.zeros((1, 32), np.uint8))
    with pytest.raises(InputError):
        PdqIndex.load(future)
