"""What the store leaves for others to see: file modes of the data it writes, and SQL
parameters (scan records, notes, prompts) that never reach logs or error messages."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from amparo import auth, banks
from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.store import create_engine_for

SECRET = "note-that-must-not-leak-7f3a"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("loose_umask")
def test_the_data_directory_and_its_files_are_the_owners_alone(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Amparo.open(settings)
    try:
        with runtime.session() as s:
            banks.create_bank(s, "PRIVATE")
            auth.create_key(s, name="k", role="admin")
        runtime.credential_box()  # dev: writes the secret key into the data directory
        _ = runtime.ledger  # dev: writes the ledger signing key there too
        written = sorted(p.name for p in settings.data_dir.iterdir())
        assert {"amparo.db", "amparo.db-wal", "ledger.key", "secret.key"} <= set(written)
        assert _mode(settings.data_dir) == 0o700
        for path in settings.data_dir.iterdir():
            assert _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"
    finally:
        runtime.close()


@pytest.mark.usefixtures("loose_umask")
def test_a_world_readable_database_of_an_older_release_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    for name in ("old.db", "old.db-wal", "old.db-shm"):
        (tmp_path / name).touch(mode=0o644)
    os.chmod(db, 0o644)
    engine = create_engine_for(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    assert all(_mode(p) == 0o600 for p in tmp_path.iterdir())


def test_sql_parameters_are_never_logged_nor_in_errors(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine_for(database_url)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    engine.echo = True  # the most a misconfigured deployment would log
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT :p"), {"p": SECRET})
            with pytest.raises(DBAPIError) as failed:
                conn.execute(text("SELECT no_such_column WHERE :p = :p"), {"p": SECRET})
    finally:
        engine.dispose()
    assert SECRET not in str(failed.value)
    assert "SELECT" in caplog.text and SECRET not in caplog.text
