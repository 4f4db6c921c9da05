"""Save and load round trips, and refusal of files that are not saved indexes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _pdq_helpers import random_hashes, to_hex

from amparo.errors import InputError
from amparo.matching import PdqIndex
from amparo.matching._mih import MihBase


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
    np.savez(future, format=np.array([3]), ids=np.arange(1), hashes=np.zeros((1, 32), np.uint8))
    with pytest.raises(InputError):
        PdqIndex.load(future)


def _saved(tmp_path: Path, n: int = 50) -> tuple[Path, list[str]]:
    rng = np.random.default_rng(5)
    hexes = [to_hex(h) for h in random_hashes(rng, n)]
    index = PdqIndex(background=False)
    index.add(list(range(n)), hexes)
    index.compact()
    path = tmp_path / "pdq.npz"
    index.save(path)
    return path, hexes


def test_load_reads_the_tables_instead_of_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, hexes = _saved(tmp_path)

    def no_rebuild(*_: object) -> None:
        raise AssertionError("a saved index must load without rebuilding its tables")

    monkeypatch.setattr(MihBase, "_build_chunk", no_rebuild)
    loaded = PdqIndex.load(path)
    assert [hits[0] for hits in loaded.query_many(hexes)] == [(i, 0) for i in range(len(hexes))]


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.update(entries=a["entries"] + np.uint32(1000)),  # rows past the end
        lambda a: a.update(starts=a["starts"][::-1].copy()),  # not ascending
        lambda a: a.update(starts=a["starts"][:-1]),  # wrong shape
        lambda a: a.update(entries=a["entries"].astype(np.int64)),  # wrong type
        lambda a: a.pop("high"),  # missing
        lambda a: a.update(tomb=a["tomb"].astype(np.float64)),
        lambda a: a.pop("dead_rows"),
        lambda a: a.update(dead_rows=np.array([-1])),
    ],
)
def test_refuses_damaged_tables(tmp_path: Path, damage: object) -> None:
    """A damaged snapshot is refused at load (the server then reads the database), never
    used to answer lookups."""
    path, _ = _saved(tmp_path)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    damage(arrays)  # type: ignore[operator]
    np.savez(path, **arrays)
    with pytest.raises(InputError):
        PdqIndex.load(path)


def test_split_row_check() -> None:
    """Row numbers of 4M-16M-row bases are stored as 2 + 1 bytes; the load check rebuilds
    each one and compares it with the row count."""
    from amparo.matching._mih import _split_rows_below

    n = (3 << 16) + 10
    low = np.array([0, 9, 0xFFFF], dtype=np.uint16)
    high = np.array([3, 3, 2], dtype=np.uint8)
    assert _split_rows_below(low, high, n)
    assert not _split_rows_below(np.array([10], np.uint16), np.array([3], np.uint8), n)
    assert not _split_rows_below(np.array([0], np.uint16), np.array([4], np.uint8), n)
