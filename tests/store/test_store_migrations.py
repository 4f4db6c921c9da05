"""The migrations build exactly the tables the models declare, on both backends, as one
chain (several packages add migrations: a second head would fail ``upgrade head``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from amparo.accountability._repo import mark_noticed
from amparo.store import create_engine_for, metadata, migrate, utcnow
from amparo.store._db import HEAD

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "amparo" / "store" / "migrations"


def test_the_migrations_form_one_chain() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"several heads {heads}: set down_revision to the newest one"
    assert heads == [HEAD], "name the newest migration file after its revision, numbered last"


def test_a_database_at_the_newest_revision_is_opened_without_alembic(tmp_path: Path) -> None:
    """Start-up checks the revision with one query; alembic is imported only to migrate."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_engine_for(url)
    migrate(engine)
    engine.dispose()
    code = (
        "import sys; from amparo.store import create_engine_for, migrate; "
        f"migrate(create_engine_for({url!r})); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migrated_schema_matches_the_models(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'm.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = create_engine_for(url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    # Type and index details differ harmlessly between backends; missing or extra tables
    # and columns do not.
    structural = [
        d
        for d in diff
        if isinstance(d, tuple)
        and d[0] in {"add_table", "remove_table", "add_column", "remove_column"}
    ]
    assert not structural, structural


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own (on PostgreSQL: made and dropped here)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"amparo_test_migrations_{os.getpid()}"
    admin_url: str = request.getfixturevalue("pg_admin_url")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{url}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_going_back_before_change_runs_spells_each_run_out(own_database: str) -> None:
    """Downgraded below 0013, the change feed names every signal of a run on a row of its
    own, as the code before runs reads it; upgrading again works."""
    engine = create_engine_for(own_database)
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO changes (kind, object_id, last_id, created_at) VALUES "
                    "('signal+', 5, 8, :t), ('key', 3, NULL, :t), ('signal+', 20, NULL, :t), "
                    "('signal+', 30, 30, :t)"
                ),
                {"t": utcnow()},
            )
        _to(engine, "0012_signal_values_bytewise", down=True)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, object_id FROM changes")).all()
        assert sorted(rows) == sorted([("key", 3)] + [("signal+", i) for i in (5, 6, 7, 8, 20, 30)])
        migrate(engine)
    finally:
        engine.dispose()


def test_items_noticed_before_numbering_are_numbered(own_database: str) -> None:
    """Upgraded to 0017, the sightings already noticed get a number (their id), the others
    none; new notices are numbered above them; going back and up again works."""
    engine = create_engine_for(own_database)
    try:
        _to(engine, "0016_signal_value_hash_index")
        t = utcnow()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accountability_platforms (id, name, hostnames, channel, "
                    "channel_target, trusted_flagger, created_at, updated_at) VALUES "
                    "(1, 'p', '[]', 'email', 'a@example.invalid', false, :t, :t)"
                ),
                {"t": t},
            )
            for i, noticed in ((4, t), (5, None), (9, t)):
                conn.execute(
                    text(
                        "INSERT INTO accountability_sightings (id, platform_id, url, host, "
                        "first_seen_at, found_by, recorded_at, evidence_id, md5, sha256, "
                        "matched_banks, state, notices_sent, notice_failures, check_failures, "
                        "first_notice_at) VALUES (:i, 1, 'https://example.invalid/', "
                        "'example.invalid', :t, 'test', :t, 'e', 'm', 's', '[]', 'open', 0, 0, "
                        "0, :n)"
                    ),
                    {"i": i, "t": t, "n": noticed},
                )
        migrate(engine)
        numbers = "SELECT id, noticed_seq FROM accountability_sightings ORDER BY id"
        with engine.connect() as conn:
            assert conn.execute(text(numbers)).all() == [(4, 4), (5, None), (9, 9)]
        with Session(engine) as s:
            mark_noticed(s, 5)
            s.commit()
            assert s.execute(text(numbers)).all() == [(4, 4), (5, 10), (9, 9)]
        _to(engine, "0016_signal_value_hash_index", down=True)
        migrate(engine)
    finally:
        engine.dispose()
