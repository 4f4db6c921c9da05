"""The migrations build exactly the tables the models declare, on both backends, as one
chain (several packages add migrations: a second head would fail ``upgrade head``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

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


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_going_back_before_change_runs_spells_each_run_out(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Downgraded below 0013, the change feed names every signal of a run on a row of its
    own, as the code before runs reads it; upgrading again works."""
    name = f"amparo_test_runs_{os.getpid()}"
    admin_url = "" if backend == "sqlite" else request.getfixturevalue("pg_admin_url")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url += f"/{name}"
    engine = create_engine_for(url)
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
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012_signal_values_bytewise")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, object_id FROM changes")).all()
        assert sorted(rows) == sorted([("key", 3)] + [("signal+", i) for i in (5, 6, 7, 8, 20, 30)])
        migrate(engine)
    finally:
        engine.dispose()
        if backend == "postgres":
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
