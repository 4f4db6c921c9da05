"""How rounds place entries: consecutive leaf indexes in sequence order whatever gaps the
sequence left, and one server process at a time running rounds on SQLite."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_events import Note
from sqlalchemy import delete, insert, select

from amparo import ledger
from amparo.ledger import Ledger, _repo
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow, WriterLock, utcnow

ids_with_gaps = st.lists(st.integers(1, 5_000), min_size=1, max_size=60, unique=True).map(sorted)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ids=ids_with_gaps, first=st.integers(1, 10**6), placed=st.integers(5_001, 5_100))
def test_placing_gives_consecutive_indexes_in_id_order(
    amparo: Amparo, ids: list[int], first: int, placed: int
) -> None:
    row = {"kind": "test.note", "record": b"{}", "salt": b"s" * 32, "commitment": b"c" * 32}
    with amparo.sessions() as s, s.begin():
        s.execute(delete(LedgerEntryRow))
        now = utcnow()
        s.execute(insert(LedgerEntryRow), [{**row, "id": i, "created_at": now} for i in ids])
        s.execute(
            insert(LedgerEntryRow),
            [{**row, "id": placed, "created_at": now, "leaf_index": first - 1}],
        )
        _repo.place_entries(s, ids, first)
    with amparo.sessions() as s:
        got = {i: li for i, li in s.execute(select(LedgerEntryRow.id, LedgerEntryRow.leaf_index))}
        s.execute(delete(LedgerEntryRow))
        s.commit()
    assert [got[i] for i in ids] == list(range(first, first + len(ids)))
    assert got[placed] == first - 1  # an entry placed before keeps its index


def test_a_round_is_skipped_while_another_process_runs_one(
    amparo: Amparo, add_entries: Callable[[int], list[int]]
) -> None:
    if amparo.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's integrators take turns on the ledger state's row lock")
    log = amparo.ledger
    ids = add_entries(3)
    other = WriterLock(amparo.engine)  # another worker process's
    try:
        with other.rounds() as theirs:
            assert theirs
            log.round()  # that process places these entries: nothing to do here
            with amparo.sessions() as s:
                assert _repo.pending_entries(s, 10) != []
        log.round()
        assert ledger.check_proof(log.prove(ids[-1]), log.verifier).entry_id == ids[-1]
    finally:
        other.close()


def test_the_rounds_lock_is_one_holder_at_a_time(amparo: Amparo) -> None:
    first, second = WriterLock(amparo.engine), WriterLock(amparo.engine)
    sqlite = amparo.engine.dialect.name == "sqlite"
    try:
        with first.rounds() as mine:
            assert mine
            with second.rounds() as theirs, first.rounds() as again:
                # Another process, or another thread here: both told no (a no-op without
                # a file to lock: PostgreSQL says yes to all).
                assert (theirs, again) == ((False, False) if sqlite else (True, True))
        with second.rounds() as theirs:
            assert theirs
    finally:
        first.close()
        second.close()


def test_the_runtime_s_ledger_rounds_under_its_lock(amparo: Amparo) -> None:
    log: Ledger = amparo.ledger
    with amparo.writer_lock.rounds() as held:
        assert held
        with amparo.session() as s:
            ledger.append(s, [Note(n=1)])
        log.round()  # the same runtime's other thread holds the rounds: skipped on SQLite
        with amparo.sessions() as s:
            left = _repo.pending_entries(s, 10)
    assert (left != []) == (amparo.engine.dialect.name == "sqlite")
