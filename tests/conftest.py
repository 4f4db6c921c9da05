"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the runtime, an API client.

Tests that take ``amparo`` (or anything built on it) run twice: on SQLite and on the
PostgreSQL server at 127.0.0.1:5432 (marked ``postgres``; deselect with ``-m "not postgres"``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from amparo import auth
from amparo.api import create_app
from amparo.config import Settings
from amparo.runtime import Amparo
from amparo.store import create_engine_for, metadata, migrate

PG_ADMIN = os.environ.get("AMPARO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = f"amparo_test_{os.getpid()}"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The PostgreSQL server's admin URL, for a test that needs a database of its own."""
    return PG_ADMIN


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end."""
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - CI always has the server
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN}: {exc}")
    admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}"')
    admin.execute(f'CREATE DATABASE "{PG_DB}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + PG_DB
    engine = create_engine_for(url)
    migrate(engine)
    engine.dispose()
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'amparo.db'}"
        return
    url: str = request.getfixturevalue("pg_url")
    engine = create_engine_for(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def amparo(settings: Settings) -> Iterator[Amparo]:
    runtime = Amparo.open(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def client(settings: Settings, amparo: Amparo) -> Iterator[TestClient]:
    with TestClient(create_app(settings, amparo=amparo)) as test_client:
        # Until the started runtime's first catalog load, lookups answer 503.
        assert amparo.follower.ready.wait(30), "the catalog did not load within 30 s"
        yield test_client


@pytest.fixture
def make_key(amparo: Amparo) -> Callable[[str], str]:
    """Create a key with a role; returns its plaintext."""

    def make(role: str) -> str:
        with amparo.session() as s:
            _, plaintext = auth.create_key(s, name=f"test-{role}", role=role)
        return plaintext

    return make


@pytest.fixture
def headers(make_key: Callable[[str], str]) -> Callable[[str], dict[str, str]]:
    """Request headers carrying a fresh key of the given role."""
    cache: dict[str, dict[str, str]] = {}

    def for_role(role: str) -> dict[str, str]:
        if role not in cache:
            cache[role] = {"Authorization": f"Bearer {make_key(role)}"}
        return cache[role]

    return for_role
