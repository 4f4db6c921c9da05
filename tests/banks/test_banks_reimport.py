"""Lists can be imported again: the same file changes nothing and crashes nothing; --replace
makes the bank equal the file (disabling, never deleting, and saying so in the ledger); an
import commits in batches, so a concurrent writer is not blocked for the whole import.

Each test runs on SQLite and on PostgreSQL (the ``amparo`` fixture)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from amparo import banks
from amparo.banks import NewEntry
from amparo.cli import app
from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow

Headers = Callable[[str], dict[str, str]]


def _csv(rows: range, *, with_source_id: bool) -> str:
    if with_source_id:
        return "md5,source_id,category\n" + "".join(f"{i:032x},item{i},A1\n" for i in rows)
    return "md5,category\n" + "".join(f"{i:032x},A1\n" for i in rows)


def _lines(text: str) -> Callable[[], Iterator[str]]:
    return lambda: iter(text.splitlines(keepends=True))


def _ledger_kinds(amparo: Amparo) -> list[str]:
    with amparo.session() as s:
        return list(s.scalars(select(LedgerEntryRow.kind).order_by(LedgerEntryRow.id)))


def _state(amparo: Amparo, bank: str) -> list[tuple[object, ...]]:
    with amparo.session() as s:
        entries = banks.list_entries(s, bank, limit=10_000)
    return [(e.id, dict(e.signals), e.source_id, e.category, e.enabled) for e in entries]


@pytest.mark.parametrize("with_source_id", [True, False])
def test_importing_the_same_list_again_changes_nothing(
    amparo: Amparo, with_source_id: bool
) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "LIST")
    text = _csv(range(12), with_source_id=with_source_id)
    first = banks.import_entries(amparo.session, "LIST", _lines(text), "csv")
    assert (first.counts.added, first.counts.updated) == (12, 0)
    before, kinds = _state(amparo, "LIST"), _ledger_kinds(amparo)
    for _ in range(2):
        again = banks.import_entries(amparo.session, "LIST", _lines(text), "csv")
        assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 12)
    assert _state(amparo, "LIST") == before
    assert _ledger_kinds(amparo) == kinds  # nothing happened, so nothing is recorded


def test_replace_makes_the_bank_equal_the_file_by_disabling(amparo: Amparo) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "LIST")
        banks.add_entry(s, "LIST", NewEntry(signals={"md5": "f" * 32}, source="cli"))
    banks.import_entries(amparo.session, "LIST", _lines(_csv(range(6), with_source_id=True)), "csv")
    smaller = _csv(range(3), with_source_id=True)
    result = banks.import_entries(amparo.session, "LIST", _lines(smaller), "csv", replace=True)
    assert result.disabled == 4 and result.counts.unchanged == 3
    state = {e[2]: e[4] for e in _state(amparo, "LIST")}
    assert len(state) == 7  # disabled, not deleted
    assert state == {None: False, **{f"item{i}": i < 3 for i in range(6)}}
    assert _ledger_kinds(amparo)[-1] == "entries.disable"
    again = banks.import_entries(amparo.session, "LIST", _lines(smaller), "csv", replace=True)
    assert again.disabled == 0 and again.counts.unchanged == 3


def test_reimport_and_replace_over_the_cli(
    settings: Settings, amparo: Amparo, tmp_path: Path
) -> None:
    env = {
        "AMPARO_DATA_DIR": str(settings.data_dir),
        "AMPARO_DATABASE_URL": str(settings.database_url),
    }
    runner = CliRunner()
    full, part = tmp_path / "full.csv", tmp_path / "part.csv"
    full.write_text(_csv(range(5), with_source_id=False))
    part.write_text(_csv(range(2), with_source_id=False))
    assert runner.invoke(app, ["bank", "create", "CLI_LIST"], env=env).exit_code == 0
    for expected in ("5 added", "5 unchanged"):
        r = runner.invoke(app, ["bank", "import", "CLI_LIST", str(full)], env=env)
        assert r.exit_code == 0 and expected in r.stdout, r.output
    r = runner.invoke(app, ["bank", "import", "CLI_LIST", str(part), "--replace"], env=env)
    assert r.exit_code == 0 and "3 no longer listed, disabled" in r.stdout, r.output
    r = runner.invoke(app, ["bank", "entries", "CLI_LIST", "--json"], env=env)
    enabled = [json.loads(line)["enabled"] for line in r.stdout.splitlines()]
    assert enabled == [True, True, False, False, False]


def test_reimport_and_replace_over_the_api(client: TestClient, headers: Headers) -> None:
    curator = headers("curator")
    assert client.post("/v1/banks", json={"name": "API_LIST"}, headers=curator).status_code == 201

    def post(text: str, **params: str) -> dict[str, int]:
        r = client.post(
            "/v1/banks/API_LIST/import",
            params=params,
            files={"file": ("list.csv", text.encode(), "text/csv")},
            headers=curator,
        )
        assert r.status_code == 200, r.text
        body: dict[str, int] = r.json()
        return body

    text = _csv(range(4), with_source_id=True)
    assert post(text)["added"] == 4
    assert post(text) | {"bad_rows": 0} == {
        "imported": 4,
        "added": 0,
        "updated": 0,
        "unchanged": 4,
        "disabled": 0,
        "skipped": 0,
        "bad_rows": 0,
    }
    replaced = post(_csv(range(1), with_source_id=True), replace="true")
    assert replaced["disabled"] == 3 and replaced["unchanged"] == 1
    listed = client.get("/v1/banks/API_LIST/entries", headers=curator).json()["entries"]
    assert [e["enabled"] for e in listed] == [True, False, False, False]


def test_a_concurrent_add_is_not_blocked_for_the_whole_import(amparo: Amparo) -> None:
    """The import waits, between two batches, for an entry added by another thread: if the
    import held the database for its whole run, the add could not finish and this fails."""
    with amparo.session() as s:
        banks.create_bank(s, "BIG")
        banks.create_bank(s, "OTHER")
    text = _csv(range(300), with_source_id=True)
    added = threading.Event()
    finished_at: list[float] = []

    def add_elsewhere() -> None:
        with amparo.session() as s:
            banks.add_entry(s, "OTHER", NewEntry(signals={"md5": "e" * 32}))
        finished_at.append(time.monotonic())
        added.set()

    adder = threading.Thread(target=add_elsewhere)

    def progress(done: int, total: int) -> None:
        if done == 100:  # the first batch is committed; the next one waits for the add
            adder.start()
            assert added.wait(timeout=20), "the add was blocked by the import"

    result = banks.import_entries(
        amparo.session, "BIG", _lines(text), "csv", progress=progress, batch_size=100
    )
    ended = time.monotonic()
    adder.join(timeout=5)
    assert result.counts.added == 300
    assert finished_at and finished_at[0] < ended
    with amparo.session() as s:
        assert banks.bank_sizes(s) == {"BIG": 300, "OTHER": 1}


def test_batches_written_at_once_upsert_as_one_writer_would(amparo: Amparo) -> None:
    """On PostgreSQL an import writes two batches at once. A hash in two neighbouring
    batches still makes one entry, and an entry found by two of them (its pdq in one, its
    md5 in the next) is changed by one after the other, as a single writer would."""
    pdq, md5 = "ab" * 32, "cd" * 16
    with amparo.session() as s:
        banks.create_bank(s, "LIST")
        banks.add_entry(s, "LIST", NewEntry(signals={"pdq": pdq, "md5": md5}, source="cli"))
    rows = [f"{1:032x},,", f",{pdq},A1", f"{md5},,B2", f"{2:032x},,"]
    rows += [f"{i:032x},," for i in range(3, 9)] * 2  # each twice, in neighbouring batches
    text = "md5,pdq,category\n" + "".join(r + "\n" for r in rows)
    result = banks.import_entries(amparo.session, "LIST", _lines(text), "csv", batch_size=2)
    assert (result.counts.added, result.counts.updated, result.counts.unchanged) == (9, 1, 6)
    state = _state(amparo, "LIST")
    assert state[0][1:4] == ({"pdq": pdq}, None, "A1")  # the curated entry, updated in place
    assert sorted(e[1]["md5"] for e in state[1:]) == sorted(
        [md5] + [f"{i:032x}" for i in range(1, 9)]
    )
    again = banks.import_entries(amparo.session, "LIST", _lines(text), "csv", batch_size=2)
    assert again.counts.added == 0 and _state(amparo, "LIST") == state


def test_each_entries_add_record_names_its_batch_alone(amparo: Amparo) -> None:
    """Batches written at once draw their ids apart: every ``entries.add`` record's id
    range holds its own entries and no other batch's, and its digest is theirs."""
    with amparo.session() as s:
        banks.create_bank(s, "LIST")
    text = _csv(range(300), with_source_id=False)
    banks.import_entries(amparo.session, "LIST", _lines(text), "csv", batch_size=7)
    with amparo.session() as s:
        records = [
            json.loads(r)["data"]
            for r in s.scalars(
                select(LedgerEntryRow.record).where(LedgerEntryRow.kind == "entries.add")
            )
        ]
        entries = {e.id: e for e in banks.list_entries(s, "LIST", limit=10_000)}
    assert sum(r["count"] for r in records) == 300
    for r in records:
        ids = [i for i in entries if r["first_entry_id"] <= i <= r["last_entry_id"]]
        assert len(ids) == r["count"]
        batch = [entries[i] for i in ids]
        rows = [(e.id, e.source, e.source_id, e.category, e.tags, e.signals) for e in batch]
        assert banks.entries_digest(rows) == r["digest"]
