"""Ledgers written by earlier releases still verify with this release.

``fixtures/release-0.1.0.sqlite`` was written by Amparo 0.1.0 (see
``fixtures/make_release_0_1_0.py``): string-kinded records whose data were API dicts. Its
entries, tiles and signed checkpoints must verify after this release migrates the database,
through the same command an auditor runs; and records of every era must stay readable.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
VKEY = "release-0.1.0.example/ledger+d3e2063c+AcG+kiSOictzW3ynHjtkkyKFQDaogR+SaiEnvKf2DlWe"


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "old.sqlite"
    shutil.copy(FIXTURES / "release-0.1.0.sqlite", db)
    key = tmp_path / "old.key"
    shutil.copy(FIXTURES / "release-0.1.0.key", key)
    key.chmod(0o600)
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("AMPARO_LEDGER_ORIGIN", "release-0.1.0.example/ledger")
    monkeypatch.setenv("AMPARO_LEDGER_KEY_FILE", str(key))
    return db


def test_a_ledger_written_by_release_0_1_0_verifies(old_database: Path) -> None:
    result = CliRunner().invoke(app, ["ledger", "verify", "--vkey", VKEY])
    assert result.exit_code == 0, result.output
    assert "35 entries and 2 checkpoint(s) verified" in result.output


def test_tampering_with_the_old_ledger_is_still_found(old_database: Path) -> None:
    db = sqlite3.connect(old_database)
    ((entry_id, record),) = db.execute(
        "SELECT id, record FROM ledger_entries WHERE kind = 'bank.create'"
    ).fetchall()
    changed = bytes(record).replace(b"KNOWN", b"OTHER")
    db.execute("UPDATE ledger_entries SET record = ? WHERE id = ?", (changed, entry_id))
    db.commit()
    db.close()
    result = CliRunner().invoke(app, ["ledger", "verify", "--vkey", VKEY])
    assert result.exit_code == 3, result.output
    assert "entry 2 at index 1 (bank.create)" in result.output


def test_new_entries_extend_the_old_log(old_database: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["bank", "create", "NEW_BANK"]).exit_code == 0
    assert runner.invoke(app, ["ledger", "checkpoint"]).exit_code == 0
    result = runner.invoke(app, ["ledger", "verify", "--vkey", VKEY])
    assert result.exit_code == 0, result.output
    assert "checkpoint(s) verified" in result.output
    tallies = runner.invoke(app, ["ledger", "tallies"])
    assert tallies.exit_code == 0
    first = json.loads(tallies.stdout.splitlines()[0])
    assert json.loads(first["record"])["data"]["scans"] == 4
