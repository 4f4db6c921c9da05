"""The in-memory index follows the database: what a lookup returns equals a brute-force
search over what the database holds, after any sequence of changes."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from amparo import banks
from amparo.banks import NewEntry
from amparo.runtime import Amparo
from amparo.scan import IndexFollower, Query
from amparo.signals import pdq_distance
from amparo.store import SignalChangeRow, SignalRow


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
        with amparo.session() as s:
            (found,) = amparo.matcher.lookup(s, [Query("pdq", query)])
            expected = set()
            for e in banks.list_entries(s, "A") + banks.list_entries(s, "B"):
                bank = banks.get_bank(s, e.bank)
                if e.enabled and pdq_distance(e.signals["pdq"], query) <= bank.pdq_threshold:
                    expected.add((e.id, pdq_distance(e.signals["pdq"], query)))
        assert {(m.entry_id, m.distance) for m in found} == expected


def test_follower_waits_for_a_gap_then_applies_it(amparo: Amparo) -> None:
    """A later change visible before an earlier one (PostgreSQL sequences): nothing is lost."""
    follower = IndexFollower(amparo.sessions, gap_timeout=3600)
    follower.ensure_loaded()
    start = follower.status().built_to
    a, b = "a" * 64, "b" * 64
    with amparo.session() as s:
        s.execute(
            insert(SignalChangeRow),
            [
                {"seq": start + 2, "op": "add", "signal_id": 902, "signal_type": "pdq", "value": b},
            ],
        )
    follower.sync()
    assert follower.index.query(b, radius=0) == [(902, 0)]
    assert follower.status().built_to == start  # the hole at start + 1 may still commit
    with amparo.session() as s:
        s.execute(
            insert(SignalChangeRow),
            [
                {"seq": start + 1, "op": "add", "signal_id": 901, "signal_type": "pdq", "value": a},
            ],
        )
    follower.sync()
    assert follower.index.query(a, radius=0) == [(901, 0)]
    assert follower.status().built_to == start + 2
    assert len(follower.index) == 2


def test_follower_skips_a_hole_after_the_timeout(amparo: Amparo) -> None:
    follower = IndexFollower(amparo.sessions, gap_timeout=0)
    follower.ensure_loaded()
    start = follower.status().built_to
    with amparo.session() as s:
        s.execute(
            insert(SignalChangeRow),
            [
                {
                    "seq": start + 3,
                    "op": "add",
                    "signal_id": 7,
                    "signal_type": "pdq",
                    "value": "c" * 64,
                },
            ],
        )
    follower.sync()
    follower.sync()
    assert follower.status().built_to == start + 3


def test_index_loads_existing_signals(amparo: Amparo) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "PRELOADED")
        banks.add_entries(
            s, "PRELOADED", [NewEntry(signals={"pdq": f"{i:064x}"}) for i in range(1, 301)]
        )
        count = len(s.scalars(select(SignalRow.id)).all())
    follower = IndexFollower(amparo.sessions)
    follower.ensure_loaded()
    assert len(follower.index) == count == 300
