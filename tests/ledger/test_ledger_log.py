"""Writing, integrating, checkpointing and proving, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from ledger_events import Note
from sqlalchemy import func, select

from amparo import ledger
from amparo.errors import InputError, NotFoundError
from amparo.events import Event
from amparo.ledger import Ledger, LedgerVerificationError, Signer
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow


def test_record_prove_and_check_offline(
    log: Ledger, log_signer: Signer, add_entries: Callable[[int], list[int]]
) -> None:
    ids = add_entries(300)
    log.integrate()
    log.checkpoint()
    more = add_entries(5)
    log.integrate()
    log.checkpoint()
    for entry in (ids[0], ids[255], ids[299], more[-1]):
        checked = ledger.check_proof(log.prove(entry), log_signer.verifier)
        assert checked.entry_id == entry
        assert checked.record["kind"] == "test.note"
        assert checked.checkpoint.size == log.integrate()


def test_round_integrates_a_backlog_in_steps(
    log: Ledger, add_entries: Callable[[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server round takes the whole backlog, a bounded step per transaction (SQLite's
    write lock is held for one step at a time, not the backlog), then signs once."""
    from amparo.ledger import _ledger

    monkeypatch.setattr(_ledger, "ROUND_STEP", 7)
    steps: list[int] = []
    integrate = log._integrate

    def counted(limit: int) -> tuple[int, int]:
        placed, size = integrate(limit)
        steps.append(placed)
        return placed, size

    monkeypatch.setattr(log, "_integrate", counted)
    ids = add_entries(30)
    log.round()
    assert max(steps) == 7 and sum(steps) >= 30
    assert ledger.check_proof(log.prove(ids[-1]), log.verifier).entry_id == ids[-1]


def test_entry_not_yet_checkpointed_cannot_be_proven(
    log: Ledger, add_entries: Callable[[int], list[int]]
) -> None:
    (entry,) = add_entries(1)
    with pytest.raises(NotFoundError, match="not yet covered"):
        log.prove(entry)
    with pytest.raises(NotFoundError):
        log.prove(10**9)


@dataclass(frozen=True)
class _Loose(Event):
    kind = "test.loose"

    when: object


@dataclass(frozen=True)
class _BadKind(Event):
    kind = "Bank Update"


def test_record_limits(amparo: Amparo) -> None:
    with amparo.session() as s:
        ledger.append(s, [Note(text="x" * 60_000)])
        with pytest.raises(InputError, match="limit is 65536"):
            ledger.append(s, [Note(text="x" * 70_000)])
        with pytest.raises(InputError, match="not plain JSON"):
            ledger.append(s, [_Loose(object())])
        with pytest.raises(InputError, match="kind"):
            ledger.append(s, [_BadKind()])


def test_rolled_back_entries_leave_no_trace(log: Ledger, amparo: Amparo) -> None:
    with pytest.raises(RuntimeError), amparo.session() as s:
        s.emit(Note(text="gone"))
        raise RuntimeError("caller's change failed")
    size = log.integrate()
    with amparo.session() as s:
        kinds = s.scalars(select(LedgerEntryRow.kind)).all()
    assert "test.note" not in kinds
    assert size == len(kinds)


def test_scan_tally_counts_every_scan_once(amparo: Amparo, log_signer: Signer) -> None:
    log = Ledger(amparo.engine, signer=log_signer, tally_seconds=0)
    with amparo.session() as s:
        for _ in range(7):
            ledger.count_scans(s, 1)
    log.integrate()
    with amparo.session() as s:
        ledger.count_scans(s, 1)
    log.integrate()
    log.integrate()
    with amparo.session() as s:
        rows = s.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.kind == "scan.tally")
            .order_by(LedgerEntryRow.id)
        ).all()
    counts = [ledger.Ledger(amparo.engine).disclose(r.id).record_text for r in rows]
    totals = [int(c.split('"scans":')[1].split(",")[0]) for c in counts]
    assert totals == [7, 1, 0]


def test_checkpoint_is_not_re_signed_when_nothing_changed(
    log: Ledger, add_entries: Callable[[int], list[int]]
) -> None:
    add_entries(3)
    log.integrate()
    first = log.checkpoint()
    assert log.checkpoint() == first
    assert log.latest_note() == first


def test_read_only_ledger_cannot_sign(amparo: Amparo) -> None:
    with pytest.raises(LedgerVerificationError, match="no signing key"):
        Ledger(amparo.engine).checkpoint()


def test_verify_local_passes_on_a_clean_log(
    log: Ledger, add_entries: Callable[[int], list[int]]
) -> None:
    for n in (1, 256, 300):
        add_entries(n)
        log.integrate()
        log.checkpoint()
    report = log.verify_local()
    assert report.size == 557 + 1  # plus the first scan tally
    assert report.checkpoints == 3


def test_concurrent_writers_and_integrators_leave_no_gaps(
    amparo: Amparo, log: Ledger, add_entries: Callable[[int], list[int]]
) -> None:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                add_entries(5)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def integrate() -> None:
        try:
            for _ in range(15):
                log.integrate(limit=37)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    threads += [threading.Thread(target=integrate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    while log.integrate() != log.integrate(limit=1):
        pass
    log.checkpoint()
    with amparo.session() as s:
        indexes = s.scalars(
            select(LedgerEntryRow.leaf_index).order_by(LedgerEntryRow.leaf_index)
        ).all()
        pending = s.scalar(select(func.count()).where(LedgerEntryRow.leaf_index.is_(None)))
    assert pending == 0
    assert indexes == list(range(len(indexes)))
    assert log.verify_local().size == len(indexes) == 4 * 20 * 5 + 1


def test_record_many_keeps_order_and_proves(
    amparo: Amparo, log: Ledger, log_signer: Signer
) -> None:
    with amparo.session() as s:
        ids = ledger.append(s, [Note(n=n) for n in range(50)])
        assert ledger.append(s, []) == []
    assert ids == sorted(ids) and len(set(ids)) == 50
    log.integrate()
    log.checkpoint()
    for n in (0, 17, 49):
        assert ledger.check_proof(log.prove(ids[n]), log_signer.verifier).record["data"] == {
            "n": n,
            "text": "",
        }
