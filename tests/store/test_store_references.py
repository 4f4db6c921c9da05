"""An entry names an existing bank and a signal an existing entry, on both databases.

SQLite enforces this with foreign keys; PostgreSQL with statement-level triggers (migration
0015: one set-wise check per COPY instead of a query per row). Both must refuse the same
rows, cascade the same deletions and, on PostgreSQL, hold under concurrent deletion.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.store import create_engine_for, migrate
from amparo.store._models import BankRow, EntryRow, SignalRow

MISSING = 2**62


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def bank_with_entries(engine: Engine, entries: int) -> tuple[int, list[int]]:
    with Session(engine) as session, session.begin():
        bank = BankRow(name=f"B{time.monotonic_ns()}")
        session.add(bank)
        session.flush()
        rows = [EntryRow(bank_id=bank.id) for _ in range(entries)]
        session.add_all(rows)
        session.flush()
        session.add_all(
            SignalRow(entry_id=row.id, signal_type="pdq", value=f"{row.id:064x}") for row in rows
        )
        return bank.id, [row.id for row in rows]


def count(engine: Engine, model: type[EntryRow] | type[SignalRow], *where: object) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_signal_of_a_missing_entry_is_refused(engine: Engine) -> None:
    _, (entry,) = bank_with_entries(engine, 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(SignalRow),
            [
                {"entry_id": entry, "signal_type": "pdq", "value": "a" * 64},
                {"entry_id": MISSING, "signal_type": "pdq", "value": "b" * 64},
            ],
        )
    assert count(engine, SignalRow) == 1


def test_an_entry_of_a_missing_bank_is_refused(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(EntryRow).values(bank_id=MISSING))
    assert count(engine, EntryRow) == 0


def test_moving_an_entry_to_a_missing_bank_is_refused(engine: Engine) -> None:
    _, (entry,) = bank_with_entries(engine, 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET bank_id = :b WHERE id = :e"), {"b": MISSING, "e": entry}
        )


def test_the_id_of_a_referenced_entry_does_not_change(engine: Engine) -> None:
    _, (entry,) = bank_with_entries(engine, 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("UPDATE entries SET id = :new WHERE id = :e"), {"new": MISSING, "e": entry}
        )
    assert count(engine, SignalRow, SignalRow.entry_id == entry) == 1


def test_deleting_a_bank_deletes_its_entries_and_their_signals(engine: Engine) -> None:
    bank, entries = bank_with_entries(engine, 3)
    _, kept = bank_with_entries(engine, 2)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM banks WHERE id = :b"), {"b": bank})
    assert count(engine, EntryRow) == 2
    assert count(engine, SignalRow, SignalRow.entry_id.in_(entries)) == 0
    assert count(engine, SignalRow, SignalRow.entry_id.in_(kept)) == 2


def test_deleting_entries_deletes_their_signals(engine: Engine) -> None:
    _, entries = bank_with_entries(engine, 4)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM entries WHERE id IN (:a, :b)"), {"a": entries[0], "b": entries[2]}
        )
    assert count(engine, SignalRow) == 2
    assert count(engine, SignalRow, SignalRow.entry_id.in_([entries[1], entries[3]])) == 2


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(picks=st.lists(st.tuples(st.booleans(), st.integers(0, 4)), min_size=1, max_size=12))
def test_a_batch_of_signals_is_written_exactly_when_every_entry_exists(
    engine: Engine, picks: list[tuple[bool, int]]
) -> None:
    """The rule of a foreign key, for a multi-row statement: all rows or none."""
    _, entries = bank_with_entries(engine, 5)
    before = count(engine, SignalRow)
    rows = [
        {
            "entry_id": entries[i] if exists else MISSING + i,
            "signal_type": "pdq",
            "value": f"{n:064x}",
        }
        for n, (exists, i) in enumerate(picks)
    ]
    all_exist = all(exists for exists, _ in picks)
    try:
        with engine.begin() as conn:
            conn.execute(insert(SignalRow), rows)
    except IntegrityError:
        assert not all_exist
        assert count(engine, SignalRow) == before
    else:
        assert all_exist
        assert count(engine, SignalRow) == before + len(rows)


def psycopg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """PostgreSQL's triggers (SQLite runs its foreign keys): the run's migrated database."""
    engine = create_engine_for(pg_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_copy_of_signals_of_a_missing_entry_is_refused(pg_engine: Engine) -> None:
    """The importer's path (COPY) is checked like an INSERT."""
    _, (entry,) = bank_with_entries(pg_engine, 1)
    refused = pytest.raises(psycopg.errors.ForeignKeyViolation, match="entries that does not exist")
    copy = "COPY signals (entry_id, signal_type, value) FROM STDIN"
    with psycopg.connect(psycopg_url(pg_engine)) as conn, refused, conn.cursor().copy(copy) as cp:
        cp.write_row((entry, "pdq", "c" * 64))
        cp.write_row((MISSING, "pdq", "d" * 64))
    assert count(pg_engine, SignalRow, SignalRow.entry_id == entry) == 1
    assert count(pg_engine, SignalRow, SignalRow.entry_id == MISSING) == 0


def wait_for_a_lock_wait(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(500):
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.02)
    pytest.fail("the second transaction never waited for the first")


@pytest.mark.postgres
def test_a_deletion_waits_for_a_transaction_adding_signals_and_takes_them(
    pg_engine: Engine,
) -> None:
    """The new signal's entry is locked as a foreign key locks it: the deletion that comes
    second waits, then deletes the signal committed meanwhile (no orphan)."""
    _, (entry,) = bank_with_entries(pg_engine, 1)
    url = psycopg_url(pg_engine)
    errors: list[BaseException] = []

    def delete_entry() -> None:
        try:
            with psycopg.connect(url) as conn:
                conn.execute("DELETE FROM entries WHERE id = %s", (entry,))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    with psycopg.connect(url) as adder:
        adder.execute(
            "INSERT INTO signals (entry_id, signal_type, value) VALUES (%s, 'pdq', %s)",
            (entry, "e" * 64),
        )
        deleter = threading.Thread(target=delete_entry)
        deleter.start()
        wait_for_a_lock_wait(url)
        adder.commit()
    deleter.join(10)
    assert not errors
    assert count(pg_engine, SignalRow, SignalRow.entry_id == entry) == 0
    assert count(pg_engine, EntryRow, EntryRow.id == entry) == 0


@pytest.mark.postgres
def test_signals_added_to_an_entry_deleted_meanwhile_are_refused(pg_engine: Engine) -> None:
    _, (entry,) = bank_with_entries(pg_engine, 1)
    url = psycopg_url(pg_engine)
    outcome: list[BaseException | None] = []

    def add_signal() -> None:
        try:
            with psycopg.connect(url) as conn:
                conn.execute(
                    "INSERT INTO signals (entry_id, signal_type, value) VALUES (%s, 'pdq', %s)",
                    (entry, "f" * 64),
                )
            outcome.append(None)
        except BaseException as exc:  # checked below
            outcome.append(exc)

    with psycopg.connect(url) as deleter:
        deleter.execute("DELETE FROM entries WHERE id = %s", (entry,))
        adder = threading.Thread(target=add_signal)
        adder.start()
        wait_for_a_lock_wait(url)
        deleter.commit()
    adder.join(10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], psycopg.errors.ForeignKeyViolation)
    assert count(pg_engine, SignalRow, SignalRow.entry_id == entry) == 0
