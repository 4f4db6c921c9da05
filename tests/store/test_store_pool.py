"""Pooled PostgreSQL connections: pinged only after sitting idle, replaced when found dead.

A busy server's transactions skip the ping (one round trip each); a connection idle past
``PING_IDLE_SECONDS`` is pinged first and, if its server process is gone, replaced before
anyone uses it. Within the window a dead connection fails the statement that finds out,
and the pool then starts afresh.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from amparo.store import _db, create_engine_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = create_engine_for(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the pool pinged a connection."""
    done: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_conn: object) -> bool:
        done.append(1)
        return ping(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return done


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pg_url: str, pid: int) -> None:
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine, pings: list[int]) -> None:
    first = _backend(engine)
    assert [_backend(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(
    engine: Engine, pg_url: str, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(engine)
    assert _backend(engine) == first and pings == []
    monkeypatch.setattr(_db, "PING_IDLE_SECONDS", 0.0)  # every connection counts as idle
    assert _backend(engine) == first and pings == [1]  # alive: kept
    _terminate(pg_url, first)
    second = _backend(engine)  # the ping found it dead: a fresh one, no error
    assert second != first and len(pings) == 2


def test_a_connection_that_died_within_the_window_fails_once(
    engine: Engine, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_db, "PING_IDLE_SECONDS", 3600.0)
    first = _backend(engine)
    _terminate(pg_url, first)
    with pytest.raises(OperationalError):
        _backend(engine)
    assert _backend(engine) != first  # the pool started afresh
