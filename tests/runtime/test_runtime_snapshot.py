"""Saved indexes: a restart reads them and applies only the changes since; a snapshot of
another database, one ahead of the database, or a damaged one is never used."""

from __future__ import annotations

import shutil
from pathlib import Path

from amparo import banks
from amparo.banks import NewEntry
from amparo.config import Settings
from amparo.matching import Query
from amparo.runtime import Amparo

PDQ = ["%064x" % (i * 0x1234567890ABCDEF) for i in range(1, 41)]


def _reopen(settings: Settings) -> Amparo:
    runtime = Amparo.open(settings)
    runtime.follower.ensure_loaded()
    return runtime


def _found(runtime: Amparo, values: list[str]) -> list[int]:
    found = runtime.matcher.lookup([Query("pdq", v) for v in values], radius=0)
    return [len(f) for f in found]


def test_a_restart_reads_the_snapshot_and_applies_what_changed(settings: Settings) -> None:
    first = Amparo.open(settings)
    with first.session() as s:
        bank = banks.create_bank(s, "SNAP")
        banks.add_entries(s, bank.id, "import", [NewEntry(signals={"pdq": v}) for v in PDQ[:30]])
    first.follower.ensure_loaded()
    assert first.follower.loaded_from == "database"
    assert first.follower.save_snapshot()
    assert not first.follower.save_snapshot()  # nothing changed since
    with first.session() as s:  # changes after the snapshot
        doomed = banks.list_entries(s, "SNAP", limit=1)[0]
        banks.delete_entry(s, "SNAP", doomed.id)
        banks.add_entries(s, bank.id, "import", [NewEntry(signals={"pdq": v}) for v in PDQ[30:]])
    first.close()

    second = _reopen(settings)
    try:
        assert second.follower.loaded_from == "snapshot"
        assert _found(second, PDQ) == [0] + [1] * 39
        assert len(second.matcher.indexes["pdq"]) == 39
    finally:
        second.close()


def test_a_snapshot_of_another_database_is_not_used(settings: Settings, tmp_path: Path) -> None:
    first = Amparo.open(settings)
    with first.session() as s:
        banks.create_bank(s, "SNAP")
        banks.add_entry(s, "SNAP", NewEntry(signals={"pdq": PDQ[0]}))
    first.follower.ensure_loaded()
    assert first.follower.save_snapshot()
    first.close()
    other = Settings(data_dir=tmp_path / "other", database_url=f"sqlite:///{tmp_path / 'o.db'}")
    shutil.copytree(settings.data_dir / "index", other.data_dir / "index")
    runtime = _reopen(other)
    try:
        assert runtime.follower.loaded_from == "database"
        assert _found(runtime, [PDQ[0]]) == [0]
    finally:
        runtime.close()


def test_a_damaged_snapshot_is_not_used(settings: Settings) -> None:
    first = Amparo.open(settings)
    with first.session() as s:
        banks.create_bank(s, "SNAP")
        banks.add_entry(s, "SNAP", NewEntry(signals={"pdq": PDQ[0]}))
    first.follower.ensure_loaded()
    assert first.follower.save_snapshot()
    first.close()
    for path in (settings.data_dir / "index").glob("index-pdq-*.npz"):
        path.write_bytes(path.read_bytes()[:100])
    runtime = _reopen(settings)
    try:
        assert runtime.follower.loaded_from == "database"
        assert _found(runtime, [PDQ[0]]) == [1]
    finally:
        runtime.close()


def test_snapshots_can_be_turned_off(settings: Settings) -> None:
    off = settings.model_copy(update={"index_snapshot_seconds": 0})
    runtime = Amparo.open(off)
    runtime.follower.ensure_loaded()
    assert not runtime.follower.save_snapshot()
    runtime.close()
    assert not (off.data_dir / "index").exists()
