"""The in-memory catalog follows the database: what a lookup returns equals a brute-force
search over what the database holds, after any sequence of changes; gaps in the change feed
(PostgreSQL sequences) lose nothing."""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from amparo import banks
from amparo.banks import NewEntry
from amparo.matching import EntryInfo, Query
from amparo.runtime import Amparo
from amparo.runtime._follower import CatalogFollower
from amparo.signals import pdq_distance
from amparo.store import BankRow, ChangeRow, EntryRow, SignalRow, UnitOfWork, utcnow


def _flip(hex_value: str, bits: int, rng: random.Random) -> str:
    value = int(hex_value, 16)
    for b in rng.sample(range(256), bits):
        value ^= 1 << b
    return f"{value:064x}"


ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "delete", "disable", "enable", "threshold"]), st.integers(0, 2**32)
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops, seed=st.integers(0, 2**32))
def test_lookups_equal_brute_force_after_any_changes(
    amparo: Amparo, ops: list[tuple[str, int]], seed: int
) -> None:
    rng = random.Random(seed)
    with amparo.session() as s:
        for b in banks.list_banks(s):
            banks.delete_bank(s, b.name)
        banks.create_bank(s, "A")
        banks.create_bank(s, "B", pdq_threshold=10)
    base = f"{rng.getrandbits(256):064x}"
    for op, arg in ops:
        with amparo.session() as s:
            entries = banks.list_entries(s, "A") + banks.list_entries(s, "B")
            if op == "add" or not entries:
                bank = "A" if arg % 2 else "B"
                value = _flip(base, arg % 40, rng)
                banks.add_entry(s, bank, NewEntry(signals={"pdq": value}))
            elif op == "delete":
                e = entries[arg % len(entries)]
                banks.delete_entry(s, e.bank, e.id)
            elif op in ("disable", "enable"):
                e = entries[arg % len(entries)]
                banks.update_entry(s, e.bank, e.id, disable_until_ts=1 if op == "enable" else 0)
            else:
                banks.update_bank(s, "B", pdq_threshold=arg % 40)
        query = _flip(base, arg % 20, rng)
        (found,) = amparo.matcher.lookup([Query("pdq", query)])
        with amparo.session() as s:
            expected = set()
            for e in banks.list_entries(s, "A") + banks.list_entries(s, "B"):
                bank = banks.get_bank(s, e.bank)
                if e.enabled and pdq_distance(e.signals["pdq"], query) <= bank.pdq_threshold:
                    expected.add((e.id, pdq_distance(e.signals["pdq"], query)))
        assert {(m.entry_id, m.distance) for m in found} == expected


def _signal_without_change(s: UnitOfWork, value: str) -> int:
    """A signal row written without its change-feed row (the test writes that itself)."""
    bank = s.scalars(select(BankRow).where(BankRow.name == "GAPS")).first()
    if bank is None:
        bank = BankRow(name="GAPS", pdq_threshold=31, matching_enabled_ratio=1.0)
        s.add(bank)
        s.flush()
    entry = EntryRow(bank_id=bank.id, source="local", tags=[], disable_until_ts=1)
    s.add(entry)
    s.flush()
    signal = SignalRow(entry_id=entry.id, signal_type="pdq", value=value)
    s.add(signal)
    s.flush()
    return signal.id


def _change(s: UnitOfWork, seq: int, signal_id: int) -> None:
    s.execute(
        insert(ChangeRow),
        [{"seq": seq, "kind": "signal+", "object_id": signal_id, "created_at": utcnow()}],
    )


