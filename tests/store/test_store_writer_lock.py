"""The writer lock: server processes on one SQLite file take turns for group commits and
ledger rounds on a kernel lock beside the database (not in SQLite's sleeping busy handler)."""

from __future__ import annotations

import concurrent.futures
import errno
import fcntl
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.scan import ScanRecord, new_scan_id
from amparo.store import WriterLock, create_engine_for

HOLD = """
import sys, time
from amparo.store import WriterLock, create_engine_for
lock = WriterLock(create_engine_for(sys.argv[1]))
with lock():
    print("held", flush=True)
    time.sleep(600)
"""


def _free(path: Path) -> bool:
    """Whether another holder could take the lock file now (a non-blocking probe)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a probe that got it
    return True


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'amparo.db'}"


@pytest.mark.usefixtures("loose_umask")
def test_the_lock_is_a_private_file_beside_the_database_held_only_inside(
    tmp_path: Path, sqlite_url: str
) -> None:
    lock = WriterLock(create_engine_for(sqlite_url))
    path = tmp_path / "amparo.db-amparo-writer"
    with lock():
        assert not _free(path)
    assert _free(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lock.close()
    with lock():  # usable again after close: the file is reopened
        assert not _free(path)


def test_two_holders_take_turns(sqlite_url: str, tmp_path: Path) -> None:
    first, second = (WriterLock(create_engine_for(sqlite_url)) for _ in range(2))
    order: list[str] = []
    held = second()

    def take_second() -> None:
        held.__enter__()
        order.append("second")

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        with first():
            order.append("first")
            waiting = pool.submit(take_second)
            with pytest.raises(concurrent.futures.TimeoutError):
                waiting.result(timeout=0.3)
            order.append("first done")
        waiting.result(timeout=30)
    assert order == ["first", "first done", "second"]
    assert not _free(tmp_path / "amparo.db-amparo-writer")  # second holds it now
    held.__exit__(None, None, None)
    assert _free(tmp_path / "amparo.db-amparo-writer")
    first.close()
    second.close()


def test_a_killed_holder_s_lock_is_released(sqlite_url: str, tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, sqlite_url], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "held"
            assert not _free(tmp_path / "amparo.db-amparo-writer")
        finally:
            child.send_signal(signal.SIGKILL)
    lock = WriterLock(create_engine_for(sqlite_url))
    with lock():
        pass
    lock.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_databases_need_no_lock(url: str, tmp_path: Path) -> None:
    lock = WriterLock(create_engine_for(url))
    with lock(), lock():  # a no-op: nothing to take turns on, not even re-entrancy to refuse
        pass
    lock.close()


@pytest.mark.postgres
def test_postgresql_needs_no_lock(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lock = WriterLock(create_engine_for(pg_url))
    with lock():
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_scan_commit_waits_its_turn(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Amparo.open(settings)
    other = WriterLock(runtime.engine)  # another server process on the same file
    try:
        runtime.start()
        record = ScanRecord(new_scan_id(), "hash", None, {"md5": "0" * 32}, None, (), None, None)
        with other():
            done = runtime.scans.submit(record)
            with pytest.raises(concurrent.futures.TimeoutError):
                done.result(timeout=0.3)
        done.result(timeout=30)
    finally:
        other.close()
        runtime.close()


def test_a_ledger_round_waits_its_turn(tmp_path: Path) -> None:
    runtime = Amparo.open(Settings(data_dir=tmp_path / "data"))
    other = WriterLock(runtime.engine)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            with other():
                done = pool.submit(runtime.ledger.integrate)
                with pytest.raises(concurrent.futures.TimeoutError):
                    done.result(timeout=0.3)
            assert done.result(timeout=30) >= 0
    finally:
        other.close()
        runtime.close()


def test_a_lock_file_that_cannot_be_opened_is_said_once_and_scans_still_commit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Amparo.open(settings)
    # Another user's file, a read-only folder: here, a directory where the file would be.
    (settings.data_dir / "amparo.db-amparo-writer").mkdir()
    (settings.data_dir / "amparo.db-amparo-rounds").mkdir()
    try:
        records = [
            ScanRecord(new_scan_id(), "hash", None, {"md5": f"{i:032x}"}, None, (), None, None)
            for i in range(2)
        ]
        for record in records:
            runtime.scans.submit(record).result(timeout=30)
        runtime.ledger.round()  # rounds go on too, untaken in turns
        warned = [r for r in caplog.records if "cannot open the lock file" in r.getMessage()]
        assert len(warned) == 2  # once per lock file, not once per commit
        assert "amparo.db-amparo-writer" in warned[0].getMessage()
    finally:
        runtime.close()


def test_a_file_system_that_refuses_locks_is_said_once_and_scans_still_commit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amparo.store import _db

    real = _db.fcntl.flock

    def refused(fd: int, op: int) -> None:
        if op & fcntl.LOCK_EX:
            raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))  # e.g. some NFS mounts
        real(fd, op)

    monkeypatch.setattr(_db.fcntl, "flock", refused)
    runtime = Amparo.open(Settings(data_dir=tmp_path / "data"))
    try:
        for i in range(2):
            record = ScanRecord(
                new_scan_id(), "hash", None, {"md5": f"{i:032x}"}, None, (), None, None
            )
            runtime.scans.submit(record).result(timeout=30)
        runtime.ledger.round()
        runtime.ledger.round()
        warned = [
            r.getMessage() for r in caplog.records if "cannot lock the lock file" in r.getMessage()
        ]
        assert len(warned) == 2  # the writer's and the rounds' file, once each
    finally:
        runtime.close()
