"""The unit of work's deferred writes: queued during the transaction, written once per key
when the events are taken, forgotten on rollback, never dropped by a bare commit."""

from __future__ import annotations

from typing import Any

import pytest

from amparo.runtime import Amparo
from amparo.store import UnitOfWork


def test_deferred_items_are_written_once_per_key_before_the_events_are_taken(
    amparo: Amparo,
) -> None:
    written: list[tuple[str, list[Any]]] = []

    def write(key: str) -> Any:
        return lambda uow, items: written.append((key, items))

    uow = amparo.sessions()
    try:
        for n in range(3):
            uow.defer("a", write("a"), n)
        uow.defer("b", write("b"), "x")
        assert written == []
        uow.take_events()
        assert written == [("a", [0, 1, 2]), ("b", ["x"])]
        uow.commit()  # nothing left to write
    finally:
        uow.close()


def test_a_commit_with_writes_still_deferred_is_refused(amparo: Amparo) -> None:
    uow: UnitOfWork = amparo.sessions()
    try:
        uow.defer("a", lambda uow, items: None, 1)
        with pytest.raises(RuntimeError, match="deferred writes"):
            uow.commit()
        uow.rollback()  # forgets them: the next transaction starts clean
        uow.commit()
    finally:
        uow.close()
