"""Exact-match index for MD5, SHA-256 and any other signal compared by equality."""

from __future__ import annotations

import string
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from amparo.errors import InputError, InvalidSignalError
from amparo.matching._arrays import as_ids

__all__ = ["ExactIndex"]

_HEX = frozenset(string.hexdigits)


class ExactIndex:
    """Value -> ids, for signals that match only when equal. Thread-safe.

    With ``hex_length`` (32 for MD5, 64 for SHA-256) values must be hex digests of that
    length, in either case; they are stored as bytes, so ``"ABC..."`` and ``"abc..."`` are the
    same value. Without it, values are compared as given (non-empty strings).
    An id may hold several values; ``remove(id)`` removes all of them.
    Memory is that of two Python dicts (~250 bytes per pair): fine for millions of pairs.
    """

    def __init__(self, *, hex_length: int | None = None) -> None:
        if hex_length is not None and (hex_length <= 0 or hex_length % 2):
            raise InputError(f"hex_length must be even and > 0, got {hex_length}", hint="e.g. 64")
        self._hex_length = hex_length
        self._ids_by_value: dict[str | bytes, set[int]] = {}
        self._values_by_id: dict[int, set[str | bytes]] = {}
        self._pairs = 0
        self._lock = threading.Lock()

    def _key(self, value: str) -> str | bytes:
        if not isinstance(value, str) or not value:
            raise InvalidSignalError(
                f"expected a non-empty string, got {value!r}", hint="pass the hash as text"
            )
        if self._hex_length is None:
            return value
        if len(value) != self._hex_length or not _HEX.issuperset(value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise InvalidSignalError(
                f"malformed hash {shown!r}: expected {self._hex_length} hex characters",
                hint=f"send the digest as {self._hex_length} hexadecimal characters",
            )
        return bytes.fromhex(value)

    def add(self, ids: Sequence[int] | npt.NDArray[np.integer[Any]], values: Sequence[str]) -> None:
        """Add (id, value) pairs. All values are checked before anything is added."""
        id_list = as_ids(ids).tolist()
        if isinstance(values, str):
            raise InvalidSignalError("expected a list of values, got one string", hint="wrap it")
        keys = [self._key(v) for v in values]
        if len(keys) != len(id_list):
            raise InputError(f"{len(id_list)} ids but {len(keys)} values", hint="pair them")
        with self._lock:
            for i, key in zip(id_list, keys, strict=True):
                owners = self._ids_by_value.setdefault(key, set())
                if i not in owners:
                    owners.add(i)
                    self._values_by_id.setdefault(i, set()).add(key)
                    self._pairs += 1

    def remove(self, ids: Iterable[int] | npt.NDArray[np.integer[Any]]) -> None:
        """Remove every pair of these ids; unknown ids are ignored."""
        id_list = as_ids(ids).tolist()
        with self._lock:
            for i in id_list:
                for key in self._values_by_id.pop(i, ()):
                    owners = self._ids_by_value[key]
                    owners.discard(i)
                    self._pairs -= 1
                    if not owners:
                        del self._ids_by_value[key]

    def query(self, value: str) -> list[int]:
        """Ids holding exactly this value, ascending; ``[]`` when none."""
        key = self._key(value)
        with self._lock:
            return sorted(self._ids_by_value.get(key, ()))

    def query_many(self, values: Sequence[str]) -> list[list[int]]:
        """:meth:`query` for each value."""
        keys = [self._key(v) for v in values]
        with self._lock:
            return [sorted(self._ids_by_value.get(k, ())) for k in keys]

    def __len__(self) -> int:
        """Number of (id, value) pairs."""
        return self._pairs
