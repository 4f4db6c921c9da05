"""ExactIndex: value -> ids for MD5, SHA-256 and other exact-match signals."""

from __future__ import annotations

import pytest

from amparo.errors import InputError, InvalidSignalError
from amparo.matching import ExactIndex

MD5_EMPTY = "d41d8cd98f00b204e9800998ecf8427e"


def test_add_query_remove() -> None:
    index = ExactIndex(hex_length=32)
    index.add([3, 1, 2], [MD5_EMPTY, MD5_EMPTY, "0" * 32])
    index.add([3], [MD5_EMPTY])  # a repeated pair is stored once
    assert index.query(MD5_EMPTY.upper()) == [1, 3]
    assert index.query_many(["0" * 32, "1" * 32]) == [[2], []]
    assert len(index) == 3
    index.remove([3, 99])
    assert index.query(MD5_EMPTY) == [1]
    index.remove([1])
    assert index.query(MD5_EMPTY) == []
    assert len(index) == 1


def test_one_id_with_several_values() -> None:
    index = ExactIndex()
    index.add([7, 7], ["a", "b"])
    assert index.query("a") == [7] and index.query("b") == [7]
    index.remove([7])
    assert len(index) == 0 and index.query("a") == []


@pytest.mark.parametrize("bad", ["", "z" * 32, "0" * 31, "0" * 64])
def test_malformed_digest(bad: str) -> None:
    index = ExactIndex(hex_length=32)
    with pytest.raises(InvalidSignalError):
        index.query(bad)
    with pytest.raises(InvalidSignalError):
        index.add([1, 2], [MD5_EMPTY, bad])
    assert len(index) == 0


def test_bad_arguments() -> None:
    with pytest.raises(InputError):
        ExactIndex(hex_length=31)
    index = ExactIndex()
    with pytest.raises(InputError):
        index.add([1, 2], ["a"])
    with pytest.raises(InvalidSignalError):
        index.add([1], "a")
    with pytest.raises(InvalidSignalError):
        index.query(5)  # type: ignore[arg-type]