def test_follower_waits_for_a_gap_then_applies_it(amparo: Amparo) -> None:
    """A later change visible before an earlier one (PostgreSQL sequences): nothing is lost."""
    with amparo.session() as s:
        banks.create_bank(s, "GAPS")
    follower = CatalogFollower(amparo.sessions, gap_timeout=3600)
    follower.ensure_loaded()
    start = banks.newest_change(amparo.sessions())
    follower.sync()
    pdq = follower.matcher.indexes["pdq"]
    a, b = "a" * 64, "b" * 64
    with amparo.session() as s:
        sid_a = _signal_without_change(s, a)
        sid_b = _signal_without_change(s, b)
        _change(s, start + 2, sid_b)
    follower.sync()
    assert pdq.query_many([b], radius=0) == [[(sid_b, 0)]]
    assert follower.status()[0].built_to == start  # the hole at start + 1 may still commit
    with amparo.session() as s:
        _change(s, start + 1, sid_a)
    follower.sync()
    assert pdq.query_many([a], radius=0) == [[(sid_a, 0)]]
    assert follower.status()[0].built_to == start + 2
    assert len(pdq) == 2


def test_follower_skips_a_hole_after_the_timeout(amparo: Amparo) -> None:
    follower = CatalogFollower(amparo.sessions, gap_timeout=0)
    follower.ensure_loaded()
    start = follower.status()[0].built_to
    with amparo.session() as s:
        _change(s, start + 3, _signal_without_change(s, "c" * 64))
    follower.sync()
    follower.sync()
    assert follower.status()[0].built_to == start + 3


def test_catalog_loads_existing_signals(amparo: Amparo) -> None:
    with amparo.session() as s:
        bank = banks.create_bank(s, "PRELOADED")
        banks.add_entries(
            s, bank.id, "import", [NewEntry(signals={"pdq": f"{i:064x}"}) for i in range(1, 301)]
        )
        count = len(s.scalars(select(SignalRow.id)).all())
    follower = CatalogFollower(amparo.sessions)
    follower.ensure_loaded()
    assert len(follower.matcher.indexes["pdq"]) == count == 300


def test_a_load_pauses_the_garbage_collector_and_restores_it(
    amparo: Amparo, monkeypatch: pytest.MonkeyPatch
) -> None:
    with amparo.session() as s:
        bank = banks.create_bank(s, "GC")
        banks.add_entries(s, bank.id, "import", [NewEntry(signals={"pdq": "f" * 64})])
    seen: list[bool] = []
    real = banks.iter_catalog

    def watched(session: Session) -> Iterator[list[tuple[int, str, str, EntryInfo]]]:
        seen.append(gc.isenabled())
        yield from real(session)

    monkeypatch.setattr(banks, "iter_catalog", watched)
    CatalogFollower(amparo.sessions).ensure_loaded()
    assert seen == [False] and gc.isenabled()

    def broken(session: Session) -> Iterator[list[tuple[int, str, str, EntryInfo]]]:
        raise OSError("the database went away")
        yield []

    monkeypatch.setattr(banks, "iter_catalog", broken)
    with pytest.raises(OSError, match="went away"):
        CatalogFollower(amparo.sessions).ensure_loaded()
    assert gc.isenabled()
    gc.disable()  # left off by whoever turned it off: a load does not turn it on
    try:
        monkeypatch.setattr(banks, "iter_catalog", real)
        CatalogFollower(amparo.sessions).ensure_loaded()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_server_s_follower_freezes_the_heap_before_it_is_ready(amparo: Amparo) -> None:
    assert gc.get_freeze_count() == 0
    plain = CatalogFollower(amparo.sessions)
    plain.ensure_loaded()
    assert gc.get_freeze_count() == 0  # tests, the command line: nothing frozen
    server = CatalogFollower(amparo.sessions)
    server.freeze_when_loaded = True
    frozen_when_ready: list[int] = []

    class Recorded(threading.Event):
        def set(self) -> None:
            frozen_when_ready.append(gc.get_freeze_count())
            super().set()

    server.ready = Recorded()
    try:
        server.ensure_loaded()
        assert server.ready.is_set()
        assert frozen_when_ready[0] > 0
    finally:
        gc.unfreeze()
