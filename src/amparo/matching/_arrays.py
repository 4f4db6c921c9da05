"""Small array helpers shared by the indexes: id validation, membership, result ordering."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.errors import InputError

__all__ = ["as_ids", "compact_ids", "is_member", "is_member_of_few", "ordered_matches"]

I64 = npt.NDArray[np.int64]
AnyInts = npt.NDArray[np.integer[Any]]


def as_ids(ids: Iterable[int] | npt.NDArray[np.integer[Any]]) -> I64:
    """Ids as a 1-D int64 array; refuses floats, strings and out-of-range numbers."""
    if isinstance(ids, np.ndarray):
        arr = ids
    else:
        items = ids if isinstance(ids, Sequence) else list(ids)
        if isinstance(items, str | bytes):
            raise InputError("ids must be integers, got a string", hint="pass a list of int ids")
        try:
            arr = np.asarray(items) if len(items) else np.empty(0, dtype=np.int64)
        except (OverflowError, ValueError, TypeError):
            arr = np.asarray(items, dtype=object)
    if arr.ndim != 1:
        raise InputError(f"ids must be a flat list, got shape {arr.shape}", hint="pass 1-D ids")
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise InputError("ids must fit in a signed 64-bit integer", hint="use database ids")
    if arr.dtype.kind not in "iu":
        raise InputError(
            f"ids must be integers, got {arr.dtype}",
            hint="pass database ids as int (no floats, strings or numbers beyond 64 bits)",
        )
    return arr.astype(np.int64, copy=False)


def compact_ids(ids: AnyInts) -> AnyInts:
    """Ids in 4 bytes when they all fit (database ids usually do), else int64 unchanged."""
    if ids.dtype == np.uint32 or not ids.size:
        return ids
    if int(ids.min()) >= 0 and int(ids.max()) < (1 << 32):
        return ids.astype(np.uint32)
    return ids.astype(np.int64, copy=False)


def is_member(values: AnyInts, sorted_set: I64) -> npt.NDArray[np.bool_]:
    """``values[i] in sorted_set`` for each i; ``sorted_set`` sorted and unique."""
    if not sorted_set.size:
        return np.zeros(values.shape, dtype=bool)
    at = np.searchsorted(sorted_set, values)
    np.minimum(at, sorted_set.size - 1, out=at)
    return np.asarray(sorted_set[at] == values)


def is_member_of_few(values: AnyInts, targets: I64) -> npt.NDArray[np.bool_]:
    """:func:`is_member` tuned for a long ``values`` and a handful of ``targets``.

    One vectorised comparison per target beats a binary search per value up to a few dozen
    targets (a removal usually names one id).
    """
    if targets.size > 16:
        return is_member(values, targets)
    found = np.zeros(values.shape, dtype=bool)
    for t in targets.tolist():
        found |= values == t
    return found


def ordered_matches(ids: AnyInts, dist: I64) -> list[tuple[int, int]]:
    """(id, distance) pairs, one per id at its smallest distance, by distance then id."""
    if ids.size == 0:
        return []
    if ids.size == 1:
        return [(int(ids[0]), int(dist[0]))]
    by_id = np.lexsort((dist, ids))
    ids, dist = ids[by_id], dist[by_id]
    first = np.empty(ids.size, dtype=bool)
    first[0] = True
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    ids, dist = ids[first], dist[first]
    order = np.lexsort((ids, dist))
    return list(zip(ids[order].tolist(), dist[order].tolist(), strict=True))
