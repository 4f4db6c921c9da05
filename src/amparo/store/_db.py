"""Engines, sessions and migrations."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, make_url, text
from sqlalchemy.orm import Session

from amparo.store._models import InstanceRow

__all__ = [
    "FileLock",
    "WriterLock",
    "create_engine_for",
    "database_instance",
    "migrate",
    "ping",
]

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"
_WRITER_LOCK = "-amparo-writer"
_ROUNDS_LOCK = "-amparo-rounds"
# What SQLite keeps beside a database file: the write-ahead log, its index, a rollback
# journal; and the lock files of WriterLock.
_SIDE_FILES = ("-wal", "-shm", "-journal", _WRITER_LOCK, _ROUNDS_LOCK)
PING_IDLE_SECONDS = 1.0
"""A pooled server connection idle longer than this is pinged before it is used again."""
_USED_AT = "amparo.used_at"


def create_engine_for(url: str) -> Engine:
    """An engine for ``url`` with the settings Amparo relies on.

    SQL parameters are never logged nor put in error messages (``hide_parameters``): they are
    scan records, notes and prompts found in files. SQLite gets WAL, enforced foreign keys
    and a busy timeout so that a server and a CLI can share one database file; its file is
    made readable by its owner only (0600) before SQLite opens it (see
    :func:`_owner_only_database`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _owner_only_database(parsed.database)
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(url, hide_parameters=True, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle past
    :data:`PING_IDLE_SECONDS`; one that fails is replaced by a fresh one.

    Why not SQLAlchemy's ``pool_pre_ping``: it pings at every checkout, one more round trip
    for every transaction, and a busy server's scan writer commits hundreds a second
    (HikariCP skips the test of a connection used within 500 ms for the same reason). A
    server that restarts within the window fails the statement that finds out; SQLAlchemy
    then drops the pool's connections, the scan writer tries again alone, and a request
    answers 503.
    """

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get(_USED_AT)
        if used is None or time.monotonic() - used < PING_IDLE_SECONDS:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # the pool replaces it (up to three tries)
            raise exc.DisconnectionError(f"a pooled connection is gone: {err}") from err


def _owner_only_database(database: str | None) -> None:
    """Create the SQLite file ``database`` as 0600 if it is missing, and take group and other
    access away from it and its side files if they have any.

    SQLite creates its -wal, -shm and -journal files with the database file's mode, so a
    private database file keeps them private; files of an older release are tightened here.
    In-memory and ``file:`` URI databases are left alone.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    except OSError:
        return  # no such folder or no right to create it: SQLite will say so, precisely
    for file in (path, *(path.with_name(path.name + side) for side in _SIDE_FILES)):
        try:
            mode = file.stat().st_mode
            if mode & 0o077:
                file.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not ours to change: say so, and let it open
            log.warning("%s is readable by other users and cannot be changed: %s", file, exc)


class FileLock:
    """An exclusive ``flock`` on one file (created 0600), shared by this process's threads
    in turn: flock excludes other processes, the thread lock the other threads (flock would
    not). :meth:`held` waits for it; :meth:`tried` does not (it yields whether it got it).
    The kernel releases a crashed holder's lock.

    These locks only spare work and waiting (the database keeps its own data safe), so a
    file that cannot be opened (a data directory made read-only, a lock file another user
    created) or locked (a file system without locks) is logged once, and the lock then
    excludes this process's threads only.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._unusable = False
        self._local = threading.Lock()

    def _file(self) -> int | None:
        if self._fd is None and not self._unusable:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                self._give_up("open", exc)
        return self._fd

    def _lock(self, fd: int, flags: int) -> bool | None:
        """flock: True when taken, False when busy (with LOCK_NB), None when the file system
        refuses locks (some network file systems: ENOLCK)."""
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            return False
        except OSError as exc:
            self._give_up("lock", exc)
            return None
        return True

    def _give_up(self, what: str, exc: OSError) -> None:
        self._unusable = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        log.warning(
            "cannot %s the lock file %s (%s); other processes on this database will not "
            "take turns with this one",
            what,
            self._path,
            exc.strerror or exc,
        )

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._local:
            fd = self._file()
            if fd is None or not self._lock(fd, fcntl.LOCK_EX):
                yield
                return
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def tried(self) -> Iterator[bool]:
        if not self._local.acquire(blocking=False):
            yield False
            return
        try:
            fd = self._file()
            taken = None if fd is None else self._lock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if taken is False:
                yield False
                return
            try:
                yield True
            finally:
                if taken and fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._local.release()

    def close(self) -> None:
        with self._local:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class WriterLock:
    """Takes turns between the processes that group-commit to one SQLite file.

    SQLite lets one writer in at a time and makes the others wait by sleeping and retrying
    (1, 2, 5, 10 ... 100 ms: its busy handler), so two server workers committing scans side
    by side lose milliseconds to each other on every collision (p99 165 ms at 4 clients,
    BENCHMARKS.md "Serving over HTTP"). Holding an exclusive ``flock`` on a file beside the
    database for the length of each group's transaction makes the next writer wait in the
    kernel instead, which wakes it the moment the lock is free. A crashed holder's lock is
    released by the kernel. PostgreSQL and in-memory databases need none: the lock is then a
    no-op. Thread-safe; one instance per engine.

    :meth:`rounds` is a second lock, for periodic work that one process at a time should do
    (the ledger's rounds): each server worker runs the same rounds, and two at once take
    the write lock in turns for every step, so scans wait twice as often.
    """

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database or ":memory:"
        self._writer: FileLock | None = None
        self._rounds: FileLock | None = None
        if engine.url.get_backend_name() == "sqlite" and not database.startswith((":", "file:")):
            path = Path(database)
            self._writer = FileLock(path.with_name(path.name + _WRITER_LOCK))
            self._rounds = FileLock(path.with_name(path.name + _ROUNDS_LOCK))

    def __call__(self) -> AbstractContextManager[None]:
        """Held for one write transaction; waits for the other holders."""
        return nullcontext() if self._writer is None else self._writer.held()

    def rounds(self) -> AbstractContextManager[bool]:
        """Held for one round; True, or False at once when another thread or process is in
        one (then skip it: that one does the work). Always True without a file to lock."""
        return nullcontext(True) if self._rounds is None else self._rounds.tried()

    def close(self) -> None:
        for lock in (self._writer, self._rounds):
            if lock is not None:
                lock.close()


def migrate(engine: Engine) -> None:
    """Bring the database schema to the newest revision (idempotent).

    A database already there is seen with one query, without alembic: importing it and
    reading its scripts was ~0.13 s of every command's start-up."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


HEAD = max(p.stem for p in (_MIGRATIONS / "versions").glob("[0-9]*.py"))
"""The newest migration: each file is named after its revision, numbered in order (a test
holds alembic to it)."""


def _at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except exc.DBAPIError:  # no such table yet, or no server: alembic says which
        return False
    return [v for (v,) in versions] == [HEAD]


def ping(engine: Engine) -> None:
    """One round trip to the database; raises what the driver raises when it is down."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


def database_instance(session: Session) -> str:
    """This database's identity (a UUID made by the migration that added it)."""
    row = session.get(InstanceRow, 1)
    return row.uuid if row is not None else ""
