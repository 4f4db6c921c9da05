"""The in-memory catalog follows the database: what a lookup returns equals a brute-force
search over what the database holds, after any sequence of changes; gaps in the change feed
(PostgreSQL sequences) lose nothing."""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from amparo import banks
from amparo.banks import NewEntry
from amparo.matching import EntryInfo, Query
from amparo.runtime import Amparo
from amparo.runtime._follower import CatalogFollower, _parts, _unread
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


@settings(max_examples=200)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["signal+", "signal-", "entry"]), st.integers(1, 50), st.integers(0, 30)
        ),
        max_size=30,
    ),
    span=st.integers(1, 60),
)
def test_a_poll_is_applied_in_parts_of_bounded_span(
    rows: list[tuple[str, int, int]], span: int
) -> None:
    changes = [
        (seq, kind, first, first + (extra if kind == "signal+" else 0))
        for seq, (kind, first, extra) in enumerate(rows, start=1)
    ]
    parts = list(_parts(changes, span))
    assert [c for part in parts for c in part] == changes
    for part in parts:
        size = sum(c[3] - c[2] + 1 for c in part)
        assert size <= span or len(part) == 1


@settings(max_examples=200)
@given(
    runs=st.lists(st.tuples(st.integers(1, 200), st.integers(0, 20)), max_size=8),
    loaded=st.sets(st.integers(1, 230)),
)
def test_a_replay_after_a_load_reads_only_what_the_load_did_not(
    runs: list[tuple[int, int]], loaded: set[int]
) -> None:
    spans = [(a, a + n) for a, n in runs]
    held = np.array(sorted(loaded), dtype=np.int64)
    wanted = [i for a, b in spans for i in range(a, b + 1) if i not in loaded]
    assert _unread(spans, held) == [(i, i) for i in wanted]


def test_an_import_batch_is_one_change_row_and_followers_read_it_by_range(
    amparo: Amparo,
) -> None:
    """A batch of 7 hashes is one ``signal+`` row naming its run of signal ids; a follower
    that was running applies it, and one loading afresh afterwards does not read the
    batches again in its replay (the load read them)."""
    with amparo.session() as s:
        banks.create_bank(s, "RUNS")
    running = CatalogFollower(amparo.sessions)
    running.ensure_loaded()
    before = banks.newest_change(amparo.sessions())
    values = [f"{i:064x}" for i in range(1, 36)]
    text = "pdq\n" + "".join(v + "\n" for v in values)
    banks.import_entries(
        amparo.session, "RUNS", lambda: iter(text.splitlines(keepends=True)), "csv", batch_size=7
    )
    with amparo.session() as s:
        feed = banks.changes_after(s, before)
    assert [kind for _, kind, _, _ in feed] == ["signal+"] * 5
    assert sum(last - first + 1 for _, _, first, last in feed) == 35
    running.sync()
    assert [r[0][1] for r in running.matcher.indexes["pdq"].query_many(values, radius=0)] == [
        0
    ] * 35
    fresh = CatalogFollower(amparo.sessions)
    statements: list[str] = []
    engine = amparo.sessions().get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        fresh.ensure_loaded()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(fresh.matcher.indexes["pdq"]) == 35
    assert not [q for q in statements if "BETWEEN" in q], statements
